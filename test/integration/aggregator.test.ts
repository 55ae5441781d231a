import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ratesMessage, topics } from '../../protocols/index.js';
import * as http from '../../protocols/http-api.js';
import { openApiDocument } from '../../protocols/openapi.js';
import { aggregatorConfig, startAggregator, type AggregatorProcess, type AggregatorSetup } from '../support/aggregator-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { startPostgres, type PgServer } from '../../scripts/sim/postgres-server.js';
import { MqttWatch } from '../support/mqtt-watch.js';
import { waitFor } from '../support/wait.js';

const t = topics();
const MIN = 60_000;
const H = 60 * MIN;
// a day of traffic that began 20 h ago
const T0 = Math.floor((Date.now() - 20 * H) / MIN) * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

const status = (cameraId: string, state: 'online' | 'offline', at: number, extra: Record<string, unknown> = {}) => ({
  cameraId, name: null, state, since: iso(at), checkedAt: iso(at), rung: state === 'offline' ? 'rtsp' : null, reason: state === 'offline' ? 'rtsp_error' : null,
  detail: null, consecutiveFailures: state === 'offline' ? 3 : 0, source: 'rtsp', address: '127.0.0.1:554', streamUri: null, stream: null, device: null,
  clockDriftMs: null, pointId: null, category: null, faults: [], rungs: [], ...extra,
});
const event = (session: string, seq: number, cameraId: string, from: string, to: string, at: number) => ({ type: 'state', session, seq, ts: iso(at), cameraId, from, to, rung: null, reason: null });
const birth = (session: string, region: string) => ({ state: 'online', session, agentVersion: '0.1.0', startedAt: iso(T0), site: null, region });

type Msg = [topic: string, payload: unknown, retain?: boolean];
const A3 = '33010600001320000005';
const phaseA: Msg[] = [
  [t.agentState('gw-a'), birth('sa1', '330106'), true],
  [t.agentState('gw-b'), birth('sb1', '330102'), true],
  [t.events('gw-a'), event('sa1', 1, 'a1', 'unknown', 'online', T0 + MIN)],
  [t.events('gw-a'), event('sa1', 2, 'a2', 'unknown', 'online', T0 + MIN)],
  [t.events('gw-a'), event('sa1', 3, A3, 'unknown', 'online', T0 + MIN)],
  [t.events('gw-b'), event('sb1', 1, 'b1', 'unknown', 'online', T0 + MIN)],
  [t.cameraStatus('gw-a', 'a1'), status('a1', 'online', T0 + MIN, { pointId: 'P1' }), true],
  [t.cameraStatus('gw-a', 'a2'), status('a2', 'online', T0 + MIN, { pointId: 'P2' }), true],
  [t.cameraStatus('gw-a', A3), status(A3, 'online', T0 + MIN), true],
  [t.cameraStatus('gw-b', 'b1'), status('b1', 'online', T0 + MIN, { pointId: 'P3' }), true],
  [t.events('gw-a'), event('sa1', 4, 'a2', 'online', 'offline', T0 + 10 * H)],
  [t.cameraStatus('gw-a', 'a2'), status('a2', 'offline', T0 + 10 * H, { pointId: 'P2' }), true],
];
const phaseB: Msg[] = [
  [t.events('gw-a'), event('sa1', 4, 'a2', 'online', 'offline', T0 + 10 * H)], // duplicate
  // seq 5 never arrives: a gap
  [t.events('gw-a'), event('sa1', 6, 'a2', 'offline', 'online', T0 + 12 * H)],
  [t.cameraStatus('gw-a', 'a2'), status('a2', 'online', T0 + 12 * H, { pointId: 'P2' }), true],
  // garbage of every kind
  [t.events('gw-a'), '{"not": json'],
  [t.cameraStatus('gw-a', 'a1'), { cameraId: 'a1', state: 'sideways' }],
  [t.events('gw-b'), 'x'.repeat(1024 * 1024)],
  [t.events('bad agent!'), event('s', 1, 'x', 'unknown', 'online', T0)],
  [t.cameraStatus('gw-a', 'a9'), status('a1', 'online', T0)],
  // gw-b vanishes: its last will; a stale will of an older gw-a session changes nothing
  [t.agentState('gw-b'), { state: 'offline', session: 'sb1' }, true],
  [t.agentState('gw-a'), { state: 'offline', session: 'sa0-old' }],
];

const plan = [
  { id: 'P1', name: 'Square', region: '330106', category: 'key_public_area' },
  { id: 'P2', name: 'Station', region: '330106', category: 'key_public_area' },
  { id: 'P3', name: 'Bank', region: '330102', category: 'key_industry_part' },
  { id: 'P4', name: 'Lane', region: '330106', category: 'other' },
  { id: 'P5', name: 'Broken row', region: '33XX', category: 'other' },
];

interface Cell {
  coverage: { numerator: number; denominator: number };
  networking: { numerator: number; denominator: number };
  intact: { numerator: number; denominator: number };
  online: { onlineMs: number; observedMs: number; unknownMs: number };
  counts: Record<string, number>;
}
type Rates = { regions: Array<{ region: string; categories: Record<string, Cell> }> };

