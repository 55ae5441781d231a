/**
 * A simulated province for `bench:aggregator --parts steady` (issue 26): G
 * gateways of C cameras each that report by exception, against one real
 * aggregator process on a real mosquitto. The gateways come up (birth and a
 * retained status per camera), then live: a round message per gateway per
 * period (spread over it, an occasional camera left unchecked) and a stated
 * churn (cameras changing state per hour: a status and its state event).
 * Measured: the aggregator's CPU (the whole process, every thread) and the
 * messages per second in while steady; after an outage of the aggregator of
 * a stated (simulated) length, the time from its reconnect until it has
 * applied and stored everything the province said meanwhile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { projectRoot } from '../../platform/project-root.js';
import { topics, type CameraStatusMessage } from '../../protocols/index.js';
import { freePort } from './broker.js';
import { procStats, threadCpuMs, threadSplit } from './proc-stats.js';
import { scratchDir } from './scratch.js';

export interface ProvinceOptions {
  gateways: number;
  camerasPerGateway: number;
  /** share of the cameras that change state per hour, in percent */
  churnPercent: number;
  roundMs: number;
  steadyMinutes: number;
  /** the province lives this long after it came up before the steady window (the first rounds, the first passes of the publishers) */
  settleMinutes: number;
  outageMinutes: number;
}

export interface ProvinceResult {
  loadSeconds: number;
  loadRate: number;
  steadyCpuPercent: number;
  steadyMsgPerSec: number;
  steadyRssMb: number;
  outageMessages: number;
  startupSeconds: number;
  catchUpSeconds: number;
}

const t = topics();

interface Ingest {
  accepted: Record<string, number>;
  rejected: Record<string, number>;
  notYetStored: number;
}

