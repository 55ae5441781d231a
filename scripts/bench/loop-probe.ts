/**
 * Loaded into the aggregator a benchmark starts (node --import): the event
 * loop's delay (perf_hooks.monitorEventLoopDelay, 10 ms resolution) over a
 * span the benchmark chooses, and the garbage collector's pauses over the
 * same span (a PerformanceObserver of `gc` entries: how many, the longest,
 * their sum, how many of the major kind), so that a delay can be told to be
 * the collector's or the aggregator's own work. And on Linux, how long the
 * main thread waited for a CPU (runnable, not running:
 * /proc/self/task/{pid}/schedstat) while a 10 ms timer of its own ran late:
 * on a machine of two cores shared with Chromium, mosquitto and the
 * benchmark, part of a delay is that wait, not the aggregator's work
 * (`own`: each lateness less the wait within it). On SIGUSR2 it writes what
 * it saw since the last signal as one line on stderr (`xueliang-loop-probe
 * {"p99":…,"max":…,"gc":{…},"own":{…},"heapMb":…}`, milliseconds) and starts over.
 * `heapMb`: the heap in use right after the last major collection (what the
 * aggregator holds, its garbage mostly gone), MiB.
 * Only the main thread is probed: the aggregator's worker threads (the
 * store's writer, the MQTT receiver) inherit `--import` and would each run a
 * probe of their own, whose stall lines (a writer's transaction) read as the
 * main thread's.
 * Bench-only: never loaded in production.
 */
import { readFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

export const PROBE_TAG = 'xueliang-loop-probe';

if (isMainThread) probe();

function probe(): void {

  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  let gc = { count: 0, major: 0, maxMs: 0, totalMs: 0, over50: 0 };
  let heapMb: number | null = null;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count += 1;
      if (((e as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        gc.major += 1;
        heapMb = Math.round(getHeapStatistics().used_heap_size / 1048576);
      }
      gc.maxMs = Math.max(gc.maxMs, e.duration);
      gc.totalMs += e.duration;
      if (e.duration > 50) gc.over50 += 1;
    }
  }).observe({ entryTypes: ['gc'] });
  /** ns the main thread has waited on a run queue, or null where /proc does not say */
  const waited = (): number | null => {
    try {
      return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[1]);
    } catch {
      return null;
    }
  };
  const TICK_MS = 10;
  // XUELIANG_PROBE_STALLS_MS: each tick at least that late (less its CPU wait) said on stderr with its end on the
  // monotonic clock in µs (the clock of a --cpu-prof profile's timestamps), to find in a profile what held the loop
  const stallsMs = Number(process.env['XUELIANG_PROBE_STALLS_MS'] ?? 0);
  let lateness: number[] = [];
  let own: number[] = [];
  let waitedMs = 0;
  let last = { at: performance.now(), waited: waited() };
  setInterval(() => {
    const now = { at: performance.now(), waited: waited() };
    const late = Math.max(0, now.at - last.at - TICK_MS);
    const w = now.waited !== null && last.waited !== null ? (now.waited - last.waited) / 1e6 : 0;
    waitedMs += w;
    if (stallsMs > 0 && late - w >= stallsMs) process.stderr.write(`${PROBE_TAG}-stall ${JSON.stringify({ endUs: Number(process.hrtime.bigint() / 1000n), lateMs: Math.round(late), ownMs: Math.round(late - w) })}\n`);
    if (lateness.length < 200_000) {
      lateness.push(late);
      own.push(Math.max(0, late - w));
    }
    last = now;
  }, TICK_MS).unref();
  const p99 = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return Math.round((s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)] ?? 0) * 10) / 10;
  };
  process.on('SIGUSR2', () => {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const round = (x: number) => Math.round(x * 10) / 10;
    const mine = { tickP99: p99(lateness), p99: p99(own), max: round(Math.max(0, ...own)), waitedMs: Math.round(waitedMs) };
    process.stderr.write(`${PROBE_TAG} ${JSON.stringify({ p99: h.count === 0 ? 0 : ms(h.percentile(99)), max: h.count === 0 ? 0 : ms(h.max), samples: h.count, gc: { ...gc, maxMs: round(gc.maxMs), totalMs: round(gc.totalMs) }, own: mine, heapMb })}\n`);
    h.reset();
    lateness = [];
    own = [];
    waitedMs = 0;
    gc = { count: 0, major: 0, maxMs: 0, totalMs: 0, over50: 0 };
  });
}
