/**
 * Liveness benchmark (issue 2): for N simulated RTSP endpoints on loopback,
 *  - bare RTSP OPTIONS round trips (the floor), and the agent's liveness check
 *    (connect + DESCRIBE with Digest) in the same run: checks/s, CPU and wall per check;
 *  - the real agent process over N cameras: achieved checks/s, CPU, peak RSS;
 *  - decode checks (first keyframe, one ffmpeg per check) per minute on this machine.
 * Run: npm run bench:liveness  [-- --sizes 100,1000 --agent-seconds 30 --decode-seconds 30]
 * Everything runs on 127.0.0.1 and stops by itself.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import PQueue from 'p-queue';
import pino from 'pino';
import { stringify } from 'yaml';
import { decodeKeyframe } from '../../agent/adapters/keyframe-decode.js';
import { rtspDescribe } from '../../agent/adapters/rtsp-client.js';
import { CameraMonitor, type MonitorSink } from '../../agent/features/monitor.js';
import { AGENT_NODE_FLAGS } from '../../agent/node-flags.js';
import type { CameraTarget } from '../../agent/features/camera-target.js';
import { startEmbeddedBroker } from '../../cli/demo/embedded-broker.js';
import { projectRoot } from '../../platform/project-root.js';
import { startRtspServer } from '../../cli/demo/rtsp-server.js';
import { median, procStats } from './proc-stats.js';
import { scratchDir } from './scratch.js';

const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '100,1000' }, 'agent-seconds': { type: 'string', default: '30' }, 'decode-seconds': { type: 'string', default: '30' }, rounds: { type: 'string', default: '5' } },
});
const sizes = values.sizes!.split(',').map(Number);
const agentSeconds = Number(values['agent-seconds']);
const decodeSeconds = Number(values['decode-seconds']);
const rounds = Number(values.rounds);
const AUTH = { username: 'admin', password: 'bench-pass' };
const CONCURRENCY = 64;
const root = projectRoot();

async function startSim(count: number) {
  const child = spawn(process.execPath, [path.join(root, 'dist/scripts/sim/rtsp-sim-main.js'), JSON.stringify({ count, auth: AUTH })], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((r) => createInterface({ input: child.stdout! }).once('line', r));
  return { ports: (JSON.parse(line) as { ports: number[] }).ports, stop: () => child.kill('SIGTERM') };
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function timed(label: string, ops: number, fn: () => Promise<void>) {
  const c0 = cpuNow();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const cpu = cpuNow() - c0;
  return { label, ops, wallMs: wall, perSec: (ops / wall) * 1000, cpuPerOpMs: cpu / ops };
}

async function socketRungs(n: number) {
  const sim = await startSim(n);
  const url = (p: number) => `rtsp://127.0.0.1:${p}/live`;
  // latency at concurrency 1 (first 100 endpoints)
  const sample = sim.ports.slice(0, 100);
  const optLat: number[] = [];
  for (const p of sample) {
    const t = performance.now();
    await rtspDescribe({ host: '127.0.0.1', port: p, url: url(p), method: 'OPTIONS', deadlineMs: 5000 });
    optLat.push(performance.now() - t);
  }
  const queue = new PQueue({ concurrency: CONCURRENCY });
  // at least 5,000 operations per measurement, whatever N, so small N is not all warm-up noise
  const reps = Math.max(rounds, Math.ceil(5000 / n));
  const optionsRound = () => Promise.all(sim.ports.map((p) => queue.add(() => rtspDescribe({ host: '127.0.0.1', port: p, url: url(p), method: 'OPTIONS', deadlineMs: 5000 }))));
  await optionsRound(); // warm-up
  const options = await timed('bare OPTIONS', n * reps, async () => {
    for (let r = 0; r < reps; r++) await optionsRound();
  });

  const sink: MonitorSink = { status: () => {}, transition: () => {}, removed: () => {}, faultsChanged: () => {}, round: () => {} };
  const monitor = new CameraMonitor({
    log: pino({ level: 'silent' }),
    now: Date.now,
    sockets: new PQueue({ concurrency: CONCURRENCY }),
    ffmpeg: new PQueue({ concurrency: 1 }),
    ladder: () => ({ credentials: [], livenessDeadlineMs: 5000, decodeDeadlineMs: 1000 }),
    offlineAfter: () => 3,
    decodeEnabled: () => false,
    clockDriftWarnMs: () => 5000,
    sink,
  });
  for (const [i, p] of sim.ports.entries()) {
    const target: CameraTarget = { id: `c${i}`, name: null, xaddr: undefined, endpoint: undefined, rtspUrl: `rtsp://${AUTH.username}:${AUTH.password}@127.0.0.1:${p}/live`, credentialName: undefined, pointId: null, category: null, origin: 'config' };
    monitor.upsert(target);
  }
  await monitor.checkLiveness(); // first round learns each camera's Digest challenge
  const recs = [...monitor.cameras.values()];
  const failed = recs.filter((r) => r.health.state !== 'online').length;
  const livLat: number[] = [];
  for (const rec of recs.slice(0, 100)) {
    const t = performance.now();
    await monitor.checkLiveness([rec.probe.target.id]);
    livLat.push(performance.now() - t);
  }
  await monitor.checkLiveness(); // warm-up
  const liveness = await timed('liveness check', n * reps, async () => {
    for (let r = 0; r < reps; r++) await monitor.checkLiveness();
  });
  sim.stop();
  return { options, liveness, optLatMs: median(optLat), livLatMs: median(livLat), failed, reps };
}

async function agentProcess(n: number) {
  const sim = await startSim(n);
  const broker = await startEmbeddedBroker();
  const dir = scratchDir('xl-bench-');
  const cfg = path.join(dir, 'agent.yaml');
  writeFileSync(
    cfg,
    stringify({
      agentId: 'bench',
      mqtt: { url: broker.url, protocolVersion: 4 },
      cameras: sim.ports.map((p, i) => ({ id: `cam-${i}`, rtsp: `rtsp://${AUTH.username}:${AUTH.password}@127.0.0.1:${p}/live` })),
      discovery: { enabled: false },
      checks: { livenessSchedule: '*/5 * * * * *', decode: false, picture: { enabled: false } },
      summaryIntervalSec: 10,
      stateDir: dir,
      logLevel: 'warn',
    }),
  );
  const sub = mqtt.connect(broker.url, { protocolVersion: 4 });
  let statuses = 0;
  sub.on('message', (topic) => {
    if (topic.endsWith('/status')) statuses += 1;
  });
  await new Promise<void>((r) => sub.once('connect', () => r()));
  await sub.subscribeAsync('xueliang/v1/agents/bench/cameras/+/status', { qos: 0 });
  // started as the installed `xueliang` command starts it (see agent/node-flags.ts)
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, path.join(root, 'dist/cli/main.js'), 'agent', '--config', cfg], { stdio: ['ignore', 'ignore', 'inherit'] });
  await new Promise((r) => setTimeout(r, 6000)); // start-up and first round
  const s0 = procStats(child.pid!);
  const st0 = statuses;
  const rss: number[] = [];
  const t0 = Date.now();
  while (Date.now() - t0 < agentSeconds * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    rss.push(procStats(child.pid!).rssMb);
  }
  const s1 = procStats(child.pid!);
  const secs = (Date.now() - t0) / 1000;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await sub.endAsync(true);
  await broker.close();
  sim.stop();
  const checks = statuses - st0;
  return { checksPerSec: checks / secs, cpuPct: ((s1.cpuMs - s0.cpuMs) / (secs * 1000)) * 100, cpuMsPerCheck: (s1.cpuMs - s0.cpuMs) / Math.max(1, checks), rssMb: median(rss), peakRssMb: s1.hwmMb };
}

