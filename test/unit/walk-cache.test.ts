import { describe, expect, it } from 'vitest';
import { freshFor, MAX_AGE_MS, WalkCache } from '../../aggregator/features/walk-cache.js';

/** A cache on a hand-moved clock whose walks take `cost` ms of that clock and count themselves. */
function setup(cost: number) {
  let now = 1_000_000;
  const walks: Array<[number, number]> = [];
  const cache = new WalkCache<number>({ now: () => now, elapsed: () => now });
  const walk = async (from: number, to: number) => {
    walks.push([from, to]);
    now += cost; // the walk's own duration, on the clock it is measured with
    return walks.length;
  };
  const day = (at: number) => ({ from: at - 86_400_000, to: at });
  return { cache, walk, walks, day, at: () => now, move: (ms: number) => (now += ms) };
}

describe('walk cache (the rates walk kept while young, issue 31)', () => {
  it('keeps nothing a cheap walk found: a small deployment sees every answer worked out anew', async () => {
    expect(freshFor(10)).toBe(0);
    const s = setup(10);
    await s.cache.get('24h', s.day(s.at()), s.walk);
    await s.cache.get('24h', s.day(s.at()), s.walk);
    expect(s.walks).toHaveLength(2);
  });

  it('serves a long walk for forty times what it took, says the span walked, and walks again after', async () => {
    expect(freshFor(1500)).toBe(MAX_AGE_MS);
    const s = setup(200); // fresh for 8 s
    const first = await s.cache.get('24h', s.day(s.at()), s.walk);
    expect(first.walkMs).toBe(200);
    s.move(3000);
    const again = await s.cache.get('24h', s.day(s.at()), s.walk);
    expect(again).toBe(first); // the same result, with the span it covered
    expect(again.to).toBe(s.at() - 3200); // walked up to the moment it began
    expect(s.walks).toHaveLength(1);
    s.move(6000); // 9 s old: past its 8 s
    const later = await s.cache.get('24h', s.day(s.at()), s.walk);
    expect(later.value).toBe(2);
    expect(later.to).toBe(s.at() - 200);
  });

  it('past half its age, the asker is answered at once and a walk starts behind', async () => {
    const s = setup(200);
    await s.cache.get('24h', s.day(s.at()), s.walk);
    s.move(5000); // over 4 s: half of 8 s
    const served = await s.cache.get('24h', s.day(s.at()), s.walk);
    expect(served.value).toBe(1);
    expect(s.walks).toHaveLength(2); // the refresh behind
    await new Promise((r) => setImmediate(r));
    expect((await s.cache.get('24h', s.day(s.at()), s.walk)).value).toBe(2);
  });

  it('askers at the same time share one walk', async () => {
    const s = setup(200);
    const [a, b] = await Promise.all([s.cache.get('24h', s.day(s.at()), s.walk), s.cache.get('24h', s.day(s.at()), s.walk)]);
    expect(a).toBe(b);
    expect(s.walks).toHaveLength(1);
  });

  it('a new plan or maintenance window voids what was kept; windows of other lengths are not mixed up', async () => {
    const s = setup(200);
    await s.cache.get('24h', s.day(s.at()), s.walk, { version: 'plan1' });
    await s.cache.get('24h', s.day(s.at()), s.walk, { version: 'plan2' });
    expect(s.walks).toHaveLength(2);
    await s.cache.get('7d', { from: s.at() - 7 * 86_400_000, to: s.at() }, s.walk, { version: 'plan2' });
    expect(s.walks).toHaveLength(3);
    expect(s.walks[2]![1] - s.walks[2]![0]).toBe(7 * 86_400_000);
  });

  it('today grows from a fixed midnight: a kept walk serves only the same day', async () => {
    const s = setup(200);
    const midnight = s.at() - 86_400_000 - 3600_000; // yesterday's
    const one = await s.cache.get('today', { from: midnight, to: s.at() }, s.walk, { anchored: true });
    expect(one.from).toBe(midnight);
    s.move(1000);
    expect((await s.cache.get('today', { from: midnight, to: s.at() }, s.walk, { anchored: true })).value).toBe(1);
    const nextDay = midnight + 86_400_000;
    const two = await s.cache.get('today', { from: nextDay, to: s.at() }, s.walk, { anchored: true });
    expect(two.value).toBe(2);
    expect(two.from).toBe(nextDay);
  });
});
