import { z } from 'zod';
import { cameraCategory, pointCategory } from './ids.js';
import { cameraState, cameraStatusMessage, deviceInfo, failureReason, outageCause, pictureFault, rung } from './messages.js';

/**
 * The aggregator's HTTP API responses (docs/openapi.json is generated from
 * these): the contract for the console, scripts and third parties. Every
 * rate comes with numerator and denominator; `rate` is null when the
 * denominator is 0, `percent` is the rate × 100 rounded to two decimals.
 */
const isoTime = z.iso.datetime({ offset: true });
const count = z.number().int().nonnegative();

export const ratioView = z.object({ numerator: count, denominator: count, rate: z.number().min(0).max(1).nullable(), percent: z.number().nullable() });

export const countsView = z.object({
  points: count,
  coveredPoints: count,
  installed: count,
  networked: count,
  intact: count,
  online: count,
  degraded: count,
  offline: count,
  unknown: count,
  /** installed cameras under a maintenance window now: outside installed and the states above */
  maintenance: count,
  /** installed cameras with a complete record (建档率's numerator) */
  recorded: count,
  /**
   * offline cameras by cause (since 1.6.0): the camera or its stream, its
   * NVR/encoder, its site network; with `unknown` (its gateway is gone) they
   * add up to installed − networked
   */
  offlineCamera: count,
  offlineDevice: count,
  offlineNetwork: count,
});

export const onlineView = z.object({
  onlineMs: z.number().nonnegative(),
  /** time the cameras' gateways were gone: observed, not online */
  unknownMs: z.number().nonnegative(),
  observedMs: z.number().nonnegative(),
  cameras: count,
  rate: z.number().min(0).max(1).nullable(),
  percent: z.number().nullable(),
});

/** Recording integrity (录像完整率) from the cameras' last daily check: recorded ÷ scheduled seconds of the cameras with ONVIF Profile G. */
export const recordingView = z.object({
  /** cameras whose device reported its recordings */
  cameras: count,
  /** cameras whose device has no recording search: not counted as 0% */
  unsupported: count,
  recordedSec: z.number().nonnegative(),
  scheduledSec: z.number().nonnegative(),
  rate: z.number().min(0).max(1).nullable(),
  percent: z.number().nullable(),
});

/** The national targets of a category (docs/domain.md §1); null where there is none (other, unassigned, all). */
export const targetView = z.object({ coverage: z.number(), networking: z.number(), intact: z.number(), register: z.number() }).nullable();

/** 建档率 (前端摄像机基础信息建档率): installed cameras with a complete record ÷ installed cameras */
export const categoryRatesView = z.object({ coverage: ratioView, networking: ratioView, intact: ratioView, register: ratioView, online: onlineView, recording: recordingView, counts: countsView, target: targetView });

/** The columns of a rate table: the plan's categories, cameras nobody planned, the whole. */
export const categoryKey = z.enum([...cameraCategory.options, 'all']);
export type CategoryKeyView = z.infer<typeof categoryKey>;

export const windowView = z.object({ label: z.string(), from: isoTime, to: isoTime });

const dayRatio = z.object({ numerator: count, denominator: count, rate: z.number().min(0).max(1).nullable() });
/** One local day of the daily series: the report's total row of the region for that day. */
export const dailyPointView = z.object({
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).describe('YYYY-MM-DD, local to the centre\'s time zone'),
  from: isoTime,
  to: isoTime,
  complete: z.boolean().describe('false for today, so far'),
  online: z.object({ onlineMs: z.number().nonnegative(), unknownMs: z.number().nonnegative(), observedMs: z.number().nonnegative(), rate: z.number().min(0).max(1).nullable() }),
  intact: dayRatio,
  networking: dayRatio,
});
export type DailyPointView = z.infer<typeof dailyPointView>;

