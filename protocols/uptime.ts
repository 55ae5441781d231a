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
export function uptimeWithin(marks: readonly StateMark[], from: number, to: number): { onlineMs: number; unknownMs: number; observedMs: number } {
  let onlineMs = 0;
  let unknownMs = 0;
  let observedMs = 0;
  for (let i = 0; i < marks.length; i++) {
    const m = marks[i]!;
    const start = Math.max(m.at, from);
    const end = Math.min(marks[i + 1]?.at ?? to, to);
    if (end <= start) continue;
    observedMs += end - start;
    if (STREAM_UP.has(m.state)) onlineMs += end - start;
    else if (m.state === 'unknown') unknownMs += end - start;
  }
  return { onlineMs, unknownMs, observedMs };
}

/** Drops marks that ended before `from`, keeping the one in force at `from`. */
export function pruneMarks(marks: StateMark[], from: number): StateMark[] {
  let firstKept = 0;
  while (firstKept + 1 < marks.length && marks[firstKept + 1]!.at <= from) firstKept++;
  return firstKept === 0 ? marks : marks.slice(firstKept);
}
