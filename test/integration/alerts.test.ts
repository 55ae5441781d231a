import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertNotice, topics, type AlertNotice } from '../../protocols/index.js';
import { signature } from '../../aggregator/adapters/webhook.js';
import { aggregatorConfig, startAggregator, type AggregatorProcess, type AggregatorSetup } from '../support/aggregator-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { MqttWatch } from '../support/mqtt-watch.js';
import { waitFor } from '../support/wait.js';

// Alerts (issue 15 §3): a webhook receiver on loopback gets each alert once,
// in order, signed, although it was down and the aggregator restarted meanwhile.
const t = topics();
const SECRET = 'webhook-secret-0123456789';
const iso = (ms: number) => new Date(ms).toISOString();

describe('alerts', () => {
  let broker: Broker;
  let setup: AggregatorSetup;
  let agg: AggregatorProcess;
  let pub: MqttWatch;
  let receiver: http.Server;
  let up = false;
  const received: Array<{ notice: AlertNotice; signed: boolean }> = [];
  let seq = 0;
  const send = (topic: string, payload: unknown, retain = false) => pub.client.publishAsync(topic, JSON.stringify(payload), { qos: 1, retain });
  const status = (state: 'online' | 'offline', category: string | null = null) => ({
    cameraId: 'cam-1', name: null, state, since: iso(Date.now()), checkedAt: iso(Date.now()), rung: state === 'offline' ? 'tcp' : null, reason: state === 'offline' ? 'unreachable' : null, detail: null,
    consecutiveFailures: state === 'offline' ? 3 : 0, source: 'rtsp', address: '127.0.0.1:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: null, category, faults: [], rungs: [],
  });
  const change = async (from: string, to: 'online' | 'offline') => {
    seq += 1;
    await send(t.events('gw-al'), { type: 'state', session: 'al1', seq, ts: iso(Date.now()), cameraId: 'cam-1', from, to, rung: null, reason: null });
    await send(t.cameraStatus('gw-al', 'cam-1'), status(to, 'key_public_area'), true);
  };

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (!up) {
          res.writeHead(503).end();
          return;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        received.push({ notice: alertNotice.parse(JSON.parse(body)), signed: req.headers['x-xueliang-signature'] === signature(SECRET, body) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    broker = await startMosquitto();
    setup = await aggregatorConfig({ mqtt: { url: broker.url }, alerts: { afterSeconds: 1, checkMs: 200, webhook: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, secret: SECRET, timeoutMs: 2000 } } });
    agg = await startAggregator(setup);
    pub = await MqttWatch.connect(broker.url, [`${t.root}/alerts/#`]);
    await send(t.agentState('gw-al'), { state: 'online', session: 'al1', agentVersion: '0.1.0', startedAt: iso(Date.now() - 60_000), site: null, region: '330106', lastSeq: 0 }, true);
    await change('unknown', 'online');
    await waitFor(async () => (await agg.get<{ cameras: Array<{ state: string }> }>('/api/cameras')).cameras[0]?.state === 'online');
  }, 60_000);

  afterAll(async () => {
    await agg?.stop('SIGKILL');
    await pub?.close();
    await broker?.stop();
    receiver?.close();
  });

  it('alerts: a blip shorter than afterSeconds raises nothing', async () => {
    await change('online', 'offline');
    await new Promise((r) => setTimeout(r, 300));
    await change('offline', 'online');
    await new Promise((r) => setTimeout(r, 1500));
    expect(pub.on(`${t.root}/alerts/events`).map((m) => alertNotice.parse(JSON.parse(m.payload))).filter((n) => n.alert.kind === 'camera_offline')).toEqual([]);
  });

  it('alerts: raised and cleared reach the webhook once each, in order and signed, through a receiver outage and a restart', async () => {
    await change('online', 'offline');
    // raised on MQTT at once, queued for the webhook, which is down
    const raised = await pub.waitFor('raised on MQTT', () => pub.on(`${t.root}/alerts/events`).map((m) => alertNotice.parse(JSON.parse(m.payload))).find((n) => n.type === 'raised' && n.alert.kind === 'camera_offline'), 10_000);
    expect(raised.alert).toMatchObject({ subject: { cameraId: 'cam-1', agentId: 'gw-al' }, clearedAt: null });
    // published right after the notice, as a message of its own: it may arrive a moment later
    expect(await pub.waitFor('the active alert retained', () => pub.latest(`${t.root}/alerts/active/${raised.alert.id}`), 10_000)).toMatchObject({ id: raised.alert.id });
    const active = () => agg.get<{ alerts: Array<{ kind: string; subject: Record<string, string> }> }>('/api/alerts');
    expect((await active()).alerts.map((a) => a.kind)).toContain('camera_offline');
    // the region's intact rate fell below its 98% target too (its own second of grace runs from when it was first seen)
    await waitFor(async () => (await active()).alerts.some((a) => a.kind === 'rate_below_target' && a.subject['region'] === '330106' && a.subject['category'] === 'key_public_area'), 10_000);
    // the aggregator restarts while the receiver is still down
    expect(await agg.stop('SIGTERM')).toBe(0);
    agg = await startAggregator(setup);
    up = true;
    await waitFor(async () => received.some((r) => r.notice.alert.id === raised.alert.id), 20_000);
    await change('offline', 'online');
    await waitFor(async () => received.some((r) => r.notice.type === 'cleared' && r.notice.alert.id === raised.alert.id), 20_000);
    await new Promise((r) => setTimeout(r, 1000)); // anything repeated would show now
    const mine = received.filter((r) => r.notice.alert.id === raised.alert.id);
    expect(mine.map((r) => r.notice.type)).toEqual(['raised', 'cleared']);
    expect(received.every((r) => r.signed)).toBe(true);
    const seqs = received.map((r) => r.notice.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(mine[1]!.notice.alert.clearedAt).not.toBeNull();
    // the retained active alert is gone
    await pub.waitFor('active alert cleared', () => pub.on(`${t.root}/alerts/active/${raised.alert.id}`).at(-1)?.payload === '', 10_000);
  }, 60_000);
});
