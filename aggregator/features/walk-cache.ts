/**
 * The result of a walk over every camera (the online time of a window, the
 * recording checks), kept while it is young compared with what the walk
 * cost: at a province's million cameras a walk of the 24 h online time takes
 * a second or two of the event loop, and the overview asks for it at every
 * visit (issue 31). A result is served for at most FRESH_PER_WALK times its
 * walk's duration (never longer than MAX_AGE_MS); past half of that, the one
 * who asks gets it and a new walk starts behind. A walk under MIN_WALK_MS is
 * never kept: small deployments see every answer worked out anew.
 *
 * The window a result covers travels with it: an answer built from it says
 * the span that was walked, not the one asked for.
 */
export const FRESH_PER_WALK = 40;
export const MAX_AGE_MS = 60_000;
export const MIN_WALK_MS = 50;

/** What a walk asks between its slices: whether somebody waits for it now (then it stops resting like background work). */
export interface WalkPace {
  hurried: boolean;
}

export interface Walked<T> {
  value: T;
  from: number;
  to: number;
  walkMs: number;
  /** read from the store at start (what the centre walked before its restart), not walked by this process */
  stored?: boolean;
}

/** How old a walk read from the store at start may be and still be served (a new walk starting behind the first asker). */
export const STORED_MAX_AGE_MS = 15 * 60_000;

/** How long a walk's result may be served, from how long the walk took. */
export function freshFor(walkMs: number): number {
  return walkMs < MIN_WALK_MS ? 0 : Math.min(MAX_AGE_MS, FRESH_PER_WALK * walkMs);
}

export class WalkCache<T> {
  private readonly entries = new Map<string, Walked<T>>();
  private readonly running = new Map<string, Promise<Walked<T>>>();
  /** how each running walk should go: hurried once somebody waits for it */
  private readonly paces = new Map<string, WalkPace>();
  private generation = 0;
  private version: string | undefined;

  constructor(private readonly deps: { now: () => number; elapsed?: () => number; onError?: (err: Error) => void; onWalked?: (key: string, walked: Walked<T>) => void }) {}

  /**
   * A walk the store kept from before a restart: the first asker after the
   * start is answered from it (up to STORED_MAX_AGE_MS old, with the span it
   * covered) while a new walk starts behind. `version` as in get(): a plan
   * or maintenance window changed since voids it.
   */
  seed(key: string, walked: Walked<T>, version: string): void {
    if (this.version !== undefined && this.version !== version) return;
    this.version = version;
    this.entries.set(key, { ...walked, stored: true });
  }

  /** Something the walks read changed (the plan, maintenance windows): no kept result stands. */
  invalidate(): void {
    this.entries.clear();
    this.running.clear();
    this.paces.clear();
    this.generation += 1;
  }

  /**
   * The result for `key` over [from, to): a kept one still fresh, else the
   * walk under way for that key, else a new walk. `force`: walk anew (a
   * publisher's timer that wants today's figures), still shared with whoever
   * asks meanwhile. `anchored`: the span starts at a fixed time (today from
   * local midnight) and grows; otherwise it rolls (the last 24 h) and keeps
   * its length. `version`: of what the walks read besides the cameras (the
   * plan, the maintenance windows); a new one voids every kept result.
   */
  async get(key: string, span: { from: number; to: number }, walk: (from: number, to: number, pace: WalkPace) => Promise<T>, opts: { force?: boolean; anchored?: boolean; version?: string } = {}): Promise<Walked<T>> {
    if (opts.version !== undefined && opts.version !== this.version) {
      if (this.version !== undefined) this.invalidate();
      this.version = opts.version;
    }
    const kept = this.entries.get(key);
    const same = kept !== undefined && (opts.anchored ? kept.from === span.from : kept.to - kept.from === span.to - span.from);
    if (kept && same && !opts.force) {
      const age = this.deps.now() - kept.to;
      const fresh = kept.stored ? STORED_MAX_AGE_MS : freshFor(kept.walkMs);
      if (age >= 0 && age <= fresh) {
        if ((kept.stored || age > fresh / 2) && !this.running.has(key)) this.start(key, span, walk, opts.anchored).catch((err: Error) => this.deps.onError?.(err));
        return kept;
      }
    }
    const running = this.running.get(key);
    if (running) {
      // somebody waits for a walk a publisher began in the background: it goes at full pace from now on
      const pace = this.paces.get(key);
      if (pace) pace.hurried = true;
      return running;
    }
    return this.start(key, span, walk, opts.anchored);
  }

  private start(key: string, span: { from: number; to: number }, walk: (from: number, to: number, pace: WalkPace) => Promise<T>, anchored = false): Promise<Walked<T>> {
    const elapsed = this.deps.elapsed ?? (() => performance.now());
    const generation = this.generation;
    // a background refresh walks up to now, not up to the span of the request that set it off
    const now = this.deps.now();
    const from = anchored ? span.from : now - (span.to - span.from);
    const t0 = elapsed();
    const pace: WalkPace = { hurried: false };
    const p = walk(from, now, pace)
      .then((value) => {
        const done: Walked<T> = { value, from, to: now, walkMs: elapsed() - t0 };
        if (generation === this.generation) {
          this.entries.set(key, done);
          this.deps.onWalked?.(key, done);
        }
        return done;
      })
      .finally(() => {
        if (this.running.get(key) === p) {
          this.running.delete(key);
          this.paces.delete(key);
        }
      });
    this.running.set(key, p);
    this.paces.set(key, pace);
    return p;
  }
}
