import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.js';
import { startOfLocalDay } from '../../protocols/local-time.js';
import { aggregatorConfig, startAggregator, type AggregatorProcess } from '../support/aggregator-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { MqttWatch } from '../support/mqtt-watch.js';
import { waitFor } from '../support/wait.js';

// What a hand audit of the rates and an outage run found (issue 10, items 8–13),
// against a real mosquitto and a real aggregator process.
const t = topics();
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const T0 = Date.now() - 30 * MIN;
const TOKEN = 'field-truth-plan-token-0001';
const GB_POINT = '33010600001320000101';
const GB_CAM = '33010600001320000102';

const status = (cameraId: string, state: 'online' | 'offline', at: number, extra: Record<string, unknown> = {}) => ({
  cameraId, name: null, state, since: iso(at), checkedAt: iso(at), rung: state === 'offline' ? 'tcp' : null, reason: state === 'offline' ? 'unreachable' : null,
  detail: state === 'offline' ? 'connection refused' : null, consecutiveFailures: state === 'offline' ? 3 : 0, source: 'rtsp', address: '127.0.0.1:554', streamUri: null, stream: null, device: null,
  clockDriftMs: null, pointId: null, category: null, faults: [], rungs: [], ...extra,
});
const event = (session: string, seq: number, cameraId: string, from: string, to: string, at: number) => ({ type: 'state', session, seq, ts: iso(at), cameraId, from, to, rung: null, reason: null });
const birth = (session: string, lastSeq: number, startedAt = T0) => ({ state: 'online', session, agentVersion: '0.1.0', startedAt: iso(startedAt), site: null, region: '330106', lastSeq });

interface CameraView { cameraId: string; state: string; since: string; rung: string | null; reason: string | null; detail: string | null; pointId: string | null; category: string | null }
interface Cell { networking: { numerator: number; denominator: number }; coverage: { numerator: number; denominator: number }; counts: Record<string, number> }
type Rates = { window: { from: string }; regions: Array<{ region: string; categories: Record<string, Cell> }> };

