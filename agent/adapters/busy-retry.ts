/**
 * A server that says it is busy (an RTSP 503, 453, or 454 mid-session: a
 * camera or NVR at its session cap) is asked once more, after a short
 * jittered pause, within the same check's deadline. Sessions at a cap free
 * up as other clients finish; many agents asking again at the same instant
 * would meet the cap together, hence the jitter.
 */
export interface BusyRetryOptions {
  /** the pause before asking again; default 200–600 ms, drawn anew each time */
  pauseMs?: () => number;
  /** the least time the second attempt must still have, or it is not made */
  minAttemptMs?: number;
}

const defaultPause = () => 200 + Math.floor(Math.random() * 400);

/**
 * Runs `attempt` with the deadline left; when it answers busy and the
 * deadline leaves room, pauses and runs it once more. The second answer
 * stands, whatever it is; a busy one says it was busy twice.
 */
export async function retryWhenBusy<R extends { ok: boolean; reason?: string; detail?: string }>(
  attempt: (deadlineMs: number) => Promise<R>,
  deadlineMs: number,
  opts: BusyRetryOptions = {},
): Promise<R> {
  const t0 = performance.now();
  const left = () => deadlineMs - (performance.now() - t0);
  const first = await attempt(Math.max(1, left()));
  if (first.ok || first.reason !== 'busy') return first;
  const pause = (opts.pauseMs ?? defaultPause)();
  if (left() - pause < (opts.minAttemptMs ?? 500)) return first;
  await new Promise((r) => setTimeout(r, pause));
  const second = await attempt(Math.max(1, left()));
  if (second.ok || second.reason !== 'busy' || second.detail === undefined) return second;
  return { ...second, detail: `${second.detail} (busy again after ${pause} ms)` };
}
