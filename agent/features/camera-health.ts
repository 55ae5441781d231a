import type { CameraState, FailureReason, Rung } from '../../protocols/index.js';

/** What one check concluded about a camera. */
export type CheckVerdict =
  | { ok: true; degraded?: boolean }
  | { ok: false; rung: Rung; reason: FailureReason; detail: string };

export interface CameraHealth {
  state: CameraState;
  /** ms epoch when `state` began */
  since: number;
  consecutiveFailures: number;
  rung: Rung | null;
  reason: FailureReason | null;
  detail: string | null;
}

export interface Transition {
  from: CameraState;
  to: CameraState;
  rung: Rung | null;
  reason: FailureReason | null;
  detail: string | null;
}

export const initialHealth = (now: number): CameraHealth => ({
  state: 'unknown',
  since: now,
  consecutiveFailures: 0,
  rung: null,
  reason: null,
  detail: null,
});

/**
 * Applies one verdict (DOMAIN.md §2): the first success makes a camera
 * online (or degraded when the picture has faults); it turns offline only
 * after `offlineAfter` consecutive failed checks. Returns the new health and
 * the transition, if the state changed.
 */
export function applyVerdict(
  h: CameraHealth,
  v: CheckVerdict,
  now: number,
  offlineAfter: number,
): { health: CameraHealth; transition: Transition | undefined } {
  if (v.ok) {
    const to: CameraState = v.degraded ? 'degraded' : 'online';
    const health: CameraHealth = {
      state: to,
      since: to === h.state ? h.since : now,
      consecutiveFailures: 0,
      rung: v.degraded ? 'picture' : null,
      reason: v.degraded ? 'degraded' : null,
      detail: null,
    };
    return { health, transition: to === h.state ? undefined : { from: h.state, to, rung: health.rung, reason: health.reason, detail: null } };
  }
  const failures = h.consecutiveFailures + 1;
  const to: CameraState = failures >= offlineAfter ? 'offline' : h.state;
  const health: CameraHealth = {
    state: to,
    since: to === h.state ? h.since : now,
    consecutiveFailures: failures,
    rung: v.rung,
    reason: v.reason,
    detail: v.detail,
  };
  return { health, transition: to === h.state ? undefined : { from: h.state, to, rung: v.rung, reason: v.reason, detail: v.detail } };
}

/** A state a camera was in from `at` on. */
export interface StateMark {
  at: number;
  state: CameraState;
}

/** States in which the stream works: they count as online time. */
export const STREAM_UP: ReadonlySet<CameraState> = new Set(['online', 'degraded']);

/**
 * Time-weighted online and observed time within [from, to), from a camera's
 * state marks (ascending). Time before the first mark is not observed;
 * `unknown` spans are observed but not online.
 */
export function uptimeWithin(marks: readonly StateMark[], from: number, to: number): { onlineMs: number; observedMs: number } {
  let onlineMs = 0;
  let observedMs = 0;
  for (let i = 0; i < marks.length; i++) {
    const m = marks[i]!;
    const start = Math.max(m.at, from);
    const end = Math.min(marks[i + 1]?.at ?? to, to);
    if (end <= start) continue;
    observedMs += end - start;
    if (STREAM_UP.has(m.state)) onlineMs += end - start;
  }
  return { onlineMs, observedMs };
}

/** Drops marks that ended before `from`, keeping the one in force at `from`. */
export function pruneMarks(marks: StateMark[], from: number): StateMark[] {
  let firstKept = 0;
  while (firstKept + 1 < marks.length && marks[firstKept + 1]!.at <= from) firstKept++;
  return firstKept === 0 ? marks : marks.slice(firstKept);
}