// the same ingest, rates and durability on each engine: SQLite (the default) and a real PostgreSQL server
describe.each(['sqlite', 'postgres'] as const)('aggregator with a real broker, on %s', (engine) => {
  let broker: Broker;
  let pgServer: PgServer | undefined;
  let setup: AggregatorSetup;
  let agg: AggregatorProcess;
  let pub: MqttWatch;
  const window = `from=${encodeURIComponent(iso(T0))}&to=${encodeURIComponent(iso(T0 + 19 * H))}`;

  const send = async (msgs: Msg[]) => {
    for (const [topic, payload, retain] of msgs) {
      await pub.client.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1, retain: retain ?? false });
    }
  };
  const cell = (r: Rates, region: string, cat: string) => r.regions.find((x) => x.region === region)!.categories[cat]!;

  beforeAll(async () => {
    broker = await startMosquitto();
    pgServer = engine === 'postgres' ? await startPostgres() : undefined;
    const database = pgServer ? { database: await pgServer.createDatabase('aggregator_test') } : {};
    setup = await aggregatorConfig({ mqtt: { url: broker.url }, http: { token: 'a-very-long-plan-token-123' }, ...database });
    agg = await startAggregator(setup);
    pub = await MqttWatch.connect(broker.url, [`${t.root}/rates/#`]);
    const res = await fetch(`${agg.api}/api/plan`, { method: 'PUT', headers: { Authorization: 'Bearer a-very-long-plan-token-123', 'Content-Type': 'application/json' }, body: JSON.stringify(plan) });
    const body = (await res.json()) as { loaded: number; errors: Array<{ line: number; reason: string }> };
    expect(body.loaded).toBe(4);
    expect(body.errors).toEqual([{ line: 5, reason: 'region: a GB/T 2260 region code is 6 digits (8 with a grassroots unit)' }]);
  }, 60_000);

  afterAll(async () => {
    await agg?.stop('SIGKILL');
    await pub?.close();
    await broker?.stop();
    await pgServer?.stop();
  });

  it('aggregator: a plan replacement without the token is refused', async () => {
    const r = await fetch(`${agg.api}/api/plan`, { method: 'PUT', body: '[]' });
    expect(r.status).toBe(401);
    expect((await agg.get<{ points: unknown[] }>('/api/plan')).points).toHaveLength(4);
  });

  it('aggregator: killed mid-stream, it gets what was sent meanwhile from its persistent session', async () => {
    await send(phaseA);
    // stored and so acknowledged: the broker will not send phase A again (a kill before that would make its
    // redelivery count as duplicates, which the next test counts)
    await waitFor(async () => {
      const s = await agg.get<{ accepted: Record<string, number>; notYetStored: number }>('/api/ingest');
      return s.accepted['event'] === 5 && s.notYetStored === 0;
    });
    expect(await agg.stop('SIGKILL')).toBeNull();
    await send(phaseB); // the broker queues it for the aggregator's session
    agg = await startAggregator(setup);
    await waitFor(async () => (await agg.get<{ gaps: unknown[] }>('/api/gaps')).gaps.length === 1 && (await agg.get<{ agents: Array<{ agentId: string; online: boolean }> }>('/api/agents')).agents.some((a) => a.agentId === 'gw-b' && !a.online));
  }, 60_000);

  const expectFinalNumbers = async () => {
    const r = await agg.get<Rates>(`/api/rates?${window}`);
    const all = cell(r, 'all', 'all');
    expect(all.counts).toMatchObject({ installed: 4, online: 3, offline: 0, unknown: 1, points: 4, coveredPoints: 3 });
    expect(all.networking).toMatchObject({ numerator: 3, denominator: 4 });
    expect(all.intact).toMatchObject({ numerator: 3, denominator: 4 });
    expect(all.coverage).toMatchObject({ numerator: 3, denominator: 4 });
    expect(cell(r, '330106', 'key_public_area').coverage).toMatchObject({ numerator: 2, denominator: 2 });
    expect(cell(r, '330106', 'key_public_area').networking).toMatchObject({ numerator: 2, denominator: 2 });
    expect(cell(r, '330106', 'other').coverage).toMatchObject({ numerator: 0, denominator: 1 });
    // the unbound GB/T 28181 camera has no point and no category: unassigned, not other
    expect(cell(r, '330106', 'other').networking).toMatchObject({ numerator: 0, denominator: 0 });
    expect(cell(r, '330106', 'unassigned').networking).toMatchObject({ numerator: 1, denominator: 1 });
    expect(cell(r, '330102', 'key_industry_part').coverage).toMatchObject({ numerator: 1, denominator: 1 });
    expect(cell(r, '330102', 'key_industry_part').networking).toMatchObject({ numerator: 0, denominator: 1 });
    // region=all is the whole and its children (the provinces), as any region is itself and its children; no region: every one
    expect(r.regions.map((x) => x.region)).toEqual(expect.arrayContaining(['all', '330000', '330100', '330106', '330102']));
    const whole = await agg.get<Rates>(`/api/rates?region=all&${window}`);
    expect(whole.regions.map((x) => x.region)).toEqual(['all', '330000']);
    expect(cell(whole, 'all', 'all').counts).toEqual(all.counts);
    // online rate over [T0, T0+19h): a1 and the GB camera online from T0+1m; a2 offline 10h..12h
    const o = cell(r, '330106', 'all').online;
    expect(o.observedMs).toBe(3 * (19 * H - MIN));
    expect(o.onlineMs).toBe(3 * (19 * H - MIN) - 2 * H);
    expect(cell(r, '330100', 'all').counts['installed']).toBe(4);
    const gaps = await agg.get<{ gaps: unknown[]; duplicates: number }>('/api/gaps');
    expect(gaps.gaps).toEqual([{ agentId: 'gw-a', session: 'sa1', fromSeq: 5, toSeq: 5 }]);
  };

  it('aggregator: the API shows exactly the expected numbers', async () => {
    await expectFinalNumbers();
    const unknown = await agg.get<{ cameras: Array<{ cameraId: string; state: string }> }>('/api/cameras/unknown');
    expect(unknown.cameras.map((c) => c.cameraId)).toEqual(['b1']);
    const b = await agg.get<{ unclaimedCameras: Array<{ cameraId: string }>; uncoveredPoints: Array<{ id: string }> }>('/api/bindings');
    expect(b.unclaimedCameras.map((c) => c.cameraId)).toEqual([A3]);
    expect(b.uncoveredPoints.map((p) => p.id)).toEqual(['P4']);
    const hist = await agg.get<{ changes: Array<{ state: string }> }>(`/api/cameras/a2/history?${window}`);
    expect(hist.changes.map((c) => c.state)).toEqual(expect.arrayContaining(['offline', 'online']));
  });

  it('aggregator: garbage is rejected and counted, duplicates ignored, the process stays up', async () => {
    const s = await agg.get<{ rejected: Record<string, number>; duplicates: number }>('/api/ingest');
    expect(s.rejected).toEqual({ not_json: 1, schema: 1, too_large: 1, bad_id: 1, id_mismatch: 1 });
    expect(s.duplicates).toBe(1);
    expect(agg.child.exitCode).toBeNull();
  });

  it('aggregator: publishes retained rates per region and for all', async () => {
    const all = await pub.waitFor('rates/all with 3 of 4 networked', () => {
      const m = pub.latest(t.rates('all'));
      const r = m ? ratesMessage.parse(m) : undefined;
      return r && r.categories.all.networking.numerator === 3 && r.categories.all.cameras.unknown === 1 ? r : undefined;
    });
    expect(all.categories.all.networking.denominator).toBe(4);
    const county = ratesMessage.parse(pub.latest(t.rates('330102')));
    expect(county.level).toBe('county');
    expect(county.categories.key_industry_part.coverage).toEqual({ numerator: 1, denominator: 1, rate: 1 });
  });

  it('aggregator: /metrics carries the rates and the ingest counters', async () => {
    const text = await (await fetch(`${agg.api}/metrics`)).text();
    expect(text).toContain('xueliang_networking_ratio{region="all",category="all"} 0.75');
    expect(text).toContain('xueliang_cameras{region="all",category="all",state="unknown"} 1');
    expect(text).toContain('xueliang_messages_rejected_total{reason="not_json"} 1');
    expect(text).toContain('xueliang_event_gaps{agent="gw-a"} 1');
  });

  it('aggregator: every HTTP answer is what its schema in protocols/http-api.ts (and so docs/openapi.json) says', async () => {
    const window = `from=${encodeURIComponent(iso(T0))}`;
    const checks: Array<[string, z.ZodType]> = [
      ['/api/rates', http.ratesResponse],
      [`/api/rates?region=330106&${window}`, http.ratesResponse],
      ['/api/cameras', http.camerasResponse],
      ['/api/cameras/unknown', http.camerasResponse],
      ['/api/cameras/a2', http.cameraResponse],
      [`/api/cameras/a2/history?${window}`, http.historyResponse],
      ['/api/agents', http.agentsResponse],
      ['/api/tiers', http.tiersResponse],
      ['/api/plan', http.planResponse],
      ['/api/bindings', http.bindingsResponse],
      ['/api/gaps', http.gapsResponse],
      ['/api/ingest', http.ingestResponse],
      ['/api/cameras/nope', http.errorResponse],
    ];
    for (const [p, schema] of checks) {
      const r = schema.safeParse(await agg.get(p));
      expect(r.success, `${p}: ${r.success ? '' : JSON.stringify(r.error.issues.slice(0, 3))}`).toBe(true);
    }
    expect(await agg.get('/api/openapi.json')).toEqual(openApiDocument());
  });

  it('aggregator: a clean restart recomputes the same numbers from its store', async () => {
    expect(await agg.stop('SIGTERM')).toBe(0);
    agg = await startAggregator(setup);
    await expectFinalNumbers();
  }, 30_000);
});
