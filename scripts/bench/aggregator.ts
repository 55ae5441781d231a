/**
 * Aggregator benchmark (issue 3):
 *  - ingest: how fast the aggregator drains a backlog of event messages from
 *    a real mosquitto, against a no-op mqtt.js subscriber draining the same
 *    backlog in the same run (goal ≥ 0.8);
 *  - scale: full recompute of every rate for 100k and 1M cameras over a
 *    province-sized region tree, the incremental update per camera change and
 *    the read of every region's rates (goal < 100 ms at 1M), and memory.
 *  - both on SQLite and on PostgreSQL (a server of its own, initdb in a temp
 *    directory, unix socket only), each against the same no-op subscriber.
 *  - on PostgreSQL, one aggregator process against three replicas sharing the
 *    ingest (shared subscription, inbox, one leader applying), each a process
 *    of its own: events per second from the first publish to the last stored.
 *  - steady (not run by default): a province of --gateways × --per-gateway
 *    cameras reporting by exception (a round per gateway a minute, --churn %
 *    of the cameras changing state an hour) applied by one aggregator
 *    process: its CPU and the messages per second in; then its catch-up
 *    after an outage of --outage minutes (scripts/bench/province.ts).
 * Run: npm run bench:aggregator  [-- --messages 50000 --sizes 100000,1000000 --engines sqlite,postgres --replicas 3 --parts live,backlog,processes,scale,steady --broker shipped|bench]
 *   steady: [--gateways 500 --per-gateway 2000 --churn 1 --settle-minutes 2 --steady-minutes 3 --outage 60]
 * The broker runs with the queue, in-flight and persistence limits of config/mosquitto/broker.conf
 * (`--broker bench`: unlimited, no persistence), and says which.
 * Everything runs on 127.0.0.1 and stops by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { projectRoot } from '../../platform/project-root.js';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import pino from 'pino';
import { aggregatorConfigSchema } from '../../config/aggregator.js';
import { AggregatorApp } from '../../aggregator/app.js';
import { RateCounters } from '../../aggregator/rates/counters.js';
import { CATEGORY_KEYS, rateSet, type CameraFact, type PlanPoint } from '../../aggregator/rates/model.js';
import { computeCounts } from '../../aggregator/rates/snapshot.js';
import { topics, type CameraState, type PointCategory, type StateMark } from '../../protocols/index.js';
import { onlineRates } from '../../aggregator/rates/online.js';
import { cpuSplit, mainThreadCpuMs, median } from './proc-stats.js';
import { mosquitto } from './broker.js';
import { startPostgres, type PgServer } from '../sim/postgres-server.js';
import { province } from './province.js';
import { scratchDir } from './scratch.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '50000' },
    sizes: { type: 'string', default: '100000,1000000' },
    engines: { type: 'string', default: 'sqlite,postgres' },
    replicas: { type: 'string', default: '3' },
    parts: { type: 'string', default: 'live,backlog,processes,scale' },
    broker: { type: 'string', default: 'shipped' },
    gateways: { type: 'string', default: '500' },
    'per-gateway': { type: 'string', default: '2000' },
    churn: { type: 'string', default: '1' },
    'steady-minutes': { type: 'string', default: '3' },
    'settle-minutes': { type: 'string', default: '2' },
    outage: { type: 'string', default: '60' },
  },
});
const engines = values.engines!.split(',').filter(Boolean) as Array<'sqlite' | 'postgres'>;
const parts = new Set(values.parts!.split(',').filter(Boolean));
let pgServer: PgServer | undefined;
let databases = 0;
/** A fresh database of the engine: a SQLite file, or a new database on the benchmark's own PostgreSQL server. */
async function freshDatabase(engine: 'sqlite' | 'postgres'): Promise<string> {
  if (engine === 'sqlite') return path.join(scratchDir('xl-bench-agg-'), 'agg.db');
  pgServer ??= await startPostgres();
  return pgServer.createDatabase(`bench_${++databases}`);
}
const M = Number(values.messages);
const sizes = parts.has('scale') ? values.sizes!.split(',').filter(Boolean).map(Number) : [];
const t = topics();

