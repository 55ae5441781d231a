import { z } from 'zod';
import { gbId, pointCategory, topicSegment } from './ids.js';

/** ISO-8601 timestamp with offset, as produced by Date#toISOString(). */
const isoTime = z.iso.datetime({ offset: true });

/** An agent run's id (a UUID from our agents); bounded, since the centre keeps state per session. */
const sessionId = z.string().min(1).max(128);

/** Summary state of a camera (docs/domain.md §2). */
export const cameraState = z.enum(['online', 'degraded', 'offline', 'unknown']);
export type CameraState = z.infer<typeof cameraState>;

/** The rungs of the check ladder, lowest first (docs/domain.md §2). */
export const rung = z.enum(['tcp', 'onvif', 'rtsp', 'decode', 'picture']);
export type Rung = z.infer<typeof rung>;

/** Why a rung failed (docs/domain.md §2), plus `gateway_offline` for cameras of a vanished agent. */
export const failureReason = z.enum([
  'unreachable',
  'onvif_error',
  'auth_failed',
  'rtsp_error',
  /** the RTSP server said it is busy (503, 453; 454 mid-session): one failed check, never an outage by itself */
  'busy',
  'no_video',
  'degraded',
  'timeout',
  'gateway_offline',
]);
export type FailureReason = z.infer<typeof failureReason>;

// ---------------------------------------------------------------- agent state
/** `{root}/agents/{agentId}/state`, retained: birth, last will, clean shutdown. */
export const agentStateMessage = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('online'),
    session: sessionId,
    agentVersion: z.string(),
    startedAt: isoTime,
    site: z.string().nullable(),
    region: z.string().nullable(),
    /**
     * the last event seq this session has used; a centre that has every seq up
     * to it knows nothing happened that it was not told (docs/domain.md §1)
     */
    lastSeq: z.number().int().nonnegative().optional(),
  }),
  z.object({
    state: z.literal('offline'),
    session: sessionId,
    reason: z.enum(['shutdown']).optional(),
    at: isoTime.optional(),
  }),
]);
export type AgentStateMessage = z.infer<typeof agentStateMessage>;

// ---------------------------------------------------------------- camera status
export const streamMetrics = z.object({
  codec: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  fps: z.number().nullable(),
  /** bits per second, when the stream or container states it */
  bitrate: z.number().nullable(),
  /** RTSP OPTIONS+DESCRIBE round trip, TCP connect included */
  rtspRttMs: z.number().nullable(),
  /** frames decoded during the decode check */
  frames: z.number().int().nullable(),
});
export type StreamMetrics = z.infer<typeof streamMetrics>;

export const deviceInfo = z.object({
  manufacturer: z.string().nullable(),
  model: z.string().nullable(),
  firmware: z.string().nullable(),
  serial: z.string().nullable(),
  hardwareId: z.string().nullable(),
});
export type DeviceInfo = z.infer<typeof deviceInfo>;

/** A video-quality fault with what was measured and the threshold it crossed (docs/domain.md §4). */
export const pictureFault = z.object({ fault: z.string(), value: z.number().nullable(), threshold: z.number().nullable() });

export const rungResult = z.object({
  rung,
  ok: z.boolean(),
  ms: z.number(),
  reason: failureReason.nullable(),
  detail: z.string().nullable(),
  /** when this rung was measured */
  at: isoTime.optional(),
  /**
   * false when the result is kept from an earlier check: a lower rung has
   * failed since, so this one was not measured again (docs/domain.md §2)
   */
  current: z.boolean().optional(),
  /** the stream this rung read (RTSP, decode, picture), without credentials */
  streamUri: z.string().nullable().optional(),
});
export type RungResult = z.infer<typeof rungResult>;

/**
 * Recording integrity (录像完整率) of the last 24 h, read once a day from the
 * device's ONVIF Profile G recording search: recorded ÷ scheduled seconds.
 * `supported: false` when the device has no recording search (not 0%).
 */
export const recordingCheck = z.object({
  supported: z.boolean(),
  recordedSec: z.number().nonnegative().nullable(),
  scheduledSec: z.number().nonnegative().nullable(),
  checkedAt: isoTime,
  detail: z.string().nullable(),
});
export type RecordingCheck = z.infer<typeof recordingCheck>;

/**
 * Why a camera is down (docs/domain.md, "Causes"): the camera or its stream,
 * the NVR/encoder that carries it, its site network (a switch, an uplink),
 * or its gateway (decided by the centre: the gateway is gone).
 */