async function decodeRate() {
  const rtsp = await startRtspServer({ mounts: { '/a': 'smpte', '/b': 'ball' }, auth: AUTH });
  const cores = os.cpus().length;
  const queue = new PQueue({ concurrency: cores });
  let done = 0;
  let ok = 0;
  const t0 = Date.now();
  const worker = async (i: number) => {
    while (Date.now() - t0 < decodeSeconds * 1000) {
      const r = await decodeKeyframe({ url: rtsp.url(i % 2 ? '/a' : '/b', AUTH), secrets: [AUTH.password] }, 20_000);
      done += 1;
      if (r.ok) ok += 1;
    }
  };
  await Promise.all(Array.from({ length: cores }, (_, i) => queue.add(() => worker(i))));
  const secs = (Date.now() - t0) / 1000;
  await rtsp.close();
  return { cores, perMin: (done / secs) * 60, ok, done };
}

const f = (x: number, d = 1) => x.toFixed(d);
console.log(`xueliang liveness benchmark — node ${process.version}, ${os.cpus().length} cores, loopback only\n`);
for (const n of sizes) {
  const r = await socketRungs(n);
  console.log(`N = ${n} endpoints (Digest auth), ${r.reps} rounds, concurrency ${CONCURRENCY}${r.failed ? `, ${r.failed} cameras NOT online (bench invalid)` : ''}`);
  console.log(`  bare OPTIONS     ${f(r.options.perSec, 0).padStart(7)} /s   CPU ${f(r.options.cpuPerOpMs * 1000, 0)} µs/op   median latency ${f(r.optLatMs, 2)} ms`);
  console.log(`  liveness check   ${f(r.liveness.perSec, 0).padStart(7)} /s   CPU ${f(r.liveness.cpuPerOpMs * 1000, 0)} µs/check   median latency ${f(r.livLatMs, 2)} ms`);
  console.log(`  cost ratio       CPU ${f(r.liveness.cpuPerOpMs / r.options.cpuPerOpMs, 2)}×   wall ${f(r.options.perSec / r.liveness.perSec, 2)}×   latency ${f(r.livLatMs / r.optLatMs, 2)}×   (goal ≤ 1.5×)`);
  const a = await agentProcess(n);
  console.log(`  agent process    (node ${AGENT_NODE_FLAGS.join(' ')})`);
  console.log(`                   ${f(a.checksPerSec, 1)} checks/s published (schedule: every 5 s)   CPU ${f(a.cpuPct)}% of one core, ${f(a.cpuMsPerCheck, 2)} ms/check   RSS ${f(a.rssMb, 0)} MB, peak ${f(a.peakRssMb, 0)} MB (goal < 120 MB at 1,000)\n`);
}
const d = await decodeRate();
console.log(`decode checks (first keyframe of 320x240 H.264, one ffmpeg each, ${d.cores} at once): ${f(d.perMin, 0)} per minute (${d.ok}/${d.done} ok)`);
process.exit(0);
