import { z } from 'zod';
import { CONTRACT_VERSION, contractSchema } from './asyncapi.js';
import {
  framesResponse,
  agentsResponse,
  tiersResponse,
  gb28181Response,
  registerResponse,
  auditResponse,
  bindingsResponse,
  cameraResponse,
  camerasResponse,
  errorResponse,
  gapsResponse,
  regionsResponse,
  historyResponse,
  ingestResponse,
  planResponse,
  planUploadResponse,
  ratesResponse,
  releaseResponse,
  reportResponse,
  maintenanceResponse,
  dailyResponse,
  loginRequest,
  loginResponse,
  sessionResponse,
  usersResponse,
  userRequest,
  userChange,
  userView,
  tokensResponse,
  tokenRequest,
  tokenCreated,
} from './http-api.js';
import { alertMessage, maintenanceWindow } from './messages.js';

/** JSON Schema 2020-12 is OpenAPI 3.1's own dialect. */
const jsonSchema = (schema: z.ZodType) => contractSchema(schema, 'draft-2020-12');

const q = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema });
const id = { name: 'id', in: 'path', required: true, description: 'camera id', schema: { type: 'string' } };
const windowParams = [
  q('window', 'today (from local midnight in the aggregator\'s timeZone), 24h, 7d or 30d; default 24h', { type: 'string', enum: ['today', '24h', '7d', '30d'] }),
  q('from', 'window start, ISO time (with to: instead of window)', { type: 'string', format: 'date-time' }),
  q('to', 'window end, ISO time; default now', { type: 'string', format: 'date-time' }),
];
const cameraFilters = [
  q('state', 'online, degraded, offline or unknown; several comma-separated (offline,degraded,unknown: the problem list)'),
  q('region', 'GB/T 2260 code: this region and below'),
  q('category', 'key_public_area, key_industry_part, other or unassigned'),
  q('agent', 'gateway id'),
  q('point', 'point id'),
  q('device', 'an NVR, DVR or encoder id: its channels'),
  q('cause', 'why not networked: camera, device (its NVR/encoder), network (its site network) or gateway (unknown: the gateway is gone)'),
  q('fault', 'picture fault name'),
  q('q', 'a part of the camera id or name, any case'),
  q('limit', 'page size, 1 to 1000; without it every camera', { type: 'integer', minimum: 1, maximum: 1000 }),
  q('offset', 'cameras to skip (with limit: the page)', { type: 'integer', minimum: 0 }),
  q('format', 'csv for the page as CSV', { type: 'string', enum: ['json', 'csv'] }),
];
const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema: jsonSchema(schema) } } });
const problem = (description: string) => json(errorResponse, description);
/** an API token, or a console session (whose changes carry X-CSRF-Token) */
const bearer = [{ bearer: [] }, { session: [] }];
const open: never[] = [];
const refusals = { 401: problem('no login or token, a wrong one, or a session that ended (code SESSION_EXPIRED)'), 403: problem('the role may not, or a session change without its CSRF token') };

