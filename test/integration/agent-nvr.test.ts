import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentEvent, cameraStatusMessage, responseMessage, topics, type CameraStatusMessage } from '../../protocols/index.js';
import { startOnvifSimulator, type OnvifSimulator } from '../../cli/demo/onvif-sim.js';
import { startRtspServer, type RtspServer } from '../../cli/demo/rtsp-server.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { MqttWatch } from '../support/mqtt-watch.js';
import { valueOf } from '../support/wait.js';
import { aggregatorConfig, startAggregator, type AggregatorProcess } from '../support/aggregator-process.js';
import { artefactDir, launchChromium } from '../support/browser.js';
import { spawnSync } from 'node:child_process';
import mqtt from 'mqtt';
import ExcelJS from 'exceljs';
import { jpegSize } from '../../protocols/index.js';
import type { z } from 'zod';
import type { agentsResponse, camerasResponse, FramesResponse as FramesList, RatesResponse } from '../../protocols/http-api.js';

type Agents = z.infer<typeof agentsResponse>;
type CamerasPage = z.infer<typeof camerasResponse>;

// A 16-channel NVR (issue 25 §1) over real SOAP, its channels' streams from
// the GStreamer RTSP server: 12 healthy, one frozen (a still chart), one
// black, one showing the NVR's blue "no video" screen, one whose camera is
// gone (DESCRIBE 404).
const t = topics();
const AGENT = 'gw-nvr-1';
const PW = 'nvr-Pa55-adm1n';
const CHANNELS = 16;
/** exports need a login: the admin's token */
const ADMIN_TOKEN = 'an-nvr-test-admin-token-0123';
const asAdmin = { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } };
const patternOf = (n: number) => (n === 12 ? 'colors' : n === 14 ? 'black' : n === 15 ? 'blue' : 'scene');

