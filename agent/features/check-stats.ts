/** The checks an agent runs, by kind: each goes through a queue (sockets, ffmpeg, picture). */
export type CheckKind = 'liveness' | 'decode' | 'picture';

export interface CheckCounts {
  /** checks finished since the agent started */
  done: number;
  /** waiting in the queue now */
  queued: number;
  running: number;
  /** how long the oldest waiting check has waited (ms): how far behind its schedule the queue is */
  lagMs: number;
}

/**
 * How many checks of each kind ran, wait and run now, and how long the oldest
 * waiting one has waited. The queues are first in, first out, so the oldest
 * waiting check is the first one queued that has not started.
 */
export class CheckStats {
  private readonly kinds = new Map<CheckKind, { done: number; running: number; waiting: number[] }>();

  constructor(private readonly now: () => number) {}

  private of(kind: CheckKind) {
    let k = this.kinds.get(kind);
    if (!k) this.kinds.set(kind, (k = { done: 0, running: 0, waiting: [] }));
    return k;
  }

  /** A check entering its queue: counted waiting until `start`, running until `end`. */
  enter(kind: CheckKind): { start(): void; end(): void } {
    const k = this.of(kind);
    const at = this.now();
    k.waiting.push(at);
    let state: 'waiting' | 'running' | 'done' = 'waiting';
    const leaveWaiting = () => {
      const i = k.waiting.indexOf(at);
      if (i >= 0) k.waiting.splice(i, 1);
    };
    return {
      start: () => {
        if (state !== 'waiting') return;
        state = 'running';
        leaveWaiting();
        k.running += 1;
      },
      end: () => {
        if (state === 'done') return;
        if (state === 'running') k.running -= 1;
        else leaveWaiting();
        state = 'done';
        k.done += 1;
      },
    };
  }

  /** Wraps a check about to be queued: counts it waiting, then running, then done. */
  track<T>(kind: CheckKind, enqueue: (run: () => Promise<T>) => Promise<T>, check: () => Promise<T>): Promise<T> {
    const ticket = this.enter(kind);
    return enqueue(async () => {
      ticket.start();
      try {
        return await check();
      } finally {
        ticket.end();
      }
    });
  }

  snapshot(): Record<CheckKind, CheckCounts> {
    const now = this.now();
    const one = (kind: CheckKind): CheckCounts => {
      const k = this.of(kind);
      return { done: k.done, queued: k.waiting.length, running: k.running, lagMs: k.waiting.length ? now - k.waiting[0]! : 0 };
    };
    return { liveness: one('liveness'), decode: one('decode'), picture: one('picture') };
  }
}