/**
 * The aggregator's HTTP API as an OpenAPI 3.1 document, from the zod schemas
 * of its responses. Served at /api/openapi.json; `npm run docs` writes
 * docs/openapi.json. Pure.
 */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'xueliang aggregator HTTP API',
      version: CONTRACT_VERSION,
      description:
        'Rates per region and category with the counts behind them, cameras, history, gateways, the point plan. Every request but /healthz, /api/openapi.json, /api/login and the console\'s files needs a console session (POST /api/login) or an API token (xueliang token create), unless http.publicReads opens the reads. Roles (viewer, operator, admin, security, auditor) decide what a request may do; its regions (GB/T 2260 codes) what it sees: anything out of them is answered 404. docs/security.md.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: 'http://127.0.0.1:8080', description: 'the aggregator (http.host, http.port)' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API token (xlt_…, from xueliang token create or POST /api/tokens); http.token, deprecated, acts as an admin of every region' },
        session: { type: 'apiKey', in: 'cookie', name: 'xl_session', description: 'the console session of POST /api/login; changing requests carry its CSRF token in X-CSRF-Token' },
      },
    },
    security: bearer,
    paths: {
      '/api/rates': {
        get: {
          summary: 'Rates and counts of a region and its children, per category',
          parameters: [q('region', 'GB/T 2260 code (its children are listed too), or all (the whole and its provinces); without it, every region'), q('category', 'key_public_area, key_industry_part, other, unassigned or all'), ...windowParams],
          responses: { 200: json(ratesResponse, 'the rates'), 400: problem('a bad window') },
        },
      },
      '/api/rates/daily': {
        get: {
          summary: 'The daily online, intact and networking rates of a region over its last local days (the trend of the console)',
          parameters: [q('region', 'GB/T 2260 code, or all (default)'), q('category', 'key_public_area, key_industry_part, other, unassigned or all (default)'), q('days', '1 to 92, default 30', { type: 'integer', minimum: 1, maximum: 92 })],
          responses: { 200: json(dailyResponse, 'one entry per local day, oldest first'), 400: problem('a bad region, category or days') },
        },
      },
      '/api/live': { get: { summary: 'Server-Sent Events: a `cameras` event, at most once a second, naming the cameras whose state, faults or binding changed ({changed, cameras: [{cameraId, state}], truncated})', responses: { 200: { description: 'an event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, 503: problem('too many open streams') } } },
      '/api/cameras': { get: { summary: 'Cameras with their effective state, longest in it first; one page with limit and offset', parameters: cameraFilters, responses: { 200: { description: 'the cameras', content: { 'application/json': { schema: jsonSchema(camerasResponse) }, 'text/csv': { schema: { type: 'string' } } } }, 400: problem('a bad limit or offset') } } },
      '/api/cameras/offline': { get: { summary: 'Offline cameras, longest first', parameters: cameraFilters.slice(1), responses: { 200: json(camerasResponse, 'the cameras') } } },
      '/api/cameras/degraded': { get: { summary: 'Cameras with picture faults, longest first', parameters: cameraFilters.slice(1), responses: { 200: json(camerasResponse, 'the cameras') } } },
      '/api/cameras/unknown': { get: { summary: 'Cameras whose gateway is gone or has not checked them yet', parameters: cameraFilters.slice(1), responses: { 200: json(camerasResponse, 'the cameras') } } },
      '/api/cameras/{id}': {
        get: { summary: "A camera: its view, uptime over 24 h, 7 d, 30 d, and its agent's last status", parameters: [id], responses: { 200: json(cameraResponse, 'the camera'), 404: problem('no such camera') } },
        delete: {
          summary: 'Release a camera (it moved to another gateway, or is gone): it leaves the installed count, the next gateway to report it owns it',
          parameters: [id],
          security: bearer,
          responses: { 200: json(releaseResponse, 'released'), ...refusals, 404: problem('no such camera') },
        },
      },
      '/api/cameras/{id}/history': {
        get: { summary: "A camera's state changes and uptime in a window", parameters: [id, ...windowParams], responses: { 200: json(historyResponse, 'the history'), 400: problem('a bad window'), 404: problem('no such camera') } },
      },
      '/api/cameras/{id}/frames': {
        get: { summary: "The evidence frames the centre keeps of a camera (its newest reference and the last few fault frames), newest first", parameters: [id], responses: { 200: json(framesResponse, 'the frames'), 404: problem('no such camera') } },
      },
      '/api/cameras/{id}/frames/{index}.jpg': {
        get: {
          summary: 'One evidence frame as JPEG (at most 320×180)',
          parameters: [id, { name: 'index', in: 'path', required: true, schema: { type: 'integer', minimum: 0 }, description: 'its index in GET /api/cameras/{id}/frames' }],
          responses: { 200: { description: 'the frame', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } }, 404: problem('no such camera or frame') },
        },
      },
      '/api/report': {
        get: {
          summary: 'The assessment report of a region over a local day, a month or a range: rows per child region and category, ranking, longest offline, mean time to repair',
          parameters: [
            q('region', 'GB/T 2260 code, or all (default)'),
            q('month', 'YYYY-MM, a local month of the aggregator\'s timeZone'),
            q('day', 'YYYY-MM-DD, a local day'),
            q('from', 'range start, ISO time', { type: 'string', format: 'date-time' }),
            q('to', 'range end, ISO time', { type: 'string', format: 'date-time' }),
            q('format', 'csv for the rows as CSV, xlsx for the assessment workbook (assessment, ranking, flapping, offline, repair and losses sheets)', { type: 'string', enum: ['json', 'csv', 'xlsx'] }),
            q('frames', 'with format=xlsx, 1 adds a sheet of the cameras degraded at the end with a thumbnail of the frame each fault was raised on (at most 200)', { type: 'string', enum: ['1'] }),
            q('lang', 'language of the CSV and XLSX: zh (default; also from Accept-Language) gives Chinese sheet names, headers, region names and terms; en gives English, and the CSV\'s machine headers', { type: 'string', enum: ['zh', 'zh-CN', 'en'] }),
          ],
          responses: {
            200: { description: 'the report', content: { 'application/json': { schema: jsonSchema(reportResponse) }, 'text/csv': { schema: { type: 'string' } }, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: { type: 'string', contentEncoding: 'binary' } } } },
            400: problem('a bad period or region'),
          },
        },
      },
      '/api/alerts': {
        get: {
          summary: 'The alerts active now in your regions, oldest first; one page with limit and offset',
          parameters: [q('limit', '1..1000; without it every alert', { type: 'integer', minimum: 1, maximum: 1000 }), q('offset', 'alerts to skip (0)', { type: 'integer', minimum: 0 })],
          responses: { 200: { description: 'the alerts', content: { 'application/json': { schema: { type: 'object', properties: { alerts: { type: 'array', items: contractSchema(alertMessage, 'draft-2020-12') }, total: { type: 'integer', description: 'alerts on every page together' } } } } } }, 400: problem('a bad limit or offset') },
        },
      },
      '/api/alerts/{id}/ack': {
        post: {
          summary: 'Acknowledge an active alert (an operator or admin): who, when and a note stay with it until it clears; its retained alerts/active copy is replaced',
          parameters: [{ ...id, description: 'alert id' }],
          requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { note: { type: 'string', maxLength: 500 } } } } } },
          responses: { 200: { description: 'acknowledged', content: { 'application/json': { schema: { type: 'object', properties: { alert: contractSchema(alertMessage, 'draft-2020-12') } } } } }, 400: problem('a body that is not {"note"}'), 404: problem('no such active alert in your regions'), ...refusals },
        },
      },
      '/api/maintenance': {
        get: { summary: 'Maintenance windows, running, planned and past', responses: { 200: json(maintenanceResponse, 'the windows') } },
        post: {
          summary: 'Declare a maintenance window for a camera, a point or a gateway',
          security: bearer,
          requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(maintenanceWindow) } } },
          responses: { 201: { description: 'declared', content: { 'application/json': { schema: { type: 'object', properties: { window: jsonSchema(maintenanceWindow) } } } } }, 400: problem('an invalid window'), ...refusals },
        },
      },
      '/api/maintenance/{id}': {
        delete: { summary: 'End a window now (one not begun is dropped)', security: bearer, parameters: [{ ...id, description: 'window id' }], responses: { 200: { description: 'ended', content: { 'application/json': { schema: { type: 'object', properties: { ended: { type: 'string' } } } } } }, ...refusals, 404: problem('no such window') } },
      },
      '/api/agents': { get: { summary: 'Gateways, online or not, with their camera counts', responses: { 200: json(agentsResponse, 'the gateways') } } },
      '/api/audit': {
        get: {
          summary: 'The audit trail (the auditor): who logged in, changed or exported what, from where; chained by hashes (xueliang audit verify)',
          security: bearer,
          parameters: [
            q('from', 'the first record number (1)', { type: 'integer' }),
            q('limit', '1..1000 (100)', { type: 'integer' }),
            q('actor', 'only this actor (token, anonymous, a user)'),
            q('action', 'only actions starting so (maintenance. for every maintenance action)'),
            q('since', 'only from this ISO time'),
            q('until', 'only before this ISO time'),
            q('format', 'csv: the page as CSV (itself recorded as export.audit)', { type: 'string', enum: ['csv'] }),
          ],
          responses: { 200: json(auditResponse, 'one page of records, oldest first'), 400: problem('a bad from or limit'), ...refusals },
        },
      },
      '/api/gb28181': { get: { summary: 'GB/T 28181 upward: each upper platform we register with (registration, keepalive, subscriptions), cameras reported and not, input refused', responses: { 200: json(gb28181Response, 'the upper platforms'), 404: problem('gb28181 is not configured') } } },
      '/api/tiers': { get: { summary: 'Lower aggregators (cascade) whose rollups add to these numbers, and whether each is stale', responses: { 200: json(tiersResponse, 'the tiers') } } },
      '/api/plan': {
        get: { summary: 'The point plan with the installed cameras of each point', responses: { 200: json(planResponse, 'the plan') } },
        put: {
          summary: 'Replace the point plan (CSV with a header row, or JSON)',
          security: bearer,
          parameters: [q('allowEmpty', 'true to replace the plan with one that has no points', { type: 'string', enum: ['true'] })],
          requestBody: { required: true, content: { 'text/csv': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'array', items: { type: 'object' } } } } },
          responses: { 200: json(planUploadResponse, 'loaded; rows with errors listed (at most 100) and counted'), 400: json(planUploadResponse, 'no valid row, an empty plan, or not UTF-8'), ...refusals, 413: problem('larger than 32 MiB') },
        },
      },
      '/api/register': {
        get: {
          summary: 'The camera register (建档率): installed cameras whose record is incomplete, and what each lacks',
          parameters: [q('region', 'a GB/T 2260 code: that region and below (default all)'), q('category', 'key_public_area, key_industry_part, other or unassigned'), q('limit', '1..1000 (100)', { type: 'integer' }), q('offset', 'skip this many (0)', { type: 'integer' })],
          responses: { 200: json(registerResponse, 'one page of incomplete records, and how many there are'), 400: problem('a bad region, limit or offset') },
        },
      },
      '/api/bindings': { get: { summary: 'Cameras no point claims, and points with fewer cameras than they need', responses: { 200: json(bindingsResponse, 'the bindings') } } },
      '/api/regions': {
        get: {
          summary: 'The names of region codes (GB/T 2260 division data, the plan\'s names for grassroots units): for breadcrumbs and tables',
          parameters: [q('codes', 'comma-separated GB/T 2260 codes (6 or 8 digits), at most 50')],
          responses: { 200: json(regionsResponse, 'the names known'), 400: problem('a code that is not a GB/T 2260 code, or more than 50') },
        },
      },
      '/api/gaps': { get: { summary: 'Event seq numbers never received per agent session, and losses agents reported', responses: { 200: json(gapsResponse, 'the gaps') } } },
      '/api/ingest': { get: { summary: 'Messages applied and rejected, by kind and reason', responses: { 200: json(ingestResponse, 'the counters') } } },
      '/api/login': {
        post: {
          summary: 'Log in: sets the session cookie (HttpOnly, SameSite=Strict) and answers its CSRF token; five failures lock the account',
          security: open,
          requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(loginRequest) } } },
          responses: { 200: json(loginResponse, 'logged in'), 400: problem('not a name and a password'), 401: problem('a wrong name or password, or a disabled account (the same answer for a name that does not exist)'), 429: problem('locked: too many failures (Retry-After; error.until)') },
        },
      },
      '/api/logout': { post: { summary: 'End this session', responses: { 200: { description: 'logged out', content: { 'application/json': { schema: { type: 'object', properties: { loggedOut: { const: true } } } } } }, ...refusals } } },
      '/api/session': { get: { summary: 'Who this request acts as: user, role, regions, the CSRF token and when the session ends', security: open, responses: { 200: json(sessionResponse, 'the session') } } },
      '/api/users': {
        get: { summary: 'Users (the security administrator)', responses: { 200: json(usersResponse, 'the users; never a password or its hash'), ...refusals } },
        post: { summary: 'Add a user (the security administrator); the password policy applies', requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(userRequest) } } }, responses: { 201: { description: 'added' }, 400: problem('a bad name, role, region or a weak password'), 409: problem('the name is taken'), ...refusals } },
      },
      '/api/users/{name}': {
        patch: { summary: "Change a user's password, role and regions (together), or disable and enable it; its sessions end", parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(userChange) } } }, responses: { 200: { description: 'changed', content: { 'application/json': { schema: { type: 'object', properties: { user: jsonSchema(userView) } } } } }, 400: problem('a weak password, a bad role or region'), 404: problem('no such user'), ...refusals } },
      },
      '/api/tokens': {
        get: { summary: 'API tokens (the security administrator): never the token nor its hash', responses: { 200: json(tokensResponse, 'the tokens'), ...refusals } },
        post: { summary: 'Create an API token: with role and regions, or acting for a user (refused while that user is disabled)', requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(tokenRequest) } } }, responses: { 201: json(tokenCreated, 'the token, shown this once'), 400: problem('a bad name, role, region or lifetime'), 404: problem('no such user'), ...refusals } },
      },
      '/api/tokens/{id}': { delete: { summary: 'Revoke a token', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'revoked' }, 404: problem('no active token with this id'), ...refusals } } },
      '/api/openapi.json': { get: { summary: 'This document', security: open, responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } } },
      '/metrics': { get: { summary: 'Prometheus text exposition', responses: { 200: { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/': { get: { security: open, summary: 'The operations console (zh-CN, English one click away; its login page first): static files of the package, served with a Content-Security-Policy that forbids inline script', responses: { 200: { description: 'the console page', content: { 'text/html': { schema: { type: 'string' } } } }, 503: { description: 'the console was not built (npm run build)', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/healthz': { get: { security: open, summary: 'Liveness of the HTTP server', responses: { 200: { description: 'up', content: { 'application/json': { schema: { type: 'object', properties: { ok: { const: true } } } } } } } } },
    },
  };
}