export const outageCause = z.enum(['camera', 'device', 'network', 'gateway']);
export type OutageCause = z.infer<typeof outageCause>;

/** `{root}/agents/{agentId}/cameras/{cameraId}/status`, retained, QoS 1. */
export const cameraStatusMessage = z.object({
  cameraId: topicSegment,
  /** GB/T 28181 id of the camera when its config gives one besides its id: it binds the camera to the point with that code */
  gbId: gbId.nullable().optional(),
  name: z.string().nullable(),
  state: cameraState,
  /** when the camera entered `state` */
  since: isoTime,
  /** last check of any kind; null before the first */
  checkedAt: isoTime.nullable(),
  /** lowest rung that failed in the last check, null when all passed */
  rung: rung.nullable(),
  reason: failureReason.nullable(),
  detail: z.string().nullable(),
  consecutiveFailures: z.number().int().nonnegative(),
  source: z.enum(['onvif', 'rtsp']),
  /** host:port of the ONVIF service or RTSP server (never with credentials) */
  address: z.string(),
  /** stream URI without credentials */
  streamUri: z.string().nullable(),
  stream: streamMetrics.nullable(),
  device: deviceInfo.nullable(),
  /** camera clock minus gateway clock, ms; null when unknown */
  clockDriftMs: z.number().nullable(),
  pointId: z.string().nullable(),
  category: pointCategory.nullable(),
  /** video-quality faults, empty when none or not checked */
  faults: z.array(pictureFault),
  rungs: z.array(rungResult),
  /** the last recording check (Profile G), when one ran */
  recording: recordingCheck.nullable().optional(),
  /** the camera is a channel of a multi-channel device (NVR, DVR, video encoder): that device's id (since contract 1.6.0) */
  deviceId: topicSegment.optional(),
  /** which channel: its number on the device, 1-based in the device's order of video sources (since contract 1.6.0) */
  channel: z.number().int().positive().max(4096).optional(),
  /** why its last check failed: camera, device (its NVR/encoder) or network (its site network, every host of it unreachable); null when it passed (since contract 1.6.0) */
  cause: outageCause.exclude(['gateway']).nullable().optional(),
  /** the site network that is down, with cause network: a configured network's name, else its /24 (since contract 1.6.0) */
  network: z.string().max(64).optional(),
});
export type CameraStatusMessage = z.infer<typeof cameraStatusMessage>;

// ---------------------------------------------------------------- evidence frames
/** the largest evidence frame: 320×180 pixels, 30 KB of JPEG (docs/mqtt-api.md) */
export const FRAME_LIMITS = { width: 320, height: 180, bytes: 30 * 1024 } as const;

/**
 * `{root}/agents/{agentId}/cameras/{cameraId}/frame`, QoS 1, not retained
 * (since contract 1.6.0): the frame a picture check analysed, as a small JPEG,
 * when a fault is raised or cleared (`fault`, `cleared`) or the camera's
 * reference frame is captured (`reference`). Never carries credentials.
 */
export const cameraFrameMessage = z.object({
  cameraId: topicSegment,
  at: isoTime,
  kind: z.enum(['fault', 'cleared', 'reference']),
  /** the faults that count after this check, with value and threshold */
  faults: z.array(pictureFault).max(32),
  /** the faults this check cleared (kind cleared) */
  cleared: z.array(z.string().max(64)).max(32),
  width: z.number().int().positive().max(4096),
  height: z.number().int().positive().max(4096),
  /** the JPEG, base64; at most 320×180 and 30 KB decoded (the centre refuses more, with the reason) */
  jpeg: z.base64().max(48 * 1024),
});
export type CameraFrameMessage = z.infer<typeof cameraFrameMessage>;

// ---------------------------------------------------------------- events
/** What every event carries: its place in the agent's session and its time. */
const eventEnvelope = {
  session: sessionId,
  /** +1 per message within a session, starting at 1 */
  seq: z.number().int().positive(),
  ts: isoTime,
  /** true when replayed from the agent's outbox after an outage */
  historical: z.boolean().optional(),
};