/** Leaves a persistent session subscribed, then publishes `n` events for it to drain later. */
async function backlog(url: string, clientId: string, n: number, session: string) {
  const sub = mqtt.connect(url, { clientId, clean: false, protocolVersion: 4 });
  await new Promise<void>((r) => sub.once('connect', () => r()));
  await sub.subscribeAsync(t.all.events, { qos: 1 });
  await sub.endAsync();
  const pub = mqtt.connect(url, { protocolVersion: 4 });
  await new Promise<void>((r) => pub.once('connect', () => r()));
  await publishEvents(pub, n, session);
  await pub.endAsync();
}

/** `n` state events from 50 agents (seq counted per agent), QoS 1, 500 in flight. */
async function publishEvents(pub: mqtt.MqttClient, n: number, session: string) {
  const ts = new Date().toISOString();
  let inflight: Array<Promise<unknown>> = [];
  for (let i = 0; i < n; i++) {
    const e = { type: 'state', session, seq: Math.floor(i / 50) + 1, ts, cameraId: `cam-${i % 5000}`, from: 'online', to: i % 2 ? 'offline' : 'online', rung: 'rtsp', reason: 'rtsp_error', detail: 'DESCRIBE answered 404 Not Found' };
    inflight.push(pub.publishAsync(t.events(`gw-${i % 50}`), JSON.stringify(e), { qos: 1 }));
    if (inflight.length >= 500) {
      await Promise.all(inflight);
      inflight = [];
    }
  }
  await Promise.all(inflight);
}

/** Live: the consumer is connected while a publisher sends `n` events as fast as it can; rate = n / (first send → last receipt). */
async function live(url: string, n: number, consumer: { start: () => Promise<void>; received: () => number; stop: () => Promise<void> }): Promise<number> {
  await consumer.start();
  const pub = mqtt.connect(url, { protocolVersion: 4 });
  await new Promise<void>((r) => pub.once('connect', () => r()));
  const t0 = performance.now();
  await publishEvents(pub, n, `live-${Math.random()}`);
  while (consumer.received() < n) await new Promise((r) => setTimeout(r, 2));
  const secs = (performance.now() - t0) / 1000;
  await pub.endAsync();
  await consumer.stop();
  return n / secs;
}

function noopConsumer(url: string, clientId: string) {
  let got = 0;
  let sub: mqtt.MqttClient | undefined;
  return {
    start: async () => {
      sub = mqtt.connect(url, { clientId, clean: false, protocolVersion: 4 });
      sub.on('message', () => {
        got += 1;
      });
      await new Promise<void>((r) => sub!.once('connect', () => r()));
      await sub.subscribeAsync(t.all.events, { qos: 1 });
    },
    received: () => got,
    stop: async () => {
      await sub?.endAsync();
    },
  };
}

function aggregatorConsumer(url: string, clientId: string, engine: 'sqlite' | 'postgres') {
  let app: AggregatorApp | undefined;
  return {
    start: async () => {
      app = new AggregatorApp({
        config: aggregatorConfigSchema.parse({ mqtt: { url, protocolVersion: 4, clientId }, http: { port: 0, publicReads: true }, database: await freshDatabase(engine), logLevel: 'error' }),
        log: pino({ level: 'error' }),
      });
      await app.start();
      await new Promise((r) => setTimeout(r, 300)); // subscribed
    },
    received: () => {
      const s = app?.ingestStatus();
      return s ? (s.accepted['event'] ?? 0) + s.duplicates : 0;
    },
    stop: async () => {
      await app?.stop();
    },
  };
}

type Cores = ReturnType<ReturnType<typeof cpuSplit>>;

