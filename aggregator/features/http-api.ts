import { z } from 'zod';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { regionError, regionName, termLang, type AlertMessage } from '../../protocols/index.js';
import { openApiDocument } from '../../protocols/openapi.js';
import { parsePeriod, reportCsv, type DailyPoint, type Report, type ReportPeriod } from './report.js';
import { reportWorkbook, type EvidenceThumb } from './report-workbook.js';
import type { LiveFeed } from './live-feed.js';
import { CONSOLE_CSP, ConsoleAssets } from '../adapters/console-assets.js';
import { CATEGORY_KEYS } from '../rates/model.js';
import { applyWindow, parseMaintenanceWindow } from './maintenance.js';
import { windowJson } from './maintenance.js';
import { parsePlanSliced } from './plan.js';
import { prometheusText } from './metrics.js';
import type { Gb28181Status } from '../gb28181/service.js';
import type { AuditActor, AuditTrail } from '../audit/trail.js';
import { auditCsv, auditPage, type AuditRead } from '../audit/page.js';
import { RefusalCounter } from '../audit/refusals.js';
import { allows, SESSION_COOKIE, type AuthService, type Principal } from '../auth/service.js';
import { Scope, type Permission } from '../auth/roles.js';
import { sameHash } from '../auth/tokens.js';
import type { AccountApi } from './account-api.js';
import { cameraRegion, scopedRates, scopedRegion, visibleAgentIds, visibleAlert, visibleCamera, visibleWindow } from './scope-views.js';
import type { RestoredRates } from './restored-rates.js';
import { agentsView, bindingView, registerView, cameraView, camerasCsv, camerasView, historyView, parseWindow, uptimeView } from './queries.js';
import { ratesWalk } from './rates-walk.js';
import { framesView } from './frames.js';
import type { StoredFrame } from '../store/port.js';
import type { AggregatorState } from './state.js';

const MAX_BODY = 32 * 1024 * 1024;

/** POST /api/alerts/{id}/ack: an optional note */
const ackRequest = z.object({ note: z.string().max(500).optional() }).strict();

/** what each permission lets a role do, for a refusal's message */
const PERMISSION_WORDS: Record<Permission, string> = {
  read: 'read camera data',
  maintain: 'declare or end maintenance windows',
  acknowledge: 'acknowledge alerts',
  export: 'export reports or camera lists',
  administer: 'replace the plan or release cameras',
  accounts: 'manage users and tokens',
  audit: 'read the audit trail',
};
/** a plan with many bad rows lists the first ones; errorCount says how many there were */
const MAX_LISTED_ERRORS = 100;

export interface HttpApiDeps {
  state: AggregatorState;
  log: Logger;
  now: () => number;
  host: string;
  port: number;
  /** logins, sessions and bearer credentials */
  auth: AuthService;
  /** /api/login, /api/logout, /api/session, /api/users, /api/tokens */
  accounts: AccountApi;
  /** HTTPS: the certificate, key and extra CA files (PEM); plain HTTP without */
  tls?: { cert: string; key: string; ca?: string | undefined } | undefined;
  /** IANA zone of the users' days */
  timeZone: string;
  /** called after the plan changed, so rates are republished */
  onPlanChanged: () => void;
  /** makes every change so far durable (the store's flush): a change is answered once it is stored */
  stored: () => Promise<void>;
  /** messages applied but not yet stored, nor acknowledged to the broker */
  notYetStored: () => number;
  /** an assessment report of a region over a period, from the store */
  report: (region: string, period: ReportPeriod) => Promise<Report>;
  /** the alerts active now */
  alerts: () => AlertMessage[];
  /** an operator acknowledges an active alert; undefined when none has the id */
  acknowledge: (id: string, by: string, note: string) => AlertMessage | undefined;
  /** the daily rates of a region over its last `days` local days */
  daily: (region: string, days: number, category: string) => Promise<DailyPoint[]>;
  /** the console's stream of camera changes */
  live: LiveFeed;
  /** the audit trail: changes, exports and refused credentials are recorded */
  audit?: AuditTrail;
  /** reads the stored trail (GET /api/audit) */
  auditRead?: AuditRead;
  /** a camera's evidence frames kept, newest first (GET /api/cameras/{id}/frames) */
  frames?: (cameraId: string) => Promise<StoredFrame[]>;
  /** GB/T 28181 upward, when configured */
  gb28181?: () => Gb28181Status | undefined;
  /** replicas: undefined where this process answers itself (one aggregator, or the leader); the leader's API for a follower; null while no leader is known */
  leader?: () => string | null | undefined;
  /** while the centre loads its store at start: how far it has come, and the rates it kept for a restart (null once loaded) */
  starting?: () => StartingUp | null;
}