/** `{root}/agents/{agentId}/events`, QoS 1, not retained. */
export const stateChangeEvent = z.object({
  type: z.literal('state'),
  ...eventEnvelope,
  cameraId: topicSegment,
  from: cameraState,
  to: cameraState,
  rung: rung.nullable(),
  reason: failureReason.nullable(),
  detail: z.string().nullable().optional(),
  /** the camera is this channel of this device (NVR, encoder), as in its status (since contract 1.6.0) */
  deviceId: topicSegment.optional(),
  channel: z.number().int().positive().max(4096).optional(),
  /** why, when it went offline: as the status's `cause` (since contract 1.6.0) */
  cause: outageCause.exclude(['gateway']).nullable().optional(),
});
export const cameraRemovedEvent = z.object({
  type: z.literal('camera_removed'),
  ...eventEnvelope,
  cameraId: topicSegment,
});
const eventRef = z.object({ session: eventEnvelope.session, seq: eventEnvelope.seq, ts: isoTime });
/** The agent's outbox was full and dropped `count` events, oldest first, from `from` to `to`: loss is told, never silent. */
export const eventsDroppedEvent = z.object({
  type: z.literal('events_dropped'),
  ...eventEnvelope,
  count: z.number().int().positive(),
  from: eventRef,
  to: eventRef,
});
/**
 * The agent found records of its outbox it could not read back at its start
 * (a crash or power cut tore the last one mid-write, or a line was damaged):
 * `count` events are lost, and `events` names those whose session and seq
 * could still be read (usually all; none when the damage took them too).
 * `ts` is when it found them; `writtenAt`, when the file was last written.
 */
export const eventsLostEvent = z.object({
  type: z.literal('events_lost'),
  ...eventEnvelope,
  cause: z.enum(['torn_record', 'unreadable_record']),
  count: z.number().int().positive(),
  events: z.array(z.object({ session: eventEnvelope.session, seq: eventEnvelope.seq, ts: isoTime.optional(), type: z.string().max(64).optional(), cameraId: topicSegment.optional() })).max(100),
  writtenAt: isoTime.optional(),
});
/** Video-quality faults of a camera appeared or cleared (after confirmation). */
export const faultsChangedEvent = z.object({
  type: z.literal('faults'),
  ...eventEnvelope,
  cameraId: topicSegment,
  appeared: z.array(pictureFault),
  cleared: z.array(z.string()),
});
/**
 * The agent stopped cleanly at `ts`. Goes through the outbox like every event,
 * so a stop while the broker is down still reaches the centre (replayed at the
 * next start): from `ts` on nobody watched its cameras.
 */
export const agentStoppedEvent = z.object({
  type: z.literal('agent_stopped'),
  ...eventEnvelope,
  /**
   * when the session began: with every seq of the session received, the
   * centre knows the agent watched its cameras from then until `ts`, and
   * time it had booked unknown in that span (the gateway's link was down)
   * takes the state the events leave in force (docs/domain.md §1)
   */
  startedAt: isoTime.optional(),
});
export const agentEvent = z.discriminatedUnion('type', [stateChangeEvent, cameraRemovedEvent, eventsDroppedEvent, eventsLostEvent, faultsChangedEvent, agentStoppedEvent]);
export type StateChangeEvent = z.infer<typeof stateChangeEvent>;
export type AgentEvent = z.infer<typeof agentEvent>;

// ---------------------------------------------------------------- summary
/** `{root}/agents/{agentId}/summary`, retained, periodic. */
export const agentSummaryMessage = z.object({
  session: sessionId,
  ts: isoTime,
  windowMs: z.number().int().positive(),
  counts: z.object({
    online: z.number().int().nonnegative(),
    degraded: z.number().int().nonnegative(),
    offline: z.number().int().nonnegative(),
    unknown: z.number().int().nonnegative(),
  }),
  /**
   * which cameras `cameras` lists: `all` (agents before report by exception, or
   * `status.publish: check`), or `changed`: only those whose state changed
   * since the agent's previous summary (absent: `all`)
   */
  cameraList: z.enum(['all', 'changed']).optional(),
  cameras: z.array(
    z.object({
      cameraId: topicSegment,
      state: cameraState,
      /** ms spent online (or degraded: the stream works) within the window */
      onlineMs: z.number().nonnegative(),
      /** ms of the window during which this agent observed the camera */
      observedMs: z.number().nonnegative(),
    }),
  ),
  /** the checks by kind since the agent started: done, waiting and running now, and how long the oldest waiting one has waited */
  checks: z
    .record(z.enum(['liveness', 'decode', 'picture']), z.object({ done: z.number().int().nonnegative(), queued: z.number().int().nonnegative(), running: z.number().int().nonnegative(), lagMs: z.number().nonnegative() }))
    .optional(),
});
export type AgentSummaryMessage = z.infer<typeof agentSummaryMessage>;

