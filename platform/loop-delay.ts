import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** the span each figure covers: the minute before the last turn of the window, and the one running */
const WINDOW_MS = 60_000;

let current: IntervalHistogram | undefined;
let last: { p50: number; p99: number; max: number } | undefined;
let turnedAt = 0;

/**
 * How long the event loop of this process was late (ms): p50, p99 and max
 * over the last one to two minutes. Every HTTP answer, MQTT acknowledgement
 * and timer waits behind whatever holds the loop; this is how long. The
 * histogram (10 ms resolution, node's own) starts at the first call.
 */
export function loopDelay(now = Date.now()): { p50: number; p99: number; max: number } {
  if (!current) {
    current = monitorEventLoopDelay({ resolution: 10 });
    current.enable();
    turnedAt = now;
  }
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const read = (h: IntervalHistogram) => (h.count === 0 ? { p50: 0, p99: 0, max: 0 } : { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) });
  const mine = read(current);
  const out = last ? { p50: Math.max(mine.p50, last.p50), p99: Math.max(mine.p99, last.p99), max: Math.max(mine.max, last.max) } : mine;
  if (now - turnedAt >= WINDOW_MS) {
    last = mine;
    current.reset();
    turnedAt = now;
  }
  return out;
}
