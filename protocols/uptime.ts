import type { CameraState } from './messages.js';

/** A state a camera was in from `at` (ms epoch) on. */
export interface StateMark {
  at: number;
  state: CameraState;
}

/** States in which the stream works: they count as online time (docs/domain.md §1). */
export const STREAM_UP: ReadonlySet<CameraState> = new Set(['online', 'degraded']);

/**
 * Time-weighted online, unknown and observed time within [from, to), from a
 * camera's state marks in ascending order. Time before the first mark is not
 * observed; `unknown` spans are observed but not online. Agent and
 * aggregator both count uptime with this function.
 */
export function uptimeWithin(marks: readonly StateMark[], from: number, to: number, excluded: readonly Interval[] = []): { onlineMs: number; unknownMs: number; observedMs: number; excludedMs: number } {
  let onlineMs = 0;
  let unknownMs = 0;
  let observedMs = 0;
  let excludedMs = 0;
  // marks before the one in force at `from` end before the window: start there (a long history costs a binary search)
  let lo = 0;
  let hi = marks.length - 1;
  let first = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (marks[mid]!.at <= from) {
      first = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  for (let i = first; i < marks.length; i++) {
    const m = marks[i]!;
    const start = Math.max(m.at, from);
    const end = Math.min(marks[i + 1]?.at ?? to, to);
    if (end <= start) continue;
    // time under maintenance is left out of the window: neither observed nor online
    const cut = overlapMs(start, end, excluded);
    excludedMs += cut;
    const d = end - start - cut;
    observedMs += d;
    if (STREAM_UP.has(m.state)) onlineMs += d;
    else if (m.state === 'unknown') unknownMs += d;
  }
  return { onlineMs, unknownMs, observedMs, excludedMs };
}

/** A span of time [from, to), ms epoch. */
export interface Interval {
  from: number;
  to: number;
}

/** How much of [start, end) the intervals cover (overlapping intervals counted once). */
export function overlapMs(start: number, end: number, intervals: readonly Interval[]): number {
  if (intervals.length === 0) return 0;
  const parts = intervals
    .map((x) => ({ from: Math.max(x.from, start), to: Math.min(x.to, end) }))
    .filter((x) => x.to > x.from)
    .sort((a, b) => a.from - b.from);
  let total = 0;
  let reach = start;
  for (const p of parts) {
    const s = Math.max(p.from, reach);
    if (p.to > s) total += p.to - s;
    reach = Math.max(reach, p.to);
  }
  return total;
}

/** Drops marks that ended before `from`, keeping the one in force at `from`. */
export function pruneMarks(marks: StateMark[], from: number): StateMark[] {
  let firstKept = 0;
  while (firstKept + 1 < marks.length && marks[firstKept + 1]!.at <= from) firstKept++;
  return firstKept === 0 ? marks : marks.slice(firstKept);
}