/** A centre loading its store (AggregatorApp): cameras loaded of how many, and the figures it kept before the restart, if any. */
export interface StartingUp {
  /** reading the store, placing the cameras read in the model, starting what decides and publishes */
  phase: 'reading' | 'placing' | 'starting';
  loaded: number;
  of: number;
  rates: RestoredRates | null;
}

/**
 * How far a start has come, as a user may see it: the centre's camera
 * counts only for a user of every region (the health check, open to
 * anyone, and a county's user get the phase alone).
 */
export function startingProgress(s: StartingUp, whole: boolean): { phase: StartingUp['phase']; loaded?: number; of?: number } {
  return whole ? { phase: s.phase, loaded: s.loaded, of: s.of } : { phase: s.phase };
}

/** what a centre still loading answers, besides logins, its files, the kept 24 h rates, the live feed and the audit trail */
const startingFail = (s: StartingUp, whole: boolean) => {
  const doing = s.phase === 'reading' ? 'reading its store' : s.phase === 'placing' ? 'loading its cameras' : 'starting its services';
  const counts = !whole ? '' : s.phase === 'reading' ? ` (${s.of} cameras)` : s.phase === 'placing' ? ` (${s.loaded} of ${s.of} cameras)` : ` (${s.of} cameras loaded)`;
  return { error: { code: 'STARTING', message: `the centre is starting: ${doing}${counts}; try again in a few seconds` }, starting: startingProgress(s, whole) };
};

/** The aggregator's HTTP JSON API, /metrics and /healthz, on node's own http. */
export class HttpApi {
  private server: http.Server | undefined;
  /** refused tokens per address, for the audit trail's coalescing */
  private readonly refusals = new RefusalCounter();
  /** the extra CA of http.tls.ca (the leader's certificate, for a follower) */
  private ca: Buffer | undefined;
  private openApi: Record<string, unknown> | undefined;
  private readonly assets = new ConsoleAssets();

  constructor(private readonly deps: HttpApiDeps) {}

