import { describe, expect, it } from 'vitest';
import PQueue from 'p-queue';
import { CheckStats } from '../../agent/features/check-stats.js';

describe('check stats', () => {
  it('check stats: counts waiting, running and done checks through a real queue, and how long the oldest has waited', async () => {
    let now = 1000;
    const stats = new CheckStats(() => now);
    const queue = new PQueue({ concurrency: 1 });
    const gates: Array<() => void> = [];
    const check = () => new Promise<void>((resolve) => gates.push(resolve));
    const runs = [0, 1, 2].map(() => stats.track('decode', (run) => queue.add(run), check));
    await new Promise((r) => setImmediate(r));
    now = 1500;
    expect(stats.snapshot().decode).toEqual({ done: 0, queued: 2, running: 1, lagMs: 500 });
    gates.shift()!();
    await runs[0];
    await new Promise((r) => setImmediate(r));
    now = 2000;
    // the second started: the third has waited since 1000
    expect(stats.snapshot().decode).toEqual({ done: 1, queued: 1, running: 1, lagMs: 1000 });
    gates.shift()!();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    gates.shift()!();
    await runs[2];
    expect(stats.snapshot().decode).toEqual({ done: 3, queued: 0, running: 0, lagMs: 0 });
    expect(stats.snapshot().liveness).toEqual({ done: 0, queued: 0, running: 0, lagMs: 0 });
  });

  it('check stats: a check that throws is counted done and leaves nothing running', async () => {
    const stats = new CheckStats(() => 0);
    const queue = new PQueue({ concurrency: 2 });
    await expect(stats.track<void>('liveness', (run) => queue.add(run), async () => {
      throw new Error('x');
    })).rejects.toThrow('x');
    expect(stats.snapshot().liveness).toEqual({ done: 1, queued: 0, running: 0, lagMs: 0 });
  });
});
