import { describe, expect, it } from 'vitest';
import { FirstK } from '../../aggregator/rates/order.js';

describe('FirstK', () => {
  it('keeps the first k of a stream in the comparator order: the same as sorting everything and taking k (random streams with ties, k from 0 to past the end)', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    // the camera list's order: longest down first, ties by id
    const cmp = (a: { forMs: number; id: string }, b: { forMs: number; id: string }) => b.forMs - a.forMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    for (let round = 0; round < 40; round++) {
      const n = Math.floor(rand() * 300);
      const items = Array.from({ length: n }, (_, i) => ({ forMs: Math.floor(rand() * 20) * 1000, id: `c${i}` }));
      const all = [...items].sort(cmp);
      for (const k of [0, 1, 2, 5, 50, n - 1, n, n + 3, Infinity]) {
        if (k < 0) continue;
        const top = new FirstK(k, cmp);
        for (const x of items) top.push(x);
        expect(top.sorted(), `n ${n} k ${k}`).toEqual(all.slice(0, k));
      }
    }
  });
});
