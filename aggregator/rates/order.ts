/**
 * Ids and codes in the order of their UTF-16 code units: the order of a
 * long list's ties (cameras offline since the same moment). localeCompare
 * goes through ICU's collation at every comparison: 30,000 cameras tied in
 * a province's problem list took 400 ms to sort with it, a few with this.
 */
export function byCode(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The first `k` items of a stream in `cmp`'s order, kept as they come (a
 * heap whose top is the last of them): a page of a long list is found in
 * O(n log k) a step at a time, so a walk in slices does all of it; sorting
 * the whole list was one piece of tens of milliseconds at a province's
 * 30,000 problem cameras. Ties keep no particular order: `cmp` should order
 * every pair (an id last).
 */
export class FirstK<T> {
  private readonly heap: T[] = [];

  constructor(
    private readonly k: number,
    private readonly cmp: (a: T, b: T) => number,
  ) {}

  push(x: T): void {
    const h = this.heap;
    if (h.length < this.k) {
      h.push(x);
      this.up(h.length - 1);
    } else if (this.k > 0 && this.cmp(x, h[0]!) < 0) {
      h[0] = x;
      this.down(0);
    }
  }

  /** what was kept, in order */
  sorted(): T[] {
    return [...this.heap].sort(this.cmp);
  }

  // the heap's order is reversed: a parent comes after its children in cmp's order
  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.cmp(h[p]!, h[i]!) >= 0) return;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < h.length && this.cmp(h[l]!, h[top]!) > 0) top = l;
      if (r < h.length && this.cmp(h[r]!, h[top]!) > 0) top = r;
      if (top === i) return;
      [h[top], h[i]] = [h[i]!, h[top]!];
      i = top;
    }
  }
}