// ---------------------------------------------------------------- round
/**
 * `{root}/agents/{agentId}/round`, retained, QoS 1: one per liveness round.
 * Agents that report by exception publish a camera's status only when what it
 * says changes; this message is what keeps the others fresh: every camera of
 * the agent that is not in `unchecked` was checked in this round (between
 * `startedAt` and `endedAt`) and its retained status is still true.
 */
export const agentRoundMessage = z.object({
  session: sessionId,
  /** +1 per round within a session, starting at 1 */
  round: z.number().int().positive(),
  /** when the round began: every camera not in `unchecked` was checked at or after it */
  startedAt: isoTime,
  endedAt: isoTime,
  /** the liveness period: the next round is due this long after `startedAt` */
  periodMs: z.number().int().positive(),
  /** cameras whose liveness check finished in this round */
  checked: z.number().int().nonnegative(),
  /** cameras the agent watches whose check did not finish in time (usually none): their statuses are not confirmed */
  unchecked: z.array(topicSegment).max(10_000),
  /** how this agent publishes statuses: `change` (only when they change, and a refresh) or `check` (every check) */
  statusPublish: z.enum(['change', 'check']),
});
export type AgentRoundMessage = z.infer<typeof agentRoundMessage>;

// ---------------------------------------------------------------- request / response
export const commandName = z.enum(['discover', 'check', 'status']);
export type CommandName = z.infer<typeof commandName>;

/** `{root}/agents/{agentId}/request/{command}`; the body may be empty. */
export const requestMessage = z.object({
  transaction: z.string().max(128).optional(),
  /** `check`, `status` (publish its status now): one camera; all when absent */
  cameraId: topicSegment.optional(),
});
export type RequestMessage = z.infer<typeof requestMessage>;

