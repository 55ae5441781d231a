/**
 * Uplink benchmark (issue 26): what a gateway's connection to the centre's
 * broker carries, in bytes per camera per day. N RTSP cameras (the clip
 * server of bench:gateway, one process), a real agent with the default
 * rhythm (liveness every 60 s, decode every 5 min, picture every 15 min),
 * Debian's mosquitto behind a relay that counts the agent's bytes each way.
 * Three runs, each measured after its first rounds (the churn run at least
 * 9 minutes, so that a camera that goes down turns offline and comes back):
 *  - check: `status.publish: check` and `summaryPublish: interval`, every
 *    status after every check (the behaviour before report by exception);
 *  - steady: the defaults (report by exception), nothing changes;
 *  - churn: the defaults, K cameras go down and come back during the window
 *    (2K state changes): the bytes a change costs, and what a stated churn
 *    (a share of the cameras changing state per hour) costs a day.
 * Prints bytes up (agent → broker, what a metered 4G link bills) and down,
 * messages by topic, and the per-day figures against the goals (steady ≤ 10
 * KB per camera per day; churn: the changes' own bytes plus at most that).
 * Run: npm run bench:uplink  [-- --cameras 50 --minutes 5 --churn 1]
 * Everything runs on 127.0.0.1 and stops by itself.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { cameraStatusMessage, parseTopic, topics, type CameraStatusMessage } from '../../protocols/index.js';
import { materialOf, movedBeyond } from '../../agent/features/status-changes.js';
import { encodeClip, startClipServer } from '../sim/rtsp-clip-server.js';
import { projectRoot } from '../../platform/project-root.js';
import { AGENT_NODE_FLAGS } from '../../agent/node-flags.js';
import { mosquitto } from './broker.js';
import { startByteRelay } from './byte-relay.js';
import { scratchDir } from './scratch.js';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '50' },
    minutes: { type: 'string', default: '5' },
    churn: { type: 'string', default: '1' },
    flips: { type: 'string' },
    scenes: { type: 'string', default: 'check,steady,churn' },
  },
});
const N = Number(values.cameras);
const MINUTES = Number(values.minutes);
const CHURN = Number(values.churn);
if (!Number.isInteger(N) || N < 1 || N > 2000) throw new Error('--cameras takes 1..2000');
if (!(MINUTES >= 2 && MINUTES <= 120)) throw new Error('--minutes takes 2..120');
if (!(CHURN >= 0 && CHURN <= 100)) throw new Error('--churn takes a percentage per hour, 0..100');
const FLIPS = Math.max(1, Math.min(N, Number(values.flips ?? Math.ceil(N / 10))));
const DAY_S = 86_400;
const WARMUP_ROUNDS = 2;
/** how long a churned camera stays down: three failed liveness rounds (offlineAfter) and a round of phase */
const DOWN_MS = 4.5 * 60_000;

const clip = encodeClip({ codec: 'h264', width: 1280, height: 720, fps: 25, gopSeconds: 1, seconds: 8 });
const server = await startClipServer(clip, N);
const t = topics();

interface Scene {
  name: 'check' | 'steady' | 'churn';
  up: number;
  down: number;
  seconds: number;
  messages: Map<string, { count: number; bytes: number }>;
  changes: number;
  statusKinds: { refresh: number; changes: Map<string, number> };
}

