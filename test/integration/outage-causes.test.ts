import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { cameraStatusMessage, topics, type AlertMessage, type CameraStatusMessage } from '../../protocols/index.js';
import type { camerasResponse, RatesResponse } from '../../protocols/http-api.js';
import { startOnvifSimulator, type OnvifSimulator } from '../../cli/demo/onvif-sim.js';
import { startRtspServer, type RtspServer } from '../../cli/demo/rtsp-server.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { MqttWatch } from '../support/mqtt-watch.js';
import { aggregatorConfig, startAggregator, type AggregatorProcess } from '../support/aggregator-process.js';
import { NetnsLab } from '../support/netns.js';
import { valueOf } from '../support/wait.js';
import { artefactDir, launchChromium } from '../support/browser.js';
import path from 'node:path';

// Causes (issue 25 §2) with real parts: a 4-channel NVR and a camera on
// loopback, three cameras on a site network in a namespace of the test's
// own (reached over a veth link the test cuts), mosquitto, the aggregator.
type CamerasPage = z.infer<typeof camerasResponse>;
const t = topics();
const AGENT = 'gw-causes-1';
const SITE = '10.231.77';

describe('outage causes: camera, device, network, gateway', () => {
  const lab = new NetnsLab();
  let site = '';
  let broker: Broker;
  let local: RtspServer;
  let remote: RtspServer;
  let nvr: OnvifSimulator;
  let agent: AgentProcess;
  let centre: AggregatorProcess;
  let watch: MqttWatch;
  const latest = (id: string): CameraStatusMessage | undefined => {
    const m = watch.messages.filter((x) => x.topic === t.cameraStatus(AGENT, id) && x.payload !== '').at(-1);
    return m ? cameraStatusMessage.parse(JSON.parse(m.payload)) : undefined;
  };
  const counts = async () => (await centre.get<RatesResponse>('/api/rates?region=330106')).regions.find((r) => r.region === '330106')?.categories.all?.counts;
  const alerts = async () => (await centre.get<{ alerts: AlertMessage[] }>('/api/alerts')).alerts;
  const SITE_CAMS = ['site-a', 'site-b', 'site-c'];
  let startedAt = 0;
  let bothDownAt = 0;
  type ReportRow = { region: string; category: string; installed: number; networked: number; offlineCamera: number; offlineDevice: number; offlineNetwork: number; unknown: number };
  const reportRow = async (from: number, to: number) =>
    (await centre.get<{ rows: ReportRow[] }>(`/api/report?region=330106&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`)).rows.find((r) => r.region === '330106' && r.category === 'all');
  const CHANNELS = ['nvr-b-ch1', 'nvr-b-ch2', 'nvr-b-ch3', 'nvr-b-ch4'];

  beforeAll(async () => {
    startedAt = Date.now();
    site = lab.ns('site');
    lab.linkToHere(site, 'eth0', [`${SITE}.2`, `${SITE}.3`, `${SITE}.4`], `${SITE}.1`);
    remote = await startRtspServer({ mounts: { '/a': 'scene', '/b': 'scene', '/c': 'scene' }, host: '0.0.0.0', prefix: ['ip', 'netns', 'exec', site] });
    local = await startRtspServer({ mounts: { '/solo': 'scene', '/ch1': 'scene', '/ch2': 'scene', '/ch3': 'scene', '/ch4': 'scene' } });
    nvr = await startOnvifSimulator({ devices: [{ streams: [], channels: [1, 2, 3, 4].map((n) => ({ streams: [local.url(`/ch${n}`)] })), model: 'NVR-4', serial: 'NV0004' }] });
    broker = await startMosquitto();
    watch = await MqttWatch.connect(broker.url, [`${t.root}/#`]);
    centre = await startAggregator(await aggregatorConfig({ mqtt: { url: broker.url }, alerts: { afterSeconds: 1, checkMs: 200 } }));
    const remoteUrl = (host: string, mount: string) => `rtsp://${SITE}.${host}:${remote.port}${mount}`;
    agent = startAgent({
      agentId: AGENT,
      region: '330106',
      mqtt: { url: broker.url },
      cameras: [
        { id: 'nvr-b', onvif: nvr.devices[0]!.xaddr },
        { id: 'solo', rtsp: local.url('/solo') },
        { id: 'site-a', rtsp: remoteUrl('2', '/a') },
        { id: 'site-b', rtsp: remoteUrl('3', '/b') },
        { id: 'site-c', rtsp: remoteUrl('4', '/c') },
      ],
      discovery: { enabled: false },
      checks: { livenessSchedule: '* * * * * *', offlineAfter: 2, livenessDeadlineMs: 1500, decode: false, picture: { enabled: false } },
      summaryIntervalSec: 2,
    });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop('SIGKILL');
    await centre?.stop();
    await watch?.close();
    await nvr?.close();
    await local?.close();
    await remote?.close();
    await broker?.stop();
    await lab.cleanup();
  });

  it('outage causes: all eight cameras networked at first', async () => {
    const c = await valueOf('8 networked', async () => {
      const x = await counts();
      return x && x.installed === 8 && x.networked === 8 ? x : undefined;
    });
    expect(c).toMatchObject({ offline: 0, unknown: 0, offlineCamera: 0, offlineDevice: 0, offlineNetwork: 0 });
  }, 60_000);

  it('outage causes: the site network cut takes its three cameras offline with cause network and one alert for the network', async () => {
    lab.setLink(site, 'eth0', false);
    for (const id of SITE_CAMS) await valueOf(`${id} offline`, () => (latest(id)?.state === 'offline' ? true : undefined));
    for (const id of SITE_CAMS) expect(latest(id), id).toMatchObject({ state: 'offline', rung: 'tcp', cause: 'network', network: `${SITE}.0/24` });
    // the others are unaffected
    expect(latest('solo')).toMatchObject({ state: 'online', cause: null });
    const c = await valueOf('3 offline by network at the centre', async () => ((await counts())?.offlineNetwork === 3 ? counts() : undefined));
    expect(c).toMatchObject({ installed: 8, networked: 5, offline: 3, offlineNetwork: 3, offlineCamera: 0, offlineDevice: 0 });
    const down = await valueOf('a network_down alert', async () => (await alerts()).find((a) => a.kind === 'network_down'));
    expect(down).toMatchObject({ subject: { agentId: AGENT, network: `${SITE}.0/24` }, cameras: 3 });
    expect(down.cause).toContain('took 3 camera(s) offline');
    expect((await alerts()).filter((a) => a.kind === 'camera_offline')).toEqual([]);
    const page = await centre.get<CamerasPage>('/api/cameras?cause=network');
    expect(page.cameras.map((x) => x.cameraId).sort()).toEqual(SITE_CAMS);
  }, 60_000);

  it('outage causes: the NVR going down takes its four channels offline with cause device and one alert for it; the causes add up to what is not networked', async () => {
    await nvr.close();
    for (const id of CHANNELS) await valueOf(`${id} offline`, () => (latest(id)?.state === 'offline' ? true : undefined));
    for (const id of CHANNELS) expect(latest(id), id).toMatchObject({ rung: 'tcp', cause: 'device', deviceId: 'nvr-b' });
    const c = await valueOf('4 offline by device at the centre', async () => ((await counts())?.offlineDevice === 4 ? counts() : undefined));
    // hand-counted: 8 installed; solo networked; 4 channels down with their NVR, 3 cameras with their network
    expect(c).toMatchObject({ installed: 8, networked: 1, offline: 7, unknown: 0, offlineCamera: 0, offlineDevice: 4, offlineNetwork: 3 });
    expect(c!.offlineCamera + c!.offlineDevice + c!.offlineNetwork + c!.unknown).toBe(c!.installed - c!.networked);
    const dev = await valueOf('a device_down alert', async () => (await alerts()).find((a) => a.kind === 'device_down'));
    expect(dev).toMatchObject({ subject: { agentId: AGENT, deviceId: 'nvr-b' }, cameras: 4 });
    bothDownAt = Date.now();
    // the console: the overview's not-networked line by cause, and the problem list of one cause
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${centre.api}/?region=330106`, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('[data-testid="all-causes"] a[data-cause="device"]', { timeout: 15_000 });
      const line = await page.$$eval('[data-testid="all-causes"] a[data-cause]', (as) => as.map((a) => [a.getAttribute('data-cause'), a.textContent]));
      expect(line).toEqual([
        ['device', 'NVR/编码器故障 4'],
        ['network', '网络故障 3'],
      ]);
      expect(await page.$eval('[data-testid="all-causes"] strong', (e) => e.textContent)).toBe('7');
      await page.screenshot({ path: path.join(artefactDir('causes'), 'overview-causes.png'), fullPage: true });
      await page.click('[data-testid="all-causes"] a[data-cause="device"]');
      await page.waitForFunction(`document.querySelectorAll('[data-testid="problems-table"] tbody tr').length === 4`, { timeout: 15_000 });
      expect(await page.$$eval('[data-testid="problems-table"] td[data-cause]', (tds) => tds.map((td) => td.getAttribute('data-cause')))).toEqual(['device', 'device', 'device', 'device']);
      await page.screenshot({ path: path.join(artefactDir('causes'), 'problems-device.png'), fullPage: true });
    } finally {
      await browser.close();
    }
    expect((await alerts()).filter((a) => a.kind === 'camera_offline')).toEqual([]);
    const metrics = await (await fetch(`${centre.api}/metrics`)).text();
    expect(metrics).toContain('xueliang_not_networked_cameras{region="330106",category="all",cause="device"} 4');
    expect(metrics).toContain('xueliang_not_networked_cameras{region="330106",category="all",cause="network"} 3');
  }, 60_000);

  it("outage causes: the network back, a camera whose stream is gone stays down as the camera's own fault, and its own alert returns", async () => {
    await remote.remove('/c');
    lab.setLink(site, 'eth0', true);
    await valueOf('site-a and site-b online', () => (latest('site-a')?.state === 'online' && latest('site-b')?.state === 'online' ? true : undefined));
    // a check that began while the link was still down may end at the tcp rung once its neighbours answer again (then it is its own fault too); the next finds the stream gone
    await valueOf('site-c offline by its own fault, its stream gone', () => (latest('site-c')?.cause === 'camera' && latest('site-c')?.rung === 'rtsp' ? true : undefined));
    expect(latest('site-c')).toMatchObject({ state: 'offline', rung: 'rtsp', reason: 'rtsp_error' });
    await valueOf('the network alert cleared', async () => ((await alerts()).some((a) => a.kind === 'network_down') ? undefined : true));
    const own = await valueOf("site-c's own alert", async () => (await alerts()).find((a) => a.kind === 'camera_offline' && a.subject.cameraId === 'site-c'));
    // raised on whichever of its own failures came first after the network was back (a late tcp one, or the 404)
    expect(own.cause).toMatch(/^camera site-c offline: (rtsp|tcp) /);
    const c = await valueOf('counts after', async () => ((await counts())?.offlineCamera === 1 && (await counts())?.offlineNetwork === 0 ? counts() : undefined));
    expect(c).toMatchObject({ networked: 3, offlineCamera: 1, offlineDevice: 4, offlineNetwork: 0 });
    // the report of the span that ended while NVR and network were both down reads the causes as they were then, from the store
    // (when it fails: what the site cameras' statuses said, in order)
    const history = watch.messages
      .filter((m) => SITE_CAMS.some((id) => m.topic === t.cameraStatus(AGENT, id)) && m.payload !== '')
      .map((m) => cameraStatusMessage.parse(JSON.parse(m.payload)))
      .map((x) => `${x.cameraId} ${x.checkedAt} ${x.state} ${x.rung} ${x.reason} ${x.cause} ${x.consecutiveFailures}`)
      .join('\n');
    const netLog = agent.lines.filter((l) => l.includes('site network')).join('\n');
    expect(await reportRow(startedAt, bothDownAt), `${netLog}\nbothDownAt ${new Date(bothDownAt).toISOString()}\n${history}`).toMatchObject({ installed: 8, networked: 1, offlineCamera: 0, offlineDevice: 4, offlineNetwork: 3, unknown: 0 });
    expect(await reportRow(startedAt, Date.now())).toMatchObject({ installed: 8, networked: 3, offlineCamera: 1, offlineDevice: 4, offlineNetwork: 0 });
  }, 60_000);

  it('outage causes: a stopped gateway makes every camera unknown with cause gateway', async () => {
    expect(await agent.stop()).toBe(0);
    const c = await valueOf('all unknown', async () => ((await counts())?.unknown === 8 ? counts() : undefined));
    expect(c).toMatchObject({ installed: 8, networked: 0, offline: 0, offlineCamera: 0, offlineDevice: 0, offlineNetwork: 0 });
    const page = await centre.get<CamerasPage>('/api/cameras?cause=gateway');
    expect(page.total).toBe(8);
    expect(page.cameras.every((x) => x.cause === 'gateway' && x.state === 'unknown')).toBe(true);
  }, 60_000);
});
