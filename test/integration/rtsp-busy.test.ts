import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentEvent, cameraStatusMessage, topics, type AgentEvent, type CameraStatusMessage } from '../../protocols/index.js';
import { startRtspServer, type RtspServer } from '../../cli/demo/rtsp-server.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { startBusyRtspProxy, type BusyRtspProxy } from '../support/busy-rtsp-proxy.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { MqttWatch } from '../support/mqtt-watch.js';

// Issue 29 §1: cameras and NVRs cap their RTSP sessions and answer a client
// beyond the cap with 503 (or 453). A real GStreamer RTSP server behind a
// proxy that plays the busy camera on chosen connections; a real agent and
// mosquitto on loopback.
const t = topics();
const AGENT = 'gw-busy-1';

describe('a busy RTSP server is not an offline camera', () => {
  let broker: Broker;
  let rtsp: RtspServer;
  let watch: MqttWatch;
  let agent: AgentProcess;
  const proxies: Record<string, BusyRtspProxy> = {};
  const every = (n: number) => (k: number) => k % n === 0;
  const scenes: Record<string, { busy: (k: number) => boolean; status?: string }> = {
    'every-2nd': { busy: every(2) },
    'every-3rd': { busy: every(3) },
    'every-4th': { busy: every(4) },
    'always-503': { busy: () => true },
    'always-453': { busy: () => true, status: '453 Not Enough Bandwidth' },
  };
  let startedAt = 0;

  const statusesOf = (id: string): CameraStatusMessage[] =>
    watch
      .on(t.cameraStatus(AGENT, id))
      .filter((m) => m.payload !== '')
      .map((m) => cameraStatusMessage.parse(JSON.parse(m.payload)));
  const eventsOf = (id: string): AgentEvent[] =>
    watch
      .on(t.events(AGENT))
      .map((m) => agentEvent.parse(JSON.parse(m.payload)))
      .filter((e) => 'cameraId' in e && e.cameraId === id);

  beforeAll(async () => {
    broker = await startMosquitto();
    rtsp = await startRtspServer({ mounts: { '/live': 'smpte' } });
    for (const [id, s] of Object.entries(scenes)) proxies[id] = await startBusyRtspProxy({ targetPort: rtsp.port, ...s });
    watch = await MqttWatch.connect(broker.url, [`${t.root}/#`]);
    startedAt = Date.now();
    agent = startAgent({
      agentId: AGENT,
      mqtt: { url: broker.url },
      cameras: Object.keys(scenes).map((id) => ({ id, name: id, rtsp: proxies[id]!.url(rtsp.url('/live')) })),
      discovery: { enabled: false, multicast: false },
      checks: { livenessSchedule: '*/2 * * * * *', decodeSchedule: '*/3 * * * * *', offlineAfter: 3, livenessDeadlineMs: 3000, decodeDeadlineMs: 8000, picture: { enabled: false } },
    });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop('SIGKILL');
    await watch?.close();
    for (const p of Object.values(proxies)) await p.close();
    await rtsp?.close();
    await broker?.stop();
  });

  it('busy on every 2nd, 3rd or 4th connection: online throughout; always busy: offline after three refused checks, with reason busy', async () => {
    for (const id of ['always-503', 'always-453']) {
      await watch.waitFor(`${id} offline`, () => statusesOf(id).find((s) => s.state === 'offline'), 40_000);
    }
    // the others are watched for as long again, at least 30 s of checks in all
    const watchedUntil = Math.max(Date.now(), startedAt + 30_000);
    await new Promise((r) => setTimeout(r, watchedUntil - Date.now()));

    for (const id of ['every-2nd', 'every-3rd', 'every-4th']) {
      const statuses = statusesOf(id);
      // the scene was played: the server refused this camera's connections many times
      expect(proxies[id]!.connections.filter((c) => c.busy).length, id).toBeGreaterThanOrEqual(3);
      expect(statuses.some((s) => s.state === 'online'), id).toBe(true);
      expect(statuses.filter((s) => s.state === 'offline'), id).toEqual([]);
      expect(eventsOf(id).filter((e) => e.type === 'state' && e.to === 'offline'), id).toEqual([]);
      // a check refused twice in a row is one failure, and says busy
      for (const s of statuses.filter((x) => x.consecutiveFailures > 0)) expect(s.reason, JSON.stringify(s)).toBe('busy');
      expect(Math.max(0, ...statuses.map((s) => s.consecutiveFailures)), id).toBeLessThan(3);
    }

    for (const [id, line] of [
      ['always-503', '503 Service Unavailable'],
      ['always-453', '453 Not Enough Bandwidth'],
    ] as const) {
      const statuses = statusesOf(id);
      const firstOffline = statuses.findIndex((s) => s.state === 'offline');
      // before: unknown, with the refused checks counted one by one and named busy
      const before = statuses.slice(0, firstOffline).filter((s) => s.consecutiveFailures > 0);
      expect(before.map((s) => s.consecutiveFailures), id).toEqual(expect.arrayContaining([1, 2]));
      for (const s of before) expect(s, id).toMatchObject({ state: 'unknown', reason: 'busy' });
      expect(statuses[firstOffline], id).toMatchObject({ state: 'offline', consecutiveFailures: 3, rung: 'rtsp', reason: 'busy' });
      expect(statuses[firstOffline]!.detail, id).toContain(line);
      const offline = eventsOf(id).filter((e) => e.type === 'state' && e.to === 'offline');
      expect(offline, id).toHaveLength(1);
      expect(offline[0], id).toMatchObject({ reason: 'busy' });
      // each refused check asked twice, on two connections
      const refusedBeforeOffline = proxies[id]!.connections.filter((c) => c.at <= Date.parse(statuses[firstOffline]!.checkedAt!));
      expect(refusedBeforeOffline.length, id).toBeGreaterThanOrEqual(6);
    }
  }, 90_000);
});