/** `{root}/agents/{agentId}/response/{command}`. */
export const responseMessage = z.object({
  transaction: z.string().optional(),
  command: z.string(),
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type ResponseMessage = z.infer<typeof responseMessage>;

// ---------------------------------------------------------------- rates (aggregator)
const ratioValue = z.object({
  numerator: z.number().int().nonnegative(),
  denominator: z.number().int().nonnegative(),
  /** null when the denominator is 0 */
  rate: z.number().min(0).max(1).nullable(),
});
const categoryRates = z.object({
  coverage: ratioValue,
  networking: ratioValue,
  intact: ratioValue,
  /** 建档率: installed cameras with a complete record ÷ installed cameras (since contract 1.4) */
  register: ratioValue.optional(),
  online24h: z.object({ onlineMs: z.number().nonnegative(), unknownMs: z.number().nonnegative(), observedMs: z.number().nonnegative(), rate: z.number().min(0).max(1).nullable() }),
  cameras: z.object({ installed: z.number().int(), online: z.number().int(), degraded: z.number().int(), offline: z.number().int(), unknown: z.number().int(), maintenance: z.number().int().optional(), offlineBy: z.object({ camera: z.number().int(), device: z.number().int(), network: z.number().int() }).optional() }),
  points: z.object({ planned: z.number().int(), covered: z.number().int() }),
});
/** `{root}/rates/{regionCode}` and `{root}/rates/all`, retained, from the aggregator. */
export const ratesMessage = z.object({
  region: z.string(),
  level: z.enum(['all', 'province', 'city', 'county', 'unit']),
  ts: isoTime,
  categories: z.object({ key_public_area: categoryRates, key_industry_part: categoryRates, other: categoryRates, unassigned: categoryRates, all: categoryRates }),
});
export type RatesMessage = z.infer<typeof ratesMessage>;

// ---------------------------------------------------------------- cascade (a lower aggregator → the one above)
const count = z.number().int().nonnegative();
const cellCounts = z
  .object({
    points: count, coveredPoints: count, installed: count, networked: count, intact: count, online: count, degraded: count, offline: count, unknown: count, maintenance: count,
    /** installed cameras with a complete record (建档率), since contract 1.4: a tier above that predates it refuses the rollup (strict), so upgrade the tiers above first */
    recorded: count.optional(),
    /** offline cameras by cause, since contract 1.6.0 (upgrade the tiers above first, as for `recorded`) */
    offlineCamera: count.optional(),
    offlineDevice: count.optional(),
    offlineNetwork: count.optional(),
  })
  .strict();
const onlineTotals = z.object({ cameras: count, onlineMs: z.number().nonnegative(), unknownMs: z.number().nonnegative(), observedMs: z.number().nonnegative() }).strict();
/** the windows a tier reports its online time over (the API's `window=`) */
export const CASCADE_WINDOWS = ['today', '24h', '7d', '30d'] as const;
const cascadeCell = z.object({ counts: cellCounts, online: z.object({ today: onlineTotals, '24h': onlineTotals, '7d': onlineTotals, '30d': onlineTotals }).strict() }).strict();
/**
 * `{root}/cascade/{tier}/rollup`, retained, on the broker of the aggregator
 * above: what a county (or city) aggregator counts, per region of its tree and
 * category, with the online time behind every window: the numbers add up, so
 * the aggregator above sums its tiers instead of receiving every camera event.
 */
export const cascadeRollupMessage = z
  .object({
    tier: topicSegment,
    ts: isoTime,
    /** how often the tier publishes: three missed rollups make it stale */
    intervalMs: z.number().int().min(100).max(3_600_000),
    regions: z.record(z.string().regex(/^(all|\d{6}|\d{8})$/, 'a GB/T 2260 region code or all'), z.object({ key_public_area: cascadeCell, key_industry_part: cascadeCell, other: cascadeCell, unassigned: cascadeCell, all: cascadeCell }).partial().strict()),
  })
  .strict();
export type CascadeRollupMessage = z.infer<typeof cascadeRollupMessage>;

/** `{root}/cascade/{tier}/state`, retained: online at connect, offline as its last will or at a clean stop. */
export const cascadeStateMessage = z.object({ state: z.enum(['online', 'offline']), tier: topicSegment, ts: isoTime.optional() }).strict();
export type CascadeStateMessage = z.infer<typeof cascadeStateMessage>;

// ---------------------------------------------------------------- maintenance (admins → aggregator)
/**
 * `{root}/maintenance/{id}`, retained (an empty message cancels it), or
 * POST /api/maintenance: a camera, a point or a whole gateway is being
 * worked on from `from` to `to`. Meanwhile it is shown as in maintenance and
 * counted apart from the rates (docs/domain.md §1).
 */
export const maintenanceWindow = z
  .object({
    id: topicSegment,
    scope: z.enum(['camera', 'point', 'agent']),
    /** the camera id, point id (or its gbId) or agent id */
    target: z.string().min(1).max(128).regex(/^[^\p{Cc}]+$/u, 'no control characters'),
    from: isoTime,
    to: isoTime,
    reason: z.string().max(500).regex(/^[^\p{Cc}]*$/u, 'no control characters').default(''),
  })
  .strict()
  .refine((w) => Date.parse(w.from) < Date.parse(w.to), { message: 'from must be before to', path: ['to'] });
export type MaintenanceWindow = z.infer<typeof maintenanceWindow>;

// ---------------------------------------------------------------- alerts (aggregator)
/** Something an operator must act on, raised once it has lasted `alerts.afterSeconds`, cleared when it ends. */
export const alertMessage = z.object({
  id: topicSegment,
  /** device_down and network_down since contract 1.6.0: one alert for an NVR/encoder or a site network that took its cameras down (none for each of them) */
  kind: z.enum(['camera_offline', 'camera_degraded', 'camera_flapping', 'gateway_down', 'rate_below_target', 'device_down', 'network_down']),
  /** what it is about: a camera (with its gateway), a gateway, an NVR/encoder or a site network of a gateway, or a region and category */
  subject: z.object({ cameraId: z.string().optional(), agentId: z.string().optional(), region: z.string().optional(), category: z.string().optional(), deviceId: z.string().optional(), network: z.string().optional() }),
  /** device_down, network_down: how many cameras it took when it was raised */
  cameras: z.number().int().nonnegative().optional(),
  /** for people: what is wrong, with the numbers */
  cause: z.string(),
  /** when the condition began (not when the alert was raised) */
  since: isoTime,
  raisedAt: isoTime,
  clearedAt: isoTime.nullable(),
  /** an operator took it on (确认告警): who, when, a note; absent or null until then (since contract 1.5.0) */
  acknowledged: z.object({ by: z.string(), at: isoTime, note: z.string().max(500) }).nullable().optional(),
});
export type AlertMessage = z.infer<typeof alertMessage>;

/** `{root}/alerts/events` (QoS 1) and every webhook POST: an alert raised or cleared, numbered in order. */
export const alertNotice = z.object({
  type: z.enum(['raised', 'cleared']),
  /** +1 per notice, across restarts of the aggregator */
  seq: z.number().int().positive(),
  alert: alertMessage,
});
export type AlertNotice = z.infer<typeof alertNotice>;
