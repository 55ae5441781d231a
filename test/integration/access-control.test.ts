import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.js';
import { aggregatorConfig, startAggregator, type AggregatorProcess, type AggregatorSetup } from '../support/aggregator-process.js';
import { addToken, addUser, cli, consoleLogin, fillLogin, login, type ApiSession } from '../support/accounts.js';
import { artefactDir, launchChromium } from '../support/browser.js';
import { CLI } from '../support/agent-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { MqttWatch } from '../support/mqtt-watch.js';
import { waitFor } from '../support/wait.js';
import { startPostgres, type PgServer } from '../../scripts/sim/postgres-server.js';

/*
 * Who may see and change what (issue 24 §1, §2, §6; docs/security.md):
 * accounts made on the server, console sessions, API tokens, roles, regions.
 * Two counties: 西湖区 330106 (gateway gw-xh, camera cam-xh, point P-XH) and
 * 拱墅区 330105 (gw-gs, cam-gs, P-GS).
 */
const t = topics();
const LEGACY = 'access-test-legacy-token-01';
const PW: Record<string, string> = { admin: 'Centre-Pa55-word!', xihu: 'West-Lake-Pa55!', gs: 'Grand-Canal-Pa55!', sec: 'Guard-Pa55-word!', aud: 'Ledger-Pa55-word!' };
const USERS: Array<[string, string, string[]]> = [
  ['admin', 'admin', ['all']],
  ['xihu', 'operator', ['330106']],
  ['gs', 'viewer', ['330105']],
  ['sec', 'security', ['all']],
  ['aud', 'auditor', ['all']],
];
const iso = (ms: number) => new Date(ms).toISOString();
const T0 = Date.now() - 600_000;
const MONTH = new Date().toISOString().slice(0, 7);

