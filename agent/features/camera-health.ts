import type { CameraState, FailureReason, Rung } from '../../protocols/index.js';

/** What one check concluded about a camera. */
export type CheckVerdict =
  | { ok: true; degraded?: boolean }
  | {
      ok: false;
      rung: Rung;
      reason: FailureReason;
      detail: string;
      /** the failed result itself (compared by identity): a result already counted is not counted again */
      result?: object;
    };

export interface CameraHealth {
  state: CameraState;
  /** ms epoch when `state` began */
  since: number;
  consecutiveFailures: number;
  /** the failed result counted last (CheckVerdict.result) */
  countedFailure?: object | undefined;
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
 * Applies one verdict (docs/domain.md §2): the first success makes a camera
 * online (or degraded when the picture has faults); it turns offline only
 * after `offlineAfter` consecutive failed checks. One failed result is one
 * failure: a check that did not measure the failing rung again (a liveness
 * check while the decode that failed waits to run again) counts nothing, or
 * one refused decode would be counted by every liveness check after it.
 * Returns the new health and the transition, if the state changed.
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
  if (v.result !== undefined && v.result === h.countedFailure) return { health: h, transition: undefined };
  const failures = h.consecutiveFailures + 1;
  const to: CameraState = failures >= offlineAfter ? 'offline' : h.state;
  const health: CameraHealth = {
    state: to,
    since: to === h.state ? h.since : now,
    consecutiveFailures: failures,
    countedFailure: v.result,
    rung: v.rung,
    reason: v.reason,
    detail: v.detail,
  };
  return { health, transition: to === h.state ? undefined : { from: h.state, to, rung: v.rung, reason: v.reason, detail: v.detail } };
}