  async start(): Promise<string> {
    // a client must send its headers within 10 s and its whole request within 60 s: slow connections do not pile up
    // (node checks these deadlines every connectionsCheckingInterval: 30 s by default, which let a slow client live 90 s)
    const limits = { headersTimeout: 10_000, requestTimeout: 60_000, connectionsCheckingInterval: 1000, maxHeaderSize: 16 * 1024 };
    const tls = this.deps.tls ? await readTls(this.deps.tls) : undefined;
    this.ca = tls?.ca;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      // browsers that once reached the console over HTTPS never fall back to plain HTTP for it
      if (tls) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
      void this.route(req, res);
    };
    const server = tls ? https.createServer({ ...limits, ...tls, minVersion: 'TLSv1.2' }, handler) : http.createServer(limits, handler);
    server.keepAliveTimeout = 5000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.deps.port, this.deps.host, () => resolve());
    });
    const a = server.address() as AddressInfo;
    return `${tls ? 'https' : 'http'}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  async stop(): Promise<void> {
    this.deps.live.stop();
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  /** The frame each degraded camera of a report had its fault raised on (the newest before the period's end), for the workbook's thumbnails; at most 200. */
  private async evidenceOf(report: Report): Promise<Map<string, EvidenceThumb>> {
    const out = new Map<string, EvidenceThumb>();
    const end = Date.parse(report.period.to);
    for (const c of (report.degraded ?? []).slice(0, 200)) {
      const f = ((await this.deps.frames?.(c.cameraId)) ?? []).find((x) => x.kind === 'fault' && x.at <= end);
      if (!f) continue;
      const meta = framesView(c.cameraId, [f]).frames[0]!;
      out.set(c.cameraId, { at: meta.at, faults: meta.faults.map((x) => x.fault), jpeg: Buffer.from(f.jpeg, 'base64') });
    }
    return out;
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { state, now } = this.deps;
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    const fail = (status: number, code: string, message: string) => json(status, { error: { code, message } });
    let path: string;
    try {
      path = decodeURIComponent(url.pathname).replace(/\/+$/, '') || '/';
    } catch {
      return fail(400, 'BAD_PATH', 'the path is not valid percent-encoded UTF-8');
    }
    const leader = this.deps.leader?.();
    if (leader !== undefined && (path.startsWith('/api/') || path === '/metrics')) {
      if (leader === null) return fail(503, 'NO_LEADER', 'this replica follows, and no leader is known yet: try again in a few seconds');
      return this.passTo(leader, req, res, fail);
    }
    const reading = req.method === 'GET' || req.method === 'HEAD';
    try {
      // open doors: the health check, the API's description, the console's files (its login page among them)
      const starting = this.deps.starting?.() ?? null;
      /** a centre loading its store: 503, ask again in a moment */
      const notYet = (body: unknown) => {
        res.setHeader('Retry-After', '2');
        json(503, body);
      };
      if (path === '/healthz' && reading) return starting ? notYet({ ok: false, starting: startingProgress(starting, false) }) : json(200, { ok: true });
      if (path === '/api/openapi.json' && reading) return json(200, (this.openApi ??= openApiDocument()));
      if (!path.startsWith('/api/') && path !== '/metrics') {
        if (reading && this.console(path, req, res)) return;
        return fail(404, 'NOT_FOUND', 'see /api/openapi.json; the console is at /');
      }
      const from: AuditActor = { actor: 'anonymous', source: req.socket.remoteAddress ?? '?', userAgent: String(req.headers['user-agent'] ?? '').slice(0, 200) };
      const id = await this.deps.auth.identify(req.headers.authorization, req.headers.cookie, from);
      let who: Principal;
      if (id.ok) who = id.principal;
      else {
        if (id.refusedCredential) this.refused(req, from, id.message);
        if (id.code === 'SESSION_EXPIRED') res.setHeader('Set-Cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
        // an ended session may still log in again, or out
        if (path !== '/api/login' && path !== '/api/logout' && path !== '/api/session') {
          if (id.refusedCredential) res.setHeader('WWW-Authenticate', 'Bearer');
          return fail(401, id.code, id.message);
        }
        who = { kind: 'anonymous', name: 'anonymous', role: null, scope: new Scope([]) };
      }
      const actor: AuditActor = { ...from, actor: who.name };
      // a change made with the session cookie carries the session's CSRF token: another site's form cannot
      if (who.session && !reading && path !== '/api/login') {
        const given = String(req.headers['x-csrf-token'] ?? '');
        if (!sameHash(given, who.session.csrf)) return fail(403, 'CSRF', 'a change needs the X-CSRF-Token header of this session (GET /api/session)');
      }
      if (await this.deps.accounts.handle(path, req, res, who, actor, json, fail)) return;
      const need = (p: Permission): boolean => {
        if (allows(who, p)) return true;
        // nobody logged in: the answer is to log in, whatever open reads allow
        if (who.kind === 'anonymous') {
          res.setHeader('WWW-Authenticate', 'Bearer');
          fail(401, 'LOGIN_REQUIRED', 'log in (POST /api/login, or the console at /) or give an API token (Authorization: Bearer …)');
        } else fail(403, 'FORBIDDEN', `the ${who.role} role may not ${PERMISSION_WORDS[p]}`);
        return false;
      };
      /** views of the whole centre (its ingest, its upper platforms, /metrics): a scope of every region */
      const needAll = (): boolean => {
        if (who.scope.all) return true;
        fail(403, 'FORBIDDEN', 'this view covers the whole centre: it needs a user or token of every region ("all")');
        return false;
      };
      const scope = who.scope;
      if (starting && !(reading && (path === '/api/live' || path === '/api/audit'))) {
        // the 24 h rates as they stood before the restart, said to be such; everything else once the store is loaded
        const w = url.searchParams;
        if (reading && path === '/api/rates' && starting.rates && !w.has('from') && !w.has('to') && (w.get('window') ?? '24h') === '24h') {
          if (!need('read')) return;
          const view = starting.rates.view(scope, { region: w.get('region'), category: w.get('category') }, startingProgress(starting, scope.all));
          return view === 'unknown' ? fail(404, 'UNKNOWN_REGION', 'no such region in your regions') : json(200, view);
        }
        return notYet(startingFail(starting, scope.all));
      }
      if (req.method === 'PUT' && path === '/api/plan') {
        if (!need('administer')) return;
        if (!scope.all) return fail(403, 'FORBIDDEN', 'the plan is replaced whole: it needs an admin of every region ("all")');
        return await this.putPlan(req, actor, url.searchParams, json, fail);
      }
      if (req.method === 'POST' && path === '/api/maintenance') {
        if (!need('maintain')) return;
        const text = await readBody(req, 64 * 1024);
        if (text === 'too_large' || text === 'not_utf8') return fail(400, 'BAD_BODY', 'a JSON window of at most 64 KiB, UTF-8');
        let data: unknown;
        try {
          data = JSON.parse(text);
        } catch {
          return fail(400, 'NOT_JSON', 'the body is not JSON');
        }
        const r = parseMaintenanceWindow(data);
        if (!r.ok) return json(400, { error: { code: 'INVALID_WINDOW', message: r.errors.join('; ') } });
        if (!visibleWindow(state, scope, r.window)) return fail(404, 'UNKNOWN_TARGET', `no ${r.window.scope} ${r.window.target} in your regions`);
        const w = applyWindow(state, r.window);
        await state.maintenanceSettled();
        this.deps.log.info({ id: w.id, scope: w.scope, target: w.target }, 'maintenance window declared');
        this.audited(actor, 'maintenance.declare', `${w.scope}:${w.target}`, { id: w.id, from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString(), reason: w.reason });
        return this.answerStored(json, fail, 201, { window: windowJson(w) });
      }
      const endWindow = /^\/api\/maintenance\/([^/]+)$/.exec(path);
      if (req.method === 'DELETE' && endWindow) {
        if (!need('maintain')) return;
        const w = state.maintenance.list().find((x) => x.id === endWindow[1]);
        if (!w || !visibleWindow(state, scope, w) || !state.maintenance.end(endWindow[1]!)) return fail(404, 'UNKNOWN_WINDOW', 'no such maintenance window');
        await state.tickMaintenance();
        this.audited(actor, 'maintenance.end', endWindow[1]!);
        return this.answerStored(json, fail, 200, { ended: endWindow[1] });
      }
      const ack = /^\/api\/alerts\/([^/]+)\/ack$/.exec(path);
      if (req.method === 'POST' && ack) {
        if (!need('acknowledge')) return;
        const text = await readBody(req, 4096);
        if (text === 'too_large' || text === 'not_utf8') return fail(400, 'BAD_BODY', 'a JSON body of at most 4 KiB, UTF-8: {"note": "…"}');
        let body: unknown = {};
        try {
          if (text !== '') body = JSON.parse(text);
        } catch {
          return fail(400, 'NOT_JSON', 'the body is not JSON');
        }
        const parsed = ackRequest.safeParse(body);
        if (!parsed.success) return fail(400, 'BAD_BODY', `{"note": "…"} of at most 500 characters: ${parsed.error.issues[0]?.message ?? ''}`);
        const note = parsed.data.note ?? '';
        const a = this.deps.alerts().find((x) => x.id === ack[1]);
        if (!a || !visibleAlert(state, scope, a)) return fail(404, 'UNKNOWN_ALERT', 'no such active alert');
        const done = this.deps.acknowledge(a.id, who.name, note);
        if (!done) return fail(404, 'UNKNOWN_ALERT', 'no such active alert');
        this.audited(actor, 'alert.acknowledge', a.id, { kind: a.kind, subject: a.subject, note: note.slice(0, 500) });
        return this.answerStored(json, fail, 200, { alert: done });
      }
      const release = /^\/api\/cameras\/([^/]+)$/.exec(path);
      if (req.method === 'DELETE' && release) {
        if (!need('administer')) return;
        const owner = visibleCamera(state, scope, release[1]!)?.agentId;
        if (owner === undefined || !state.releaseCamera(release[1]!)) return fail(404, 'UNKNOWN_CAMERA', 'no such camera');
        this.audited(actor, 'camera.release', release[1]!, { owner });
        this.deps.onPlanChanged();
        return this.answerStored(json, fail, 200, { released: release[1] });
      }
      if (!reading) return fail(405, 'METHOD_NOT_ALLOWED', 'read-only endpoint (PUT /api/plan, POST /api/maintenance, DELETE /api/maintenance/{id} and /api/cameras/{id} change; see /api/openapi.json)');
      if (path === '/api/audit') {
        if (!need('audit')) return;
        if (!this.deps.audit) return fail(404, 'NOT_AVAILABLE', 'no audit trail in this process');
        const page = await auditPage(this.deps.stored, this.deps.auditRead!, url.searchParams);
        if ('error' in page) return fail(400, 'BAD_QUERY', page.error);
        if (url.searchParams.get('format') === 'csv') {
          this.audited(actor, 'export.audit', 'audit.csv', { query: Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'format')), rows: page.records.length });
          res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Disposition': 'attachment; filename="xueliang-audit.csv"' });
          return void res.end(auditCsv(page));
        }
        return json(200, page);
      }
      // everything below reads camera data: viewers, operators and admins, within their regions
      if (!need('read')) return;
      const t = now();
      if (path === '/metrics') {
        if (!needAll()) return;
        const walked = await ratesWalk(state, { from: t - 86_400_000, to: t, label: '24h' });
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
        return void res.end(prometheusText(state, t, this.deps.gb28181?.(), walked));
      }
      if (path === '/api/rates') {
        const w = parseWindow(url.searchParams, t, this.deps.timeZone);
        if ('error' in w) return fail(400, 'BAD_WINDOW', w.error);
        const view = await scopedRates(state, scope, { region: url.searchParams.get('region'), category: url.searchParams.get('category'), window: w });
        return view === 'unknown' ? fail(404, 'UNKNOWN_REGION', 'no such region in your regions') : json(200, view);
      }
      if (path === '/api/cameras' || path === '/api/cameras/offline' || path === '/api/cameras/degraded' || path === '/api/cameras/unknown') {
        const q = new URLSearchParams(url.searchParams);
        if (path !== '/api/cameras') q.set('state', path.split('/').pop()!);
        const page = await camerasView(state, q, t, scope);
        if ('error' in page) return fail(400, 'BAD_QUERY', page.error);
        if (q.get('format') === 'csv') {
          if (!need('export')) return;
          this.audited(actor, 'export.cameras', 'cameras.csv', { query: Object.fromEntries([...q].filter(([k]) => k !== 'format')), rows: page.cameras.length });
          res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Disposition': 'attachment; filename="xueliang-cameras.csv"' });
          return void res.end(camerasCsv(page.cameras));
        }
        return json(200, page);
      }
      if (path === '/api/rates/daily') {
        const r = scopedRegion(scope, url.searchParams.get('region'));
        if (r === 'unknown') return fail(404, 'UNKNOWN_REGION', 'no such region in your regions');
        if (r === 'several') return fail(400, 'BAD_REGION', `give region: one of yours (${scope.roots().join(', ')})`);
        const region = r.region;
        if (region !== 'all' && regionError(region)) return fail(400, 'BAD_REGION', `region: ${regionError(region)}`);
        const days = Number(url.searchParams.get('days') ?? '30');
        if (!Number.isInteger(days) || days < 1 || days > 92) return fail(400, 'BAD_DAYS', 'days is a whole number from 1 to 92');
        const category = url.searchParams.get('category') ?? 'all';
        if (!(CATEGORY_KEYS as readonly string[]).includes(category)) return fail(400, 'BAD_CATEGORY', `category is one of ${CATEGORY_KEYS.join(', ')}`);
        return json(200, { region, category, timeZone: this.deps.timeZone, days: await this.deps.daily(region, days, category) });
      }
      if (path === '/api/live') return this.deps.live.attach(req, res, scope.all ? undefined : (cameraId) => scope.covers(cameraRegion(state, cameraId)));
      const cam = /^\/api\/cameras\/([^/]+)(\/history|\/frames(?:\/(\d{1,2})\.jpg)?)?$/.exec(path);
      if (cam) {
        const c = visibleCamera(state, scope, cam[1]!);
        if (!c) return fail(404, 'UNKNOWN_CAMERA', 'no such camera');
        if (cam[2]?.startsWith('/frames')) {
          // the evidence behind the camera's faults: the same doors as the camera's own data
          const frames = (await this.deps.frames?.(c.cameraId)) ?? [];
          if (cam[3] === undefined) return json(200, framesView(c.cameraId, frames));
          const f = frames[Number(cam[3])];
          if (!f) return fail(404, 'UNKNOWN_FRAME', 'no such frame of this camera (the list: /frames)');
          const bytes = Buffer.from(f.jpeg, 'base64');
          res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': bytes.length, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
          res.end(bytes);
          return;
        }
        if (cam[2]) {
          const w = parseWindow(url.searchParams, t, this.deps.timeZone);
          if ('error' in w) return fail(400, 'BAD_WINDOW', w.error);
          return json(200, historyView(c, w));
        }
        return json(200, { ...cameraView(state, c, t), uptime: uptimeView(c, t), status: c.status });
      }
      if (path === '/api/agents') {
        const mine = visibleAgentIds(state, scope);
        return json(200, { agents: agentsView(state).filter((a) => mine.has(a.agentId)) });
      }
      if (path === '/api/gb28181') {
        if (!needAll()) return;
        const gb = this.deps.gb28181?.();
        return gb ? json(200, gb) : fail(404, 'NOT_CONFIGURED', 'GB/T 28181 upward is not configured (gb28181.upstream in the aggregator config)');
      }
      if (path === '/api/tiers') return json(200, { tiers: state.tiers.list().filter((x) => scope.all || (!regionError(x.tier) && scope.covers(x.tier))) });
      // the gateways a scoped user sees, worked out once for the whole list
      const agents = scope.all ? undefined : visibleAgentIds(state, scope);
      if (path === '/api/alerts') {
        // a province's mass outage is tens of thousands of alerts: ?limit= (and offset) give a page, total says how many
        const limit = url.searchParams.has('limit') ? Number(url.searchParams.get('limit')) : null;
        const offset = Number(url.searchParams.get('offset') ?? 0);
        if ((limit !== null && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) || !Number.isInteger(offset) || offset < 0) return fail(400, 'BAD_QUERY', 'limit is 1..1000, offset 0 or more');
        const all = this.deps.alerts().filter((a) => visibleAlert(state, scope, a, agents));
        return json(200, { alerts: limit === null ? all.slice(offset) : all.slice(offset, offset + limit), total: all.length });
      }
      if (path === '/api/maintenance') return json(200, { windows: state.maintenance.list().filter((w) => visibleWindow(state, scope, w, agents)).map((w) => ({ ...windowJson(w), active: w.from <= t && t < w.to })) });
      if (path === '/api/report') {
        const period = parsePeriod(url.searchParams, this.deps.timeZone);
        if ('error' in period) return fail(400, 'BAD_PERIOD', period.error);
        const r = scopedRegion(scope, url.searchParams.get('region'));
        if (r === 'unknown') return fail(404, 'UNKNOWN_REGION', 'no such region in your regions');
        if (r === 'several') return fail(400, 'BAD_REGION', `give region: one of yours (${scope.roots().join(', ')})`);
        const region = r.region;
        if (region !== 'all' && regionError(region)) return fail(400, 'BAD_REGION', `region: ${regionError(region)}`);
        const format = url.searchParams.get('format');
        if ((format === 'csv' || format === 'xlsx') && !need('export')) return;
        const report = await this.deps.report(region, period);
        // exports speak the asker's language: ?lang=, else its Accept-Language; Chinese unless English comes first
        const lang = termLang(url.searchParams.get('lang'), req.headers['accept-language']);
        const file = `xueliang-${region}-${period.label.replace(/[^0-9A-Za-z-]/g, '_')}`;
        if (format === 'csv' || format === 'xlsx') this.audited(actor, 'export.report', `${file}.${format}`, { region: report.region, period: report.period.label });
        if (format === 'csv') {
          res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${file}.csv"` });
          return void res.end(reportCsv(report, lang));
        }
        if (format === 'xlsx') {
          const evidence = url.searchParams.get('frames') === '1' ? await this.evidenceOf(report) : undefined;
          const body = Buffer.from(await reportWorkbook(report, lang, evidence).xlsx.writeBuffer());
          res.writeHead(200, { 'Content-Type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'Content-Disposition': `attachment; filename="${file}.xlsx"`, 'Cache-Control': 'no-store' });
          return void res.end(body);
        }
        return json(200, report);
      }
      if (path === '/api/plan') return json(200, { points: state.plan().filter((p) => scope.covers(p.region)).map((p) => ({ ...p, installed: state.counters.boundTo(p.id) })) });
      if (path === '/api/bindings') {
        const b = bindingView(state);
        return json(200, { unclaimedCameras: b.unclaimedCameras.filter((c) => scope.covers(c.region)), uncoveredPoints: b.uncoveredPoints.filter((p) => scope.covers(p.region)) });
      }
      if (path === '/api/register') {
        const sp = url.searchParams;
        const r = scopedRegion(scope, sp.get('region'));
        if (r === 'unknown') return fail(404, 'UNKNOWN_REGION', 'no such region in your regions');
        if (r === 'several') return fail(400, 'BAD_REGION', `give region: one of yours (${scope.roots().join(', ')})`);
        if (r.region !== 'all' && regionError(r.region)) return fail(400, 'BAD_REGION', `region: ${regionError(r.region)}`);
        const limit = Number(sp.get('limit') ?? 100);
        const offset = Number(sp.get('offset') ?? 0);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000 || !Number.isInteger(offset) || offset < 0) return fail(400, 'BAD_QUERY', 'limit is 1..1000, offset 0 or more');
        return json(200, registerView(state, { region: r.region, category: sp.get('category'), limit, offset }));
      }
      if (path === '/api/regions') {
        const codes = (url.searchParams.get('codes') ?? '').split(',').filter(Boolean);
        if (codes.length > 50) return fail(400, 'BAD_REGION', 'codes: at most 50 at once');
        const bad = codes.find((c) => regionError(c));
        if (bad !== undefined) return fail(400, 'BAD_REGION', `codes: ${bad.slice(0, 20)}: ${regionError(bad)}`);
        const names: Record<string, string> = {};
        for (const c of codes) {
          const n = regionName(c, state.regionNames);
          if (n) names[c] = n;
        }
        return json(200, { names });
      }
      if (path === '/api/gaps') return needAll() ? json(200, { gaps: state.gaps(), reportedLosses: state.losses, duplicates: state.stats.duplicates }) : undefined;
      if (path === '/api/ingest') return needAll() ? json(200, { ...state.stats, notYetStored: this.deps.notYetStored() }) : undefined;
      return fail(404, 'NOT_FOUND', 'see /api/openapi.json: /api/rates, /api/rates/daily, /api/cameras, /api/cameras/{id}, /api/agents, /api/tiers, /api/plan, /api/bindings, /api/report, /api/live, /metrics; the console is at /');
    } catch (err) {
      this.deps.log.error({ err, path }, 'HTTP handler failed');
      if (!res.headersSent) fail(500, 'INTERNAL', 'internal error');
    }
  }

  /** The console's files; `/` is its page. False when there is no such file. */
  private console(path: string, req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const headers = { 'Content-Security-Policy': CONSOLE_CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' };
    const asset = this.assets.get(path);
    if (!asset) {
      if (path !== '/') return false;
      res.writeHead(503, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('The console was not built: run `npm run build` (the API is at /api/…).\n');
      return true;
    }
    // index.html is the app's shell and must follow upgrades; the bundles are named by their build
    res.writeHead(200, { ...headers, 'Content-Type': asset.type, 'Cache-Control': path === '/' || path.endsWith('.html') ? 'no-cache' : 'public, max-age=300' });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  }

  /** Records an action in the audit trail, with who asked and from where. */
  private audited(who: AuditActor, action: string, target: string, detail: Record<string, unknown> = {}): void {
    this.deps.audit?.record(who, action, target, detail);
  }

  /**
   * A credential refused: what was tried is never recorded, only that it was,
   * by whom and where; a flood from one address is one record per 10 s with
   * the number of refusals it stands for (the trail is kept for months).
   */
  private refused(req: http.IncomingMessage, from: AuditActor, why: string): void {
    const repeats = this.refusals.note(from.source, this.deps.now());
    if (repeats !== undefined) this.audited(from, 'auth.refused', `${req.method ?? '?'} ${(req.url ?? '').split('?')[0]!.slice(0, 100)}`, { why, ...(repeats > 0 ? { refusedSinceLastRecord: repeats } : {}) });
  }

  private async putPlan(req: http.IncomingMessage, who: AuditActor, query: URLSearchParams, json: (s: number, b: unknown) => void, fail: (s: number, c: string, m: string) => void): Promise<void> {
    const text = await readBody(req, MAX_BODY);
    if (text === 'too_large') return fail(413, 'TOO_LARGE', `plan larger than ${MAX_BODY} bytes`);
    if (text === 'not_utf8') return fail(400, 'NOT_UTF8', 'the plan is not valid UTF-8 (save the spreadsheet as CSV UTF-8)');
    const type = req.headers['content-type'] ?? '';
    const format = type.includes('csv') ? 'csv' : 'json';
    const load = await parsePlanSliced(text, format);
    const errors = { errors: load.errors.slice(0, MAX_LISTED_ERRORS), errorCount: load.errors.length };
    if (load.points.length === 0 && load.errors.length > 0) return json(400, { loaded: 0, ...errors });
    // an empty plan would make every coverage rate vanish: only when asked for in so many words
    if (load.points.length === 0 && query.get('allowEmpty') !== 'true') return fail(400, 'EMPTY_PLAN', 'the plan has no points; to really remove every point, PUT it with ?allowEmpty=true');
    const before = this.deps.state.plan().length;
    await this.deps.state.setPlan(load.points);
    this.deps.log.info({ points: load.points.length, rejectedRows: load.errors.length }, 'point plan replaced');
    this.audited(who, 'plan.replace', 'plan', { pointsBefore: before, points: load.points.length, rejectedRows: load.errors.length, format });
    this.deps.onPlanChanged();
    await this.answerStored(json, fail, 200, { loaded: load.points.length, ...errors });
  }

  /** A follower replica passes the request, as it came, to the leader and its answer back (streams too: /api/live). */
  private passTo(leader: string, req: http.IncomingMessage, res: http.ServerResponse, fail: (status: number, code: string, message: string) => void): void {
    const target = new URL(req.url ?? '/', leader);
    const headers = { ...req.headers, host: target.host };
    const request = target.protocol === 'https:' ? (u: URL, o: https.RequestOptions, cb: (m: http.IncomingMessage) => void) => https.request(u, { ...o, ...(this.ca ? { ca: this.ca } : {}) }, cb) : http.request;
    const out = request(target, { method: req.method, headers, timeout: 60_000 }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('timeout', () => out.destroy(new Error('the leader did not answer in 60 s')));
    out.on('error', (err) => {
      if (!res.headersSent) fail(502, 'LEADER_UNREACHABLE', `the leader replica did not answer: ${err.message}`);
      else res.destroy();
    });
    res.on('close', () => out.destroy());
    req.pipe(out);
  }

  /** Answers a change once the store holds it; 503 while the database does not take it (the change stands and is written again). */
  private async answerStored(json: (status: number, body: unknown) => void, fail: (status: number, code: string, message: string) => void, status: number, body: unknown): Promise<void> {
    try {
      await this.deps.stored();
    } catch (err) {
      this.deps.log.error({ err: { message: (err as Error).message } }, 'a change was applied but not stored yet');
      return fail(503, 'NOT_STORED', 'applied, but the database has not stored it yet: it is written again until it is; check the aggregator log');
    }
    json(status, body);
  }
}

/** The PEM files of http.tls; a file that cannot be read is an error naming the setting and the file. */
async function readTls(files: { cert: string; key: string; ca?: string | undefined }): Promise<{ cert: Buffer; key: Buffer; ca?: Buffer }> {
  const read = async (setting: string, file: string) => {
    try {
      return await readFile(file);
    } catch (err) {
      throw new Error(`http.tls.${setting}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  return { cert: await read('cert', files.cert), key: await read('key', files.key), ...(files.ca ? { ca: await read('ca', files.ca) } : {}) };
}

/** A request body as UTF-8 text, at most `max` bytes. */
export async function readBody(req: http.IncomingMessage, max: number): Promise<string | 'too_large' | 'not_utf8'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > max) return 'too_large';
    chunks.push(c);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    return 'not_utf8';
  }
}
