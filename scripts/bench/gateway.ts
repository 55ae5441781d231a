/**
 * Gateway benchmark (issue 12): N RTSP cameras, a mix of 720p and 1080p,
 * H.264 and H.265, GOPs of 1 to 4 s (four pre-encoded clips served on N
 * mounts by one process, scripts/sim/rtsp-clip-server.ts; each session
 * starts between keyframes, as a camera's does), watched by a real agent
 * process with the default rhythm (liveness every 60 s, decode every 5 min,
 * picture every 15 min). Prints:
 *  - the CPU of one decode check (alone, and per camera in a group of
 *    checks.decodeGroup) and of one picture check, against one keyframe-only
 *    ffmpeg run on the same streams, measured in this run;
 *  - agent + children CPU % of the machine after the first round, peak total
 *    memory (PSS: a shared library counts once; and the sum of RSS);
 *  - from the agent's summaries, checks per minute by kind, queue lag
 *    (p50/p95) and checks waiting at a third of the run and at its end;
 *  - how long cameras made dead at a third of the run take to turn offline.
 * Run: npm run bench:gateway  [-- --cameras 2000 --minutes 15]
 *   (--stream-reader ffmpeg: ffmpeg reads the streams, as before the agent's own reader)
 *   --onvif: each camera an ONVIF device of its own (simulated over real SOAP), its device rungs every round
 *   --channels 16: the cameras as channels of NVRs of 16 (2,000 cameras: 125 NVRs), the device rungs once per NVR
 * Everything runs on 127.0.0.1 and stops by itself.
 */
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { agentSummaryMessage, cameraStatusMessage, topics, type AgentSummaryMessage } from '../../protocols/index.js';
import { decodeKeyframes } from '../../agent/adapters/keyframe-decode.js';
import { grabKeyframes, type GrabResult } from '../../agent/adapters/keyframe-grab.js';
import { analysePictures } from '../../agent/adapters/picture.js';
import { agentConfigSchema as agentConfig } from '../../config/agent.js';
import { encodeClip, startClipServer, type ClipOptions } from '../sim/rtsp-clip-server.js';
import { startOnvifSimulator } from '../../cli/demo/onvif-sim.js';
import { projectRoot } from '../../platform/project-root.js';
import { AGENT_NODE_FLAGS } from '../../agent/node-flags.js';
import { mosquitto } from './broker.js';
import { median } from './proc-stats.js';
import { scratchDir } from './scratch.js';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '200' },
    minutes: { type: 'string', default: '6' },
    dead: { type: 'string', default: '10' },
    'max-ffmpeg': { type: 'string' },
    'picture-concurrent': { type: 'string' },
    'picture-group': { type: 'string' },
    'decode-group': { type: 'string' },
    'stream-reader': { type: 'string' },
    'max-streams': { type: 'string' },
    onvif: { type: 'boolean', default: false },
    channels: { type: 'string' },
  },
});
const N = Number(values.cameras);
const MINUTES = Number(values.minutes);
const DEAD = Math.min(Number(values.dead), Math.floor(N / 10));
if (!Number.isInteger(N) || N < 1 || N > 5000) throw new Error('--cameras takes 1..5000');
if (!(MINUTES >= 1 && MINUTES <= 60)) throw new Error('--minutes takes 1..60');
/** cameras per ONVIF device: 0 RTSP cameras without ONVIF, 1 ONVIF cameras, more: channels of NVRs */
const PER_DEVICE = values.channels !== undefined ? Number(values.channels) : values.onvif ? 1 : 0;
if (!Number.isInteger(PER_DEVICE) || PER_DEVICE < 0 || PER_DEVICE > 64) throw new Error('--channels takes 1..64');
const cores = os.cpus().length;
const TICK_MS = 10;
const run = promisify(execFile);

const readStat = (p: number) => {
  const s = readFileSync(`/proc/${p}/stat`, 'latin1');
  return s.slice(s.lastIndexOf(')') + 2).split(' ');
};
const kbOf = (text: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);

