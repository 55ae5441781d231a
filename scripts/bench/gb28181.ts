/**
 * GB/T 28181 upward benchmark (issue 27). A real aggregator (`xueliang
 * aggregator`, SQLite in a temp dir) holding N cameras that arrive over
 * Debian's mosquitto, registered as a lower platform with the upper-platform
 * simulator (cli/demo/gb-upper-platform.ts, in this process):
 *  1. catalog: the simulator queries the catalog and assembles it; prints
 *     the time from the query to the last item, the aggregator's CPU over
 *     that span, the messages and bytes (bodies, and everything the simulator
 *     received), for each --chunk;
 *  2. changes: the simulator subscribes; R cameras a minute go offline or
 *     back (statuses published to the broker as a gateway would); prints the
 *     delay from each status leaving the publisher to its NOTIFY item at the
 *     simulator, p50/p95/max, the NOTIFYs and the aggregator's CPU.
 * Run: npm run bench:gb28181  [-- --cameras 100000 --chunk 1,8 --rate 1000 --minutes 2 --transport udp]
 * Everything runs on 127.0.0.1 and stops by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { topics } from '../../protocols/index.js';
import { projectRoot } from '../../platform/project-root.js';
import { UpperPlatform } from '../../cli/demo/gb-upper-platform.js';
import { freePort, mosquitto } from './broker.js';
import { procStats } from './proc-stats.js';
import { scratchDir } from './scratch.js';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '100000' },
    chunk: { type: 'string', default: '1,8' },
    rate: { type: 'string', default: '1000' },
    minutes: { type: 'string', default: '2' },
    transport: { type: 'string', default: 'udp' },
  },
});
const N = Number(values.cameras);
const CHUNKS = values.chunk.split(',').map(Number);
const RATE = Number(values.rate);
const MINUTES = Number(values.minutes);
const TRANSPORT = values.transport === 'tcp' ? 'tcp' : 'udp';
if (!Number.isInteger(N) || N < 1 || N > 1_000_000) throw new Error('--cameras takes 1..1000000');
if (CHUNKS.some((c) => !Number.isInteger(c) || c < 1 || c > 8)) throw new Error('--chunk takes numbers 1..8, comma-separated');
if (!(RATE >= 1 && RATE <= 60_000)) throw new Error('--rate takes 1..60000 changes a minute');
if (!(MINUTES > 0 && MINUTES <= 60)) throw new Error('--minutes takes up to 60');

const PLATFORM_ID = '33010600002000000001';
const PASSWORD = 'bench-sip-password';
const GATEWAYS = 100;
const t = topics();
const iso = (ms: number) => new Date(ms).toISOString();
/** camera n: region 330106, unit 01..20 by n, type 132 */
const cameraId = (n: number) => `330106${String((n % 20) + 1).padStart(2, '0')}001320${String(n).padStart(6, '0')}`;
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const status = (n: number, state: 'online' | 'offline', at: number) =>
  JSON.stringify({
    cameraId: cameraId(n), gbId: null, name: `测试摄像机 ${n}`, state, since: iso(at), checkedAt: iso(at),
    rung: state === 'online' ? null : 'tcp', reason: state === 'online' ? null : 'unreachable', detail: null, consecutiveFailures: state === 'online' ? 0 : 3,
    source: 'rtsp', address: '127.0.0.1:554', streamUri: null, stream: null, device: { manufacturer: 'Hikvision', model: 'DS-2CD2T47', firmware: null, serial: null, hardwareId: null },
    clockDriftMs: null, pointId: null, category: 'key_public_area', faults: [], rungs: [], recording: null,
  });