/** One aggregator process (the installed CLI), its API on a free port. */
async function startAggregator(database: string, url: string, dir: string, runId: string): Promise<{ child: ChildProcess; api: string; connectedAt: () => number | undefined }> {
  const port = await freePort();
  const file = path.join(dir, `aggregator-${port}.yaml`);
  writeFileSync(file, stringify({ database, logLevel: 'info', mqtt: { url, clientId: `bench-province-${runId}` }, http: { host: '127.0.0.1', port, publicReads: true }, alerts: { afterSeconds: 300 } }));
  const cli = path.join(projectRoot(), 'dist', 'cli', 'main.js');
  // XUELIANG_BENCH_NODE_ARGS: more node flags for the aggregator (e.g. --cpu-prof --cpu-prof-dir=DIR to see where its CPU goes)
  const extra = (process.env['XUELIANG_BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, ['--max-old-space-size=12288', ...extra, cli, 'aggregator', '--config', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let connectedAt: number | undefined;
  let tail = '';
  // XUELIANG_BENCH_AGG_OUT: a file that gets the aggregator's standard output (its log, and --trace-gc lines)
  const out = process.env['XUELIANG_BENCH_AGG_OUT'];
  child.stdout!.on('data', (d: Buffer) => {
    if (out) appendFileSync(out, d);
    tail = (tail + d.toString()).slice(-8192);
    if (connectedAt === undefined && tail.includes('connected to the MQTT broker')) connectedAt = performance.now();
  });
  const api = `http://127.0.0.1:${port}`;
  for (let k = 0; k < 6000; k++) {
    if (child.exitCode !== null) throw new Error('the aggregator exited');
    if (await fetch(`${api}/healthz`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, api, connectedAt: () => connectedAt };
}

const ingestOf = async (api: string): Promise<Ingest> => {
  for (let k = 0; ; k++) {
    try {
      return (await (await fetch(`${api}/api/ingest`)).json()) as Ingest;
    } catch (err) {
      if (k >= 50) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
};
const applied = (s: Ingest) => Object.values(s.accepted).reduce((a, b) => a + b, 0) + Object.values(s.rejected).reduce((a, b) => a + b, 0);

/** A publisher that keeps `window` QoS 1 messages in flight. */
async function publisher(url: string) {
  const client = mqtt.connect(url, { protocolVersion: 4, clientId: `bench-province-pub-${process.pid}` });
  await new Promise<void>((r) => client.once('connect', () => r()));
  let inflight: Array<Promise<unknown>> = [];
  let sent = 0;
  return {
    get sent() {
      return sent;
    },
    async send(topic: string, payload: string, retain = false) {
      inflight.push(client.publishAsync(topic, payload, { qos: 1, retain }));
      sent += 1;
      if (inflight.length >= 1000) {
        await Promise.all(inflight);
        inflight = [];
      }
    },
    async flush() {
      await Promise.all(inflight);
      inflight = [];
    },
    end: () => client.endAsync(),
  };
}

export async function province(url: string, database: string, o: ProvinceOptions, log: (line: string) => void): Promise<ProvinceResult> {
  const dir = scratchDir('xl-bench-province-');
  const started = Date.now() - 1000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const gw = (g: number) => `gw-${String(g).padStart(4, '0')}`;
  const cam = (g: number, c: number) => `cam-${g}-${c}`;
  // runs on one broker (both engines) keep apart: their own aggregator session, their gateways' own sessions
  const runId = Math.random().toString(36).slice(2, 8);
  const session = (g: number) => `session-${runId}-${g}`;
  const seq = new Array<number>(o.gateways).fill(0);
  const rounds = new Array<number>(o.gateways).fill(0);
  const state = new Map<string, 'online' | 'offline'>();
  const status = (g: number, c: number, s: 'online' | 'offline', at: number): CameraStatusMessage => ({
    cameraId: cam(g, c), gbId: null, name: `${gw(g)} camera ${c}`, state: s, since: iso(at), checkedAt: iso(at),
    rung: s === 'online' ? null : 'rtsp', reason: s === 'online' ? null : 'rtsp_error', detail: s === 'online' ? null : 'DESCRIBE answered 404 Not Found', consecutiveFailures: s === 'online' ? 0 : 3,
    source: 'onvif', address: `10.${g % 250}.${Math.floor(c / 250)}.${c % 250}:80`, streamUri: `rtsp://10.${g % 250}.${Math.floor(c / 250)}.${c % 250}:554/Streaming/Channels/101`,
    stream: { codec: 'h264', width: 1920, height: 1080, fps: 25, bitrate: null, rtspRttMs: 3.1, frames: 1 },
    device: { manufacturer: 'HIKVISION', model: 'DS-2CD2T47G2-L', firmware: 'V5.7.3', serial: null, hardwareId: null },
    clockDriftMs: 800, pointId: null, category: 'key_public_area', faults: [],
    rungs: [
      { rung: 'tcp', ok: true, ms: 0.6, reason: null, detail: null, at: iso(at) },
      { rung: 'onvif', ok: true, ms: 41, reason: null, detail: null, at: iso(at) },
      { rung: 'rtsp', ok: s === 'online', ms: 3.1, reason: s === 'online' ? null : 'rtsp_error', detail: null, at: iso(at), streamUri: `rtsp://10.${g % 250}.0.1:554/Streaming/Channels/101` },
    ],
  });
  const pub = await publisher(url);
  const round = (g: number, startedAt: number) => {
    rounds[g]! += 1;
    // about one gateway round in ten leaves a camera unchecked (a queue behind)
    const unchecked = Math.random() < 0.1 ? [cam(g, Math.floor(Math.random() * o.camerasPerGateway))] : [];
    return pub.send(t.round(gw(g)), JSON.stringify({ session: session(g), round: rounds[g], startedAt: iso(startedAt), endedAt: iso(startedAt + o.roundMs * 0.9), periodMs: o.roundMs, checked: o.camerasPerGateway - unchecked.length, unchecked, statusPublish: 'change' }), true);
  };
  const change = async (at: number) => {
    const g = Math.floor(Math.random() * o.gateways);
    const c = Math.floor(Math.random() * o.camerasPerGateway);
    const from = state.get(cam(g, c)) ?? 'online';
    const to = from === 'online' ? 'offline' : 'online';
    state.set(cam(g, c), to);
    seq[g]! += 1;
    await pub.send(t.events(gw(g)), JSON.stringify({ type: 'state', session: session(g), seq: seq[g], ts: iso(at), cameraId: cam(g, c), from, to, rung: to === 'online' ? null : 'rtsp', reason: to === 'online' ? null : 'rtsp_error' }));
    await pub.send(t.cameraStatus(gw(g), cam(g, c)), JSON.stringify(status(g, c, to, at)), true);
  };

  // the province comes up: every gateway born, every camera's retained status
  const db = database;
  let agg = await startAggregator(db, url, dir, runId);
  // an aggregator left behind by a bench that failed would go on eating the machine the next run measures
  const orphanGuard = () => agg.child.kill('SIGKILL');
  process.prependOnceListener('exit', orphanGuard);
  const total = o.gateways * o.camerasPerGateway;
  const t0 = performance.now();
  for (let g = 0; g < o.gateways; g++) {
    await pub.send(t.agentState(gw(g)), JSON.stringify({ state: 'online', session: session(g), agentVersion: '0.2.0', startedAt: iso(started), site: null, region: `33${String((g % 11) + 1).padStart(2, '0')}${String((g % 9) + 1).padStart(2, '0')}`, lastSeq: 0 }), true);
    for (let c = 0; c < o.camerasPerGateway; c++) await pub.send(t.cameraStatus(gw(g), cam(g, c)), JSON.stringify(status(g, c, 'online', Date.now())), true);
  }
  await pub.flush();
  const expected = o.gateways + total;
  for (;;) {
    const s = await ingestOf(agg.api);
    if (applied(s) >= expected && s.notYetStored === 0) break;
    if (agg.child.exitCode !== null) throw new Error('the aggregator exited while loading');
    await new Promise((r) => setTimeout(r, 500));
  }
  const loadSeconds = (performance.now() - t0) / 1000;
  log(`  the province came up: ${total.toLocaleString('en')} statuses and ${o.gateways} births applied and stored in ${loadSeconds.toFixed(0)} s (${(expected / loadSeconds).toFixed(0)} msg/s)`);

  // steady: rounds spread over the period, churn at its rate; the aggregator's CPU over the window
  const changesPerMs = (total * o.churnPercent) / 100 / 3_600_000;
  const live = async (minutes: number) => {
    const end = Date.now() + minutes * 60_000;
    const next = Array.from({ length: o.gateways }, (_, g) => Date.now() + (g / o.gateways) * o.roundMs);
    let owed = 0;
    let last = Date.now();
    while (Date.now() < end) {
      const now = Date.now();
      for (let g = 0; g < o.gateways; g++) {
        if (next[g]! <= now) {
          await round(g, next[g]!);
          next[g]! += o.roundMs;
        }
      }
      owed += (now - last) * changesPerMs;
      last = now;
      while (owed >= 1) {
        await change(now);
        owed -= 1;
      }
      await pub.flush();
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await live(Math.max(0.5, o.settleMinutes)); // every gateway's first rounds, the publishers' first passes
  const before = await ingestOf(agg.api);
  const cpu0 = procStats(agg.child.pid!).cpuMs;
  const threads0 = threadCpuMs(agg.child.pid!);
  const s0 = performance.now();
  await live(o.steadyMinutes);
  const threads = threadSplit(threads0, threadCpuMs(agg.child.pid!), performance.now() - s0);
  const secs = (performance.now() - s0) / 1000;
  const cpuMs = procStats(agg.child.pid!).cpuMs - cpu0;
  const after = await ingestOf(agg.api);
  const steadyRssMb = procStats(agg.child.pid!).rssMb;
  const steadyCpuPercent = (cpuMs / (secs * 1000)) * 100;
  const steadyMsgPerSec = (applied(after) - applied(before)) / secs;
  log(`  steady for ${o.steadyMinutes} min (after ${o.settleMinutes} min to settle): ${steadyMsgPerSec.toFixed(1)} msg/s in (rounds ${(((after.accepted['round'] ?? 0) - (before.accepted['round'] ?? 0)) / secs).toFixed(1)}/s, statuses ${(((after.accepted['status'] ?? 0) - (before.accepted['status'] ?? 0)) / secs).toFixed(1)}/s, events ${(((after.accepted['event'] ?? 0) - (before.accepted['event'] ?? 0)) / secs).toFixed(1)}/s); the aggregator process ${steadyCpuPercent.toFixed(1)} % of one core (goal < 5), RSS ${steadyRssMb.toFixed(0)} MB`);
  log(`  by thread: ${threads}`);

  // the aggregator is away for the outage: what the province says meanwhile (an hour's rounds and churn,
  // sent at once, with the times they would have had) waits in its persistent session
  agg.child.kill('SIGTERM');
  await new Promise((r) => agg.child.once('exit', r));
  const sentBefore = pub.sent;
  const outageMs = o.outageMinutes * 60_000;
  const outageStart = Date.now();
  for (let k = 0; k < outageMs / o.roundMs; k++) {
    const at = outageStart - outageMs + (k + 1) * o.roundMs;
    for (let g = 0; g < o.gateways; g++) await round(g, at - o.roundMs + (g / o.gateways) * o.roundMs);
    for (let n = 0; n < changesPerMs * o.roundMs; n++) await change(at);
  }
  // the last word of the outage: one camera's status, told apart by its detail
  const sentinel = status(0, 0, 'offline', Date.now());
  sentinel.detail = `end of the outage ${Date.now()}`;
  seq[0]! += 1;
  await pub.send(t.events(gw(0)), JSON.stringify({ type: 'state', session: session(0), seq: seq[0], ts: sentinel.checkedAt, cameraId: cam(0, 0), from: state.get(cam(0, 0)) ?? 'online', to: 'offline', rung: 'rtsp', reason: 'rtsp_error' }));
  state.set(cam(0, 0), 'offline');
  await pub.send(t.cameraStatus(gw(0), cam(0, 0)), JSON.stringify(sentinel), true);
  await pub.flush();
  const outageMessages = pub.sent - sentBefore;
  const r0 = performance.now();
  agg = await startAggregator(db, url, dir, runId);
  const startupSeconds = ((agg.connectedAt() ?? performance.now()) - r0) / 1000;
  // current: the outage's last message applied (they come in order); settled: nothing more arrives (the
  // retained statuses a resubscription brings again) and everything applied is stored
  // a request the aggregator is too busy to answer (loading, a million retained statuses) is asked again
  const camera = async () => fetch(`${agg.api}/api/cameras/${cam(0, 0)}`).then((r) => r.json() as Promise<{ detail: string | null }>, () => ({ detail: null }));
  for (;;) {
    if ((await camera()).detail === sentinel.detail) break;
    if (agg.child.exitCode !== null) throw new Error('the aggregator exited while catching up');
    if (performance.now() - r0 > 30 * 60_000) throw new Error('no catch-up within 30 minutes');
    await new Promise((r) => setTimeout(r, 200));
  }
  const connectedAt = agg.connectedAt() ?? r0;
  const catchUpSeconds = (performance.now() - connectedAt) / 1000;
  let quiet = 0;
  let last = -1;
  while (quiet < 15) {
    const s = await ingestOf(agg.api);
    const n = applied(s);
    quiet = n === last && s.notYetStored === 0 ? quiet + 1 : 0;
    last = n;
    await new Promise((r) => setTimeout(r, 200));
  }
  const settledSeconds = (performance.now() - connectedAt) / 1000 - 3;
  const final = await ingestOf(agg.api);
  log(`  outage of ${o.outageMinutes} min (simulated): ${outageMessages.toLocaleString('en')} messages waited; the restarted aggregator loaded its state in ${startupSeconds.toFixed(1)} s, was current (the outage's last message applied) ${catchUpSeconds.toFixed(1)} s after it connected (goal < 120 s), and settled (everything stored, nothing more arriving) after ${settledSeconds.toFixed(1)} s; what it applied: ${JSON.stringify(final.accepted)}`);
  agg.child.kill('SIGTERM');
  await new Promise((r) => agg.child.once('exit', r));
  process.off('exit', orphanGuard);
  await pub.end();
  return { loadSeconds, loadRate: expected / loadSeconds, steadyCpuPercent, steadyMsgPerSec, steadyRssMb, outageMessages, startupSeconds, catchUpSeconds };
}
