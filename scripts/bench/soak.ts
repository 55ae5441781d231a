/**
 * Soak benchmark (issue 5): the agent, in this process, watches 200 simulated
 * RTSP cameras through many check cycles while a tenth of them fail and
 * recover every few seconds; prints RSS, heap and open handles over time, and
 * the outbox's throughput (events journaled and acknowledged by mosquitto).
 * Run: npm run bench:soak  [-- --cameras 200 --seconds 120]
 * Everything runs on 127.0.0.1 and stops by itself.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { AgentApp } from '../../agent/app.js';
import { Journal } from '../../agent/adapters/journal.js';
import { MqttConnection } from '../../platform/mqtt-client.js';
import { Outbox, type OutboxRecord } from '../../agent/features/outbox.js';
import { agentConfigSchema } from '../../config/agent.js';
import { projectRoot } from '../../platform/project-root.js';
import { scratchDir } from './scratch.js';

const { values } = parseArgs({ options: { cameras: { type: 'string', default: '200' }, seconds: { type: 'string', default: '120' }, events: { type: 'string', default: '20000' } } });
const N = Number(values.cameras);
const SECONDS = Number(values.seconds);
const EVENTS = Number(values.events);

async function mosquitto() {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const dir = scratchDir('xl-soak-mq-');
  writeFileSync(path.join(dir, 'm.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n`);
  const child = spawn('mosquitto', ['-c', path.join(dir, 'm.conf')], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  return { url: `mqtt://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

const mb = (x: number) => (x / 1048576).toFixed(1);
const handles = () => (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().length;

const broker = await mosquitto();
const sim = spawn(process.execPath, [path.join(projectRoot(), 'dist/scripts/sim/rtsp-sim-main.js'), JSON.stringify({ count: N, auth: { username: 'admin', password: 'soak-pass' } })], { stdio: ['pipe', 'pipe', 'inherit'] });
const { ports } = JSON.parse(await new Promise<string>((r) => createInterface({ input: sim.stdout! }).once('line', r))) as { ports: number[] };
const dir = scratchDir('xl-soak-');
const config = agentConfigSchema.parse({
  agentId: 'soak',
  mqtt: { url: broker.url },
  cameras: ports.map((p, i) => ({ id: `cam-${i}`, rtsp: `rtsp://admin:soak-pass@127.0.0.1:${p}/live` })),
  discovery: { enabled: false },
  checks: { livenessSchedule: '*/2 * * * * *', decode: false, offlineAfter: 2, livenessDeadlineMs: 1500, picture: { enabled: false } },
  summaryIntervalSec: 10,
  stateDir: dir,
  logLevel: 'warn',
});
const agent = new AgentApp({ config, log: pino({ level: 'warn' }) });
await agent.start();

console.log(`soak: ${N} cameras, liveness every 2 s, a tenth failing and recovering every 6 s, ${SECONDS} s — node ${process.version}\n`);
console.log('   t(s)   RSS MB   heap MB   handles   cameras offline   outbox pending');
const t0 = Date.now();
let flip = 0;
let down: number[] = [];
while (Date.now() - t0 < SECONDS * 1000) {
  await new Promise((r) => setTimeout(r, 6000));
  if (down.length) sim.stdin!.write(`up ${down.join(' ')}\n`);
  down = ports.map((_, i) => i).filter((i) => (i + flip) % 10 === 0);
  flip += 1;
  sim.stdin!.write(`down ${down.join(' ')}\n`);
  const m = process.memoryUsage();
  const offline = [...agent.monitor.cameras.values()].filter((c) => c.health.state === 'offline').length;
  console.log(`${String(Math.round((Date.now() - t0) / 1000)).padStart(7)}   ${mb(m.rss).padStart(6)}   ${mb(m.heapUsed).padStart(7)}   ${String(handles()).padStart(7)}   ${String(offline).padStart(15)}   ${String(agent.outbox.pending).padStart(14)}`);
}
await agent.stop(5000);
sim.kill('SIGTERM');

// outbox throughput on its own: journal + publish + PUBACK through mosquitto
const mqtt = new MqttConnection({ settings: { url: broker.url, clientId: 'soak-outbox', protocolVersion: 5, rejectUnauthorized: true, keepaliveSec: 30, reconnectMinMs: 500, reconnectMaxMs: 2000 }, log: pino({ level: 'warn' }) });
mqtt.start();
await new Promise<void>((r) => mqtt.onConnect(() => r()));
const journal = new Journal<OutboxRecord>(path.join(dir, 'throughput.jsonl'), 500);
let seq = 0;
const outbox = new Outbox({ journal, mqtt, log: pino({ level: 'warn' }), maxEvents: () => EVENTS * 2, droppedEvent: () => { throw new Error('no drops expected'); } });
outbox.onConnect();
const ts = new Date().toISOString();
const t1 = performance.now();
for (let i = 0; i < EVENTS; i++) outbox.push('xueliang/v1/agents/soak/events', { type: 'state', session: 's', seq: ++seq, ts, cameraId: `cam-${i % N}`, from: 'online', to: 'offline', rung: 'rtsp', reason: 'rtsp_error' });
const journaledMs = performance.now() - t1;
await outbox.flush(60_000);
const totalMs = performance.now() - t1;
console.log(`\noutbox: ${EVENTS} events journaled in ${journaledMs.toFixed(0)} ms (${((EVENTS / journaledMs) * 1000).toFixed(0)}/s), published and acknowledged in ${totalMs.toFixed(0)} ms (${((EVENTS / totalMs) * 1000).toFixed(0)}/s); pending after: ${outbox.pending}`);
outbox.close();
await mqtt.stop();
broker.stop();
process.exit(0);
