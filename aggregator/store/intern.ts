/**
 * One copy of each of the few strings a province's store repeats a million
 * times (a camera's gateway id, a mark's state, a point's category).
 * better-sqlite3 and pg give every row's text its own string, and JSON.parse
 * gives one to every value longer than a few characters: 20–40 bytes each,
 * per camera, for the same dozen values. Bounded: past `max` distinct values
 * a string is returned as it came (a column that is not low-cardinality
 * costs a lookup, never memory).
 */
export class Interner {
  private readonly held = new Map<string, string>();

  constructor(private readonly max = 10_000) {}

  of<T extends string>(s: T): T {
    const held = this.held.get(s);
    if (held !== undefined) return held as T;
    if (this.held.size < this.max) this.held.set(s, s);
    return s;
  }
}