/** `GET /api/rates/daily`: one entry per local day, oldest first (the console's trend) */
export const dailyResponse = z.object({ region: z.string(), category: z.string(), timeZone: z.string(), days: z.array(dailyPointView) });

/** `GET /api/rates` */
export const ratesResponse = z.object({
  window: windowView.describe('the span the online time was worked out over: the one asked for, or (a province) a walk of the same window a moment older, kept a while; the counts are of now'),
  regions: z.array(
    z.object({
      region: z.string(),
      /** its GB/T 2260 name (the plan's for grassroots units); null when unknown: show the code */
      name: z.string().nullable(),
      level: z.enum(['all', 'province', 'city', 'county', 'unit']),
      parent: z.string().nullable(),
      categories: z.partialRecord(categoryKey, categoryRatesView),
    }),
  ),
  /** the names of the asked region and its ancestors (for a breadcrumb); codes without a known name are left out */
  names: z.record(z.string(), z.string()),
  restored: z
    .object({
      at: isoTime.describe('when these figures were worked out, before the restart'),
      phase: z.enum(['reading', 'placing', 'starting']).describe('reading the store, placing its cameras in the model, starting the services'),
      loaded: count.optional().describe('cameras placed so far (to a user of every region)'),
      of: count.optional().describe('cameras to load (to a user of every region)'),
    })
    .optional()
    .describe('present while the centre, just started, loads its store (window 24h only; other requests answer 503 STARTING meanwhile): every figure, counts included, is as the centre kept it before the restart, at `at`; ask again for the live ones (since 1.7.0)'),
});
export type RatesResponse = z.infer<typeof ratesResponse>;

/** One camera as the centre sees it. */
export const cameraView = z.object({
  cameraId: z.string(),
  name: z.string().nullable(),
  agentId: z.string(),
  /** what the rates count: `unknown` while its gateway is gone or has not checked it since it restarted */
  state: cameraState,
  /** what its agent last reported */
  reportedState: cameraState,
  since: isoTime,
  forMs: z.number().nonnegative(),
  rung: rung.nullable(),
  reason: failureReason.nullable(),
  detail: z.string().nullable(),
  pointId: z.string().nullable(),
  region: z.string().nullable(),
  /** the region's GB/T 2260 name (the plan's for grassroots units); null when unknown */
  regionName: z.string().nullable(),
  category: cameraCategory.nullable(),
  faults: z.array(pictureFault),
  device: deviceInfo.nullable(),
  /** the NVR, DVR or encoder whose channel this camera is; null for a camera of its own */
  deviceId: z.string().nullable(),
  /** its channel number on that device (1-based); null for a camera of its own */
  channel: z.number().int().positive().nullable(),
  /** why it is not networked: camera, device (its NVR/encoder), network (its site network) while offline; gateway while unknown; null otherwise */
  cause: outageCause.nullable(),
  streamUri: z.string().nullable(),
  /** the check that produced its status (an agent reporting by exception sends a status only when it changes) */
  checkedAt: isoTime.nullable(),
  /**
   * when its status was last confirmed: by its gateway's last liveness round
   * (the camera was checked at or after this and nothing changed), or by the
   * status's own check; null before the first
   */
  confirmedAt: isoTime.nullable(),
  /** its live gateway has not confirmed it for stale.afterRounds rounds: counted unknown until it does */
  stale: z.boolean(),
  firstSeen: isoTime,
  /** the maintenance window it is under now */
  maintenance: z.object({ id: z.string(), reason: z.string(), until: isoTime }).nullable(),
  /** changing state more than flapping.changes times within flapping.withinMinutes, since */
  flapping: z.object({ since: isoTime, changes: count }).nullable(),
});
export type CameraView = z.infer<typeof cameraView>;

/** `GET /api/cameras`, `/api/cameras/offline`, `/degraded`, `/unknown` */
export const camerasResponse = z.object({
  cameras: z.array(cameraView),
  /** cameras passing the filters on all pages */
  total: count,
  offset: count,
  /** the page size asked for; null: every camera */
  limit: count.nullable(),
});

