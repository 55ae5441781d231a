/**
 * Failed logins, counted per account name and per source address: after
 * `attempts` failures within `windowMs` the name (or the address, at four
 * times as many: an office behind one NAT address holds many people) is
 * locked for `windowMs` from the last failure. Names that do not exist are
 * counted the same, so a lock says nothing of whether an account exists.
 * At most `max` names and addresses are held, the oldest forgotten first.
 */
export class Lockout {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly opts: { attempts: number; windowMs: number; max?: number }) {}

  /** When the name or address is locked: until when (ms); undefined when it is not. */
  lockedUntil(name: string, source: string, now: number): number | undefined {
    const a = this.until(`u:${name.toLowerCase()}`, this.opts.attempts, now);
    const b = this.until(`a:${source}`, this.opts.attempts * 4, now);
    return a === undefined ? b : b === undefined ? a : Math.max(a, b);
  }

  /** A failure; returns whether it locked the name (this failure reached the limit). */
  fail(name: string, source: string, now: number): boolean {
    this.add(`a:${source}`, now);
    return this.add(`u:${name.toLowerCase()}`, now) === this.opts.attempts;
  }

  /** A success clears the name's failures (not the address's). */
  succeed(name: string): void {
    this.failures.delete(`u:${name.toLowerCase()}`);
  }

  private add(key: string, now: number): number {
    const kept = (this.failures.get(key) ?? []).filter((t) => now - t < this.opts.windowMs);
    kept.push(now);
    if (kept.length > this.opts.attempts * 4) kept.shift();
    this.failures.delete(key);
    const max = this.opts.max ?? 10_000;
    if (this.failures.size >= max) this.failures.delete(this.failures.keys().next().value!);
    this.failures.set(key, kept);
    return kept.length;
  }

  private until(key: string, limit: number, now: number): number | undefined {
    const f = (this.failures.get(key) ?? []).filter((t) => now - t < this.opts.windowMs);
    return f.length >= limit ? f.at(-1)! + this.opts.windowMs : undefined;
  }
}
