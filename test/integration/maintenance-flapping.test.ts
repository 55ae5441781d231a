import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.js';
import { camerasResponse, maintenanceResponse, ratesResponse, reportResponse } from '../../protocols/http-api.js';
import { aggregatorConfig, startAggregator, type AggregatorProcess } from '../support/aggregator-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { MqttWatch } from '../support/mqtt-watch.js';
import { waitFor } from '../support/wait.js';

// Maintenance windows and flapping (issue 15 §2) against a real mosquitto and aggregator.
const t = topics();
const MIN = 60_000;
const TOKEN = 'maintenance-token-000001';
const iso = (ms: number) => new Date(ms).toISOString();
const T0 = Date.now() - 10 * MIN;

describe('maintenance windows', () => {
  let broker: Broker;
  let agg: AggregatorProcess;
  let pub: MqttWatch;
  const post = (body: unknown, token = TOKEN) => fetch(`${agg.api}/api/maintenance`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const county = async () => ratesResponse.parse(await agg.get('/api/rates?region=330106')).regions.find((r) => r.region === '330106')!.categories['key_public_area']!;

  beforeAll(async () => {
    broker = await startMosquitto();
    agg = await startAggregator(await aggregatorConfig({ mqtt: { url: broker.url }, http: { token: TOKEN } }));
    pub = await MqttWatch.connect(broker.url, [`${t.root}/none`]);
    await fetch(`${agg.api}/api/plan`, { method: 'PUT', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'text/csv' }, body: 'id,region,category\nP-M,330106,key_public_area\n' });
    const send = (topic: string, payload: unknown, retain = false) => pub.client.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1, retain });
    await send(t.agentState('gw-m'), { state: 'online', session: 'm1', agentVersion: '0.1.0', startedAt: iso(T0), site: null, region: '330106', lastSeq: 0 }, true);
    await send(t.events('gw-m'), { type: 'state', session: 'm1', seq: 1, ts: iso(T0), cameraId: 'cam-m', from: 'unknown', to: 'online', rung: null, reason: null });
    await send(t.cameraStatus('gw-m', 'cam-m'), { cameraId: 'cam-m', name: null, state: 'online', since: iso(T0), checkedAt: iso(Date.now()), rung: null, reason: null, detail: null, consecutiveFailures: 0, source: 'rtsp', address: '127.0.0.1:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: 'P-M', category: null, faults: [], rungs: [] }, true);
    await waitFor(async () => (await county()).counts.installed === 1);
  }, 60_000);

  afterAll(async () => {
    await agg?.stop('SIGKILL');
    await pub?.close();
    await broker?.stop();
  });

  it('maintenance: declaring a window needs the token and a valid window', async () => {
    expect((await post({ scope: 'camera', target: 'cam-m', from: iso(T0), to: iso(T0 + MIN) }, 'wrong-token-000000000')).status).toBe(401);
    const bad = await post({ scope: 'camera', target: 'cam-m', from: iso(T0 + MIN), to: iso(T0) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/to: from must be before to/);
    expect((await post({ scope: 'galaxy', target: 'x', from: iso(T0), to: iso(T0 + MIN) })).status).toBe(400);
  });

  it('maintenance: a finished window is left out of the online rate and the report says how long', async () => {
    const r = await post({ id: 'mw-lens', scope: 'camera', target: 'cam-m', from: iso(T0 + 2 * MIN), to: iso(T0 + 5 * MIN), reason: 'lens cleaning' });
    expect(r.status).toBe(201);
    const rates = ratesResponse.parse(await agg.get(`/api/rates?region=330106&from=${encodeURIComponent(iso(T0))}`));
    const cell = rates.regions.find((x) => x.region === '330106')!.categories['key_public_area']!;
    const span = Date.parse(rates.window.to) - T0;
    expect(cell.online).toMatchObject({ observedMs: span - 3 * MIN, onlineMs: span - 3 * MIN });
    const rep = reportResponse.parse(await agg.get(`/api/report?region=330106&from=${encodeURIComponent(iso(T0))}&to=${encodeURIComponent(iso(T0 + 8 * MIN))}`));
    const row = rep.rows.find((x) => x.region === '330106' && x.category === 'key_public_area')!;
    expect(row).toMatchObject({ maintenanceMs: 3 * MIN, observedMs: 5 * MIN, onlineMs: 5 * MIN, installed: 1 });
    const list = maintenanceResponse.parse(await agg.get('/api/maintenance'));
    expect(list.windows).toEqual([expect.objectContaining({ id: 'mw-lens', reason: 'lens cleaning', active: false })]);
  });

  it('maintenance: a window over a whole gateway, declared on MQTT, counts its cameras apart while it lasts and ends by itself', async () => {
    const now = Date.now();
    await pub.client.publishAsync(`${t.root}/maintenance/mw-gw`, JSON.stringify({ scope: 'agent', target: 'gw-m', from: iso(now - 1000), to: iso(now + 4000), reason: 'switch replaced' }), { qos: 1, retain: true });
    await waitFor(async () => (await county()).counts.maintenance === 1, 10_000);
    const during = await county();
    expect(during.counts).toMatchObject({ installed: 0, maintenance: 1 });
    expect(during.networking).toMatchObject({ numerator: 0, denominator: 0 });
    expect(during.coverage).toMatchObject({ numerator: 1, denominator: 1 }); // the camera is still there
    const cams = camerasResponse.parse(await agg.get('/api/cameras?maintenance=true'));
    expect(cams.cameras.map((c) => [c.cameraId, c.maintenance?.id, c.maintenance?.reason])).toEqual([['cam-m', 'mw-gw', 'switch replaced']]);
    await waitFor(async () => (await county()).counts.installed === 1, 10_000);
    expect((await county()).counts.maintenance).toBe(0);
    expect(camerasResponse.parse(await agg.get('/api/cameras?maintenance=true')).cameras).toEqual([]);
  }, 20_000);

  it('maintenance: a window ended early (DELETE, or an empty retained message) stops counting at once', async () => {
    const now = Date.now();
    expect((await post({ id: 'mw-long', scope: 'point', target: 'P-M', from: iso(now - 1000), to: iso(now + 3600_000) })).status).toBe(201);
    expect((await county()).counts.maintenance).toBe(1);
    expect((await fetch(`${agg.api}/api/maintenance/mw-long`, { method: 'DELETE' })).status).toBe(401);
    expect((await fetch(`${agg.api}/api/maintenance/mw-long`, { method: 'DELETE', headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await county()).counts).toMatchObject({ maintenance: 0, installed: 1 });
    const ended = maintenanceResponse.parse(await agg.get('/api/maintenance')).windows.find((w) => w.id === 'mw-long')!;
    expect(Date.parse(ended.to)).toBeLessThanOrEqual(Date.now());
    await pub.client.publishAsync(`${t.root}/maintenance/mw-mq`, JSON.stringify({ scope: 'camera', target: 'cam-m', from: iso(Date.now() - 1000), to: iso(Date.now() + 3600_000) }), { qos: 1, retain: true });
    await waitFor(async () => (await county()).counts.maintenance === 1, 10_000);
    await pub.client.publishAsync(`${t.root}/maintenance/mw-mq`, '', { qos: 1, retain: true });
    await waitFor(async () => (await county()).counts.maintenance === 0, 10_000);
  }, 30_000);

  it('flapping: more than 5 changes in 10 minutes make one flapping line, in the problem list and in the report', async () => {
    const base = Date.now() - 2 * MIN;
    for (let i = 0; i < 7; i++) {
      const [from, to] = i % 2 === 0 ? ['online', 'offline'] : ['offline', 'online'];
      await pub.client.publishAsync(t.events('gw-m'), JSON.stringify({ type: 'state', session: 'm1', seq: 2 + i, ts: iso(base + i * 10_000), cameraId: 'cam-m', from, to, rung: null, reason: null }), { qos: 1 });
    }
    // flapping from the 6th change on: wait for the 7th too (the broker acknowledged it, the aggregator may not have applied it yet)
    await waitFor(async () => camerasResponse.parse(await agg.get('/api/cameras?flapping=true')).cameras[0]?.flapping?.changes === 7, 10_000);
    const [cam] = camerasResponse.parse(await agg.get('/api/cameras?flapping=true')).cameras;
    // the 6th change exceeds 5: flapping from then, the 7th adds to the same episode
    expect(cam!.flapping).toEqual({ since: iso(base + 5 * 10_000), changes: 7 });
    const rep = reportResponse.parse(await agg.get(`/api/report?region=330106&from=${encodeURIComponent(iso(T0))}&to=${encodeURIComponent(iso(Date.now()))}`));
    expect(rep.flapping).toEqual([{ cameraId: 'cam-m', agentId: 'gw-m', region: '330106', episodes: 1, changes: 7 }]);
  }, 20_000);
});
