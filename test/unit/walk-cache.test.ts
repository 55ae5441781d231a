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

  it('a walk begun in the background is hurried once somebody comes to wait for it', async () => {
    const s = setup(200);
    const paces: Array<{ hurried: boolean }> = [];
    let finish: (() => void) | undefined;
    const slow = (_from: number, _to: number, pace: { hurried: boolean }) => {
      paces.push(pace);
      return new Promise<number>((resolve) => (finish = () => resolve(7)));
    };
    const first = s.cache.get('24h', s.day(s.at()), slow);
    await Promise.resolve();
    expect(paces.map((p) => p.hurried)).toEqual([false]); // its own asker began it: nothing to hurry yet
    const second = s.cache.get('24h', s.day(s.at()), slow);
    await Promise.resolve();
    expect(paces).toHaveLength(1); // the same walk, shared
    expect(paces[0]!.hurried).toBe(true);
    finish!();
    expect((await first).value).toBe(7);
    expect(await second).toBe(await first);
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

describe('a walk kept in the store across a restart (issue 31, cold start)', () => {
  it('the first asker after the start is answered from it, with the span it covered, and a new walk starts behind', async () => {
    const s = setup(200);
    const stored = { value: 99, from: s.at() - 120_000 - 86_400_000, to: s.at() - 120_000, walkMs: 1500 };
    s.cache.seed('24h', stored, 'v1');
    const first = await s.cache.get('24h', s.day(s.at()), s.walk, { version: 'v1' });
    expect(first.value).toBe(99);
    expect(first.to).toBe(stored.to);
    expect(first.stored).toBe(true);
    expect(s.walks).toHaveLength(1); // the walk of this start, behind
    await new Promise((r) => setImmediate(r));
    expect((await s.cache.get('24h', s.day(s.at()), s.walk, { version: 'v1' })).value).toBe(1);
  });

  it('is not served once a plan or window changed, nor when older than a quarter of an hour', async () => {
    const a = setup(200);
    a.cache.seed('24h', { value: 99, from: a.at() - 86_400_000, to: a.at(), walkMs: 1500 }, 'v1');
    expect((await a.cache.get('24h', a.day(a.at()), a.walk, { version: 'v2' })).value).toBe(1);
    const b = setup(200);
    b.cache.seed('24h', { value: 99, from: b.at() - 16 * 60_000 - 86_400_000, to: b.at() - 16 * 60_000, walkMs: 1500 }, 'v1');
    expect((await b.cache.get('24h', b.day(b.at()), b.walk, { version: 'v1' })).value).toBe(1);
  });

  it('every walk this process ends is told, so a long one can be kept in the store', async () => {
    let now = 0;
    const told: Array<[string, number]> = [];
    const cache = new WalkCache<number>({ now: () => now, elapsed: () => now, onWalked: (key, w) => told.push([key, w.walkMs]) });
    await cache.get('24h', { from: -86_400_000, to: 0 }, async () => ((now += 300), 7));
    expect(told).toEqual([['24h', 300]]);
  });
});
