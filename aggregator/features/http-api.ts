import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { regionError, regionName, termLang, type AlertMessage } from '../../protocols/index.js';
import { openApiDocument } from '../../protocols/openapi.js';
import { parsePeriod, reportCsv, type DailyPoint, type Report, type ReportPeriod } from './report.js';
import { reportWorkbook } from './report-workbook.js';
import type { LiveFeed } from './live-feed.js';
import { CONSOLE_CSP, ConsoleAssets } from '../adapters/console-assets.js';
import { CATEGORY_KEYS } from '../rates/model.js';
import { applyWindow, parseMaintenanceWindow } from './maintenance.js';
import { windowJson } from './maintenance.js';
import { parsePlan } from './plan.js';
import { prometheusText } from './metrics.js';
import type { Gb28181Status } from '../gb28181/service.js';
import type { AuditActor, AuditTrail } from '../audit/trail.js';
import { auditCsv, auditPage, type AuditRead } from '../audit/page.js';
import { RefusalCounter } from '../audit/refusals.js';
import { agentsView, bindingView, registerView, cameraView, camerasCsv, camerasView, historyView, parseWindow, ratesView, uptimeView } from './queries.js';
import type { AggregatorState } from './state.js';

const MAX_BODY = 32 * 1024 * 1024;
/** a plan with many bad rows lists the first ones; errorCount says how many there were */
const MAX_LISTED_ERRORS = 100;