describe('aggregator field truth', () => {
  let broker: Broker;
  let agg: AggregatorProcess;
  let pub: MqttWatch;
  const send = async (topic: string, payload: unknown, retain = false) => pub.client.publishAsync(topic, JSON.stringify(payload), { qos: 1, retain });
  const camera = (id: string) => agg.get<CameraView & { uptime: Record<string, { unknownMs: number; onlineMs: number; observedMs: number }> }>(`/api/cameras/${id}`);

  beforeAll(async () => {
    broker = await startMosquitto();
    // the server's own zone is New York: the users' day is still Shanghai's
    agg = await startAggregator(await aggregatorConfig({ mqtt: { url: broker.url }, http: { token: TOKEN } }), { env: { TZ: 'America/New_York' } });
    pub = await MqttWatch.connect(broker.url, [`${t.root}/rates/#`]);
    const csv = ['id,name,region,gbId,category', `XH-101,North gate,,${GB_POINT},key_public_area`, `XH-102,Market,330106,${GB_CAM},key_industry_part`, 'XH-103,Lane,330106,,other'].join('\n');
    const res = await fetch(`${agg.api}/api/plan`, { method: 'PUT', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'text/csv' }, body: csv });
    expect(await res.json()).toEqual({ loaded: 3, errors: [], errorCount: 0 });
    // gw-same: comes back with its session after a blip; gw-new: restarts; gw-gap: comes back with a hole in its seq
    for (const [agent, session] of [['gw-same', 's1'], ['gw-new', 'n1'], ['gw-gap', 'g1']] as const) await send(t.agentState(agent), birth(session, 0), true);
    // a camera whose id is a point's GB/T 28181 code, and one whose configured gbId is
    await send(t.events('gw-same'), event('s1', 1, GB_POINT, 'unknown', 'online', T0));
    await send(t.cameraStatus('gw-same', GB_POINT), status(GB_POINT, 'online', T0), true);
    await send(t.events('gw-same'), event('s1', 2, 'cam-market', 'unknown', 'online', T0));
    await send(t.cameraStatus('gw-same', 'cam-market'), status('cam-market', 'online', T0, { gbId: GB_CAM }), true);
    // a camera no point claims and no config categorises
    await send(t.events('gw-new'), event('n1', 1, 'cam-stray', 'unknown', 'online', T0));
    await send(t.cameraStatus('gw-new', 'cam-stray'), status('cam-stray', 'offline', T0 + MIN), true);
    await send(t.events('gw-gap'), event('g1', 1, 'cam-gap', 'unknown', 'online', T0));
    await send(t.cameraStatus('gw-gap', 'cam-gap'), status('cam-gap', 'online', T0), true);
    await waitFor(async () => (await agg.get<{ accepted: Record<string, number> }>('/api/ingest')).accepted['status'] === 4);
  }, 60_000);

  afterAll(async () => {
    await agg?.stop('SIGKILL');
    await pub?.close();
    await broker?.stop();
  });

  it('field truth 8: a camera whose id or gbId is a point\'s gbId binds to it, and /api/plan keeps the gbId', async () => {
    const plan = await agg.get<{ points: Array<{ id: string; gbId?: string; installed: number }> }>('/api/plan');
    expect(plan.points.find((p) => p.id === 'XH-101')).toMatchObject({ gbId: GB_POINT, installed: 1 });
    expect(plan.points.find((p) => p.id === 'XH-102')).toMatchObject({ gbId: GB_CAM, installed: 1 });
    expect(plan.points.find((p) => p.id === 'XH-103')).toMatchObject({ installed: 0 });
    expect((await camera(GB_POINT)).pointId).toBe('XH-101');
    expect((await camera('cam-market')).pointId).toBe('XH-102');
    const r = await agg.get<Rates>('/api/rates?region=330106');
    const county = r.regions.find((x) => x.region === '330106')!;
    expect(county.categories['key_public_area']!.coverage).toMatchObject({ numerator: 1, denominator: 1 });
    expect(county.categories['key_industry_part']!.coverage).toMatchObject({ numerator: 1, denominator: 1 });
    // a gbId that is not a GB/T 28181 code is refused with its line
    const bad = await fetch(`${agg.api}/api/plan`, { method: 'PUT', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'text/csv' }, body: 'id,region,gbId,category\nX,330106,1234,other\n' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: Array<{ line: number; reason: string }> }).errors[0]).toMatchObject({ line: 2, reason: expect.stringMatching(/^gbId: /) });
  });

  it('field truth 10: a camera of no point and no category is unassigned, apart from other and within the whole', async () => {
    const r = await agg.get<Rates>('/api/rates');
    const all = r.regions.find((x) => x.region === 'all')!.categories;
    expect(all['unassigned']!.counts).toMatchObject({ installed: 2, points: 0 }); // cam-stray and cam-gap; the bound ones are in their points' categories
    expect(all['other']!.counts).toMatchObject({ installed: 0, points: 1 });
    expect(all['all']!.counts['installed']).toBe(all['key_public_area']!.counts['installed']! + all['key_industry_part']!.counts['installed']! + all['other']!.counts['installed']! + all['unassigned']!.counts['installed']!);
    // the retained rates topic carries the same column
    const rates = await pub.waitFor('rates/all with both unassigned cameras', () => {
      const u = (pub.latest(t.rates('all')) as { categories?: { unassigned?: { cameras: { installed: number } } } } | undefined)?.categories?.unassigned;
      return u?.cameras.installed === 2 ? u : undefined;
    });
    expect(rates.cameras.installed).toBe(2);
  });

  it('field truth 12: window=today starts at midnight Asia/Shanghai, not at the server\'s midnight', async () => {
    const r = await agg.get<Rates>('/api/rates?window=today');
    const from = Date.parse(r.window.from);
    expect(from).toBe(startOfLocalDay(Date.now(), 'Asia/Shanghai'));
    expect(new Date(from).getUTCHours()).toBe(16); // 00:00 at +08:00
  });

  it('field truth 13: /metrics has the online rate per region and category with the seconds behind it', async () => {
    const text = await (await fetch(`${agg.api}/metrics`)).text();
    expect(text).toMatch(/^xueliang_online_ratio\{region="330106",category="key_public_area",window="24h"\} 1$/m);
    expect(text).toMatch(/^xueliang_online_seconds\{region="all",category="all",window="24h",kind="observed"\} \d+/m);
  });

  it('field truth 9 and 11: a gateway back with its session and every seq proves the span; a new session or a gap leaves it unknown, with reason gateway_offline meanwhile', async () => {
    // the broker link drops: every gateway's will
    for (const [agent, session] of [['gw-same', 's1'], ['gw-new', 'n1'], ['gw-gap', 'g1']] as const) await send(t.agentState(agent), { state: 'offline', session }, true);
    await waitFor(async () => (await agg.get<{ cameras: unknown[] }>('/api/cameras/unknown')).cameras.length === 4);
    const gone = await camera('cam-stray');
    expect(gone).toMatchObject({ state: 'unknown', rung: null, reason: 'gateway_offline' });
    expect(gone.detail).toMatch(/gw-new offline since .*last reported offline/);
    await new Promise((r) => setTimeout(r, 1500));
    // gw-same returns with its session: nothing happened meanwhile (lastSeq 2, both received)
    await send(t.agentState('gw-same'), birth('s1', 2), true);
    // gw-gap returns with its session but names seq 3, which never arrives
    await send(t.agentState('gw-gap'), birth('g1', 3), true);
    // gw-new restarted: a new session, its camera not re-checked yet
    await send(t.agentState('gw-new'), birth('n2', 0, Date.now()), true);
    await waitFor(async () => (await agg.get<{ agents: Array<{ online: boolean }> }>('/api/agents')).agents.every((a) => a.online));

    for (const id of [GB_POINT, 'cam-market']) {
      const c = await camera(id);
      // the live view and the history agree: online all along, no unknown time
      expect(c).toMatchObject({ state: 'online', since: iso(T0), reason: null });
      expect(c.uptime['24h']!.unknownMs).toBe(0);
    }
    const gap = await camera('cam-gap');
    expect(gap.state).toBe('online'); // the gateway is back and says so
    expect(gap.uptime['24h']!.unknownMs).toBeGreaterThanOrEqual(1500);
    const restarted = await camera('cam-stray');
    expect(restarted).toMatchObject({ state: 'unknown', rung: null, reason: null });
    expect(restarted.detail).toMatch(/restarted and has not checked this camera yet/);
    expect(restarted.uptime['24h']!.unknownMs).toBeGreaterThanOrEqual(1500);
    const unknown = await agg.get<{ cameras: CameraView[] }>('/api/cameras/unknown');
    expect(unknown.cameras.map((c) => c.cameraId)).toEqual(['cam-stray']);
    const r = await agg.get<Rates>('/api/rates');
    expect(r.regions.find((x) => x.region === 'all')!.categories['all']!.counts).toMatchObject({ installed: 4, online: 3, unknown: 1 });
  }, 30_000);
});
