/**
 * Gateway benchmark (issue 12), the baseline of today's agent: N RTSP cameras
 * (one pre-encoded 720p H.264 clip served on N mounts by one process:
 * scripts/sim/rtsp-clip-server.ts) watched by a real agent process with the
 * default rhythm (liveness every 60 s, decode every 5 min, picture every
 * 15 min). Prints: agent + children CPU % of the machine after the first
 * minute and peak RSS, how long a camera made dead mid-run takes to turn
 * offline, and the CPU of one decode check against one keyframe-only ffmpeg
 * run on the same stream; from the agent's summaries, the checks it ran per
 * minute by kind and how long the oldest waiting check had waited (queue lag).
 * Run: npm run bench:gateway  [-- --cameras 200 --minutes 6]
 * Everything runs on 127.0.0.1 and stops by itself.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { agentSummaryMessage, cameraStatusMessage, topics, type AgentSummaryMessage } from '../../protocols/index.js';
import { encodeClip, startClipServer } from '../sim/rtsp-clip-server.js';
import { projectRoot } from '../sim/project-root.js';
import { mosquitto } from './broker.js';
import { median } from './proc-stats.js';

const { values } = parseArgs({ options: { cameras: { type: 'string', default: '200' }, minutes: { type: 'string', default: '6' } } });
const N = Number(values.cameras);
const MINUTES = Number(values.minutes);
if (!Number.isInteger(N) || N < 1 || N > 5000) throw new Error('--cameras takes 1..5000');
if (!(MINUTES >= 1 && MINUTES <= 60)) throw new Error('--minutes takes 1..60');
const cores = os.cpus().length;
const TICK_MS = 10;
// the clip server runs in this process: the probes below must not block its event loop
const run = promisify(execFile);

/** CPU (ms) of a process and of its waited-for children, and the RSS (MB) of it and its live children. */
function tree(pid: number): { cpuMs: number; rssMb: number } {
  const stat = (p: number) => readFileSync(`/proc/${p}/stat`, 'latin1').slice(readFileSync(`/proc/${p}/stat`, 'latin1').lastIndexOf(')') + 2).split(' ');
  const rss = (p: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'latin1'))?.[1] ?? 0) / 1024;
  const f = stat(pid);
  let cpuMs = (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS;
  let rssMb = rss(pid);
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const g = stat(Number(d));
      if (Number(g[1]) !== pid) continue;
      // live children (ffmpeg, ffprobe): their time so far and their memory
      cpuMs += (Number(g[11]) + Number(g[12])) * TICK_MS;
      rssMb += rss(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return { cpuMs, rssMb };
}

/** CPU seconds of this process's finished children. */
function childrenCpuS(): number {
  const f = readFileSync('/proc/self/stat', 'latin1');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(x[13]) + Number(x[14])) / 100;
}

const clip = encodeClip({ width: 1280, height: 720, fps: 25, gopSeconds: 2, seconds: 10 });
const server = await startClipServer(clip, N + 1);
const broker = await mosquitto();
const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-bench-gw-'));
const t = topics();

// one decode check as the agent runs it today, against one keyframe-only ffmpeg run, on the same stream
const decodeCpu: number[] = [];
const keyframeCpu: number[] = [];
for (let r = 0; r < 3; r++) {
  let c0 = childrenCpuS();
  await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '10000000', '-select_streams', 'v:0', '-count_frames', '-read_intervals', '%+2', '-show_entries', 'stream=nb_read_frames', '-of', 'json', server.url(N)]);
  decodeCpu.push(childrenCpuS() - c0);
  c0 = childrenCpuS();
  await run('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '10000000', '-skip_frame', 'nokey', '-i', server.url(N), '-map', '0:v:0', '-frames:v', '1', '-f', 'null', '-']);
  keyframeCpu.push(childrenCpuS() - c0);
}

const cameras = Array.from({ length: N }, (_, i) => ({ id: `cam-${i}`, rtsp: server.url(i) }));
const config = {
  agentId: 'gw-bench',
  stateDir: path.join(dir, 'state'),
  logLevel: 'warn',
  mqtt: { url: broker.url },
  discovery: { enabled: false },
  summaryIntervalSec: 10,
  cameras,
};
const file = path.join(dir, 'agent.yaml');
writeFileSync(file, stringify(config));
const cli = path.join(projectRoot(), 'dist', 'cli', 'main.js');
const agent = spawn(process.execPath, [cli, 'agent', '--config', file], { stdio: ['ignore', 'ignore', 'inherit'] });

