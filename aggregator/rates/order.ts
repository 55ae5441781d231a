/**
 * Ids and codes in the order of their UTF-16 code units: the order of a
 * long list's ties (cameras offline since the same moment). localeCompare
 * goes through ICU's collation at every comparison: 30,000 cameras tied in
 * a province's problem list took 400 ms to sort with it, a few with this.
 */
export function byCode(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