describe('agent: an NVR is one camera per channel', () => {
  let broker: Broker;
  let rtsp: RtspServer;
  let sim: OnvifSimulator;
  let agent: AgentProcess;
  let watch: MqttWatch;
  let centre: AggregatorProcess;
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'xl-nvr-state-'));
  const statuses = () => watch.messages.filter((m) => m.topic.startsWith(`${t.root}/agents/${AGENT}/cameras/`) && m.topic.endsWith('/status') && m.payload !== '').map((m) => cameraStatusMessage.parse(JSON.parse(m.payload)));
  /** the latest retained status of each camera the broker still holds (a cleared topic is gone) */
  const current = () => {
    const last = new Map<string, CameraStatusMessage | null>();
    for (const m of watch.messages) if (m.topic.startsWith(`${t.root}/agents/${AGENT}/cameras/`) && m.topic.endsWith('/status')) last.set(m.topic.split('/').at(-2)!, m.payload === '' ? null : cameraStatusMessage.parse(JSON.parse(m.payload)));
    return [...last.values()].filter((s): s is CameraStatusMessage => s !== null);
  };
  const events = () => watch.on(t.events(AGENT)).map((m) => agentEvent.parse(JSON.parse(m.payload)));
  const config = () => ({
    agentId: AGENT,
    region: '330106',
    stateDir,
    mqtt: { url: broker.url },
    credentials: [{ name: 'site', username: 'admin', password: PW }],
    cameras: [
      {
        id: 'nvr-east',
        name: '东门NVR',
        onvif: sim.devices[0]!.xaddr,
        category: 'key_industry_part',
        // one channel named by the config: the others take default ids once the NVR is read
        channels: [{ source: 'VideoSource_2', gbId: '33010600001320000002', name: '东门入口', pointId: 'P-2', category: 'key_public_area' }],
      },
    ],
    discovery: { enabled: false },
    checks: {
      livenessSchedule: '*/2 * * * * *',
      decodeSchedule: '*/30 * * * * *',
      offlineAfter: 2,
      livenessDeadlineMs: 3000,
      decodeDeadlineMs: 10_000,
      picture: { schedule: '*/20 * * * * *', seconds: 2, group: 8, deadlineMs: 15_000, baselineChecks: 1 },
    },
    summaryIntervalSec: 2,
  });

  beforeAll(async () => {
    broker = await startMosquitto();
    const mounts: Record<string, string> = {};
    for (let n = 1; n < CHANNELS; n++) mounts[`/ch${n}`] = patternOf(n);
    rtsp = await startRtspServer({ mounts, auth: { username: 'admin', password: PW } });
    sim = await startOnvifSimulator({
      devices: [{ streams: [], channels: Array.from({ length: CHANNELS }, (_, i) => ({ streams: [rtsp.url(`/ch${i + 1}`)] })), username: 'admin', password: PW, manufacturer: 'NVR-Sim', model: 'NVR-16', serial: 'NV0016' }],
    });
    watch = await MqttWatch.connect(broker.url, [`${t.root}/#`]);
    centre = await startAggregator(await aggregatorConfig({ mqtt: { url: broker.url }, http: { token: ADMIN_TOKEN } }));
    agent = startAgent(config());
  }, 60_000);

  afterAll(async () => {
    await agent?.stop('SIGKILL');
    await centre?.stop();
    await watch?.close();
    await sim?.close();
    await rtsp?.close();
    await broker?.stop();
  });

  it('agent nvr: sixteen channels, each its own camera with deviceId and channel; the named one has its id, point and name; a missing camera is that channel offline, never the NVR', async () => {
    const all = await watch.waitFor(
      'sixteen channels judged',
      () => {
        const now = current();
        const judged = now.filter((s) => s.deviceId === 'nvr-east' && (s.state === 'offline' || (s.state === 'online' && s.stream?.frames) || s.state === 'degraded'));
        return judged.length === CHANNELS ? now : undefined;
      },
      60_000,
    );
    // the device itself is no camera
    expect(all.map((s) => s.cameraId)).not.toContain('nvr-east');
    expect(all.map((s) => s.channel).sort((a, b) => a! - b!)).toEqual(Array.from({ length: CHANNELS }, (_, i) => i + 1));
    const ch = (n: number) => all.find((s) => s.channel === n)!;
    expect(ch(2)).toMatchObject({ cameraId: '33010600001320000002', gbId: '33010600001320000002', name: '东门入口', pointId: 'P-2', category: 'key_public_area' });
    expect(ch(1)).toMatchObject({ cameraId: 'nvr-east-ch1', name: '东门NVR 通道1', pointId: null, category: 'key_industry_part', device: { manufacturer: 'NVR-Sim', model: 'NVR-16', serial: 'NV0016' } });
    for (let n = 1; n <= CHANNELS; n++) expect(ch(n).streamUri, `channel ${n}`).toMatch(new RegExp(`/ch${n}$`));
    // the channel whose camera is gone: its own stream failed, the NVR answered
    expect(ch(16)).toMatchObject({ state: 'offline', rung: 'rtsp', reason: 'rtsp_error' });
    expect(ch(16).detail).toContain('404');
    expect(ch(16).rungs.filter((r) => r.rung === 'tcp' || r.rung === 'onvif').every((r) => r.ok)).toBe(true);
    for (let n = 1; n <= 15; n++) expect(ch(n).state, `channel ${n}`).not.toBe('offline');
    // events say which channel of which device
    const down = events().find((e) => e.type === 'state' && e.cameraId === 'nvr-east-ch16' && e.to === 'offline');
    expect(down).toMatchObject({ deviceId: 'nvr-east', channel: 16 });
  }, 90_000);

  it('agent nvr: the frozen channel, the black one and the blue "no video" one are degraded with their faults, the healthy ones are not', async () => {
    const judged = await watch.waitFor(
      'picture faults of channels 14 and 15',
      () => {
        const now = current();
        const f = (n: number) => now.find((s) => s.channel === n)?.faults.map((x) => x.fault) ?? [];
        return f(12).includes('frozen') && f(14).includes('black_screen') && f(15).includes('blue_screen') ? now : undefined;
      },
      60_000,
    );
    expect(judged.find((s) => s.channel === 12)).toMatchObject({ state: 'degraded' });
    expect(judged.find((s) => s.channel === 14)).toMatchObject({ state: 'degraded' });
    expect(judged.find((s) => s.channel === 15)).toMatchObject({ state: 'degraded' });
    const faulty = judged.filter((s) => s.faults.length > 0).map((s) => s.channel);
    expect(faulty.sort((a, b) => a! - b!)).toEqual([12, 14, 15]);
  }, 90_000);

  it('agent nvr: the centre counts sixteen cameras, groups them under their NVR (cameras, gateways), keeps the evidence frames (a frame beyond the limits refused) and shows channels and evidence on the camera page', async () => {
    // hand-counted: 16 channels installed; 15 networked (channel 16 is offline); 12 intact (12, 14 and 15 are degraded)
    const counts = await valueOf('the centre', async () => {
      const r = await centre.get<RatesResponse>('/api/rates?region=330106');
      const c = r.regions.find((x) => x.region === '330106')?.categories.all?.counts;
      return c && c.installed === 16 && c.intact === 12 ? c : undefined;
    });
    expect(counts).toMatchObject({ installed: 16, networked: 15, intact: 12, online: 12, degraded: 3, offline: 1, offlineCamera: 1, offlineDevice: 0, offlineNetwork: 0 });
    const page = await centre.get<CamerasPage>('/api/cameras?device=nvr-east');
    expect(page.total).toBe(16);
    expect(page.cameras.find((c) => c.channel === 2)).toMatchObject({ cameraId: '33010600001320000002', deviceId: 'nvr-east', channel: 2, category: 'key_public_area' });
    const agents = await centre.get<Agents>('/api/agents');
    expect(agents.agents.find((a) => a.agentId === AGENT)?.devices).toEqual([{ deviceId: 'nvr-east', channels: 16, offline: 1, unknown: 0 }]);

    // evidence (issue 25 §3): the black channel's fault frame, a healthy channel's reference, as small JPEGs
    const framesOf = (id: string) => centre.get<FramesList>(`/api/cameras/${id}/frames`);
    const black = await valueOf('the centre', async () => (await framesOf('nvr-east-ch14')).frames.find((f) => f.kind === 'fault'));
    expect(black.faults.map((f) => f.fault)).toContain('black_screen');
    const healthy = await valueOf('the centre', async () => (await framesOf('nvr-east-ch1')).frames.find((f) => f.kind === 'reference'));
    for (const f of [black, healthy]) {
      const bytes = Buffer.from(await (await fetch(`${centre.api}${f.url}`)).arrayBuffer());
      expect(jpegSize(bytes)).toEqual({ width: 320, height: 180 });
      expect(bytes.length).toBeLessThanOrEqual(30 * 1024);
      expect(bytes.length).toBe(f.bytes);
    }
    // a frame no gateway of ours would send (too large) is refused with its reason and counted; the camera's status stands
    const big = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360', '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'mjpeg', '-'], { maxBuffer: 4 << 20 });
    const client = await mqtt.connectAsync(broker.url);
    await client.publishAsync(t.cameraFrame(AGENT, 'nvr-east-ch1'), JSON.stringify({ cameraId: 'nvr-east-ch1', at: new Date().toISOString(), kind: 'fault', faults: [], cleared: [], width: 640, height: 360, jpeg: big.stdout.toString('base64') }), { qos: 1 });
    await client.endAsync();
    await valueOf('the centre', async () => ((await centre.get<{ rejected: Record<string, number> }>('/api/ingest')).rejected['frame_too_large'] === 1 ? true : undefined));
    expect((await framesOf('nvr-east-ch1')).frames.every((f) => f.width === 320)).toBe(true);
    expect((await centre.get<{ status: { state: string } }>('/api/cameras/nvr-east-ch1')).status.state).toBe('online');
    expect(centre.lines.join('\n')).toContain('640×360, larger than 320×180');

    // the day's workbook with the degraded cameras' faulted frames as thumbnails (behind ?frames=1)
    for (const ch of ['nvr-east-ch12', 'nvr-east-ch15']) await valueOf('the centre', async () => ((await framesOf(ch)).frames.some((f) => f.kind === 'fault') ? true : undefined));
    const range = `from=${new Date(Date.now() - 3600_000).toISOString()}&to=${new Date(Date.now() + 1000).toISOString()}`;
    const xlsx = await fetch(`${centre.api}/api/report?region=330106&${range}&format=xlsx&frames=1&lang=zh`, asAdmin);
    expect(xlsx.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as unknown as ExcelJS.Buffer);
    const sheet = wb.getWorksheet('画面异常')!;
    const listed = sheet.getColumn(1).values.filter((v): v is string => typeof v === 'string' && v.startsWith('nvr-east'));
    expect(listed.sort()).toEqual(['nvr-east-ch12', 'nvr-east-ch14', 'nvr-east-ch15']);
    expect(sheet.getImages()).toHaveLength(3);
    // without the flag: no such sheet
    const plain = new ExcelJS.Workbook();
    await plain.xlsx.load(Buffer.from(await (await fetch(`${centre.api}/api/report?region=330106&${range}&format=xlsx`, asAdmin)).arrayBuffer()) as unknown as ExcelJS.Buffer);
    expect(plain.getWorksheet('画面异常')).toBeUndefined();

    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      await tab.goto(`${centre.api}/?page=camera&id=nvr-east-ch14`, { waitUntil: 'domcontentloaded' });
      await tab.waitForFunction(`(() => { const i = document.querySelector('[data-testid="frame-latest"] img'); return i && i.complete && i.naturalWidth === 320; })()`, { timeout: 15_000 });
      expect(await tab.$eval('[data-testid="frame-latest"]', (e) => e.getAttribute('data-kind'))).toBe('fault');
      // the fault the frame shows, with its value and threshold (in the fault table: the frame's are the camera's now)
      expect(await tab.$$eval('[data-testid="faults"] td[data-fault]', (tds) => tds.map((td) => td.getAttribute('data-fault')))).toContain('black_screen');
      await tab.screenshot({ path: path.join(artefactDir('nvr'), 'camera-evidence.png'), fullPage: true });
      await tab.goto(`${centre.api}/?page=camera&id=nvr-east-ch16`, { waitUntil: 'domcontentloaded' });
      await tab.waitForFunction(`document.querySelectorAll('[data-testid="device-channels"] tbody tr').length === 16`, { timeout: 15_000 });
      expect(await tab.$eval('[data-testid="camera-device"]', (e) => e.textContent)).toBe('nvr-east · 通道 16');
      expect(await tab.$$eval('[data-testid="device-channels"] tr.current', (rows) => rows.map((r) => r.getAttribute('data-channel')))).toEqual(['16']);
      await tab.screenshot({ path: path.join(artefactDir('nvr'), 'camera-channels.png'), fullPage: true });
      await tab.goto(`${centre.api}/?page=gateways`, { waitUntil: 'domcontentloaded' });
      await tab.waitForSelector('[data-testid="gateway-devices"] [data-device="nvr-east"]', { timeout: 15_000 });
      expect(await tab.$eval('[data-testid="gateway-devices"] [data-device="nvr-east"]', (e) => e.textContent)).toMatch(/nvr-east 16 路\s*1 路离线/);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it("agent nvr: the NVR's own rungs run once a round for all sixteen channels, not once per channel; a dead channel does not make it read every round", async () => {
    const count = (op: string) => sim.devices[0]!.calls.get(op) ?? 0;
    const rounds = () => watch.on(t.round(AGENT)).length;
    const at = () => ({ time: count('GetSystemDateAndTime'), auth: count('GetDeviceInformation'), profiles: count('GetProfiles'), rounds: rounds() });
    const before = at();
    await watch.waitFor('five more liveness rounds', () => rounds() - before.rounds >= 5, 30_000);
    const after = at();
    const n = after.rounds - before.rounds;
    // one time request and one authenticated call per round (a round in progress at either end may add one)
    expect(after.time - before.time).toBeGreaterThanOrEqual(n - 1);
    expect(after.time - before.time).toBeLessThanOrEqual(n + 1);
    expect(after.auth - before.auth).toBeLessThanOrEqual(n + 1);
    // channel 16 fails every round; the NVR was read again for it once, not every round (checks.channelRereadMinutes)
    expect(after.profiles - before.profiles).toBe(0);
  }, 60_000);

  it("agent nvr: a check request for the NVR's id checks its channels and answers for each", async () => {
    await watch.client.publishAsync(t.request(AGENT, 'check'), JSON.stringify({ transaction: 'tx-nvr', cameraId: 'nvr-east' }), { qos: 1 });
    const res = await watch.waitFor('response', () => watch.on(t.response(AGENT, 'check')).map((m) => responseMessage.parse(JSON.parse(m.payload))).find((r) => r.transaction === 'tx-nvr'));
    expect(res.ok).toBe(true);
    const answered = res.result as Array<{ cameraId: string; state: string }>;
    expect(answered).toHaveLength(CHANNELS);
    expect(answered.find((x) => x.cameraId === 'nvr-east-ch16')).toMatchObject({ state: 'offline' });
    await watch.client.publishAsync(t.request(AGENT, 'check'), JSON.stringify({ transaction: 'tx-none', cameraId: 'nvr-west' }), { qos: 1 });
    const none = await watch.waitFor('response', () => watch.on(t.response(AGENT, 'check')).map((m) => responseMessage.parse(JSON.parse(m.payload))).find((r) => r.transaction === 'tx-none'));
    expect(none).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CAMERA' } });
  }, 30_000);

  it('agent nvr: a channel whose profile and stream are gone is removed like any camera when the NVR is read again (here: at a restart)', async () => {
    const before = sim.devices[0]!.channels!;
    sim.devices[0]!.setChannels(before.map((c, i) => (i === 12 ? { streams: [] } : c)));
    await rtsp.remove('/ch13');
    expect(await agent.stop()).toBe(0);
    agent = startAgent(config());
    await watch.waitFor('channel 13 removed', () => events().some((e) => e.type === 'camera_removed' && e.cameraId === 'nvr-east-ch13'), 30_000);
    await watch.waitFor('its retained status cleared', () => !current().some((s) => s.cameraId === 'nvr-east-ch13'), 10_000);
    expect(current().filter((s) => s.deviceId === 'nvr-east')).toHaveLength(CHANNELS - 1);
  }, 60_000);

  it('agent nvr: the NVR going down takes its channels offline together, also after a restart of the agent while it is down', async () => {
    await sim.close();
    const off = await watch.waitFor(
      'every channel offline at the tcp rung',
      () => {
        const now = current().filter((s) => s.deviceId === 'nvr-east');
        return now.length === CHANNELS - 1 && now.every((s) => s.state === 'offline' && s.rung === 'tcp') ? now : undefined;
      },
      30_000,
    );
    expect(off.every((s) => s.reason === 'unreachable' && s.cause === 'device')).toBe(true);
    // the agent restarts while the NVR is down: its channels are known from the state directory, not one camera
    expect(await agent.stop()).toBe(0);
    const mark = watch.messages.length;
    agent = startAgent(config());
    await watch.waitFor('the restarted agent reports the channels offline', () => {
      const fresh = watch.messages.slice(mark).filter((m) => m.topic.startsWith(`${t.root}/agents/${AGENT}/cameras/`) && m.topic.endsWith('/status') && m.payload !== '').map((m) => cameraStatusMessage.parse(JSON.parse(m.payload)));
      const offline = new Set(fresh.filter((s) => s.state === 'offline' && s.deviceId === 'nvr-east').map((s) => s.cameraId));
      return offline.size === CHANNELS - 1 ? true : undefined;
    }, 30_000);
    expect(statuses().slice(-40).some((s) => s.cameraId === 'nvr-east')).toBe(false);
  }, 90_000);
});