export interface HttpApiDeps {
  state: AggregatorState;
  log: Logger;
  now: () => number;
  host: string;
  port: number;
  token: string | undefined;
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
  /** the daily rates of a region over its last `days` local days */
  daily: (region: string, days: number, category: string) => Promise<DailyPoint[]>;
  /** the console's stream of camera changes */
  live: LiveFeed;
  /** the audit trail: changes, exports and refused credentials are recorded */
  audit?: AuditTrail;
  /** reads the stored trail (GET /api/audit) */
  auditRead?: AuditRead;
  /** GB/T 28181 upward, when configured */
  gb28181?: () => Gb28181Status | undefined;
  /** replicas: undefined where this process answers itself (one aggregator, or the leader); the leader's API for a follower; null while no leader is known */
  leader?: () => string | null | undefined;
}

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
    try {
      if (req.method === 'PUT' && path === '/api/plan') return await this.putPlan(req, res, url.searchParams, json, fail);
      if (req.method === 'POST' && path === '/api/maintenance') {
        if (!this.authorized(req, res, fail)) return;
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
        const w = applyWindow(state, r.window);
        this.deps.log.info({ id: w.id, scope: w.scope, target: w.target }, 'maintenance window declared');
        this.audited(req, 'maintenance.declare', `${w.scope}:${w.target}`, { id: w.id, from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString(), reason: w.reason });
        return this.answerStored(json, fail, 201, { window: windowJson(w) });
      }
      const endWindow = /^\/api\/maintenance\/([^/]+)$/.exec(path);
      if (req.method === 'DELETE' && endWindow) {
        if (!this.authorized(req, res, fail)) return;
        if (!state.maintenance.end(endWindow[1]!)) return fail(404, 'UNKNOWN_WINDOW', 'no such maintenance window');
        state.tickMaintenance();
        this.audited(req, 'maintenance.end', endWindow[1]!);
        return this.answerStored(json, fail, 200, { ended: endWindow[1] });
      }
      const release = /^\/api\/cameras\/([^/]+)$/.exec(path);
      if (req.method === 'DELETE' && release) {
        if (!this.authorized(req, res, fail)) return;
        const owner = state.cameras.get(release[1]!)?.agentId;
        if (!state.releaseCamera(release[1]!)) return fail(404, 'UNKNOWN_CAMERA', 'no such camera');
        this.audited(req, 'camera.release', release[1]!, { owner });
        this.deps.onPlanChanged();
        return this.answerStored(json, fail, 200, { released: release[1] });
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, 'METHOD_NOT_ALLOWED', 'read-only endpoint (PUT /api/plan, POST /api/maintenance, DELETE /api/maintenance/{id} and /api/cameras/{id} take the bearer token)');
      const t = now();
      if (path === '/healthz') return json(200, { ok: true });
      if (path === '/api/openapi.json') return json(200, (this.openApi ??= openApiDocument()));
      if (path === '/metrics') {
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
        return void res.end(prometheusText(state, t, this.deps.gb28181?.()));
      }
      if (path === '/api/rates') {
        const w = parseWindow(url.searchParams, t, this.deps.timeZone);
        if ('error' in w) return fail(400, 'BAD_WINDOW', w.error);
        return json(200, ratesView(state, { region: url.searchParams.get('region'), category: url.searchParams.get('category'), window: w }));
      }
      if (path === '/api/cameras' || path === '/api/cameras/offline' || path === '/api/cameras/degraded' || path === '/api/cameras/unknown') {
        const q = new URLSearchParams(url.searchParams);
        if (path !== '/api/cameras') q.set('state', path.split('/').pop()!);
        const page = camerasView(state, q, t);
        if ('error' in page) return fail(400, 'BAD_QUERY', page.error);
        if (q.get('format') === 'csv') {
          this.audited(req, 'export.cameras', 'cameras.csv', { query: Object.fromEntries([...q].filter(([k]) => k !== 'format')), rows: page.cameras.length });
          res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Disposition': 'attachment; filename="xueliang-cameras.csv"' });
          return void res.end(camerasCsv(page.cameras));
        }
        return json(200, page);
      }
      if (path === '/api/rates/daily') {
        const region = url.searchParams.get('region') ?? 'all';
        if (region !== 'all' && regionError(region)) return fail(400, 'BAD_REGION', `region: ${regionError(region)}`);
        const days = Number(url.searchParams.get('days') ?? '30');
        if (!Number.isInteger(days) || days < 1 || days > 92) return fail(400, 'BAD_DAYS', 'days is a whole number from 1 to 92');
        const category = url.searchParams.get('category') ?? 'all';
        if (!(CATEGORY_KEYS as readonly string[]).includes(category)) return fail(400, 'BAD_CATEGORY', `category is one of ${CATEGORY_KEYS.join(', ')}`);
        return json(200, { region, category, timeZone: this.deps.timeZone, days: await this.deps.daily(region, days, category) });
      }
      if (path === '/api/live') return this.deps.live.attach(req, res);
      const cam = /^\/api\/cameras\/([^/]+)(\/history)?$/.exec(path);
      if (cam) {
        const c = state.cameras.get(cam[1]!);
        if (!c) return fail(404, 'UNKNOWN_CAMERA', 'no such camera');
        if (cam[2]) {
          const w = parseWindow(url.searchParams, t, this.deps.timeZone);
          if ('error' in w) return fail(400, 'BAD_WINDOW', w.error);
          return json(200, historyView(c, w));
        }
        return json(200, { ...cameraView(state, c, t), uptime: uptimeView(c, t), status: c.status });
      }
      if (path === '/api/agents') return json(200, { agents: agentsView(state) });
      if (path === '/api/audit') {
        // the trail says who did what: it takes the bearer token (the auditor's role, once accounts come)
        if (!this.authorized(req, res, fail)) return;
        if (!this.deps.audit) return fail(404, 'NOT_AVAILABLE', 'no audit trail in this process');
        const page = await auditPage(this.deps.stored, this.deps.auditRead!, url.searchParams);
        if ('error' in page) return fail(400, 'BAD_QUERY', page.error);
        if (url.searchParams.get('format') === 'csv') {
          this.audited(req, 'export.audit', 'audit.csv', { query: Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'format')), rows: page.records.length });
          res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Disposition': 'attachment; filename="xueliang-audit.csv"' });
          return void res.end(auditCsv(page));
        }
        return json(200, page);
      }
      if (path === '/api/gb28181') {
        const gb = this.deps.gb28181?.();
        return gb ? json(200, gb) : fail(404, 'NOT_CONFIGURED', 'GB/T 28181 upward is not configured (gb28181.upstream in the aggregator config)');
      }
      if (path === '/api/tiers') return json(200, { tiers: state.tiers.list() });
      if (path === '/api/alerts') return json(200, { alerts: this.deps.alerts() });
      if (path === '/api/maintenance') return json(200, { windows: state.maintenance.list().map((w) => ({ ...windowJson(w), active: w.from <= t && t < w.to })) });
      if (path === '/api/report') {
        const period = parsePeriod(url.searchParams, this.deps.timeZone);
        if ('error' in period) return fail(400, 'BAD_PERIOD', period.error);
        const region = url.searchParams.get('region') ?? 'all';
        if (region !== 'all' && regionError(region)) return fail(400, 'BAD_REGION', `region: ${regionError(region)}`);
        const report = await this.deps.report(region, period);
        // exports speak the asker's language: ?lang=, else its Accept-Language; Chinese unless English comes first
        const lang = termLang(url.searchParams.get('lang'), req.headers['accept-language']);
        const file = `xueliang-${region}-${period.label.replace(/[^0-9A-Za-z-]/g, '_')}`;
        if (url.searchParams.get('format') === 'csv' || url.searchParams.get('format') === 'xlsx') this.audited(req, 'export.report', `${file}.${url.searchParams.get('format')}`, { region: report.region, period: report.period.label });
        if (url.searchParams.get('format') === 'csv') {
          res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${file}.csv"` });
          return void res.end(reportCsv(report, lang));
        }
        if (url.searchParams.get('format') === 'xlsx') {
          const body = Buffer.from(await reportWorkbook(report, lang).xlsx.writeBuffer());
          res.writeHead(200, { 'Content-Type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'Content-Disposition': `attachment; filename="${file}.xlsx"`, 'Cache-Control': 'no-store' });
          return void res.end(body);
        }
        return json(200, report);
      }
      if (path === '/api/plan') return json(200, { points: state.plan().map((p) => ({ ...p, installed: state.counters.boundTo(p.id) })) });
      if (path === '/api/bindings') return json(200, bindingView(state));
      if (path === '/api/register') {
        const sp = url.searchParams;
        const region = sp.get('region');
        if (region && region !== 'all' && regionError(region)) return fail(400, 'BAD_REGION', `region: ${regionError(region)}`);
        const limit = Number(sp.get('limit') ?? 100);
        const offset = Number(sp.get('offset') ?? 0);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000 || !Number.isInteger(offset) || offset < 0) return fail(400, 'BAD_QUERY', 'limit is 1..1000, offset 0 or more');
        return json(200, registerView(state, { region, category: sp.get('category'), limit, offset }));
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
      if (path === '/api/gaps') return json(200, { gaps: state.gaps(), reportedLosses: state.losses, duplicates: state.stats.duplicates });
      if (path === '/api/ingest') return json(200, { ...state.stats, notYetStored: this.deps.notYetStored() });
      if (!path.startsWith('/api/') && this.console(path, req, res)) return;
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

  /** The bearer token check of every changing endpoint, in constant time; answers the refusal itself. */
  /** Records an action in the audit trail, with who asked and from where. */
  private audited(req: http.IncomingMessage, action: string, target: string, detail: Record<string, unknown> = {}): void {
    this.deps.audit?.record(actorOf(req, this.deps.token), action, target, detail);
  }

  private authorized(req: http.IncomingMessage, res: http.ServerResponse, fail: (s: number, c: string, m: string) => void): boolean {
    const token = this.deps.token;
    if (!token) {
      fail(403, 'READ_ONLY', 'set http.token in the aggregator config to allow changes over HTTP');
      return false;
    }
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      // what was tried is never recorded: only that it was, by whom and where; a flood from one address is one record
      // per 10 s with the number of refusals it stands for (the trail is kept for months: it must not be a way to fill the disk)
      const repeats = this.refusals.note(req.socket.remoteAddress ?? '?', this.deps.now());
      if (repeats !== undefined) this.audited(req, 'auth.refused', `${req.method ?? '?'} ${(req.url ?? '').split('?')[0]!.slice(0, 100)}`, { bearer: given.length > 0, ...(repeats > 0 ? { refusedSinceLastRecord: repeats } : {}) });
      res.setHeader('WWW-Authenticate', 'Bearer');
      fail(401, 'UNAUTHORIZED', 'a valid bearer token is required');
      return false;
    }
    return true;
  }

  private async putPlan(req: http.IncomingMessage, res: http.ServerResponse, query: URLSearchParams, json: (s: number, b: unknown) => void, fail: (s: number, c: string, m: string) => void): Promise<void> {
    if (!this.authorized(req, res, fail)) return;
    const text = await readBody(req, MAX_BODY);
    if (text === 'too_large') return fail(413, 'TOO_LARGE', `plan larger than ${MAX_BODY} bytes`);
    if (text === 'not_utf8') return fail(400, 'NOT_UTF8', 'the plan is not valid UTF-8 (save the spreadsheet as CSV UTF-8)');
    const type = req.headers['content-type'] ?? '';
    const format = type.includes('csv') ? 'csv' : 'json';
    const load = parsePlan(text, format);
    const errors = { errors: load.errors.slice(0, MAX_LISTED_ERRORS), errorCount: load.errors.length };
    if (load.points.length === 0 && load.errors.length > 0) return json(400, { loaded: 0, ...errors });
    // an empty plan would make every coverage rate vanish: only when asked for in so many words
    if (load.points.length === 0 && query.get('allowEmpty') !== 'true') return fail(400, 'EMPTY_PLAN', 'the plan has no points; to really remove every point, PUT it with ?allowEmpty=true');
    const before = this.deps.state.plan().length;
    this.deps.state.setPlan(load.points);
    this.deps.log.info({ points: load.points.length, rejectedRows: load.errors.length }, 'point plan replaced');
    this.audited(req, 'plan.replace', 'plan', { pointsBefore: before, points: load.points.length, rejectedRows: load.errors.length, format });
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

/** Who a request says it is: the holder of the bearer token, or anonymous; its address and user agent. */
function actorOf(req: http.IncomingMessage, token: string | undefined): AuditActor {
  const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
  const want = Buffer.from(token ?? '');
  const ok = token !== undefined && given.length === want.length && timingSafeEqual(given, want);
  return { actor: ok ? 'token' : 'anonymous', source: req.socket.remoteAddress ?? '?', userAgent: String(req.headers['user-agent'] ?? '') };
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
async function readBody(req: http.IncomingMessage, max: number): Promise<string | 'too_large' | 'not_utf8'> {
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
