/** A liveness round as the agent reports it: which cameras it checked and which it could not in time. */
export interface RoundReport {
  round: number;
  startedAt: number;
  endedAt: number;
  periodMs: number;
  checked: number;
  unchecked: string[];
}

interface OpenRound {
  round: number;
  startedAt: number;
  periodMs: number;
  pending: Set<string>;
  checked: number;
}

/**
 * Keeps the open liveness round: the cameras it must check, those done. A
 * round closes when its last camera's check is done, or when the next one
 * begins (whatever is still pending is then `unchecked`). Pure: the monitor
 * tells it what happens and publishes what it returns.
 */
export class RoundBook {
  private open: OpenRound | undefined;
  private count = 0;

  /**
   * A new round of these cameras; returns the reports of the round it closes,
   * if that was still open, and of this one when it has no camera to check.
   */
  begin(ids: Iterable<string>, now: number, periodMs: number): RoundReport[] {
    const closed = this.open ? [this.close(now)] : [];
    this.count += 1;
    this.open = { round: this.count, startedAt: now, periodMs: Math.max(1, Math.round(periodMs)), pending: new Set(ids), checked: 0 };
    if (this.open.pending.size === 0) closed.push(this.close(now));
    return closed;
  }

  /** A camera's liveness check finished; returns the round's report when it was the last one. */
  done(id: string, now: number): RoundReport | undefined {
    const r = this.open;
    if (!r || !r.pending.delete(id)) return undefined;
    r.checked += 1;
    return r.pending.size === 0 ? this.close(now) : undefined;
  }

  /** A camera left the agent: the open round no longer waits for it. */
  removed(id: string, now: number): RoundReport | undefined {
    const r = this.open;
    if (!r || !r.pending.delete(id)) return undefined;
    return r.pending.size === 0 ? this.close(now) : undefined;
  }

  /** the open round's number (0 before the first) */
  get current(): number {
    return this.open?.round ?? 0;
  }

  private close(now: number): RoundReport {
    const r = this.open!;
    this.open = undefined;
    return { round: r.round, startedAt: r.startedAt, endedAt: now, periodMs: r.periodMs, checked: r.checked, unchecked: [...r.pending] };
  }
}
