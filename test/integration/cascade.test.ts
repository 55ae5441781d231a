import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.js';
import { aggregatorConfig, startAggregator, type AggregatorProcess, type AggregatorSetup } from '../support/aggregator-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { MqttWatch } from '../support/mqtt-watch.js';
import { waitFor } from '../support/wait.js';

// Two county aggregators report to a city aggregator; a fourth aggregator is fed every event of both
// counties. The city, which receives no camera event, must show the numbers of the one fed everything.
// One mosquitto, each tier on its own topic root.
const H = 3600_000;
const T0 = Math.floor((Date.now() - 20 * H) / 60_000) * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const TOKEN = 'cascade-test-token-0001';
const REGIONS = ['all', '330000', '330100', '330106', '330102'];
const CATS = ['key_public_area', 'key_industry_part', 'other', 'unassigned', 'all'];

const status = (cameraId: string, state: string, extra: Record<string, unknown> = {}) => ({
  cameraId, name: null, state, since: iso(T0), checkedAt: iso(Date.now()), rung: state === 'offline' ? 'rtsp' : null, reason: state === 'offline' ? 'rtsp_error' : null, detail: null,
  consecutiveFailures: state === 'offline' ? 3 : 0, source: 'rtsp', address: '127.0.0.1:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: null, category: null,
  faults: state === 'degraded' ? [{ fault: 'frozen', value: 0, threshold: 0.05 }] : [], rungs: [], ...extra,
});
const ev = (seq: number, cameraId: string, from: string, to: string, at: number) => ({ type: 'state', session: 's1', seq, ts: iso(at), cameraId, from, to, rung: null, reason: null });
const birth = (region: string) => ({ state: 'online', session: 's1', agentVersion: '0.1.0', startedAt: iso(T0), site: null, region });

const county = {
  a: {
    tier: '330106',
    agent: 'gw-a',
    plan: [
      { id: 'PA1', name: 'Square', region: '330106', category: 'key_public_area' },
      { id: 'PA2', name: 'Station', region: '330106', category: 'key_public_area' },
      { id: 'PA3', name: 'Lane', region: '330106', category: 'other' },
    ],
    cameras: [
      { id: 'a1', state: 'online', extra: { pointId: 'PA1' }, history: [['unknown', 'online', T0]] },
      { id: 'a2', state: 'offline', extra: { pointId: 'PA2' }, history: [['unknown', 'online', T0], ['online', 'offline', T0 + 15 * H]] },
      { id: '33010600001320000009', state: 'online', extra: {}, history: [['unknown', 'online', T0 + H]] },
    ],
  },
  b: {
    tier: '330102',
    agent: 'gw-b',
    plan: [
      { id: 'PB1', name: 'Bank', region: '330102', category: 'key_industry_part' },
      { id: 'PB2', name: 'Market', region: '330102', category: 'key_public_area' },
    ],
    cameras: [
      { id: 'b1', state: 'degraded', extra: { pointId: 'PB1' }, history: [['unknown', 'online', T0], ['online', 'degraded', T0 + 10 * H]] },
      { id: 'b2', state: 'online', extra: { pointId: null }, history: [['unknown', 'online', T0 + 2 * H], ['online', 'offline', T0 + 5 * H], ['offline', 'online', T0 + 6 * H]] },
    ],
  },
} as const;

type Cell = { counts: Record<string, number>; online: { observedMs: number; onlineMs: number; cameras: number; rate: number | null } };
type Rates = { regions: Array<{ region: string; categories: Record<string, Cell> }> };

