import { createHash } from 'node:crypto';

/** Where in its period a camera's check of one kind falls, 0 ≤ phase < 1: fixed by its id, different per kind. */
export function phaseOf(id: string, kind: string): number {
  return createHash('sha1').update(`${kind}\0${id}`).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * One round of a kind of check, spread over its period: every camera is
 * started at its own phase of `spanMs` instead of all at the cron second,
 * so 2,000 cameras make a steady stream of work, not a burst that the
 * queues take minutes to drain. One timer walks the cameras in phase order;
 * `stop` ends the round (the next tick, a config change, shutdown).
 */
export class SpreadRound {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    ids: string[],
    kind: string,
    spanMs: number,
    private readonly start: (ids: string[]) => void,
    private readonly now: () => number = Date.now,
  ) {
    const begin = now();
    this.due = ids.map((id) => ({ id, at: begin + phaseOf(id, kind) * spanMs })).sort((a, b) => a.at - b.at);
    this.step();
  }

  private readonly due: Array<{ id: string; at: number }>;
  private next = 0;

  private step(): void {
    if (this.stopped) return;
    const t = this.now();
    const batch: string[] = [];
    while (this.next < this.due.length && this.due[this.next]!.at <= t) batch.push(this.due[this.next++]!.id);
    if (batch.length > 0) this.start(batch);
    if (this.next >= this.due.length) return;
    // at most a second between steps: a clock step does not stall a round
    this.timer = setTimeout(() => this.step(), Math.min(1000, Math.max(10, this.due[this.next]!.at - t)));
  }

  /** cameras of this round not started yet */
  get pending(): number {
    return this.due.length - this.next;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
