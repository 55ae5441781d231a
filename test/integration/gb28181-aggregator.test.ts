import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { aggregatorConfig, startAggregator, type AggregatorProcess } from '../support/aggregator-process.js';
import { UpperPlatform } from '../support/gb-upper-platform.js';
import { gbCamera, PASSWORD, PLATFORM_ID, SERVER_ID } from '../support/gb-harness.js';
import { until } from '../support/wait.js';
import { artefactDir, launchChromium } from '../support/browser.js';

const t = topics();
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The aggregator as an operator runs it (`xueliang aggregator` with a
 * gb28181 block), its cameras arriving over a real broker, registering over
 * TCP with an upper platform simulator: the wiring from config to SIP.
 */
describe('gb28181: the aggregator as a lower platform', () => {
  let broker: Broker;
  let platform: UpperPlatform;
  let agg: AggregatorProcess;
  let client: mqtt.MqttClient;

  beforeAll(async () => {
    broker = await startMosquitto();
    platform = new UpperPlatform({ password: PASSWORD, keepaliveTimeoutMs: 5000 });
    await platform.start();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-gb-'));
    const passwordFile = path.join(dir, 'sip-password');
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    const setup = await aggregatorConfig({
      mqtt: { url: broker.url },
      gb28181: {
        sip: { host: '127.0.0.1', port: 0 },
        upstream: [{ name: '市级平台', serverId: SERVER_ID, domain: '3402000000', host: '127.0.0.1', port: platform.sipPort, transport: 'tcp', localId: PLATFORM_ID, passwordFile, keepaliveSeconds: 1, catalogChunk: 8 }],
      },
    });
    client = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    const now = Date.now();
    await client.publishAsync(t.agentState('gw-e2e'), JSON.stringify({ state: 'online', session: 's-e2e', agentVersion: '1.0.0', startedAt: iso(now - 60_000), site: null, region: '330106' }), { retain: true, qos: 1 });
    for (let i = 1; i <= 30; i++) {
      const status = { cameraId: gbCamera(i), gbId: null, name: `西湖 ${i} 号`, state: 'online', since: iso(now - 30_000), checkedAt: iso(now), rung: null, reason: null, detail: null, consecutiveFailures: 0, source: 'rtsp', address: '127.0.0.1:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: null, category: 'key_public_area', faults: [], rungs: [], recording: null };
      await client.publishAsync(t.cameraStatus('gw-e2e', gbCamera(i)), JSON.stringify(status), { retain: true, qos: 1 });
    }
    agg = await startAggregator(setup);
  }, 60_000);

  afterAll(async () => {
    await client?.endAsync();
    await agg?.stop();
    await platform?.stop();
    await broker?.stop();
  });

  it('gb28181: registers from its config, answers the catalog, notifies a change, reports itself in /api/gb28181 and /metrics, unregisters at stop', async () => {
    await until('registered', () => platform.online(PLATFORM_ID), 15_000);
    await until('cameras at the centre', async () => (await agg.get<{ reportedCameras: number }>('/api/gb28181')).reportedCameras === 30, 15_000);
    const items = await platform.queryCatalog(PLATFORM_ID);
    const cams = items.filter((i) => i.deviceId.length === 20);
    expect(cams).toHaveLength(30);
    expect(cams.find((c) => c.deviceId === gbCamera(7))!.fields['Name']).toBe('西湖 7 号');
    await platform.subscribeCatalog(PLATFORM_ID, 600);
    const now = Date.now();
    await client.publishAsync(t.cameraStatus('gw-e2e', gbCamera(3)), JSON.stringify({ cameraId: gbCamera(3), gbId: null, name: '西湖 3 号', state: 'offline', since: iso(now), checkedAt: iso(now), rung: 'tcp', reason: 'unreachable', detail: null, consecutiveFailures: 3, source: 'rtsp', address: '127.0.0.1:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: null, category: 'key_public_area', faults: [], rungs: [], recording: null }), { retain: true, qos: 1 });
    await until('OFF notified', () => platform.notifies.some((n) => n.items.some((i) => i.deviceId === gbCamera(3) && i.event === 'OFF')), 5000);

    const api = await agg.get<{ upstreams: Array<Record<string, unknown>>; unreportedCameras: number }>('/api/gb28181');
    expect(api.upstreams[0]).toMatchObject({ name: '市级平台', state: 'registered', transport: 'tcp', subscriptions: 1, catalogsAnswered: 1 });
    expect(api.unreportedCameras).toBe(0);
    const metrics = await (await fetch(`${agg.api}/metrics`)).text();
    expect(metrics).toContain(`xueliang_gb28181_registered{upstream="${SERVER_ID}",state="registered"} 1`);
    expect(metrics).toContain('xueliang_gb28181_cameras{reported="true"} 30');

    // the operator sees the platform on the gateways page, registered
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${agg.api}/?page=gateways`, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector(`[data-upstream="${SERVER_ID}"]`, { timeout: 15_000 });
      const row = await page.$eval(`[data-upstream="${SERVER_ID}"]`, (el) => (el as HTMLElement).innerText);
      expect(row).toContain('市级平台');
      expect(row).toContain('已注册');
      await page.screenshot({ path: path.join(artefactDir('gb28181'), 'gateways-upper-platforms.png'), fullPage: true });
    } finally {
      await browser.close();
    }

    expect(await agg.stop()).toBe(0);
    // a clean stop ends the registration (Expires: 0): the platform shows us offline at once, not after 3 keepalives
    expect(platform.registers.at(-1)).toMatchObject({ deviceId: PLATFORM_ID, expires: '0', outcome: 200 });
    expect(platform.online(PLATFORM_ID)).toBe(false);
    expect(agg.lines.join('\n')).not.toContain(PASSWORD);
  }, 60_000);
});