/** CPU (ms) of a process and of its children (finished ones through cutime, live ones by their own time); PSS and RSS (MB) of it and its live children. */
function tree(pid: number): { cpuMs: number; agentUserMs: number; agentSysMs: number; pssMb: number; rssMb: number; agentPssMb: number; children: number } {
  const f = readStat(pid);
  let cpuMs = (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS;
  const agentUserMs = Number(f[11]) * TICK_MS;
  const agentSysMs = Number(f[12]) * TICK_MS;
  let pss = 0;
  let rss = 0;
  const mem = (p: number) => {
    const r = readFileSync(`/proc/${p}/smaps_rollup`, 'latin1');
    pss += kbOf(r, 'Pss');
    rss += kbOf(r, 'Rss');
  };
  mem(pid);
  const agentPss = pss;
  let children = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const g = readStat(Number(d));
      if (Number(g[1]) !== pid) continue;
      cpuMs += (Number(g[11]) + Number(g[12])) * TICK_MS;
      mem(Number(d));
      children += 1;
    } catch {
      // gone meanwhile
    }
  }
  return { cpuMs, agentUserMs, agentSysMs, pssMb: pss / 1024, rssMb: rss / 1024, agentPssMb: agentPss / 1024, children };
}

/** CPU seconds of this process's finished children. */
function childrenCpuS(): number {
  const x = readStat(process.pid);
  return (Number(x[13]) + Number(x[14])) / 100;
}

/**
 * CPU seconds a check costs: its ffmpeg children, and this process's own
 * time, which holds our RTSP reader but also the clip server that sends the
 * stream (for the keyframe-only ffmpeg run too: every figure carries it).
 */
async function cpuOf(fn: () => Promise<unknown>): Promise<number> {
  const c0 = childrenCpuS();
  const u0 = process.cpuUsage();
  await fn();
  const u = process.cpuUsage(u0);
  return childrenCpuS() - c0 + (u.user + u.system) / 1e6;
}

const CLIPS: Array<ClipOptions & { label: string }> = [
  { label: '720p H.264 GOP 1 s', codec: 'h264', width: 1280, height: 720, fps: 25, gopSeconds: 1, seconds: 8 },
  { label: '1080p H.264 GOP 2 s', codec: 'h264', width: 1920, height: 1080, fps: 25, gopSeconds: 2, seconds: 8 },
  { label: '720p H.265 GOP 4 s', codec: 'h265', width: 1280, height: 720, fps: 25, gopSeconds: 4, seconds: 12 },
  { label: '1080p H.265 GOP 2 s', codec: 'h265', width: 1920, height: 1080, fps: 20, gopSeconds: 2, seconds: 8 },
];
const clips = CLIPS.map(encodeClip);
const server = await startClipServer(clips, N + CLIPS.length + 32 + 16);
const broker = await mosquitto();
const dir = scratchDir('xl-bench-gw-');
const t = topics();
const checks: Record<string, unknown> = {};
if (values['max-ffmpeg']) checks['maxFfmpeg'] = Number(values['max-ffmpeg']);
const pictureChecks: Record<string, number> = {};
if (values['picture-concurrent']) pictureChecks['maxConcurrent'] = Number(values['picture-concurrent']);
if (values['picture-group']) pictureChecks['group'] = Number(values['picture-group']);
if (Object.keys(pictureChecks).length > 0) checks['picture'] = pictureChecks;
if (values['decode-group']) checks['decodeGroup'] = Number(values['decode-group']);
if (values['stream-reader']) checks['streamReader'] = values['stream-reader'];
if (values['max-streams']) checks['maxStreams'] = Number(values['max-streams']);
const defaults = agentConfig.parse({ agentId: 'x', mqtt: { url: 'mqtt://127.0.0.1' }, checks });
const group = defaults.checks.decodeGroup;
const pictureSettings = defaults.checks.picture;

// the checks as the agent runs them, against one keyframe-only ffmpeg run, on mounts past the agent's cameras
const spare = (k: number) => server.url(N + k);
const keyframeCpu: number[] = [];
const aloneCpu: number[] = [];
const groupCpu: number[] = [];
const pictureCpu: number[] = [];
const pictureGroupCpu: number[] = [];
const pictureGroup = pictureSettings.group;
// the checks as the agent makes them: its own RTSP reader takes the keyframes and ffmpeg decodes them (streamReader agent), or ffmpeg reads the streams
const viaReader = defaults.checks.streamReader === 'agent';
const grabAll = (urls: string[], keyframes: number): Promise<Array<GrabResult | undefined>> =>
  viaReader ? Promise.all(urls.map((url) => grabKeyframes({ url, keyframes, maxStreamMs: pictureSettings.seconds * 1000, deadlineMs: 20_000 }))) : Promise.resolve(urls.map(() => undefined));
