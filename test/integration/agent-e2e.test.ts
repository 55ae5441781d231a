import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../platform/project-root.js';
import { agentStateMessage, agentEvent, agentSummaryMessage, cameraStatusMessage, responseMessage, topics, type CameraStatusMessage } from '../../protocols/index.js';
import { startOnvifSimulator, type OnvifSimulator } from '../../cli/demo/onvif-sim.js';
import { startRtspServer, type RtspServer } from '../../cli/demo/rtsp-server.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { MqttWatch } from '../support/mqtt-watch.js';

const SECRET = 's3cret-Pa55';
const WRONG = 'old-Pa55word';
const t = topics();
const AGENT = 'gw-test-1';

describe('agent end to end', () => {
  let broker: Broker;
  let rtsp: RtspServer;
  let sim: OnvifSimulator;
  let agent: AgentProcess;
  let watch: MqttWatch;

  beforeAll(async () => {
    broker = await startMosquitto();
    rtsp = await startRtspServer({ mounts: { '/cam1': 'scene', '/cam2': 'scene', '/fixed': 'scene' }, auth: { username: 'admin', password: SECRET } });
    sim = await startOnvifSimulator({
      devices: [
        { streams: [rtsp.url('/cam1')], username: 'admin', password: SECRET, httpDigest: true, manufacturer: 'Hikvision-Sim', serial: 'HK0001' },
        { streams: [rtsp.url('/cam2')], username: 'admin', password: SECRET, manufacturer: 'Dahua-Sim', serial: 'DH0002' },
      ],
      discovery: {},
    });
    watch = await MqttWatch.connect(broker.url, [`${t.root}/#`]);
    agent = startAgent({
      agentId: AGENT,
      site: 'Test site',
      region: '330106',
      mqtt: { url: broker.url },
      credentials: [
        { name: 'old', username: 'admin', password: WRONG },
        { name: 'site', username: 'admin', password: SECRET },
      ],
      cameras: [{ name: 'gate', gbId: '33010600001320000001', rtsp: rtsp.url('/fixed', { username: 'admin', password: SECRET }), pointId: 'P-1', category: 'key_public_area' }],
      discovery: { multicast: false, cidrs: ['127.0.0.1/32'], port: sim.discoveryPort, windowMs: 500 },
      checks: { livenessSchedule: '* * * * * *', decodeSchedule: '*/20 * * * * *', offlineAfter: 3, livenessDeadlineMs: 3000, decodeDeadlineMs: 10000, picture: { enabled: false } },
      summaryIntervalSec: 2,
    });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop('SIGKILL');
    await watch?.close();
    await sim?.close();
    await rtsp?.close();
    await broker?.stop();
  });

  const statuses = () =>
    watch.messages
      .filter((m) => m.topic.startsWith(`${t.root}/agents/${AGENT}/cameras/`) && m.topic.endsWith('/status') && m.payload !== '')
      .map((m) => cameraStatusMessage.parse(JSON.parse(m.payload)));
  const latestStatus = (id: string) => statuses().filter((s) => s.cameraId === id).at(-1);
  const events = () => watch.on(t.events(AGENT)).map((m) => agentEvent.parse(JSON.parse(m.payload)));

  let discovered: string[] = [];

  it('agent e2e: announces itself with a retained birth message', async () => {
    const birth = await watch.waitFor('birth', () => watch.latest(t.agentState(AGENT)));
    expect(agentStateMessage.parse(birth)).toMatchObject({ state: 'online', site: 'Test site', region: '330106', agentVersion: '0.1.0' });
  });

  it('agent e2e: discovers both ONVIF cameras and brings every camera online with device info and stream metrics', async () => {
    const online = await watch.waitFor(
      'three cameras online with decode metrics',
      () => {
        const ids = [...new Set(statuses().map((s) => s.cameraId))];
        const latest = ids.map((id) => latestStatus(id)!);
        const ready = latest.filter((s) => s.state === 'online' && s.stream?.frames);
        return ready.length === 3 ? latest : undefined;
      },
      45_000,
    );
    const onvif = online.filter((s) => s.source === 'onvif');
    discovered = onvif.map((s) => s.cameraId);
    expect(onvif.map((s) => s.device?.manufacturer).sort()).toEqual(['Dahua-Sim', 'Hikvision-Sim']);
    expect(discovered.every((id) => id.startsWith('onvif-'))).toBe(true);
    for (const s of online) {
      expect(s.stream).toMatchObject({ codec: 'h264', width: 320, height: 240 });
      expect(s.stream!.fps).toBeCloseTo(10, 0);
      expect(s.streamUri).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/(cam1|cam2|fixed)$/);
      expect(s.rungs.map((r) => r.rung)).toEqual(s.source === 'onvif' ? ['tcp', 'onvif', 'rtsp', 'decode'] : ['tcp', 'rtsp', 'decode']);
      expect(s.clockDriftMs === null || Math.abs(s.clockDriftMs) < 2000).toBe(true);
    }
    const gate = online.find((s) => s.cameraId === '33010600001320000001')!;
    expect(gate).toMatchObject({ name: 'gate', pointId: 'P-1', category: 'key_public_area', source: 'rtsp' });
    const up = events().filter((e) => e.type === 'state' && e.from === 'unknown' && e.to === 'online');
    expect(up.map((e) => ('cameraId' in e ? e.cameraId : '')).sort()).toEqual([...discovered, '33010600001320000001'].sort());
  });

  it('agent e2e: a stopped stream turns its camera offline after 3 failed checks, with exactly one event, and back', async () => {
    const dahua = latestStatus(discovered.find((id) => latestStatus(id)!.device?.manufacturer === 'Dahua-Sim')!)!;
    const before = events().length;
    await rtsp.remove('/cam2');
    const off = await watch.waitFor('camera offline', () => {
      const s = latestStatus(dahua.cameraId)!;
      return s.state === 'offline' ? s : undefined;
    });
    expect(off).toMatchObject({ rung: 'rtsp', reason: 'rtsp_error', consecutiveFailures: 3 });
    expect(off.detail).toContain('404');
    const failing = statuses().filter((s) => s.cameraId === dahua.cameraId && s.consecutiveFailures > 0);
    expect(failing.slice(0, 3).map((s) => [s.consecutiveFailures, s.state])).toEqual([
      [1, 'online'],
      [2, 'online'],
      [3, 'offline'],
    ]);
    await rtsp.add('/cam2', 'scene');
    await watch.waitFor('camera back online', () => latestStatus(dahua.cameraId)!.state === 'online');
    const mine = events()
      .slice(before)
      .filter((e) => 'cameraId' in e && e.cameraId === dahua.cameraId);
    expect(mine.map((e) => (e.type === 'state' ? [e.from, e.to, e.rung, e.reason] : e.type))).toEqual([
      ['online', 'offline', 'rtsp', 'rtsp_error'],
      ['offline', 'online', null, null],
    ]);
  }, 60_000);

  it('agent e2e: events carry one session and a gap-free seq', () => {
    const all = events();
    expect(new Set(all.map((e) => e.session)).size).toBe(1);
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
  });

  it('agent e2e: answers a check request with its transaction', async () => {
    const id = discovered[0]!;
    await watch.client.publishAsync(t.request(AGENT, 'check'), JSON.stringify({ transaction: 'tx-42', cameraId: id }), { qos: 1 });
    const res = await watch.waitFor('response', () => watch.on(t.response(AGENT, 'check')).map((m) => responseMessage.parse(JSON.parse(m.payload))).find((r) => r.transaction === 'tx-42'));
    expect(res.ok).toBe(true);
    expect(res.result).toEqual([expect.objectContaining({ cameraId: id, state: 'online' })]);
    await watch.client.publishAsync(t.request(AGENT, 'check'), '{not json', { qos: 1 });
    await watch.client.publishAsync(t.request(AGENT, 'reboot'), JSON.stringify({ transaction: 'tx-43' }), { qos: 1 });
    const bad = await watch.waitFor('error responses', () => {
      const r = [...watch.on(t.response(AGENT, 'check')), ...watch.on(t.response(AGENT, 'reboot'))].map((m) => responseMessage.parse(JSON.parse(m.payload))).filter((x) => !x.ok);
      return r.length >= 2 ? r : undefined;
    });
    expect(bad.map((r) => r.error?.code).sort()).toEqual(['REQUEST_NOT_JSON', 'UNKNOWN_COMMAND']);
  });

  it('agent e2e: publishes a retained summary with counts, and online time of the cameras whose state changed since the last one', async () => {
    const summaries = () => watch.on(t.summary(AGENT)).map((m) => agentSummaryMessage.parse(JSON.parse(m.payload)));
    // report by exception: each summary lists the cameras whose state changed since the one before; together, all three
    await watch.waitFor('every camera in a summary', () => new Set(summaries().flatMap((s) => s.cameras.map((c) => c.cameraId))).size === 3 || undefined);
    const summary = summaries().at(-1)!;
    expect(summary.counts.online + summary.counts.offline + summary.counts.degraded + summary.counts.unknown).toBe(3);
    expect(summary.cameraList).toBe('changed');
    expect(summaries().every((s) => s.cameras.every((c) => c.onlineMs <= c.observedMs))).toBe(true);
    // the checks it ran, by kind, and how far behind each queue is: every camera's liveness ran at least once
    expect(summary.checks?.liveness?.done).toBeGreaterThanOrEqual(3);
    expect(summary.checks?.liveness).toMatchObject({ queued: expect.any(Number), running: expect.any(Number), lagMs: expect.any(Number) });
  });

  it('agent e2e: writes the heartbeat a container healthcheck reads', () => {
    const hc = path.join(projectRoot(), 'dist', 'scripts', 'healthcheck.js');
    const ok = spawnSync(process.execPath, [hc], { env: { ...process.env, XUELIANG_STATE_DIR: path.join(path.dirname(agent.configFile), 'state') }, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`${AGENT}: alive, broker connected`);
    const none = spawnSync(process.execPath, [hc], { env: { ...process.env, XUELIANG_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'xl-hc-')) } });
    expect(none.status).toBe(1);
  });

  it('agent e2e: SIGTERM publishes the offline state and exits 0', async () => {
    const birth = agentStateMessage.parse(watch.latest(t.agentState(AGENT)));
    expect(await agent.stop('SIGTERM')).toBe(0);
    const last = await watch.waitFor('offline state', () => {
      const m = watch.latest(t.agentState(AGENT));
      return m && agentStateMessage.parse(m).state === 'offline' ? agentStateMessage.parse(m) : undefined;
    });
    expect(last).toMatchObject({ state: 'offline', session: birth.session, reason: 'shutdown' });
  });

  it('agent e2e: no secret appears in any log line or MQTT payload', () => {
    expect(agent.lines.length).toBeGreaterThan(3);
    for (const line of agent.lines) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(WRONG);
    }
    for (const m of watch.messages) {
      expect(m.payload).not.toContain(SECRET);
      expect(m.payload).not.toContain(WRONG);
    }
  });
});

export type { CameraStatusMessage };