async function runScene(name: Scene['name']): Promise<Scene> {
  const broker = await mosquitto();
  const relay = await startByteRelay(Number(new URL(broker.url).port));
  const dir = scratchDir('xl-bench-uplink-');
  const agentId = `gw-${name}`;
  const legacy = name === 'check' ? { status: { publish: 'check' }, summaryPublish: 'interval' } : {};
  const config = {
    agentId,
    stateDir: path.join(dir, 'state'),
    logLevel: 'warn',
    mqtt: { url: `mqtt://127.0.0.1:${relay.port}` },
    discovery: { enabled: false },
    cameras: Array.from({ length: N }, (_, i) => ({ id: `cam-${i}`, rtsp: server.url(i) })),
    ...legacy,
  };
  const file = path.join(dir, 'agent.yaml');
  writeFileSync(file, stringify(config));
  const cli = path.join(projectRoot(), 'dist', 'cli', 'main.js');
  const agent = spawn(process.execPath, [...AGENT_NODE_FLAGS, cli, 'agent', '--config', file], { stdio: ['ignore', 'ignore', 'inherit'] });

  // what the agent sends, by kind of topic, counted from a subscriber on the broker itself
  const messages = new Map<string, { count: number; bytes: number }>();
  let counting = false;
  let rounds = 0;
  // each status in the window: the same news again (a refresh) or a change, and of what
  const lastStatus = new Map<string, CameraStatusMessage>();
  const statusKinds = { refresh: 0, changes: new Map<string, number>() };
  const watcher = mqtt.connect(broker.url, { protocolVersion: 5 });
  watcher.on('message', (topic, payload, packet) => {
    const kind = parseTopic(t.root, topic)?.kind ?? 'other';
    if (kind === 'round' && !packet.retain) rounds += 1;
    if (kind === 'cameraStatus' && payload.length > 0) {
      const s = cameraStatusMessage.parse(JSON.parse(payload.toString()));
      const before = lastStatus.get(s.cameraId);
      lastStatus.set(s.cameraId, s);
      if (counting && before) {
        const what = changedFields(before, s);
        if (what.length === 0) statusKinds.refresh += 1;
        for (const w of what) statusKinds.changes.set(w, (statusKinds.changes.get(w) ?? 0) + 1);
      }
    }
    if (!counting || packet.retain) return;
    const m = messages.get(kind) ?? { count: 0, bytes: 0 };
    m.count += 1;
    m.bytes += payload.length + topic.length;
    messages.set(kind, m);
  });
  await new Promise<void>((r) => watcher.once('connect', () => r()));
  await watcher.subscribeAsync(`${t.root}/agents/${agentId}/#`, { qos: 0 });

  const deadline = Date.now() + (WARMUP_ROUNDS + 3) * 60_000;
  while (rounds < WARMUP_ROUNDS && Date.now() < deadline) {
    if (agent.exitCode !== null) throw new Error('the agent exited');
    await new Promise((r) => setTimeout(r, 500));
  }
  if (rounds < WARMUP_ROUNDS) throw new Error(`no round message within ${WARMUP_ROUNDS + 3} minutes: is the agent checking?`);
  counting = true;
  const up0 = relay.up;
  const down0 = relay.down;
  const start = Date.now();
  // churn: FLIPS cameras go down at evenly spaced times, each for DOWN_MS (long enough to turn offline: offlineAfter
  // failed rounds of 60 s, and its phase in the round), then back; the window runs until the last is back and checked
  const churnMs = name === 'churn' ? Math.max(MINUTES * 60_000, 2 * DOWN_MS) : MINUTES * 60_000;
  const end = start + churnMs;
  let changes = 0;
  const flips = name === 'churn' ? Array.from({ length: FLIPS }, (_, k) => ({ cam: Math.floor(((k + 0.5) * N) / FLIPS), downAt: start + ((k + 0.5) * (churnMs - DOWN_MS - 90_000)) / FLIPS, upAt: 0, done: 0 })) : [];
  for (const f of flips) f.upAt = f.downAt + DOWN_MS;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 1000));
    if (agent.exitCode !== null) throw new Error('the agent exited');
    const now = Date.now();
    for (const f of flips) {
      if (f.done === 0 && now >= f.downAt) {
        server.down.add(f.cam);
        f.done = 1;
      } else if (f.done === 1 && now >= f.upAt) {
        server.down.delete(f.cam);
        f.done = 2;
      }
    }
  }
  const seconds = (Date.now() - start) / 1000;
  const up = relay.up - up0;
  const down = relay.down - down0;
  counting = false;
  for (const f of flips) server.down.delete(f.cam);
  // a change is a state event: online → offline, offline → online
  changes = messages.get('events')?.count ?? 0;
  agent.kill('SIGTERM');
  await new Promise((r) => agent.once('exit', r));
  await watcher.endAsync(true);
  await relay.close();
  broker.stop();
  return { name, up, down, seconds, messages, changes, statusKinds };
}