export const uptimeView = z.object({ onlineMs: z.number().nonnegative(), unknownMs: z.number().nonnegative(), observedMs: z.number().nonnegative() });

/** `GET /api/cameras/{id}` */
export const cameraResponse = cameraView.extend({
  uptime: z.object({ '24h': uptimeView.extend({ rate: z.number().nullable() }), '7d': uptimeView.extend({ rate: z.number().nullable() }), '30d': uptimeView.extend({ rate: z.number().nullable() }) }),
  status: cameraStatusMessage,
});

/** `GET /api/cameras/{id}/frames`: the evidence frames the centre keeps of a camera (its newest reference and the last few), newest first (since 1.6.0) */
export const framesResponse = z.object({
  cameraId: z.string(),
  frames: z.array(
    z.object({
      /** its place in this list: GET /api/cameras/{id}/frames/{index}.jpg is the JPEG */
      index: count,
      at: isoTime,
      /** fault: a fault was raised on it; cleared: faults cleared; reference: the camera's reference frame */
      kind: z.enum(['fault', 'cleared', 'reference']),
      /** the faults that counted after that check, with value and threshold */
      faults: z.array(pictureFault),
      cleared: z.array(z.string()),
      width: z.number().int().nullable(),
      height: z.number().int().nullable(),
      bytes: count.nullable(),
      url: z.string(),
    }),
  ),
});
export type FramesResponse = z.infer<typeof framesResponse>;

/** `GET /api/cameras/{id}/history` */
export const historyResponse = z.object({
  cameraId: z.string(),
  window: z.string(),
  stateAtStart: cameraState.nullable(),
  changes: z.array(z.object({ at: isoTime, state: cameraState })),
  uptime: uptimeView,
});

/** One upper GB/T 28181 platform the centre registers with as a lower platform. */
export const gbUpstreamView = z.object({
  name: z.string(),
  serverId: z.string(),
  localId: z.string(),
  host: z.string(),
  port: z.number().int(),
  transport: z.enum(['udp', 'tcp']),
  /** failed: it refused our id or password (or none is configured); registering: trying, with backoff */
  state: z.enum(['unregistered', 'registering', 'registered', 'failed']),
  registeredSince: isoTime.nullable(),
  lastKeepalive: isoTime.nullable(),
  lastError: z.string().nullable(),
  registrations: count,
  keepalivesMissed: count,
  subscriptions: count,
  catalogsAnswered: count,
  notifiesSent: count,
  /** the X-GB-Ver it answered our REGISTER with */
  version: z.string().nullable(),
});

/** `GET /api/audit?from=SEQ&limit=N` (bearer token): the audit trail (安全审计), oldest first */
export const auditResponse = z.object({
  records: z.array(
    z.object({
      seq: z.number().int().positive(),
      at: isoTime,
      /** a user name; `token:{id}` for an API token; `token` for the deprecated http.token; `cli:{os user}` for a command on the server; `anonymous` */
      actor: z.string(),
      /** the client's address */
      source: z.string(),
      userAgent: z.string(),
      /** plan.replace, maintenance.declare, maintenance.end, camera.release, auth.refused, export.report, export.cameras */
      action: z.string(),
      target: z.string(),
      /** a summary of what changed or was exported: counts, ids, a reason; never a secret */
      detail: z.unknown(),
      /** the hash of the record before, and this one's: `xueliang audit verify` checks the chain */
      prevHash: z.string(),
      hash: z.string(),
    }),
  ),
  /** the `from` of the next page, null on the last */
  next: z.number().int().positive().nullable(),
});