async function main(): Promise<void> {
  const dir = scratchDir('xl-bench-gb-');
  const broker = await mosquitto();
  // one upper platform per --chunk value, each an upstream of the one aggregator with that catalogChunk
  const platforms = CHUNKS.map((_, i) => new UpperPlatform({ serverId: `340200000020000000${String(i + 1).padStart(2, '0')}`, password: PASSWORD, catalogFirstMs: 120_000, catalogGapMs: 5000 }));
  for (const p of platforms) await p.start();
  const platform = platforms[0]!;
  let child: ChildProcess | undefined;
  const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `bench-gb-pub-${process.pid}` });
  try {
    const port = await freePort();
    const file = path.join(dir, 'aggregator.yaml');
    writeFileSync(path.join(dir, 'pw'), PASSWORD);
    writeFileSync(file, stringify({
      database: path.join(dir, 'agg.db'), logLevel: 'warn', mqtt: { url: broker.url, clientId: `bench-gb-${process.pid}` }, http: { host: '127.0.0.1', port, publicReads: true },
      gb28181: { sip: { host: '127.0.0.1', port: 0 }, upstream: platforms.map((p, i) => ({ serverId: p.serverId, domain: p.domain, host: '127.0.0.1', port: p.sipPort, transport: TRANSPORT, localId: PLATFORM_ID, passwordFile: path.join(dir, 'pw'), keepaliveSeconds: 30, catalogChunk: CHUNKS[i] })) },
    }));
    child = spawn(process.execPath, ['--max-old-space-size=8192', path.join(projectRoot(), 'dist', 'cli', 'main.js'), 'aggregator', '--config', file], { stdio: ['ignore', 'ignore', 'inherit'] });
    const stopChild = () => child?.kill('SIGKILL');
    process.prependOnceListener('exit', stopChild);
    const api = `http://127.0.0.1:${port}`;
    const get = async <T>(p: string): Promise<T> => (await (await fetch(`${api}${p}`)).json()) as T;
    for (let k = 0; k < 600 && !(await fetch(`${api}/healthz`).then((r) => r.ok, () => false)); k++) await new Promise((r) => setTimeout(r, 100));

    const fillStart = performance.now();
    const now = Date.now();
    for (let g = 0; g < GATEWAYS; g++) await pub.publishAsync(t.agentState(`gw-${g}`), JSON.stringify({ state: 'online', session: `s-${g}`, agentVersion: '1.0.0', startedAt: iso(now - 60_000), site: null, region: '330106' }), { qos: 1, retain: true });
    let inflight: Array<Promise<unknown>> = [];
    for (let n = 0; n < N; n++) {
      inflight.push(pub.publishAsync(t.cameraStatus(`gw-${n % GATEWAYS}`, cameraId(n)), status(n, 'online', now), { qos: 1, retain: true }));
      if (inflight.length >= 1000) {
        await Promise.all(inflight);
        inflight = [];
      }
    }
    await Promise.all(inflight);
    for (let k = 0; k < 6000; k++) {
      const gb = await get<{ reportedCameras: number; upstreams: Array<{ state: string }> }>('/api/gb28181').catch(() => undefined);
      if (gb && gb.reportedCameras >= N && gb.upstreams.every((u) => u.state === 'registered') && platforms.every((p) => p.online(PLATFORM_ID))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    console.log(`fill: ${N} cameras on ${GATEWAYS} gateways at the centre and registered in ${((performance.now() - fillStart) / 1000).toFixed(1)} s (${TRANSPORT})`);

    // one catalog at a time: each measured alone
    for (const [i, p] of platforms.entries()) {
      const before = procStats(child.pid!);
      const bytesBefore = p.bytesIn;
      const t0 = performance.now();
      const items = await p.queryCatalog(PLATFORM_ID);
      const ms = performance.now() - t0;
      const after = procStats(child.pid!);
      const c = p.lastCatalog!;
      const cams = items.filter((x) => x.deviceId.length === 20).length;
      const sip = p.bytesIn - bytesBefore;
      console.log(`catalog, ${CHUNKS[i]} item(s) a message: ${items.length} items (${cams} cameras) in ${(ms / 1000).toFixed(2)} s, ${c.messages} messages, bodies ${(c.bodyBytes / 1e6).toFixed(2)} MB, all SIP ${(sip / 1e6).toFixed(2)} MB (${(sip / Math.max(1, cams)).toFixed(0)} B a camera), aggregator CPU ${((after.cpuMs - before.cpuMs) / 1000).toFixed(2)} s (${(((after.cpuMs - before.cpuMs) / ms) * 100).toFixed(0)}% of a core), RSS ${after.rssMb.toFixed(0)} MB`);
      if (cams !== N) console.log(`  !! the catalog has ${cams} cameras, not ${N}`);
    }

    await platform.subscribeCatalog(PLATFORM_ID, 3600);
    const sentAt = new Map<string, number>();
    const delays: number[] = [];
    const seen = platform.notifies.length;
    const down = new Set<number>();
    const totalChanges = Math.round(RATE * MINUTES);
    const gapMs = 60_000 / RATE;
    const cpu0 = procStats(child.pid!);
    const start = performance.now();
    for (let k = 0; k < totalChanges; k++) {
      const wait = start + k * gapMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const n = Math.floor(Math.random() * N);
      const goDown = !down.has(n);
      if (goDown) down.add(n);
      else down.delete(n);
      const at = Date.now();
      sentAt.set(`${cameraId(n)}|${goDown ? 'OFF' : 'ON'}`, performance.now());
      void pub.publishAsync(t.cameraStatus(`gw-${n % GATEWAYS}`, cameraId(n)), status(n, goDown ? 'offline' : 'online', at), { qos: 1, retain: true });
    }
    await new Promise((r) => setTimeout(r, 3000));
    const elapsed = performance.now() - start;
    const cpu1 = procStats(child.pid!);
    // the simulator stamped each NOTIFY with Date.now(); the publisher with performance.now(): both clocks of this process
    const offset = Date.now() - performance.now();
    const notes = platform.notifies.slice(seen);
    let matched = 0;
    for (const note of notes)
      for (const i of note.items) {
        const sent = sentAt.get(`${i.deviceId}|${i.event}`);
        if (sent === undefined) continue;
        delays.push(note.at - offset - sent);
        sentAt.delete(`${i.deviceId}|${i.event}`);
        matched += 1;
      }
    const items2 = notes.reduce((a, n) => a + n.items.length, 0);
    console.log(`changes: ${totalChanges} status changes over ${(elapsed / 60_000).toFixed(1)} min (${RATE} a minute): ${notes.length} NOTIFYs carrying ${items2} items; ${matched} matched to their status, ${sentAt.size} not notified (a camera changed twice within one gathering, or lost)`);
    console.log(`  delay status published → NOTIFY at the upper platform: p50 ${quantile(delays, 0.5).toFixed(0)} ms, p95 ${quantile(delays, 0.95).toFixed(0)} ms, max ${Math.max(...delays).toFixed(0)} ms (goal: within 1 s of the centre applying it)`);
    console.log(`  aggregator CPU ${(((cpu1.cpuMs - cpu0.cpuMs) / elapsed) * 100).toFixed(1)}% of a core over the window (ingest included), RSS ${cpu1.rssMb.toFixed(0)} MB`);
  } finally {
    await pub.endAsync();
    child?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    child?.kill('SIGKILL');
    for (const p of platforms) await p.stop();
    broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err);
    process.exit(1);
  },
);
