/**
 * Refused credentials per source address: the first of a 10 s span is
 * recorded (with how many were refused since the last record), the rest only
 * counted; at most 1,000 addresses held (the oldest forgotten).
 */
export class RefusalCounter {
  private readonly bySource = new Map<string, { at: number; since: number }>();

  /** Undefined: only counted; a number: record now, standing for that many refusals since the last record. */
  note(source: string, now: number): number | undefined {
    const held = this.bySource.get(source);
    if (held && now - held.at < 10_000) {
      held.since += 1;
      return undefined;
    }
    this.bySource.delete(source);
    if (this.bySource.size >= 1000) this.bySource.delete(this.bySource.keys().next().value!);
    this.bySource.set(source, { at: now, since: 0 });
    return held?.since ?? 0;
  }
}