/** The fields whose change is news (agent/features/status-changes.ts), by name, that differ between two statuses. */
function changedFields(a: CameraStatusMessage, b: CameraStatusMessage): string[] {
  const rule = { fpsTolerance: 0.2, clockDriftToleranceMs: 5000, offlineAfter: 3 };
  if (materialOf(a, rule.offlineAfter) === materialOf(b, rule.offlineAfter) && !movedBeyond(b, a, rule)) return [];
  const fields = ['state', 'since', 'rung', 'reason', 'consecutiveFailures', 'name', 'pointId', 'category', 'address', 'streamUri', 'stream', 'device', 'faults', 'rungs', 'recording', 'clockDriftMs'] as const;
  const out = fields.filter((f) => materialOf({ ...a, [f]: b[f] } as CameraStatusMessage, rule.offlineAfter) !== materialOf(a, rule.offlineAfter) || (f === 'stream' || f === 'clockDriftMs' ? movedBeyond({ ...a, [f]: b[f] } as CameraStatusMessage, a, rule) : false));
  return out.length > 0 ? out : ['other'];
}

const perCameraDay = (bytes: number, seconds: number) => (bytes / N / seconds) * DAY_S;
const kb = (b: number) => `${(b / 1000).toFixed(1)} KB`;
console.log(`uplink benchmark — ${N} RTSP cameras (720p H.264), the agent with its default rhythm, ${MINUTES} min measured per run after ${WARMUP_ROUNDS} rounds, mosquitto on 127.0.0.1 behind a byte-counting relay`);
const scenes: Scene[] = [];
const wanted = new Set(values.scenes!.split(','));
for (const name of (['check', 'steady', 'churn'] as const).filter((x) => wanted.has(x))) {
  const s = await runScene(name);
  scenes.push(s);
  const byKind = [...s.messages.entries()]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([k, m]) => `${k} ${m.count} (${kb(m.bytes)})`)
    .join(', ');
  console.log(`  ${name.padEnd(6)}: up ${kb(s.up)}, down ${kb(s.down)} in ${s.seconds.toFixed(0)} s → ${kb(perCameraDay(s.up, s.seconds))} up per camera per day (down ${kb(perCameraDay(s.down, s.seconds))}); messages: ${byKind || 'none'}${name === 'churn' ? `; ${s.changes} state changes` : ''}`);
  if (name !== 'check') console.log(`          statuses: ${s.statusKinds.refresh} refreshes (nothing new), changes of ${[...s.statusKinds.changes.entries()].map(([k, n]) => `${k} ${n}`).join(', ') || 'nothing'}`);
}
if (scenes.length < 3) {
  await server.close();
  process.exit(0);
}
const [check, steady, churn] = scenes as [Scene, Scene, Scene];
const steadyDay = perCameraDay(steady.up, steady.seconds);
const checkDay = perCameraDay(check.up, check.seconds);
// the daily refresh (status.refreshMinutes 1440: each camera's status once a day, at its slot) rarely falls in a
// window of minutes: counted from the mean status size of the check run, once per camera per day
const statusBytes = (check.messages.get('cameraStatus')?.bytes ?? 0) / Math.max(1, check.messages.get('cameraStatus')?.count ?? 0);
const refreshDay = statusBytes + 4; // the PUBLISH header beside topic and payload, about
console.log(`  steady: ${kb(steadyDay)} measured + the daily refresh ${kb(refreshDay)} (one status of ${statusBytes.toFixed(0)} bytes per camera per day) = ${kb(steadyDay + refreshDay)} per camera per day (goal ≤ 10 KB); status.publish check: ${kb(checkDay)} (${(checkDay / Math.max(1, steadyDay + refreshDay)).toFixed(0)}× more)`);
if (churn.changes > 0) {
  const extra = churn.up - (steady.up / steady.seconds) * churn.seconds;
  const perChange = extra / churn.changes;
  const stated = steadyDay + refreshDay + (CHURN / 100) * 24 * perChange;
  console.log(`  churn: ${churn.changes} state changes cost ${kb(Math.max(0, extra))} above steady, ${(perChange / 1000).toFixed(2)} KB each (the status, its event, the summary, on the wire)`);
  console.log(`  at ${CHURN}% of cameras changing state per hour: ${kb(stated)} per camera per day = the changes ${kb(stated - steadyDay - refreshDay)} + steady ${kb(steadyDay + refreshDay)} (goal: the changes plus at most 10 KB)`);
}
await server.close();