/** `GET /api/gb28181` (404 NOT_CONFIGURED without gb28181 in the config) */
export const gb28181Response = z.object({
  /** our SIP port (UDP and TCP) */
  port: z.number().int(),
  upstreams: z.array(gbUpstreamView),
  /** cameras reported upward (a valid 20-digit GB/T 28181 id) */
  reportedCameras: count,
  /** cameras without one: not reported; give them gbId in their agent's config */
  unreportedCameras: count,
  /** what reached our SIP port and was refused or ignored, by kind (malformed, oversized, not_allowed, unknown_sender, unknown_method, unknown_cmdtype, bad_body, rate_limited, subscribe_refused, invite_refused, unknown_device, too_many_connections) */
  faults: z.record(z.string(), count),
});

/** `GET /api/tiers`: the lower aggregators whose rollups this one adds up (cascade) */
export const tiersResponse = z.object({
  tiers: z.array(
    z.object({
      tier: z.string(),
      connected: z.boolean(),
      /** not connected, or silent for three of its intervals: its cameras count as unknown here */
      stale: z.boolean(),
      ts: isoTime.nullable(),
      receivedAt: isoTime.nullable(),
      regions: count,
      cameras: count,
    }),
  ),
});

/** `GET /api/agents` */
export const agentsResponse = z.object({
  agents: z.array(
    z.object({
      agentId: z.string(),
      online: z.boolean(),
      session: z.string().nullable(),
      startedAt: isoTime.nullable(),
      since: isoTime,
      site: z.string().nullable(),
      region: z.string().nullable(),
      agentVersion: z.string().nullable(),
      cameras: count,
      /** its cameras by the state the rates count: all unknown while the gateway is down */
      camerasByState: z.object({ online: count, degraded: count, offline: count, unknown: count }),
      /** its NVRs, DVRs and encoders: each with its channels (cameras) by state; empty when it watches cameras of their own only */
      devices: z.array(z.object({ deviceId: z.string(), channels: count, offline: count, unknown: count })),
      /** its last config/reported: the push it answered and what it did with it; null before any push */
      config: z.object({ version: count, source: z.string(), status: z.enum(['applied', 'rejected', 'rolled_back']), appliedAt: isoTime, errors: count }).nullable(),
    }),
  ),
});

export const planPointView = z.object({
  id: z.string(),
  name: z.string(),
  region: z.string(),
  gbId: z.string().optional(),
  category: pointCategory,
  required: z.number().int().positive(),
  /** the plan's name for the point's region (a grassroots unit the division data has not) */
  regionName: z.string().optional(),
  /** where the point is (WGS 84 degrees), when the plan says */
  longitude: z.number().min(-180).max(180).optional(),
  latitude: z.number().min(-90).max(90).optional(),
  /** its record (一机一档), when the plan gives it: installation address, date (YYYY-MM-DD), builder (建设单位), maintainer (运维单位) */
  address: z.string().optional(),
  installedOn: z.string().optional(),
  owner: z.string().optional(),
  maintainer: z.string().optional(),
});

/** `GET /api/plan` */
export const planResponse = z.object({ points: z.array(planPointView.extend({ installed: count })) });

export const planRowError = z.object({ line: z.number().int().nonnegative(), reason: z.string() });

/** `PUT /api/plan` (200, and 400 when no row is valid) */
export const planUploadResponse = z.object({ loaded: count, errors: z.array(planRowError), errorCount: count });

/** `DELETE /api/cameras/{id}` */
export const releaseResponse = z.object({ released: z.string() });

/** `GET /api/bindings` */
export const bindingsResponse = z.object({
  unclaimedCameras: z.array(z.object({ cameraId: z.string(), agentId: z.string(), region: z.string().nullable() })),
  uncoveredPoints: z.array(planPointView.extend({ installed: count })),
});

/** `GET /api/register`: installed cameras whose record (一机一档) is incomplete, and what each lacks (the 建档率's gaps) */
export const registerResponse = z.object({
  /** the point fields a complete record needs (register.requiredFields), besides the device's manufacturer, model and serial */
  requiredFields: z.array(z.string()),
  /** incomplete records that match, in all (the list is one page of them) */
  total: count,
  cameras: z.array(
    z.object({
      cameraId: z.string(),
      agentId: z.string(),
      name: z.string().nullable(),
      region: z.string().nullable(),
      pointId: z.string().nullable(),
      /** what the record lacks: `point` (no point claims it), a point field, or the device's `manufacturer`, `model`, `serial` */
      missing: z.array(z.string()),
    }),
  ),
});