/** A gateway of one county with one camera on its point, as an agent reports them. */
async function county(pub: MqttWatch, gw: string, cam: string, point: string, region: string): Promise<void> {
  const send = (topic: string, payload: unknown, retain = false) => pub.client.publishAsync(topic, JSON.stringify(payload), { qos: 1, retain });
  await send(t.agentState(gw), { state: 'online', session: `${gw}-1`, agentVersion: '0.1.0', startedAt: iso(T0), site: null, region, lastSeq: 0 }, true);
  await send(t.events(gw), { type: 'state', session: `${gw}-1`, seq: 1, ts: iso(T0), cameraId: cam, from: 'unknown', to: 'online', rung: null, reason: null });
  await send(t.cameraStatus(gw, cam), { cameraId: cam, name: `${cam} name`, state: 'online', since: iso(T0), checkedAt: iso(Date.now()), rung: null, reason: null, detail: null, consecutiveFailures: 0, source: 'rtsp', address: '127.0.0.1:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: point, category: null, faults: [], rungs: [] }, true);
}

type Who = 'anonymous' | 'viewer' | 'operator' | 'admin' | 'security' | 'auditor';
const ROLE_USER: Record<Exclude<Who, 'anonymous'>, string> = { viewer: 'gs', operator: 'xihu', admin: 'admin', security: 'sec', auditor: 'aud' };

/**
 * What each role gets from each endpoint: the statuses in the order
 * anonymous, viewer (拱墅区), operator (西湖区), admin (all), security, auditor.
 */
const TABLE: Array<{ what: string; method: string; path: string; body?: () => unknown; expect: [number, number, number, number, number, number] }> = [
  { what: 'rates', method: 'GET', path: '/api/rates', expect: [401, 200, 200, 200, 403, 403] },
  { what: 'a 西湖区 camera', method: 'GET', path: '/api/cameras/cam-xh', expect: [401, 404, 200, 200, 403, 403] },
  { what: 'its history', method: 'GET', path: '/api/cameras/cam-xh/history', expect: [401, 404, 200, 200, 403, 403] },
  { what: 'the problem list', method: 'GET', path: '/api/cameras/offline', expect: [401, 200, 200, 200, 403, 403] },
  { what: 'the month report', method: 'GET', path: `/api/report?month=${MONTH}`, expect: [401, 200, 200, 200, 403, 403] },
  { what: 'the camera list as CSV', method: 'GET', path: '/api/cameras?format=csv', expect: [401, 403, 200, 200, 403, 403] },
  { what: 'the report as XLSX', method: 'GET', path: `/api/report?month=${MONTH}&format=xlsx`, expect: [401, 403, 200, 200, 403, 403] },
  { what: '/metrics (the whole centre)', method: 'GET', path: '/metrics', expect: [401, 403, 403, 200, 403, 403] },
  { what: 'the ingest (the whole centre)', method: 'GET', path: '/api/ingest', expect: [401, 403, 403, 200, 403, 403] },
  { what: 'the audit trail', method: 'GET', path: '/api/audit', expect: [401, 403, 403, 403, 403, 200] },
  { what: 'the users', method: 'GET', path: '/api/users', expect: [401, 403, 403, 403, 200, 403] },
  { what: 'the tokens', method: 'GET', path: '/api/tokens', expect: [401, 403, 403, 403, 200, 403] },
  { what: 'a maintenance window on a 西湖区 camera', method: 'POST', path: '/api/maintenance', body: () => ({ scope: 'camera', target: 'cam-xh', from: iso(Date.now() + 86_400_000), to: iso(Date.now() + 90_000_000), reason: 'role table' }), expect: [401, 403, 201, 201, 403, 403] },
  { what: 'a camera released (none such)', method: 'DELETE', path: '/api/cameras/no-such-camera', expect: [401, 403, 403, 404, 403, 403] },
  { what: 'an alert acknowledged (none such)', method: 'POST', path: '/api/alerts/no-such-alert/ack', expect: [401, 403, 404, 404, 403, 403] },
  { what: 'the plan replaced', method: 'PUT', path: '/api/plan', body: () => 'id,region,category\nP-XH,330106,key_public_area\nP-GS,330105,key_public_area\n', expect: [401, 403, 403, 200, 403, 403] },
  { what: 'the health check', method: 'GET', path: '/healthz', expect: [200, 200, 200, 200, 200, 200] },
];

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`access control (${engine})`, () => {
    let broker: Broker;
    let pg: PgServer | undefined;
    let setup: AggregatorSetup;
    let agg: AggregatorProcess;
    let pub: MqttWatch;
    const sessions = new Map<string, ApiSession>();
    const as = async (user: string) => {
      let s = sessions.get(user);
      if (!s) sessions.set(user, (s = await login(agg.api, user, PW[user]!)));
      return s;
    };
    const get = async <T>(user: string, p: string) => {
      const r = await (await as(user)).fetch(p);
      expect(r.status, `${user} GET ${p}`).toBe(200);
      return (await r.json()) as T;
    };

    beforeAll(async () => {
      broker = await startMosquitto();
      if (engine === 'postgres') pg = await startPostgres();
      // alerts at once: the operator acknowledges one
      setup = await aggregatorConfig({ mqtt: { url: broker.url }, http: { publicReads: false, token: LEGACY }, alerts: { afterSeconds: 0, checkMs: 200 }, ...(pg ? { database: await pg.createDatabase('access') } : {}) });
      for (const [name, role, regions] of USERS) await addUser(setup.file, name, role, regions, PW[name]!);
      agg = await startAggregator(setup);
      const plan = await fetch(`${agg.api}/api/plan`, { method: 'PUT', headers: { Authorization: `Bearer ${LEGACY}`, 'Content-Type': 'text/csv' }, body: 'id,region,category\nP-XH,330106,key_public_area\nP-GS,330105,key_public_area\n' });
      expect(plan.status).toBe(200);
      pub = await MqttWatch.connect(broker.url, [`${t.root}/none`]);
      await county(pub, 'gw-xh', 'cam-xh', 'P-XH', '330106');
      await county(pub, 'gw-gs', 'cam-gs', 'P-GS', '330105');
      await waitFor(async () => ((await get<{ total: number }>('admin', '/api/cameras?state=online')).total === 2));
    }, 90_000);

    afterAll(async () => {
      await agg?.stop();
      await pub?.close();
      await pg?.stop();
      await broker?.stop();
    });

    it('access: the start says the legacy token is deprecated; every role gets from every endpoint what the table says', async () => {
      expect(agg.lines.some((l) => l.includes('http.token is deprecated'))).toBe(true);
      const whos: Who[] = ['anonymous', 'viewer', 'operator', 'admin', 'security', 'auditor'];
      const wrong: string[] = [];
      for (const row of TABLE) {
        for (const [i, who] of whos.entries()) {
          const body = row.body?.();
          const init: RequestInit = { method: row.method, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': typeof body === 'string' ? 'text/csv' : 'application/json' } }) };
          const r = who === 'anonymous' ? await fetch(`${agg.api}${row.path}`, init) : await (await as(ROLE_USER[who])).fetch(row.path, init);
          await r.arrayBuffer();
          if (r.status !== row.expect[i]) wrong.push(`${who} ${row.method} ${row.path} (${row.what}): ${r.status}, expected ${row.expect[i]}`);
        }
      }
      expect(wrong).toEqual([]);
    }, 60_000);

    it('access: an operator of 西湖区 sees 西湖区 only: rates, cameras, gateways, plan, report; the next county does not exist for them (404)', async () => {
      const rates = await get<{ regions: Array<{ region: string }> }>('xihu', '/api/rates');
      expect(rates.regions.map((r) => r.region)).toEqual(['330106']);
      expect((await (await as('xihu')).fetch('/api/rates?region=330105')).status).toBe(404);
      expect((await (await as('xihu')).fetch('/api/rates?region=330100')).status).toBe(404);
      const cams = await get<{ cameras: Array<{ cameraId: string }>; total: number }>('xihu', '/api/cameras');
      expect(cams.cameras.map((c) => c.cameraId)).toEqual(['cam-xh']);
      expect((await (await as('xihu')).fetch('/api/cameras/cam-gs')).status).toBe(404);
      expect((await get<{ agents: Array<{ agentId: string }> }>('xihu', '/api/agents')).agents.map((a) => a.agentId)).toEqual(['gw-xh']);
      expect((await get<{ points: Array<{ id: string }> }>('xihu', '/api/plan')).points.map((p) => p.id)).toEqual(['P-XH']);
      const report = await get<{ region: string }>('xihu', `/api/report?month=${MONTH}`);
      expect(report.region).toBe('330106');
      expect((await (await as('xihu')).fetch(`/api/report?month=${MONTH}&region=330105`)).status).toBe(404);
      // a window on the next county's camera: as if there were no such camera
      const w = await (await as('xihu')).fetch('/api/maintenance', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ scope: 'camera', target: 'cam-gs', from: iso(Date.now()), to: iso(Date.now() + 60_000), reason: 'x' }) });
      expect(w.status).toBe(404);
      // the admin of every region sees both
      expect((await get<{ total: number }>('admin', '/api/cameras')).total).toBe(2);
    });

    it('access: the live feed of an operator carries its county only', async () => {
      const s = await as('xihu');
      const ctl = new AbortController();
      const res = await s.fetch('/api/live', { signal: ctl.signal });
      expect(res.status).toBe(200);
      let text = '';
      const reader = res.body!.getReader();
      const reading = (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          text += Buffer.from(value).toString('utf8');
        }
      })().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      const now = Date.now();
      const change = async (gw: string, cam: string, point: string) => {
        await pub.client.publishAsync(t.events(gw), JSON.stringify({ type: 'state', session: `${gw}-1`, seq: 2, ts: iso(now), cameraId: cam, from: 'online', to: 'offline', rung: 'tcp', reason: 'unreachable' }), { qos: 1 });
        await pub.client.publishAsync(t.cameraStatus(gw, cam), JSON.stringify({ cameraId: cam, name: `${cam} name`, state: 'offline', since: iso(now), checkedAt: iso(now), rung: 'tcp', reason: 'unreachable', detail: null, consecutiveFailures: 3, source: 'rtsp', address: '127.0.0.1:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: point, category: null, faults: [], rungs: [] }), { qos: 1, retain: true });
      };
      await change('gw-gs', 'cam-gs', 'P-GS');
      await change('gw-xh', 'cam-xh', 'P-XH');
      await waitFor(async () => text.includes('cam-xh'), 10_000);
      ctl.abort();
      await reading;
      expect(text).not.toContain('cam-gs');
    }, 20_000);

    it('access: an operator sees and acknowledges the alerts of the county only; the note stays with the alert, the retained copy and the trail have it', async () => {
      type Alert = { id: string; kind: string; subject: { cameraId?: string }; acknowledged?: { by: string; note: string } | null };
      const offline = async (user: string) => (await get<{ alerts: Alert[] }>(user, '/api/alerts')).alerts.filter((a) => a.kind === 'camera_offline');
      // the live feed test took both cameras offline
      await waitFor(async () => (await offline('admin')).length === 2, 10_000);
      const mine = await offline('xihu');
      expect(mine.map((a) => a.subject.cameraId)).toEqual(['cam-xh']);
      const other = (await offline('admin')).find((a) => a.subject.cameraId === 'cam-gs')!;
      const ack = (user: string, id: string) => as(user).then((s) => s.fetch(`/api/alerts/${id}/ack`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ note: '已派单维修' }) }));
      expect((await ack('xihu', other.id)).status).toBe(404);
      expect((await ack('gs', other.id)).status).toBe(403);
      const r = await ack('xihu', mine[0]!.id);
      expect(r.status).toBe(200);
      expect(((await r.json()) as { alert: Alert }).alert.acknowledged).toMatchObject({ by: 'xihu', note: '已派单维修' });
      expect((await offline('admin')).find((a) => a.id === mine[0]!.id)?.acknowledged).toMatchObject({ by: 'xihu' });
      const retained = await MqttWatch.connect(broker.url, [t.alertActive(mine[0]!.id)]);
      try {
        await retained.waitFor('the retained alert', () => retained.latest<Alert>(t.alertActive(mine[0]!.id))?.acknowledged?.by === 'xihu', 5000);
      } finally {
        await retained.close();
      }
      // a page of them: a province's mass outage is tens of thousands
      const page = await get<{ alerts: Alert[]; total: number }>('admin', '/api/alerts?limit=1');
      expect(page.alerts).toHaveLength(1);
      expect(page.total).toBeGreaterThanOrEqual(2);
      expect((await (await as('admin')).fetch('/api/alerts?limit=0')).status).toBe(400);
      const trail = await get<{ records: Array<{ action: string; actor: string; target: string }> }>('aud', '/api/audit?action=alert.&limit=100');
      expect(trail.records.map((x) => [x.action, x.actor, x.target])).toEqual([['alert.acknowledge', 'xihu', mine[0]!.id]]);
    }, 20_000);

    it('access: five wrong passwords lock the account (and a name that does not exist answers the same); the auditor sees it, and audit verify passes', async () => {
      const tryLogin = (user: string, password: string) => fetch(`${agg.api}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user, password }) });
      const answers: string[] = [];
      for (let i = 0; i < 5; i++) answers.push(await (await tryLogin('gs', 'not-the-password')).text());
      const ghosts: string[] = [];
      for (let i = 0; i < 5; i++) ghosts.push(await (await tryLogin('nobody-here', 'not-the-password')).text());
      expect(new Set([...answers, ...ghosts]).size).toBe(1);
      const locked = await tryLogin('gs', PW['gs']!);
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
      expect(await locked.json()).toMatchObject({ error: { code: 'LOCKED', until: expect.stringMatching(/^\d{4}-/) } });
      const ghostLocked = await tryLogin('nobody-here', 'whatever');
      expect(ghostLocked.status).toBe(429);
      // a flood against the lock: refused every time, one record in the trail for the address's 10 s
      for (let i = 0; i < 10; i++) expect((await tryLogin('gs', 'flood')).status).toBe(429);
      // a locked account's other users log in as before
      sessions.delete('xihu');
      expect((await as('xihu')).csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const trail = await get<{ records: Array<{ action: string; actor: string; detail: Record<string, unknown> }> }>('aud', '/api/audit?action=auth.login&limit=1000');
      const failed = trail.records.filter((r) => r.action === 'auth.login.failed' && r.actor === 'gs');
      expect(failed).toHaveLength(5);
      expect(failed.at(-1)!.detail).toMatchObject({ locked: true });
      expect(trail.records.filter((r) => r.action === 'auth.login.locked').map((r) => r.actor)).toEqual(['gs']);
      expect(JSON.stringify(trail)).not.toContain('not-the-password');
      const v = spawnSync(process.execPath, [CLI, 'audit', 'verify', '--config', setup.file], { encoding: 'utf8' });
      expect(v.status, v.stderr).toBe(0);
    });

    it('access: a change with the session cookie needs its own CSRF token', async () => {
      const admin = await as('admin');
      const other = await as('xihu');
      const body = JSON.stringify({ scope: 'camera', target: 'cam-xh', from: iso(Date.now() + 86_400_000), to: iso(Date.now() + 90_000_000), reason: 'csrf' });
      const post = (csrf: string | undefined) => fetch(`${agg.api}/api/maintenance`, { method: 'POST', headers: { Cookie: admin.cookie, 'Content-Type': 'application/json', ...(csrf === undefined ? {} : { 'X-CSRF-Token': csrf }) }, body });
      expect((await post(undefined)).status).toBe(403);
      expect((await post(other.csrf)).status).toBe(403);
      expect((await post(admin.csrf)).status).toBe(201);
    });

    it('access: the security administrator adds users (policy enforced), changes a password (the sessions end), disables a user (its token is refused), revokes a token', async () => {
      const sec = await as('sec');
      const add = (name: string, password: string) => sec.fetch('/api/users', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name, role: 'viewer', regions: ['330106'], password }) });
      const weak = await add('weakling', 'short');
      expect(weak.status).toBe(400);
      expect(((await weak.json()) as { error: { message: string } }).error.message).toContain('at least 12 characters');
      expect((await add('newbie', 'Fresh-Start-Pa55')).status).toBe(201);
      expect((await add('newbie', 'Fresh-Start-Pa55')).status).toBe(409);
      expect((await login(agg.api, 'newbie', 'Fresh-Start-Pa55').then((s) => s.fetch('/api/rates'))).status).toBe(200);
      // a password change ends the user's sessions
      const before = await login(agg.api, 'newbie', 'Fresh-Start-Pa55');
      expect((await sec.fetch('/api/users/newbie', { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ password: 'Changed-Pa55-word' }) })).status).toBe(200);
      const ended = await before.fetch('/api/rates');
      expect(ended.status).toBe(401);
      expect(await ended.json()).toMatchObject({ error: { code: 'SESSION_EXPIRED' } });
      // a token that acts for the user: refused once the user is disabled
      const made = await sec.fetch('/api/tokens', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'newbie script', user: 'newbie', expires: '1d' }) });
      expect(made.status).toBe(201);
      const { token, id } = (await made.json()) as { token: string; id: string };
      const bearer = { Authorization: `Bearer ${token}` };
      expect((await fetch(`${agg.api}/api/cameras`, { headers: bearer })).status).toBe(200);
      expect((await sec.fetch('/api/users/newbie', { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ disabled: true }) })).status).toBe(200);
      expect((await fetch(`${agg.api}/api/cameras`, { headers: bearer })).status).toBe(401);
      // a machine token from the CLI, revoked by the security administrator
      const prom = await addToken(setup.file, ['--name', 'prometheus', '--role', 'viewer', '--region', 'all']);
      expect((await fetch(`${agg.api}/metrics`, { headers: { Authorization: `Bearer ${prom}` } })).status).toBe(200);
      const promId = /^xlt_([0-9a-f]{12})_/.exec(prom)![1]!;
      expect((await sec.fetch(`/api/tokens/${promId}`, { method: 'DELETE' })).status).toBe(200);
      expect((await fetch(`${agg.api}/metrics`, { headers: { Authorization: `Bearer ${prom}` } })).status).toBe(401);
      const listed = await get<{ tokens: Array<{ id: string; active: boolean }> }>('sec', '/api/tokens');
      expect(listed.tokens.find((k) => k.id === promId)).toMatchObject({ active: false });
      expect(JSON.stringify(listed)).not.toContain(prom.slice(17));
      // and the trail has each of these, none with a password or a token
      const trail = await get<{ records: Array<{ action: string; target: string }> }>('aud', '/api/audit?limit=1000');
      const actions = trail.records.map((r) => `${r.action} ${r.target}`);
      for (const a of ['user.add newbie', 'user.passwd newbie', 'user.disable newbie', `token.create ${id}`, `token.revoke ${promId}`]) expect(actions).toContain(a);
      const text = JSON.stringify(trail);
      for (const secret of ['Fresh-Start-Pa55', 'Changed-Pa55-word', token, prom]) expect(text).not.toContain(secret);
      // the CLI lists the users and says a user is disabled
      const list = await cli(['user', 'list', '--config', setup.file]);
      expect(list.stdout).toMatch(/newbie\s+viewer\s+330106\s+disabled/);
    });

    it('access: malformed credentials and cookies are refused with a reason, nothing leaks, the centre keeps serving', async () => {
      const status = async (headers: Record<string, string>, p = '/api/rates') => {
        const r = await fetch(`${agg.api}${p}`, { headers });
        const body = await r.text();
        expect(body).not.toMatch(/stack|Error:/);
        return r.status;
      };
      expect(await status({ Cookie: `xl_session=${'a'.repeat(43)}` })).toBe(401);
      expect(await status({ Cookie: 'xl_session=../../etc/passwd' })).toBe(401);
      expect(await status({ Cookie: `xl_session=${'b'.repeat(9000)}` })).toBe(401);
      expect(await status({ Authorization: 'Basic YWRtaW46YWRtaW4=' })).toBe(401);
      expect(await status({ Authorization: `Bearer ${'x'.repeat(300)}` })).toBe(401);
      expect(await status({ Authorization: `Bearer xlt_000000000000_${'A'.repeat(43)}` })).toBe(401);
      const big = await fetch(`${agg.api}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'admin', password: 'p'.repeat(20_000) }) });
      expect(big.status).toBe(400);
      const extra = await fetch(`${agg.api}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'admin', password: 'x', role: 'admin' }) });
      expect(extra.status).toBe(400);
      const notJson = await fetch(`${agg.api}/api/login`, { method: 'POST', body: '{"user":' });
      expect(notJson.status).toBe(400);
      expect((await fetch(`${agg.api}/healthz`)).status).toBe(200);
      expect(agg.lines.join('\n')).not.toContain(PW['admin']!);
      expect(agg.lines.join('\n')).not.toContain('xl_session=');
    });
  });
}

describe('access control in the console (sqlite, Chromium)', () => {
  let broker: Broker;
  let setup: AggregatorSetup;
  let agg: AggregatorProcess;
  let pub: MqttWatch;

  beforeAll(async () => {
    broker = await startMosquitto();
    // a session unused for 3 s ends: the console must send its user to the login and keep the page
    setup = await aggregatorConfig({ mqtt: { url: broker.url }, http: { publicReads: false, token: LEGACY }, auth: { sessionIdleMinutes: 0.05 } });
    for (const [name, role, regions] of USERS) await addUser(setup.file, name, role, regions, PW[name]!);
    agg = await startAggregator(setup);
    await fetch(`${agg.api}/api/plan`, { method: 'PUT', headers: { Authorization: `Bearer ${LEGACY}`, 'Content-Type': 'text/csv' }, body: 'id,region,category\nP-XH,330106,key_public_area\nP-GS,330105,key_public_area\n' });
    pub = await MqttWatch.connect(broker.url, [`${t.root}/none`]);
    await county(pub, 'gw-xh', 'cam-xh', 'P-XH', '330106');
    await county(pub, 'gw-gs', 'cam-gs', 'P-GS', '330105');
    await waitFor(async () => ((await (await fetch(`${agg.api}/api/cameras`, { headers: { Authorization: `Bearer ${LEGACY}` } })).json()) as { total: number }).total === 2);
  }, 60_000);

  afterAll(async () => {
    await agg?.stop();
    await pub?.close();
    await broker?.stop();
  });

  it('console: a login page first; a county operator sees that county only; an idle session sends them to the login over the same page; five wrong passwords lock the account', async () => {
    const browser = await launchChromium();
    const shots = artefactDir('access');
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1200, height: 800 });
      await page.goto(`${agg.api}/?page=problems&state=online`, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('[data-testid="login"]');
      await page.screenshot({ path: path.join(shots, 'login.png') });
      await consoleLogin(page, 'xihu', PW['xihu']!);
      expect(await page.$eval('[data-testid="who"]', (e) => e.textContent)).toContain('xihu');
      // the page asked for is the page shown, at the user's own county: its camera only, no 全域 above it
      await page.waitForSelector('a[href*="cam-xh"]');
      expect(await page.$('a[href*="cam-gs"]')).toBeNull();
      const crumbs = await page.$eval('nav.crumbs', (e) => e.textContent ?? '');
      expect(crumbs).not.toContain('全域');
      expect(crumbs).toContain('西湖区');
      await page.screenshot({ path: path.join(shots, 'operator-problems.png') });
      // idle past 3 s: the next request is refused and the login comes over the page
      await new Promise((r) => setTimeout(r, 4000));
      await page.click('[data-page="overview"]');
      await page.waitForSelector('[data-testid="session-ended"]', { timeout: 10_000 });
      await page.screenshot({ path: path.join(shots, 'session-ended.png') });
      await consoleLogin(page, 'xihu', PW['xihu']!);
      await page.waitForSelector('[data-testid="state-counts"]');
      // the overview it had moved to, still at its county
      expect(new URL(page.url()).searchParams.get('page')).toBeNull();
      expect(await page.$eval('h2#overview-h', (e) => e.textContent)).toContain('西湖区');
      // logout, then five wrong passwords: the sixth try, right or wrong, is refused as locked
      await page.click('[data-testid="logout"]');
      for (let i = 0; i < 5; i++) {
        await fillLogin(page, 'gs', 'wrong-password');
        await page.click('[data-testid="login"] button[type="submit"]');
        await page.waitForFunction(`document.querySelector('[data-testid="login-error"]')?.textContent?.length > 0 && !document.querySelector('[data-testid="login"] button[type="submit"]').disabled`);
      }
      await fillLogin(page, 'gs', PW['gs']!);
      await page.click('[data-testid="login"] button[type="submit"]');
      await page.waitForFunction(`(document.querySelector('[data-testid="login-error"]')?.textContent ?? '').includes('锁定')`, { timeout: 10_000 });
      await page.screenshot({ path: path.join(shots, 'locked.png') });
      // the auditor's page shows the lock
      await consoleLogin(page, 'aud', PW['aud']!);
      await page.waitForFunction(`[...document.querySelectorAll('[data-testid="audit-table"] td[data-role="action"]')].some((td) => td.textContent === 'auth.login.locked')`, { timeout: 10_000 });
      await page.screenshot({ path: path.join(shots, 'auditor.png'), fullPage: true });
      // the security administrator's page: no camera data, users and tokens; a user added there can log in
      await page.click('[data-testid="logout"]');
      await consoleLogin(page, 'sec', PW['sec']!);
      await page.waitForSelector('[data-testid="users"] tr[data-user="xihu"]');
      expect(await page.$$eval('nav.tabs a', (as) => as.map((a) => a.getAttribute('data-page')))).toEqual(['accounts']);
      await page.type('[data-testid="add-user"] input[name="name"]', 'duty-night');
      await page.select('[data-testid="add-user"] select[name="role"]', 'viewer');
      await page.type('[data-testid="add-user"] input[name="regions"]', '330106');
      await page.type('[data-testid="add-user"] input[name="password"]', 'Night-Shift-2026!');
      await page.click('[data-testid="add-user"] button[type="submit"]');
      await page.waitForSelector('[data-testid="users"] tr[data-user="duty-night"]');
      await page.select('[data-testid="change-role"] select[name="user"]', 'duty-night');
      await page.select('[data-testid="change-role"] select[name="role"]', 'operator');
      await page.type('[data-testid="change-role"] input[name="regions"]', '330106');
      await page.click('[data-testid="change-role"] button[type="submit"]');
      await page.waitForFunction(`document.querySelector('[data-testid="users"] tr[data-user="duty-night"]')?.textContent?.includes('值班员')`, { timeout: 10_000 });
      await page.screenshot({ path: path.join(shots, 'accounts.png'), fullPage: true });
      const night = await login(agg.api, 'duty-night', 'Night-Shift-2026!');
      expect(((await (await night.fetch('/api/session')).json()) as { role: string }).role).toBe('operator');
    } finally {
      await browser.close();
    }
  }, 90_000);
});