async function drainNoop(url: string, brokerPid: number, n: number): Promise<{ rate: number; cores: Cores; mainUs: number }> {
  await backlog(url, 'bench-noop', n, 'noop');
  const t0 = performance.now();
  const cpu = cpuSplit(brokerPid);
  const main0 = mainThreadCpuMs();
  const sub = mqtt.connect(url, { clientId: 'bench-noop', clean: false, protocolVersion: 4 });
  let got = 0;
  await new Promise<void>((resolve) => {
    sub.on('message', () => {
      got += 1;
      if (got === n) resolve();
    });
  });
  const secs = (performance.now() - t0) / 1000;
  const mainUs = ((mainThreadCpuMs() - main0) * 1000) / n;
  const cores = cpu();
  await sub.endAsync();
  return { rate: n / secs, cores, mainUs };
}

/**
 * The aggregator drains a backlog queued for its session. Its start-up (open
 * the store, load the state) comes before it connects and is timed apart: the
 * drain is timed, as the no-op subscriber's, from the connection until every
 * message is applied and its batch committed (nothing applied but not yet
 * stored); what the database then holds is counted after the aggregator stops.
 */
async function drainAggregator(url: string, brokerPid: number, n: number, engine: 'sqlite' | 'postgres'): Promise<{ rate: number; stored: number; startupMs: number; withStartup: number; cores: Cores; mainUs: number }> {
  const clientId = `bench-aggregator-${engine}`;
  const database = await freshDatabase(engine);
  await backlog(url, clientId, n, `agg-${engine}`);
  const app = new AggregatorApp({
    config: aggregatorConfigSchema.parse({ mqtt: { url, protocolVersion: 4, clientId }, http: { port: 0, publicReads: true }, database, logLevel: 'error' }),
    log: pino({ level: 'error' }),
  });
  const t0 = performance.now();
  let connecting = 0;
  let cpu = cpuSplit(brokerPid);
  let main0 = mainThreadCpuMs();
  app.onConnecting(() => {
    connecting = performance.now();
    cpu = cpuSplit(brokerPid);
    main0 = mainThreadCpuMs();
  });
  await app.start();
  const done = () => {
    const s = app.ingestStatus();
    return (s.accepted['event'] ?? 0) + s.duplicates >= n && s.notYetStored === 0;
  };
  while (!done()) await new Promise((r) => setTimeout(r, 5));
  const end = performance.now();
  const mainUs = ((mainThreadCpuMs() - main0) * 1000) / n;
  const cores = cpu();
  await app.stop();
  const stored = await countStoredEvents(database);
  return { rate: n / ((end - connecting) / 1000), stored, startupMs: connecting - t0, withStartup: n / ((end - t0) / 1000), cores, mainUs };
}