describe('cascade: county aggregators report to a city aggregator', () => {
  let broker: Broker;
  let pub: MqttWatch;
  const setups: Record<string, AggregatorSetup> = {};
  const aggs: Record<string, AggregatorProcess> = {};

  const putPlan = async (agg: AggregatorProcess, plan: unknown[]) => {
    const r = await fetch(`${agg.api}/api/plan`, { method: 'PUT', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(plan) });
    expect(r.status).toBe(200);
  };
  const feed = async (root: string, c: (typeof county)['a'] | (typeof county)['b']) => {
    const t = topics(root);
    await pub.client.publishAsync(t.agentState(c.agent), JSON.stringify(birth(c.tier)), { qos: 1, retain: true });
    let seq = 0;
    for (const cam of c.cameras) for (const [from, to, at] of cam.history) await pub.client.publishAsync(t.events(c.agent), JSON.stringify(ev(++seq, cam.id, from, to, at)), { qos: 1 });
    for (const cam of c.cameras) await pub.client.publishAsync(t.cameraStatus(c.agent, cam.id), JSON.stringify(status(cam.id, cam.state, cam.extra)), { qos: 1, retain: true });
  };
  const cells = async (agg: AggregatorProcess) => {
    const r = await agg.get<Rates>('/api/rates?window=24h');
    return new Map(r.regions.map((x) => [x.region, x.categories]));
  };

  beforeAll(async () => {
    broker = await startMosquitto();
    pub = await MqttWatch.connect(broker.url, ['none/none']);
    const base = (root: string, clientId: string) => ({ mqtt: { url: broker.url, topicRoot: root, clientId }, http: { token: TOKEN } });
    setups['city'] = await aggregatorConfig(base('city/v1', 'agg-city'));
    setups['a'] = await aggregatorConfig({ ...base('county-a/v1', 'agg-a'), cascade: { tier: county.a.tier, intervalMs: 1000, upstream: { url: broker.url, topicRoot: 'city/v1' } } });
    setups['b'] = await aggregatorConfig({ ...base('county-b/v1', 'agg-b'), cascade: { tier: county.b.tier, intervalMs: 1000, upstream: { url: broker.url, topicRoot: 'city/v1' } } });
    setups['ref'] = await aggregatorConfig(base('everything/v1', 'agg-ref'));
    for (const k of ['city', 'a', 'b', 'ref']) aggs[k] = await startAggregator(setups[k]!);
    await putPlan(aggs['a']!, [...county.a.plan]);
    await putPlan(aggs['b']!, [...county.b.plan]);
    await putPlan(aggs['ref']!, [...county.a.plan, ...county.b.plan]);
    await feed('county-a/v1', county.a);
    await feed('county-b/v1', county.b);
    await feed('everything/v1', county.a);
    await feed('everything/v1', county.b);
  }, 90_000);

  afterAll(async () => {
    for (const a of Object.values(aggs)) await a.stop('SIGKILL');
    await pub?.close();
    await broker?.stop();
  });

  it('cascade: the city shows the same counts as one aggregator fed every event, for every region and category', async () => {
    const ref = async () => cells(aggs['ref']!);
    try {
      await waitFor(async () => (await ref()).get('all')?.['all']?.counts['installed'] === 5 && (await cells(aggs['city']!)).get('all')?.['all']?.counts['installed'] === 5, 30_000);
    } catch {
      // what each side had, to tell a slow county from a refused rollup the next time this fails
      const tiers = await aggs['city']!.get('/api/tiers').catch((e: Error) => e.message);
      const installed = async (k: string) => (await cells(aggs[k]!)).get('all')?.['all']?.counts['installed'];
      throw new Error(`not 5 installed cameras within 30 s: ref ${await installed('ref')}, city ${await installed('city')}, a ${await installed('a')}, b ${await installed('b')}; city tiers ${JSON.stringify(tiers)}; city ingest ${JSON.stringify(await aggs['city']!.get('/api/ingest'))}; city log ${aggs['city']!.lines.slice(-5).join(' | ')}`);
    }
    // the rollups come every second: wait for one made after everything arrived
    await waitFor(async () => JSON.stringify((await cells(aggs['city']!)).get('all')?.['all']?.counts) === JSON.stringify((await ref()).get('all')?.['all']?.counts), 15_000);
    const city = await cells(aggs['city']!);
    const want = await ref();
    for (const region of REGIONS) {
      for (const k of CATS) {
        expect(city.get(region)?.[k]?.counts, `${region} ${k}`).toEqual(want.get(region)?.[k]?.counts);
        const a = city.get(region)![k]!.online;
        const b = want.get(region)![k]!.online;
        expect(a.cameras, `${region} ${k} online cameras`).toBe(b.cameras);
        // the tiers measured their online time up to a second earlier than the reference: the same rate within that second
        if (b.rate === null) expect(a.rate).toBeNull();
        else expect(Math.abs(a.rate! - b.rate), `${region} ${k} online rate`).toBeLessThan(1e-3);
      }
    }
    // the counts behind the figures the operator sees
    expect(want.get('330100')!['all']!.counts).toMatchObject({ points: 5, coveredPoints: 3, installed: 5, networked: 4, intact: 3, offline: 1 });
    const tiers = await aggs['city']!.get<{ tiers: Array<{ tier: string; stale: boolean; cameras: number }> }>('/api/tiers');
    expect(tiers.tiers.map((x) => [x.tier, x.stale, x.cameras])).toEqual([
      ['330102', false, 2],
      ['330106', false, 3],
    ]);
  }, 60_000);

  it('cascade: a county that stops counts its cameras unknown at the city, not offline, until it reports again', async () => {
    expect(await aggs['b']!.stop('SIGTERM')).toBe(0);
    await waitFor(async () => (await cells(aggs['city']!)).get('330102')?.['all']?.counts['unknown'] === 2, 15_000);
    const city = await cells(aggs['city']!);
    expect(city.get('330102')!['all']!.counts).toMatchObject({ installed: 2, unknown: 2, networked: 0, intact: 0, offline: 0, points: 2, coveredPoints: 1 });
    // county A's cameras are as they were
    expect(city.get('330106')!['all']!.counts).toMatchObject({ installed: 3, networked: 2, offline: 1, unknown: 0 });
    expect((await aggs['city']!.get<{ tiers: Array<{ tier: string; stale: boolean }> }>('/api/tiers')).tiers.find((x) => x.tier === '330102')!.stale).toBe(true);
    aggs['b'] = await startAggregator(setups['b']!);
    await waitFor(async () => (await cells(aggs['city']!)).get('330102')?.['all']?.counts['networked'] === 2, 15_000);
    expect((await aggs['city']!.get<{ tiers: Array<{ tier: string; stale: boolean }> }>('/api/tiers')).tiers.every((x) => !x.stale)).toBe(true);
  }, 60_000);

  it('cascade: garbage on the cascade topics is refused and changes nothing', async () => {
    const before = JSON.stringify((await cells(aggs['city']!)).get('all')!['all']!.counts);
    const t = topics('city/v1');
    await pub.client.publishAsync(t.cascadeRollup('330106'), '{"not json', { qos: 1 });
    await pub.client.publishAsync(t.cascadeRollup('330199'), JSON.stringify({ tier: 'other-name', ts: iso(Date.now()), intervalMs: 1000, regions: {} }), { qos: 1 });
    await pub.client.publishAsync(t.cascadeRollup('330199'), JSON.stringify({ tier: '330199', ts: iso(Date.now()), intervalMs: 1000, regions: { 'DROP TABLE': {} } }), { qos: 1 });
    await waitFor(async () => aggs['city']!.lines.filter((l) => l.includes('cascade message rejected')).length >= 3);
    expect(JSON.stringify((await cells(aggs['city']!)).get('all')!['all']!.counts)).toBe(before);
    expect(aggs['city']!.child.exitCode).toBeNull();
  });
});
