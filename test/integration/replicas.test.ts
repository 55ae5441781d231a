import pg from 'pg';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.js';
import { aggregatorConfig, startAggregator, type AggregatorProcess, type AggregatorSetup } from '../support/aggregator-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { startPostgres, type PgServer } from '../../scripts/sim/postgres-server.js';
import { waitFor } from '../support/wait.js';

// Three aggregators on one PostgreSQL share the ingest through a shared subscription; the leader is
// killed with SIGKILL in the middle of a burst and comes back later as a follower.
const t = topics();
const GATEWAYS = 10;
const CAMERAS = 5;
const EVENTS = 60; // per gateway: 12 changes per camera
const T0 = Date.now() - 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const TOKEN = 'replicas-test-token-0001';

/** The n-th event of a gateway: its cameras go offline and online in turn, a second apart. */
function event(g: number, n: number) {
  const cam = n % CAMERAS;
  const k = Math.floor(n / CAMERAS); // this camera's k-th change
  const from = k === 0 ? 'unknown' : k % 2 === 1 ? 'online' : 'offline';
  const to = k % 2 === 0 ? 'online' : 'offline';
  return { type: 'state', session: `s-${g}`, seq: n + 1, ts: iso(T0 + n * 1000), cameraId: `g${g}-c${cam}`, from, to, rung: null, reason: null };
}