/**
 * Events an agent said it lost: `outbox_full` (its outbox overflowed while
 * the centre was out of reach: `from`..`to`, oldest first), or a crash tore
 * or damaged records of its outbox (`torn_record`, `unreadable_record`:
 * `events` names those whose session and seq were legible, `from`/`to` the
 * first and last of them, null when none was).
 */
export const lossView = z.object({
  agentId: z.string(),
  count: z.number().int().positive(),
  cause: z.enum(['outbox_full', 'torn_record', 'unreadable_record']).optional(),
  from: z.unknown(),
  to: z.unknown(),
  events: z.array(z.unknown()).optional(),
  reportedAt: z.string(),
});

/** `GET /api/regions?codes=…`: the GB/T 2260 names of up to 50 region codes (the plan's for grassroots units); codes without a known name are left out */
export const regionsResponse = z.object({ names: z.record(z.string(), z.string()) });

/** `GET /api/gaps` */
export const gapsResponse = z.object({
  gaps: z.array(z.object({ agentId: z.string(), session: z.string(), fromSeq: z.number().int().positive(), toSeq: z.number().int().positive() })),
  reportedLosses: z.array(lossView),
  duplicates: count,
});

/** `GET /api/ingest` */
export const ingestResponse = z.object({
  accepted: z.record(z.string(), count),
  rejected: z.record(z.string(), count),
  duplicates: count,
  gapsDetected: count,
  sessionsForgotten: count,
  /** messages applied but not yet stored, and so not yet acknowledged to the broker (it would send them again) */
  notYetStored: count,
});

const plainRatio = z.object({ numerator: count, denominator: count, rate: z.number().min(0).max(1).nullable() });

/** `GET /api/report`: the assessment (考核) of a region over a day, a month or a range. */
export const reportResponse = z.object({
  region: z.string(),
  level: z.enum(['all', 'province', 'city', 'county', 'unit']),
  period: z.object({ kind: z.enum(['day', 'month', 'range']), label: z.string(), from: isoTime, to: isoTime, timeZone: z.string(), complete: z.boolean() }),
  generatedAt: isoTime,
  rows: z.array(
    z.object({
      region: z.string(),
      category: categoryKey,
      points: count,
      coveredPoints: count,
      installed: count,
      networked: count,
      intact: count,
      onlineMs: z.number().nonnegative(),
      intactMs: z.number().nonnegative(),
      unknownMs: z.number().nonnegative(),
      observedMs: z.number().nonnegative(),
      /** camera time under maintenance windows, left out of online and observed time */
      maintenanceMs: z.number().nonnegative(),
      /** recording integrity from the daily Profile G checks made in the period */
      recordingCameras: count,
      recordingUnsupported: count,
      recordedSec: z.number().nonnegative(),
      scheduledSec: z.number().nonnegative(),
      recordingRate: z.number().min(0).max(1).nullable(),
      /** installed cameras at the end with a complete record (建档率's numerator), since 1.6.0 */
      recorded: count,
      /** installed cameras not networked at the end, by cause (since 1.6.0): offline by the camera, its NVR/encoder, its site network; unknown: its gateway */
      offlineCamera: count,
      offlineDevice: count,
      offlineNetwork: count,
      unknown: count,
      coverage: plainRatio,
      networking: plainRatio,
      intactRate: plainRatio,
      /** 建档率 at the end of the period, since 1.6.0 */
      register: plainRatio,
      onlineRate: z.number().min(0).max(1).nullable(),
      target: z.object({ coverage: z.number(), networking: z.number(), intact: z.number(), register: z.number() }).nullable(),
    }),
  ),
  ranking: z.array(z.object({ rank: z.number().int().positive(), region: z.string(), intactRate: z.number().nullable(), onlineRate: z.number().nullable(), installed: count })),
  flapping: z.array(z.object({ cameraId: z.string(), agentId: z.string(), region: z.string().nullable(), episodes: count, changes: count })),
  longestOffline: z.array(z.object({ cameraId: z.string(), agentId: z.string(), region: z.string().nullable(), category: z.string(), offlineMs: z.number().nonnegative(), outages: count })),
  /** installed cameras with picture faults (degraded) at the period's end, at most 1000 (since 1.6.0) */
  degraded: z.array(z.object({ cameraId: z.string(), agentId: z.string(), region: z.string().nullable(), category: z.string() })).optional(),
  repairs: z.array(z.object({ region: z.string(), repairs: count, meanMs: z.number().nullable() })),
  /** events the gateways of the region said they lost in the period (their numbers for that span are incomplete) */
  losses: z.array(lossView),
  /** the GB/T 2260 names of the regions the report names (the plan's for grassroots units); codes without a known name are left out */
  names: z.record(z.string(), z.string()),
});