/** Events the database holds, read with a connection of its own. */
async function countStoredEvents(database: string): Promise<number> {
  if (/^postgres/.test(database)) {
    const db = new pg.Client({ connectionString: database });
    await db.connect();
    try {
      return Number((await db.query<{ n: string }>('SELECT COUNT(*) AS n FROM events')).rows[0]!.n);
    } finally {
      await db.end();
    }
  }
  const db = new Database(database, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/**
 * `count` aggregator processes on one fresh PostgreSQL database (one: the plain
 * aggregator; more: replicas sharing the ingest); a publisher sends `n` events
 * while they run; rate = n / (first send → the last one stored, as the
 * database counts them).
 */
async function processes(url: string, brokerPid: number, n: number, count: number): Promise<{ rate: number; cores: Cores }> {
  const database = await freshDatabase('postgres');
  const dir = scratchDir('xl-bench-rep-');
  const cli = path.join(projectRoot(), 'dist', 'cli', 'main.js');
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const port = 20000 + Math.floor(Math.random() * 20000);
      ports.push(port);
      const file = path.join(dir, `agg-${i}.yaml`);
      const config = { database, logLevel: 'error', mqtt: { url, clientId: `bench-proc-${count}-${i}-${databases}` }, http: { host: '127.0.0.1', port, publicReads: true }, ...(count > 1 ? { replicas: { group: `bench-${databases}` } } : {}) };
      writeFileSync(file, stringify(config));
      children.push(spawn(process.execPath, ['--max-semi-space-size=16', cli, 'aggregator', '--config', file], { stdio: 'ignore' }));
    }
    const db = new pg.Client({ connectionString: database });
    await db.connect();
    const stored = async () => Number((await db.query<{ n: string }>('SELECT COUNT(*) AS n FROM events')).rows[0]!.n);
    // every process answers, and (replicas) one leads
    for (const port of ports) {
      for (let k = 0; k < 200; k++) {
        if (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await new Promise((r) => setTimeout(r, count > 1 ? 2500 : 500));
    const pub = mqtt.connect(url, { protocolVersion: 4 });
    await new Promise<void>((r) => pub.once('connect', () => r()));
    const t0 = performance.now();
    const cpu = cpuSplit(brokerPid);
    await publishEvents(pub, n, `proc-${count}-${databases}`);
    for (let k = 0; k < 6000 && (await stored()) < n; k++) await new Promise((r) => setTimeout(r, 20));
    const secs = (performance.now() - t0) / 1000;
    const cores = cpu();
    const got = await stored();
    await pub.endAsync();
    await db.end();
    if (got !== n) throw new Error(`${count} process(es) stored ${got} of ${n} events`);
    return { rate: n / secs, cores };
  } finally {
    for (const c of children) c.kill('SIGKILL');
  }
}

/** A province: 11 cities × 9 counties × 10 grassroots units. */
function regionTree(): string[] {
  const out: string[] = [];
  for (let c = 1; c <= 11; c++) for (let d = 1; d <= 9; d++) for (let u = 1; u <= 10; u++) out.push(`33${String(c).padStart(2, '0')}${String(d).padStart(2, '0')}${String(u).padStart(2, '0')}`);
  return out;
}

function scale(n: number) {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const regions = regionTree();
  const cats: PointCategory[] = ['key_public_area', 'key_industry_part', 'other'];
  const states: CameraState[] = ['online', 'online', 'online', 'online', 'degraded', 'offline', 'unknown'];
  const points: PlanPoint[] = Array.from({ length: Math.round(n * 0.9) }, (_, i) => ({ id: `P${i}`, name: '', region: regions[i % regions.length]!, category: cats[i % 3]!, required: 1 }));
  const facts: CameraFact[] = Array.from({ length: n }, (_, i) => {
    const p = i < points.length ? points[i]! : undefined;
    return { id: `c${i}`, agentId: `gw-${i % 2000}`, pointId: p?.id ?? null, region: p?.region ?? regions[i % regions.length]!, category: p?.category ?? 'other', state: states[i % states.length]!, faults: i % 50 === 0 ? 1 : 0 };
  });
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const full = computeCounts(points, facts);
  const fullMs = performance.now() - t0;
  const counters = new RateCounters();
  counters.setPlan(points);
  for (const f of facts) counters.set(f.id, f);
  gc();
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1048576;
  const changes = 20_000;
  const t1 = performance.now();
  for (let k = 0; k < changes; k++) {
    const i = Math.floor(rand() * n);
    const f = facts[i]!;
    const next = { ...f, state: states[Math.floor(rand() * states.length)]! };
    facts[i] = next;
    counters.set(next.id, next);
  }
  const perChangeUs = ((performance.now() - t1) / changes) * 1000;
  const reads: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t2 = performance.now();
    let sum = 0;
    for (const row of counters.counts().values()) for (const k of CATEGORY_KEYS) sum += rateSet(row[k]).networking.numerator;
    reads.push(performance.now() - t2);
    if (sum < 0) throw new Error('impossible');
  }
  // the time-weighted online rate of every region and category, as /api/rates and the rates topics read it:
  // every camera observed for 31 days, a tenth with a 2 h outage yesterday, a twentieth behind a gateway gone for an hour 3 days ago
  const now = Date.now();
  const H = 3600_000;
  const marks = new Map<string, StateMark[]>();
  for (let i = 0; i < n; i++) {
    const m: StateMark[] = [{ at: now - 31 * 24 * H, state: 'online' }];
    if (i % 20 === 0) m.push({ at: now - 72 * H, state: 'unknown' }, { at: now - 71 * H, state: 'online' });
    if (i % 10 === 0) m.push({ at: now - 30 * H, state: 'offline' }, { at: now - 28 * H, state: 'online' });
    marks.set(`c${i}`, m);
  }
  const online: Record<string, number> = {};
  for (const [label, span] of [['24h', 24 * H], ['7d', 7 * 24 * H], ['30d', 30 * 24 * H]] as const) {
    const runs: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t3 = performance.now();
      const rates = onlineRates(facts, (id) => marks.get(id) ?? [], now - span, now);
      runs.push(performance.now() - t3);
      if (!rates.get('all')?.all?.observedMs) throw new Error('nothing observed');
    }
    online[label] = median(runs);
  }
  return { regions: full.size, fullMs, perChangeUs, readMs: median(reads), online, heapMb, rssMb: process.memoryUsage().rss / 1048576 };
}

const f = (x: number, d = 1) => x.toFixed(d);
console.log(`xueliang aggregator benchmark — node ${process.version}, ${os.cpus().length} cores, loopback only\n`);
const broker = await mosquitto({ shipped: values.broker !== 'bench' });
console.log(`broker: mosquitto on 127.0.0.1, ${broker.limits}\n`);
try {
  for (const engine of engines) {
    // alternate the two twice and keep each one's better run, so warm-up favours neither
    const noopRuns: number[] = [];
    const aggRuns: number[] = [];
    for (let r = 0; r < (parts.has('live') ? 2 : 0); r++) {
      noopRuns.push(await live(broker.url, M, noopConsumer(broker.url, `bench-live-noop-${engine}-${r}`)));
      aggRuns.push(await live(broker.url, M, aggregatorConsumer(broker.url, `bench-live-agg-${engine}-${r}`, engine)));
    }
    const liveNoop = Math.max(...noopRuns);
    const liveAgg = Math.max(...aggRuns);
    const store = engine === 'sqlite' ? 'SQLite WAL group commit' : 'PostgreSQL batched writes';
    if (parts.has('live')) {
      console.log(`[${engine}] ingest, live: a publisher sends ${M} event messages (QoS 1, 500 in flight) through mosquitto while the consumer runs`);
      console.log(`  no-op mqtt.js subscriber   ${f(liveNoop, 0)} msg/s   (runs: ${noopRuns.map((x) => f(x, 0)).join(', ')})`);
      console.log(`  aggregator                 ${f(liveAgg, 0)} msg/s   (runs: ${aggRuns.map((x) => f(x, 0)).join(', ')})   (validate, dedupe, ${store}, acks after commit)`);
      console.log(`  ratio ${f(liveAgg / liveNoop, 2)}   (goal ≥ 0.8)`);
    }
    if (!parts.has('backlog')) continue;
    const noop = await drainNoop(broker.url, broker.pid, M);
    const agg = await drainAggregator(broker.url, broker.pid, M, engine);
    console.log(`[${engine}] ingest, backlog: ${M} events queued while the consumer was away, then drained (the consumer's own ceiling)`);
    console.log(`  no-op ${f(noop.rate, 0)} msg/s   aggregator ${f(agg.rate, 0)} msg/s (the database holds ${agg.stored})   ratio ${f(agg.rate / noop.rate, 2)}   (goal ≥ 0.8; from connecting to the last message handled, and for the aggregator stored)`);
    console.log(`  main-thread CPU per message: no-op ${f(noop.mainUs, 1)} µs   aggregator ${f(agg.mainUs, 1)} µs   (the aggregator's own: ${f(agg.mainUs - noop.mainUs, 1)} µs)`);
    if (agg.stored !== M) throw new Error(`the aggregator stored ${agg.stored} of ${M} events`);
    const split = (c: Cores) => `${f(c.machine, 2)} busy: broker ${f(c.broker, 2)}, consumer ${f(c.self, 2)}, the rest ${f(c.machine - c.broker - c.self, 2)}`;
    console.log(`  cores while draining (of ${os.cpus().length}): no-op ${split(noop.cores)}; aggregator ${split(agg.cores)}`);
    console.log(`  the aggregator's start-up before it connects (open the store, load the state) ${f(agg.startupMs, 0)} ms; counted in, ${f(agg.withStartup, 0)} msg/s, ratio ${f(agg.withStartup / noop.rate, 2)}\n`);
  }
  if (parts.has('steady')) {
    for (const engine of engines) {
      const o = { gateways: Number(values.gateways), camerasPerGateway: Number(values['per-gateway']), churnPercent: Number(values.churn), roundMs: 60_000, steadyMinutes: Number(values['steady-minutes']), settleMinutes: Number(values['settle-minutes']), outageMinutes: Number(values.outage) };
      console.log(`[${engine}] steady province: ${(o.gateways * o.camerasPerGateway).toLocaleString('en')} cameras behind ${o.gateways} gateways reporting by exception, a round per gateway every ${o.roundMs / 1000} s, ${o.churnPercent}% of the cameras changing state an hour`);
      // a broker of its own: the retained statuses of a run before would be a second province
      const own = await mosquitto({ shipped: values.broker !== 'bench' });
      try {
        await province(own.url, await freshDatabase(engine), o, (line) => console.log(line));
      } finally {
        own.stop();
      }
      console.log('');
    }
  }
  const replicas = Number(values.replicas);
  if (parts.has('processes') && engines.includes('postgres') && replicas > 1) {
    const one = await processes(broker.url, broker.pid, M, 1);
    const many = await processes(broker.url, broker.pid, M, replicas);
    console.log(`[postgres] ingest, processes: a publisher sends ${M} events; time from the first send until the database holds them all`);
    console.log(`  one aggregator ${f(one.rate, 0)} msg/s   ${replicas} replicas ${f(many.rate, 0)} msg/s   ratio ${f(many.rate / one.rate, 2)}   (goal ≥ 1.5)`);
    const busy = (c: Cores) => `${f(c.machine, 2)} busy: broker ${f(c.broker, 2)}, publisher ${f(c.self, 2)}, aggregators and PostgreSQL ${f(c.machine - c.broker - c.self, 2)}`;
    console.log(`  cores (of ${os.cpus().length}): one aggregator ${busy(one.cores)}; ${replicas} replicas ${busy(many.cores)}\n`);
  }
} finally {
  broker.stop();
  await pgServer?.stop();
}
for (const n of sizes) {
  const s = scale(n);
  console.log(`scale: ${n.toLocaleString('en')} cameras, ${Math.round(n * 0.9).toLocaleString('en')} points, ${s.regions} regions (province, cities, counties, units)`);
  console.log(`  full recompute ${f(s.fullMs, 0)} ms   incremental ${f(s.perChangeUs, 2)} µs per camera change   read every region's rates ${f(s.readMs, 2)} ms   (goal < 100 ms)`);
  console.log(`  online rate of every region and category: 24 h ${f(s.online['24h']!, 0)} ms   7 d ${f(s.online['7d']!, 0)} ms   30 d ${f(s.online['30d']!, 0)} ms   (goal < 1000 ms)`);
  console.log(`  memory: plan, facts and counters take ${f(s.heapMb, 0)} MB of heap (after GC); process RSS ${f(s.rssMb, 0)} MB\n`);
}
process.exit(0);
