import { describe, expect, it } from 'vitest';
import { eachInSlices, jsonArrayInSlices, pacer } from '../../aggregator/features/slices.js';
import { turnCounter } from '../support/turns.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('walks in slices (features/slices.ts)', () => {
  it('run one slice a turn of the event loop, however many walks are under way, and each walk in its order', async () => {
    const turns = turnCounter();
    const seen: Array<{ walk: string; turn: number }> = [];
    const items: Record<string, number[]> = { a: [], b: [], c: [] };
    // a budget below zero: a slice is the least it can be (128 items)
    const walk = (name: string) =>
      eachInSlices(range(128 * 5), (i) => {
        items[name]!.push(i);
        if (i % 128 === 0) seen.push({ walk: name, turn: turns.now() });
      }, { budgetMs: -1 });
    await Promise.all([walk('a'), walk('b'), walk('c')]);
    turns.stop();
    expect(seen).toHaveLength(15);
    // with no budget at all, every slice (the first ones too) in a turn of its own
    expect(new Set(seen.map((s) => s.turn)).size).toBe(15);
    for (const k of ['a', 'b', 'c']) expect(items[k]).toEqual(range(128 * 5));
  });

  it('walks one after another in a turn share its budget: a walk too short to give the loop back by itself waits once the turn is spent', async () => {
    const turns = turnCounter();
    const startedIn: number[] = [];
    // ten walks of 100 items (fewer than a slice's 128), each taking at least 2 ms, awaited one after another as a
    // publisher's pass over its counties does: with a budget of 5 ms no turn can hold more than three of them
    for (let w = 0; w < 10; w++) {
      startedIn.push(turns.now());
      await eachInSlices(range(100), () => {
        const until = performance.now() + 0.02;
        while (performance.now() < until);
      }, { budgetMs: 5 });
    }
    turns.stop();
    const perTurn = new Map<number, number>();
    for (const t of startedIn) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(3);
    expect(perTurn.size).toBeGreaterThanOrEqual(4);
  });

  it('a pacer asks for a turn once its budget is spent, and not before', async () => {
    const pace = pacer(1000);
    const turnsAsked = range(1000).filter(() => pace() !== undefined).length;
    expect(turnsAsked).toBe(0);
    const spent = pacer(-1);
    const asked = range(1024).map(() => spent()).filter((p) => p !== undefined);
    // the clock is read every 128 items
    expect(asked).toHaveLength(8);
    await Promise.all(asked);
  });

  it('JSON made in slices is the text JSON.stringify makes, whatever the count against the chunk size', async () => {
    const item = (i: number) => ({ id: `P${i}`, name: `点位 "${i}"\n`, region: '330106', required: i % 3, gbId: i % 2 ? undefined : `3301060000132${String(i).padStart(7, '0')}`, tags: [i, null, true] });
    for (const n of [0, 1, 6, 7, 8, 13, 2001, 4500]) {
      const items = Array.from({ length: n }, (_, i) => item(i));
      expect(await jsonArrayInSlices(items, 7), `${n} items`).toBe(JSON.stringify(items));
      expect(await jsonArrayInSlices(items), `${n} items`).toBe(JSON.stringify(items));
    }
  });
});