/** `GET /api/maintenance` */
export const maintenanceResponse = z.object({
  windows: z.array(z.object({ id: z.string(), scope: z.enum(['camera', 'point', 'agent']), target: z.string(), from: isoTime, to: isoTime, reason: z.string(), active: z.boolean() })),
});

/** Every 4xx and 5xx. */
export const errorResponse = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** The roles of users and tokens (docs/security.md). */
export const role = z.enum(['viewer', 'operator', 'admin', 'security', 'auditor']);
/** GB/T 2260 codes a user or token sees (with everything below them), or `all`. */
const regionScope = z.array(z.string()).min(1).max(100);

/** `POST /api/login`: a name and a password; `POST /api/users` adds role and regions. */
export const loginRequest = z.object({ user: z.string().min(1).max(200), password: z.string().min(1).max(2000) }).strict();
export const loginResponse = z.object({ user: z.string(), role, regions: regionScope, csrf: z.string() });
/** `GET /api/session`: who the request acts as; `user` null without a login (`role` viewer where reads are public). */
export const sessionResponse = z.object({
  user: z.string().nullable(),
  kind: z.enum(['session', 'token', 'legacy']).optional(),
  role: role.nullable(),
  regions: z.array(z.string()),
  csrf: z.string().nullable().optional(),
  idleUntil: isoTime.nullable().optional(),
  endsAt: isoTime.nullable().optional(),
  publicReads: z.boolean().optional(),
});
export const userView = z.object({ name: z.string(), role, regions: regionScope, disabled: z.boolean(), createdAt: isoTime, changedAt: isoTime });
export const usersResponse = z.object({ users: z.array(userView) });
export const userRequest = z.object({ name: z.string(), role, regions: regionScope, password: z.string() }).strict();
export const userChange = z.object({ password: z.string().optional(), disabled: z.boolean().optional(), role: role.optional(), regions: regionScope.optional() }).strict();
export const tokenView = z.object({
  id: z.string(),
  name: z.string(),
  role,
  regions: regionScope,
  /** the user the token acts for, or null */
  user: z.string().nullable(),
  createdBy: z.string(),
  createdAt: isoTime,
  expiresAt: isoTime.nullable(),
  revokedAt: isoTime.nullable(),
  active: z.boolean(),
});
export const tokensResponse = z.object({ tokens: z.array(tokenView) });
export const tokenRequest = z.object({ name: z.string(), role: role.optional(), regions: regionScope.optional(), expires: z.string().optional(), user: z.string().optional() }).strict();
/** the token itself is in this answer only */
export const tokenCreated = z.object({ id: z.string(), token: z.string(), expiresAt: isoTime.nullable(), note: z.string() });
