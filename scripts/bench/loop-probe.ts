/**
 * Loaded into the aggregator a benchmark starts (node --import): the event
 * loop's delay (perf_hooks.monitorEventLoopDelay, 10 ms resolution) over a
 * span the benchmark chooses, and the garbage collector's pauses over the
 * same span (a PerformanceObserver of `gc` entries: how many, the longest,
 * their sum, how many of the major kind), so that a delay can be told to be
 * the collector's or the aggregator's own work. On SIGUSR2 it writes what it
 * saw since the last signal as one line on stderr (`xueliang-loop-probe
 * {"p99":…,"max":…,"gc":{…}}`, milliseconds) and starts over. Bench-only:
 * never loaded in production.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export const PROBE_TAG = 'xueliang-loop-probe';

const h = monitorEventLoopDelay({ resolution: 10 });
h.enable();
let gc = { count: 0, major: 0, maxMs: 0, totalMs: 0, over50: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.count += 1;
    if (((e as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major += 1;
    gc.maxMs = Math.max(gc.maxMs, e.duration);
    gc.totalMs += e.duration;
    if (e.duration > 50) gc.over50 += 1;
  }
}).observe({ entryTypes: ['gc'] });
process.on('SIGUSR2', () => {
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const round = (x: number) => Math.round(x * 10) / 10;
  process.stderr.write(`${PROBE_TAG} ${JSON.stringify({ p99: h.count === 0 ? 0 : ms(h.percentile(99)), max: h.count === 0 ? 0 : ms(h.max), samples: h.count, gc: { ...gc, maxMs: round(gc.maxMs), totalMs: round(gc.totalMs) } })}\n`);
  h.reset();
  gc = { count: 0, major: 0, maxMs: 0, totalMs: 0, over50: 0 };
});