// the agent's summaries (checks done and queue lag by kind) and the dead camera's state
const dead = N - 1;
let deadAt = 0;
let deadOfflineAt = 0;
const summaries: Array<{ at: number; checks: NonNullable<AgentSummaryMessage['checks']> }> = [];
const watcher = mqtt.connect(broker.url, { protocolVersion: 5 });
watcher.on('message', (topic, payload) => {
  if (payload.length === 0) return;
  if (topic === t.summary('gw-bench')) {
    const m = agentSummaryMessage.safeParse(JSON.parse(payload.toString()));
    if (m.success && m.data.checks) summaries.push({ at: Date.now(), checks: m.data.checks });
    return;
  }
  if (!deadAt || deadOfflineAt) return;
  const s = cameraStatusMessage.safeParse(JSON.parse(payload.toString()));
  if (s.success && s.data.cameraId === `cam-${dead}` && s.data.state === 'offline') deadOfflineAt = Date.now();
});
await new Promise<void>((r) => watcher.once('connect', () => r()));
await watcher.subscribeAsync([t.all.cameraStatuses, t.summary('gw-bench')], { qos: 0 });

const start = Date.now();
const samples: Array<{ at: number; cpuMs: number; rssMb: number }> = [];
let peakRss = 0;
const endAt = start + MINUTES * 60_000;
while (Date.now() < endAt) {
  await new Promise((r) => setTimeout(r, 2000));
  if (agent.exitCode !== null) throw new Error('the agent exited');
  const s = tree(agent.pid!);
  samples.push({ at: Date.now(), ...s });
  peakRss = Math.max(peakRss, s.rssMb);
  if (!deadAt && Date.now() > start + (MINUTES * 60_000) / 2) {
    deadAt = Date.now();
    server.down.add(dead);
  }
}
// CPU over the window after the first minute (start-up: the first round of every camera)
const from = samples.find((x) => x.at >= start + 60_000) ?? samples[0]!;
const to = samples.at(-1)!;
const cpuPct = ((to.cpuMs - from.cpuMs) / (to.at - from.at) / cores) * 100;
console.log(`gateway benchmark — ${N} RTSP cameras (720p H.264, 25 fps, GOP 2 s, one clip on ${N} mounts), today's agent with its default rhythm, ${MINUTES} min, ${cores} cores`);
const after = summaries.filter((x) => x.at >= start + 60_000);
if (after.length >= 2) {
  const [a, b] = [after[0]!, after.at(-1)!];
  const mins = (b.at - a.at) / 60_000;
  const kinds = ['liveness', 'decode', 'picture'] as const;
  const rate = (k: (typeof kinds)[number]) => ((b.checks[k]?.done ?? 0) - (a.checks[k]?.done ?? 0)) / mins;
  const lags = (k: (typeof kinds)[number]) => after.map((x) => x.checks[k]?.lagMs ?? 0).sort((p, q) => p - q);
  const pct = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]! / 1000;
  console.log(`  checks per minute: ${kinds.map((k) => `${k} ${rate(k).toFixed(1)}`).join(', ')}   (the rhythm asks for liveness ${N}, decode ${(N / 5).toFixed(0)}, picture ${(N / 15).toFixed(1)})`);
  console.log(`  queue lag (oldest waiting check, p50 / p95 of the summaries): ${kinds.map((k) => `${k} ${pct(lags(k), 0.5).toFixed(0)} / ${pct(lags(k), 0.95).toFixed(0)} s`).join(', ')}; waiting at the end: ${kinds.map((k) => `${k} ${b.checks[k]?.queued ?? 0}`).join(', ')}`);
}
console.log(`  agent + children: ${cpuPct.toFixed(1)} % of the ${cores} cores (goal < 50), peak RSS ${peakRss.toFixed(0)} MB (goal < 500)`);
console.log(`  a camera made dead at ${((deadAt - start) / 1000).toFixed(0)} s: offline after ${deadOfflineAt ? ((deadOfflineAt - deadAt) / 1000).toFixed(0) + ' s' : 'not within the run'} (offlineAfter 3 × 60 s liveness)`);
console.log(`  one decode check (ffprobe, 2 s counted) ${median(decodeCpu).toFixed(3)} CPU-s vs one keyframe-only ffmpeg run ${median(keyframeCpu).toFixed(3)} CPU-s: ratio ${(median(decodeCpu) / median(keyframeCpu)).toFixed(2)} (goal ≤ 1)`);
agent.kill('SIGTERM');
await new Promise((r) => agent.once('exit', r));
await watcher.endAsync();
await server.close();
broker.stop();
process.exit(0);
