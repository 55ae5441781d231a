import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentEvent, topics, type AgentEvent } from '../../protocols/index.js';
import { startRtspServer, type RtspServer } from '../../cli/demo/rtsp-server.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { aggregatorConfig, startAggregator, type AggregatorProcess } from '../support/aggregator-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { MqttWatch } from '../support/mqtt-watch.js';
import { startTcpLink, type TcpLink } from '../support/tcp-link.js';
import { until } from '../support/wait.js';

// Issue 29 §3: the site's uplink goes down (the centre stays connected to its
// broker and gets the gateway's will), the agent is restarted inside the
// outage, the link comes back. Time the stopped agent watched must not be
// booked unknown: only the time no agent ran is.
const t = topics();
const AGENT = 'gw-uplink';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logged = (a: AgentProcess, change: string) => a.lines.some((l) => l.includes('"camera state changed"') && l.includes(change.split(' ')[0]!) && l.includes(`"from":"${change.split(' ')[1]!.split('→')[0]}"`) && l.includes(`"to":"${change.split('→')[1]}"`));

describe('watched time across an agent restart inside an uplink outage', () => {
  let broker: Broker;
  let link: TcpLink;
  let rtsp: RtspServer;
  let agg: AggregatorProcess;
  let watch: MqttWatch;
  let first: AgentProcess;
  let second: AgentProcess;
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'xl-uplink-'));
  const config = () => ({
    agentId: AGENT,
    mqtt: { url: `mqtt://127.0.0.1:${link.port}`, reconnectMinMs: 200, reconnectMaxMs: 1000 },
    cameras: [
      { id: 'cam-a', rtsp: rtsp.url('/a') },
      { id: 'cam-b', rtsp: rtsp.url('/b') },
    ],
    discovery: { enabled: false },
    checks: { livenessSchedule: '* * * * * *', decode: false, offlineAfter: 2, livenessDeadlineMs: 2000, picture: { enabled: false } },
    outbox: { syncMs: 50 },
    stateDir,
  });
  const events = (agentId = AGENT): AgentEvent[] => watch.on(t.events(agentId)).map((m) => agentEvent.parse(JSON.parse(m.payload)));
  const agentOnline = async () => (await agg.get<{ agents: Array<{ agentId: string; online: boolean }> }>('/api/agents')).agents.find((a) => a.agentId === AGENT)?.online;

  beforeAll(async () => {
    broker = await startMosquitto();
    link = await startTcpLink(broker.port);
    rtsp = await startRtspServer({ mounts: { '/a': 'scene', '/b': 'scene' } });
    watch = await MqttWatch.connect(broker.url, [t.events(AGENT), t.events('gw-torn')]);
    agg = await startAggregator(await aggregatorConfig({ mqtt: { url: broker.url } }));
  }, 60_000);

  afterAll(async () => {
    await first?.stop('SIGKILL');
    await second?.stop('SIGKILL');
    await agg?.stop('SIGKILL');
    await watch?.close();
    await link?.close();
    await rtsp?.close();
    await broker?.stop();
  });

  it('only the time no agent ran is unknown at the centre, per camera, to the millisecond of the events', async () => {
    first = startAgent(config());
    await until('both cameras online under the first agent', () => events().filter((e) => e.type === 'state' && e.to === 'online').length === 2).catch((err: unknown) => { console.log(first.lines.slice(-30).join('\n')); throw err; });
    await until('the centre has the agent online', async () => (await agentOnline()) === true);
    // the window starts once both cameras are online at the centre: what it books unknown from here is the outage's
    const from = new Date().toISOString();

    link.cut();
    // the centre got the gateway's will: from here it books its cameras unknown until told otherwise
    await until('the centre sees the gateway go', async () => (await agentOnline()) === false);
    await sleep(2500);
    await rtsp.remove('/b'); // a camera fails while the link is down, seen by the first agent
    await until('cam-b offline under the first agent', () => logged(first, 'cam-b online→offline'));
    await sleep(1500);
    expect(await first.stop('SIGTERM')).toBe(0);
    await sleep(2000); // nobody watches
    second = startAgent(config());
    await until('the second agent checked both', () => logged(second, 'cam-a unknown→online') && logged(second, 'cam-b unknown→offline'));
    await sleep(2000);
    link.restore();

    const sessions = () => [...new Set(events().map((e) => e.session))];
    await until('both sessions delivered, the stop included', () => sessions().length === 2 && events().some((e) => e.type === 'agent_stopped') && events().filter((e) => e.session === sessions()[1] && e.type === 'state').length >= 2);
    const stop = events().find((e) => e.type === 'agent_stopped')!;
    expect(stop.session).toBe(sessions()[0]);
    const firstCheck = (cam: string) => Date.parse(events().find((e) => e.session === sessions()[1] && e.type === 'state' && e.cameraId === cam)!.ts);
    // the hand count: unknown exactly from the first agent's stop to the second agent's first check of that camera
    const expected = { 'cam-a': firstCheck('cam-a') - Date.parse(stop.ts), 'cam-b': firstCheck('cam-b') - Date.parse(stop.ts) };
    for (const ms of Object.values(expected)) {
      expect(ms).toBeGreaterThan(1500);
      expect(ms).toBeLessThan(2000 + 4000); // the down time plus the second agent's start and its first round
    }
    const unknownOf = async (cam: string) => (await agg.get<{ uptime: { unknownMs: number } }>(`/api/cameras/${cam}/history?from=${encodeURIComponent(from)}`)).uptime.unknownMs;
    let seen: Record<string, number> = {};
    const settled = async () => {
      seen = { 'cam-a': await unknownOf('cam-a'), 'cam-b': await unknownOf('cam-b') };
      return seen['cam-a'] === expected['cam-a'] && seen['cam-b'] === expected['cam-b'];
    };
    await until('the centre has booked the outage', settled, 15_000).catch(() => undefined);
    const historyOf = async (cam: string) => (await agg.get<{ changes: unknown[] }>(`/api/cameras/${cam}/history?from=${encodeURIComponent(from)}`)).changes;
    expect(seen, JSON.stringify({ stop: stop.ts, a: await historyOf('cam-a'), events: events().map((e) => [e.session.slice(0, 4), e.seq, e.type, 'cameraId' in e ? e.cameraId : '', e.ts]) })).toEqual(expected);
    // the first agent's failure of cam-b, replayed, keeps its own time: cam-b's history says online, offline, unknown, offline
    const h = await agg.get<{ changes: Array<{ state: string; at: string }> }>(`/api/cameras/cam-b/history?from=${encodeURIComponent(from)}`);
    const states = h.changes.map((c) => c.state).filter((s, i, xs) => s !== xs[i - 1]);
    expect(states).toEqual(['online', 'offline', 'unknown', 'offline']);
  }, 120_000);

  it('a record torn by a kill mid-write is a loss the centre reports, with the session and seq it had', async () => {
    const id = 'gw-torn';
    const tornDir = mkdtempSync(path.join(os.tmpdir(), 'xl-torn-'));
    const cfg = () => ({ ...config(), agentId: id, stateDir: tornDir });
    link.cut(); // the first run never reaches the broker: everything it says stays in its outbox
    const killed = startAgent(cfg());
    await until('both cameras checked by the doomed agent', () => killed.lines.filter((l) => l.includes('"camera state changed"')).length >= 2);
    await killed.stop('SIGKILL');
    // the kill came mid-write of its last record: cut the file inside it, after its time
    const file = path.join(tornDir, id, 'outbox.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const last = JSON.parse(lines.at(-1)!) as { v: { event: AgentEvent } };
    writeFileSync(file, `${lines.slice(0, -1).map((l) => `${l}\n`).join('')}${lines.at(-1)!.slice(0, lines.at(-1)!.indexOf('"cameraId"') + 5)}`);
    link.restore();
    const again = startAgent(cfg());
    try {
      type Gaps = { gaps: Array<{ agentId: string }>; reportedLosses: Array<{ agentId: string; cause?: string; count: number; events?: Array<{ session: string; seq: number }> }> };
      let gaps: Gaps = { gaps: [], reportedLosses: [] };
      await until('the centre has the loss', async () => {
        gaps = await agg.get<Gaps>('/api/gaps');
        return gaps.reportedLosses.some((l) => l.agentId === id);
      });
      const loss = gaps.reportedLosses.find((l) => l.agentId === id)!;
      expect(loss, JSON.stringify({ loss, last })).toMatchObject({ cause: 'torn_record', count: 1, events: [{ session: last.v.event.session, seq: last.v.event.seq, ts: last.v.event.ts }] });
      // the whole records before it arrived, and the torn one, the session's last, leaves no gap to see: only the report says it
      await until('the records before it replayed', () => events(id).filter((e) => e.session === last.v.event.session).length === last.v.event.seq - 1);
      expect(gaps.gaps.filter((g) => g.agentId === id)).toEqual([]);
      expect(again.lines.some((l) => l.includes('outbox: records torn or damaged by a crash were dropped'))).toBe(true);
      // and the report of the period lists it
      const span = `from=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`;
      const report = await agg.get<{ losses: Array<{ agentId: string; cause?: string }> }>(`/api/report?region=all&${span}`);
      expect(report.losses.filter((l) => l.agentId === id)).toEqual([expect.objectContaining({ cause: 'torn_record', count: 1 })]);
    } finally {
      await again.stop('SIGKILL');
    }
  }, 90_000);
});
