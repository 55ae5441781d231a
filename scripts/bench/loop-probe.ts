/**
 * Loaded into the aggregator a benchmark starts (node --import): the event
 * loop's delay (perf_hooks.monitorEventLoopDelay, 10 ms resolution) over a
 * span the benchmark chooses. On SIGUSR2 it writes what it saw since the
 * last signal as one line on stderr (`xueliang-loop-probe {"p99":…,"max":…}`,
 * milliseconds) and starts over. Bench-only: never loaded in production.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export const PROBE_TAG = 'xueliang-loop-probe';

const h = monitorEventLoopDelay({ resolution: 10 });
h.enable();
process.on('SIGUSR2', () => {
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  process.stderr.write(`${PROBE_TAG} ${JSON.stringify({ p99: h.count === 0 ? 0 : ms(h.percentile(99)), max: h.count === 0 ? 0 : ms(h.max), samples: h.count })}\n`);
  h.reset();
});