describe('replicas: three aggregators share the ingest on one PostgreSQL', () => {
  let broker: Broker;
  let server: PgServer;
  let url: string;
  const setups: AggregatorSetup[] = [];
  const aggs: AggregatorProcess[] = [];

  const sql = async <T extends pg.QueryResultRow>(text: string): Promise<T[]> => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query<T>(text)).rows;
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    broker = await startMosquitto();
    server = await startPostgres();
    url = await server.createDatabase('replicas_test');
    for (let i = 1; i <= 3; i++) setups.push(await aggregatorConfig({ mqtt: { url: broker.url, clientId: `agg-r${i}` }, database: url, replicas: { group: 'centre' }, http: { token: TOKEN } }));
    // one after the other: the first leads
    for (const s of setups) aggs.push(await startAggregator(s));
  }, 60_000);

  afterAll(async () => {
    for (const a of aggs) await a?.stop('SIGKILL');
    await broker?.stop();
    await server?.stop();
  });

  it('replicas: a follower passes the API to the leader, a plan upload included', async () => {
    await waitFor(async () => (await fetch(`${aggs[1]!.api}/api/agents`)).status === 200);
    const plan = Array.from({ length: GATEWAYS }, (_, g) => ({ id: `g${g}-c0`, name: `point ${g}`, region: '330106', category: 'key_public_area' }));
    const r = await fetch(`${aggs[1]!.api}/api/plan`, { method: 'PUT', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(plan) });
    expect(r.status).toBe(200);
    for (const a of aggs) expect((await a.get<{ points: unknown[] }>('/api/plan')).points).toHaveLength(GATEWAYS);
  });

  it('replicas: the leader killed mid-burst, another leads; every event is stored and applied once, in order per camera', async () => {
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    for (let g = 0; g < GATEWAYS; g++) await pub.publishAsync(t.agentState(`gw-${g}`), JSON.stringify({ state: 'online', session: `s-${g}`, agentVersion: '0.1.0', startedAt: iso(T0), site: null, region: '330106' }), { qos: 1, retain: true });
    const sends: Array<Promise<unknown>> = [];
    let killed = false;
    for (let n = 0; n < EVENTS; n++) {
      for (let g = 0; g < GATEWAYS; g++) sends.push(pub.publishAsync(t.events(`gw-${g}`), JSON.stringify(event(g, n)), { qos: 1 }));
      if (sends.length >= 100) await Promise.all(sends.splice(0));
      if (!killed && n === EVENTS / 3) {
        killed = true;
        // the first leader has stored some of it: the next one must carry on from there
        await waitFor(async () => Number((await sql<{ n: string }>('SELECT COUNT(*) AS n FROM events'))[0]!.n) > 0, 10_000);
        expect(await aggs[0]!.stop('SIGKILL')).toBeNull();
      }
    }
    await Promise.all(sends);
    await pub.endAsync();
    // another replica takes the lead and applies what the others received; the killed one comes back and follows,
    // receiving from the broker what it had taken but not committed to the inbox. It comes back once the lead has
    // passed: back sooner (a fast burst), it could win the lock itself, and the test would not show a hand-over
    await waitFor(async () => [aggs[1]!, aggs[2]!].some((a) => a.lines.some((l) => l.includes('this replica leads'))), 30_000);
    aggs[0] = await startAggregator(setups[0]!);
    const total = GATEWAYS * EVENTS;
    await waitFor(async () => Number((await sql<{ n: string }>('SELECT COUNT(*) AS n FROM events'))[0]!.n) === total, 60_000);
    await waitFor(async () => Number((await sql<{ n: string }>('SELECT COUNT(*) AS n FROM marks'))[0]!.n) === total, 30_000);
    // once each: one mark per event, none twice
    const perCamera = await sql<{ camera_id: string; n: string }>('SELECT camera_id, COUNT(*) AS n FROM marks GROUP BY camera_id ORDER BY camera_id');
    expect(perCamera).toHaveLength(GATEWAYS * CAMERAS);
    for (const row of perCamera) expect(Number(row.n), row.camera_id).toBe(EVENTS / CAMERAS);
    expect(await sql('SELECT camera_id, at FROM marks GROUP BY camera_id, at HAVING COUNT(*) > 1')).toEqual([]);
    expect(Number((await sql<{ n: string }>('SELECT COUNT(*) AS n FROM inbox WHERE event_key IS NOT NULL'))[0]!.n)).toBe(total);

    // each camera's history is its events in time order, whichever replica received which
    const lastTo = EVENTS / CAMERAS % 2 === 0 ? 'offline' : 'online';
    const history = await aggs[2]!.get<{ changes: Array<{ state: string; at: string }> }>(`/api/cameras/g3-c1/history?from=${encodeURIComponent(iso(T0 - 1000))}`);
    expect(history.changes.map((c) => c.state)).toEqual(Array.from({ length: EVENTS / CAMERAS }, (_, k) => (k % 2 === 0 ? 'online' : 'offline')));
    expect(history.changes.at(-1)!.state).toBe(lastTo);
    // the lead passed to one of the other two
    expect([aggs[1]!, aggs[2]!].filter((a) => a.lines.some((l) => l.includes('this replica leads')))).toHaveLength(1);
    const gaps = await aggs[1]!.get<{ gaps: unknown[]; duplicates: number }>('/api/gaps');
    expect(gaps.gaps).toEqual([]);
  }, 120_000);

  it('replicas: an event sent again after the inbox dropped its copy is still applied once (the new leader knows what the old one stored)', async () => {
    // an event the first leader applied and stored before it was killed (below the cursor the next one started from)
    const leads = aggs.flatMap((a) => a.lines).map((l) => /"cursor":(\d+).*this replica leads/.exec(l)).filter((m) => m !== null);
    const cursor = Math.max(...leads.map((m) => Number(m![1])));
    expect(cursor).toBeGreaterThan(0);
    const [old] = await sql<{ topic: string; payload: Buffer }>(`SELECT topic, payload FROM inbox WHERE event_key IS NOT NULL AND id <= ${cursor} ORDER BY id LIMIT 1`);
    expect(old).toBeDefined();
    // the leader drops applied inbox rows after a while; an agent replaying its outbox later sends old events again
    await sql('DELETE FROM inbox');
    const marks = async () => Number((await sql<{ n: string }>('SELECT COUNT(*) AS n FROM marks'))[0]!.n);
    const before = await marks();
    const duplicates = async () => (await aggs[1]!.get<{ duplicates: number }>('/api/ingest')).duplicates;
    const seen = await duplicates();
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    await pub.publishAsync(old!.topic, old!.payload, { qos: 1 });
    await pub.endAsync();
    await waitFor(async () => (await duplicates()) === seen + 1, 20_000);
    expect(await marks()).toBe(before);
  });

  it('replicas: every replica serves the same rates, and one leads', async () => {
    // the online time of a 24 h window moves with the clock between two requests: compared without it
    type Region = { region: string; categories: Record<string, { online?: unknown }> };
    const fixed = (regions: Region[]) => JSON.stringify(regions.map((r) => ({ ...r, categories: Object.fromEntries(Object.entries(r.categories).map(([k, c]) => [k, { ...c, online: undefined }])) })));
    const answers = await Promise.all(aggs.map(async (a) => fixed((await a.get<{ regions: Region[] }>('/api/rates?region=330106&window=24h')).regions)));
    expect(new Set(answers).size).toBe(1);
    const rates = JSON.parse(answers[0]!) as Array<{ region: string; categories: { all: { counts: Record<string, number>; coverage: { numerator: number; denominator: number } } } }>;
    const county = rates.find((r) => r.region === '330106')!;
    expect(county.categories.all.counts).toMatchObject({ installed: GATEWAYS * CAMERAS });
    expect(county.categories.all.coverage).toMatchObject({ numerator: GATEWAYS, denominator: GATEWAYS });
    const leaders = (await sql<{ n: string }>("SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 7061712 AND granted"))[0]!.n;
    expect(Number(leaders)).toBe(1);
  });
});