const grabbedOf = (g: GrabResult | undefined) => (g?.ok ? g : undefined);
const decodeChecks = async (urls: string[]) => {
  const grabs = await grabAll(urls, 1);
  return decodeKeyframes(urls.map((url, i) => ({ url, secrets: [], grabbed: grabbedOf(grabs[i]) })), 30_000);
};
const pictureRun = async (urls: string[]) => {
  const grabs = await grabAll(urls, pictureSettings.keyframes);
  return analysePictures(urls.map((url, i) => ({ url, secrets: [], grabbed: grabbedOf(grabs[i]) })), pictureSettings, 30_000);
};
for (let r = 0; r < 2; r++) {
  for (let c = 0; c < CLIPS.length; c++) {
    keyframeCpu.push(await cpuOf(() => run('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '10000000', '-skip_frame', 'nokey', '-i', spare(c), '-map', '0:v:0', '-frames:v', '1', '-f', 'null', '-'])));
    aloneCpu.push(await cpuOf(() => decodeChecks([spare(c)])));
    pictureCpu.push(await cpuOf(() => pictureRun([spare(c)])));
  }
  // a group as the batcher forms it: a mix of the four kinds of camera
  const urls = Array.from({ length: group }, (_, k) => spare(CLIPS.length + k));
  let ok = 0;
  groupCpu.push((await cpuOf(async () => (ok = (await decodeChecks(urls)).filter((x) => x.ok).length))) / group);
  if (ok !== group) throw new Error(`a decode group decoded ${ok} of ${group} cameras`);
  const pictureUrls = Array.from({ length: pictureGroup }, (_, k) => spare(CLIPS.length + group + k));
  pictureGroupCpu.push((await cpuOf(async () => (ok = (await pictureRun(pictureUrls)).filter((x) => x.ok).length))) / pictureGroup);
  if (ok !== pictureGroup) throw new Error(`a picture group analysed ${ok} of ${pictureGroup} cameras`);
}

// RTSP cameras; ONVIF cameras (one device each); or NVRs whose channels are the cameras, each channel one mount of the clip server
const devices = PER_DEVICE === 0 ? 0 : Math.ceil(N / PER_DEVICE);
const mountsOf = (d: number) => Array.from({ length: Math.min(PER_DEVICE, N - d * PER_DEVICE) }, (_, j) => d * PER_DEVICE + j);
const onvif =
  PER_DEVICE === 0
    ? undefined
    : await startOnvifSimulator({
        devices: Array.from({ length: devices }, (_, d) => (PER_DEVICE === 1 ? { streams: [server.url(d)] } : { streams: [], channels: mountsOf(d).map((i) => ({ streams: [server.url(i)] })), model: `NVR-${PER_DEVICE}` })),
      });
const cameras = onvif ? onvif.devices.map((dev, d) => ({ id: `dev-${d}`, onvif: dev.xaddr })) : Array.from({ length: N }, (_, i) => ({ id: `cam-${i}`, rtsp: server.url(i) }));
/** the camera id the agent gives the camera on mount i */
const cameraIdOf = (i: number) => (PER_DEVICE === 0 ? `cam-${i}` : PER_DEVICE === 1 ? `dev-${i}` : `dev-${Math.floor(i / PER_DEVICE)}-ch${(i % PER_DEVICE) + 1}`);
// the queue figures come from the summaries: one every 10 s whatever changed (summaryPublish interval; statuses by exception, the default)
const config = { agentId: 'gw-bench', stateDir: path.join(dir, 'state'), logLevel: 'warn', mqtt: { url: broker.url }, discovery: { enabled: false }, summaryIntervalSec: 10, summaryPublish: 'interval', checks, cameras };
const effective = agentConfig.parse(config);
const file = path.join(dir, 'agent.yaml');
writeFileSync(file, stringify(config));
const cli = path.join(projectRoot(), 'dist', 'cli', 'main.js');
// started as the installed `xueliang` command starts it (agent/node-flags.ts)
const agent = spawn(process.execPath, [...AGENT_NODE_FLAGS, cli, 'agent', '--config', file], { stdio: ['ignore', 'ignore', 'inherit'] });

// the agent's summaries (checks done and queue lag by kind) and the dead cameras' states
const dead = Array.from({ length: DEAD }, (_, k) => Math.floor(((k + 0.5) * N) / DEAD));
let deadAt = 0;
const offlineAfterDead = new Map<string, number>();
const summaries: Array<{ at: number; checks: NonNullable<AgentSummaryMessage['checks']> }> = [];
const watcher = mqtt.connect(broker.url, { protocolVersion: 5 });
watcher.on('message', (topic, payload) => {
  if (payload.length === 0) return;
  if (topic === t.summary('gw-bench')) {
    const m = agentSummaryMessage.safeParse(JSON.parse(payload.toString()));
    if (m.success && m.data.checks) summaries.push({ at: Date.now(), checks: m.data.checks });
    return;
  }
  if (!deadAt) return;
  const s = cameraStatusMessage.safeParse(JSON.parse(payload.toString()));
  if (s.success && s.data.state === 'offline' && !offlineAfterDead.has(s.data.cameraId)) offlineAfterDead.set(s.data.cameraId, Date.now() - deadAt);
});
await new Promise<void>((r) => watcher.once('connect', () => r()));
await watcher.subscribeAsync([t.all.cameraStatuses, t.summary('gw-bench')], { qos: 0 });

const start = Date.now();
const samples: Array<{ at: number; cpuMs: number; agentUserMs: number; agentSysMs: number }> = [];
let peakPss = 0;
let peakRss = 0;
let peakAgentPss = 0;
let peakChildren = 0;
const endAt = start + MINUTES * 60_000;
while (Date.now() < endAt) {
  await new Promise((r) => setTimeout(r, 2000));
  if (agent.exitCode !== null) throw new Error('the agent exited');
  const s = tree(agent.pid!);
  samples.push({ at: Date.now(), cpuMs: s.cpuMs, agentUserMs: s.agentUserMs, agentSysMs: s.agentSysMs });
  peakPss = Math.max(peakPss, s.pssMb);
  peakRss = Math.max(peakRss, s.rssMb);
  peakAgentPss = Math.max(peakAgentPss, s.agentPssMb);
  peakChildren = Math.max(peakChildren, s.children);
  if (!deadAt && Date.now() > start + (MINUTES * 60_000) / 3) {
    deadAt = Date.now();
    for (const d of dead) server.down.add(d);
  }
}
// CPU over the window after the first minute (start-up: every camera's first round at once)
const from = samples.find((x) => x.at >= start + 60_000) ?? samples[0]!;
const to = samples.at(-1)!;
const cpuPct = ((to.cpuMs - from.cpuMs) / (to.at - from.at) / cores) * 100;
const pctOf = (ms: number) => ((ms / (to.at - from.at) / cores) * 100).toFixed(1);
const agentAlone = `the agent process alone ${pctOf(to.agentUserMs + to.agentSysMs - from.agentUserMs - from.agentSysMs)} % (user ${pctOf(to.agentUserMs - from.agentUserMs)}, system ${pctOf(to.agentSysMs - from.agentSysMs)})`;
const mix = CLIPS.map((c) => c.label).join(', ');
const shape = PER_DEVICE === 0 ? `${N} RTSP cameras` : PER_DEVICE === 1 ? `${N} ONVIF cameras (one device each, simulated over SOAP)` : `${N} cameras as channels of ${devices} NVRs of ${PER_DEVICE} (simulated over SOAP)`;
console.log(`gateway benchmark — ${shape} (${mix}; one clip server), the agent with its default rhythm, ${MINUTES} min, ${cores} cores`);
if (onvif) {
  const soap = onvif.devices.reduce((n, d) => n + [...d.calls.values()].reduce((a, b) => a + b, 0), 0);
  const time = onvif.devices.reduce((n, d) => n + (d.calls.get('GetSystemDateAndTime') ?? 0), 0);
  console.log(`  ONVIF: ${soap} SOAP requests in the run (${(soap / MINUTES).toFixed(0)} a minute), of which ${time} time requests (the tcp rung: ${(time / MINUTES).toFixed(0)} a minute for ${devices} devices)`);
}
console.log(`  agent (node ${AGENT_NODE_FLAGS.join(' ')}): streamReader ${effective.checks.streamReader}, maxStreams ${effective.checks.maxStreams}, decodeGroup ${effective.checks.decodeGroup}, maxFfmpeg ${effective.checks.maxFfmpeg}, picture.maxConcurrent ${effective.checks.picture.maxConcurrent}, picture.group ${effective.checks.picture.group}, picture ${effective.checks.picture.keyframes} keyframes in at most ${effective.checks.picture.seconds} s`);
const after = summaries.filter((x) => x.at >= start + 60_000);
const kinds = ['liveness', 'decode', 'picture'] as const;
if (after.length >= 2) {
  const [a, b] = [after[0]!, after.at(-1)!];
  const third = after.find((x) => x.at >= start + (MINUTES * 60_000) / 3) ?? a;
  const mins = (b.at - a.at) / 60_000;
  const rate = (k: (typeof kinds)[number]) => ((b.checks[k]?.done ?? 0) - (a.checks[k]?.done ?? 0)) / mins;
  const lags = (k: (typeof kinds)[number]) => after.map((x) => x.checks[k]?.lagMs ?? 0).sort((p, q) => p - q);
  const pct = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]! / 1000;
  console.log(`  checks per minute: ${kinds.map((k) => `${k} ${rate(k).toFixed(1)}`).join(', ')}   (the rhythm asks for liveness ${N}, decode ${(N / 5).toFixed(0)}, picture ${(N / 15).toFixed(1)})`);
  // a picture check of the main stream stands for that camera's decode (the decode round skips it): here every camera has its main stream only
  console.log(`  streams proven to decode per minute: ${(rate('decode') + rate('picture')).toFixed(1)} (decode checks, and picture checks, which read the main stream here and stand for its decode; the rhythm asks for ${(N / 5).toFixed(0)})`);
  console.log(`  queue lag (oldest waiting check, p50 / p95 of the summaries): ${kinds.map((k) => `${k} ${pct(lags(k), 0.5).toFixed(0)} / ${pct(lags(k), 0.95).toFixed(0)} s`).join(', ')}`);
  console.log(`  checks waiting at a third of the run → at the end: ${kinds.map((k) => `${k} ${third.checks[k]?.queued ?? 0} → ${b.checks[k]?.queued ?? 0}`).join(', ')}`);
}
console.log(`  agent + children: ${cpuPct.toFixed(1)} % of the ${cores} cores (goal < 50; ${agentAlone}); peak memory PSS ${peakPss.toFixed(0)} MB (goal < 500; the agent process alone at most ${peakAgentPss.toFixed(0)} MB, at most ${peakChildren} ffmpeg at once), sum of RSS ${peakRss.toFixed(0)} MB`);
const times = dead.map((d) => offlineAfterDead.get(cameraIdOf(d))).filter((x): x is number => x !== undefined).sort((p, q) => p - q);
const limit = effective.checks.offlineAfter * 60;
console.log(
  `  ${DEAD} cameras made dead at ${((deadAt - start) / 1000).toFixed(0)} s: ${times.length} offline within the run, p50 ${times.length ? (median(times) / 1000).toFixed(0) : '-'} s, p95 ${times.length ? (times[Math.min(times.length - 1, Math.floor(0.95 * times.length))]! / 1000).toFixed(0) : '-'} s (offlineAfter ${effective.checks.offlineAfter} × 60 s liveness = ${limit} s, plus up to one period for the camera's phase)`,
);
const k = median(keyframeCpu);
console.log(`  CPU per check: keyframe-only ffmpeg run ${k.toFixed(3)} s; decode check alone ${median(aloneCpu).toFixed(3)} s (${(median(aloneCpu) / k).toFixed(2)}×), in a group of ${group} ${median(groupCpu).toFixed(3)} s per camera (${(median(groupCpu) / k).toFixed(2)}×, goal ≤ 1); picture check alone ${median(pictureCpu).toFixed(3)} s (${(median(pictureCpu) / k).toFixed(2)}×), in a group of ${pictureGroup} ${median(pictureGroupCpu).toFixed(3)} s per camera (${(median(pictureGroupCpu) / k).toFixed(2)}×, goal ≤ 2)`);
agent.kill('SIGTERM');
await new Promise((r) => agent.once('exit', r));
await watcher.endAsync();
await server.close();
await onvif?.close();
broker.stop();
process.exit(0);
