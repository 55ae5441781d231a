import { describe, expect, it } from 'vitest';
import { FfmpegGovernor, nextFfmpegLimit } from '../../agent/features/ffmpeg-governor.js';

describe('ffmpeg governor', () => {
  it('ffmpeg governor: one step down over the budget, one up while checks wait well under it, never past 1 or max', () => {
    const base = { budget: 0.5, max: 8 };
    expect(nextFfmpegLimit(4, { ...base, cpuShare: 0.6, waiting: 100 })).toBe(3);
    expect(nextFfmpegLimit(1, { ...base, cpuShare: 0.9, waiting: 100 })).toBe(1);
    expect(nextFfmpegLimit(4, { ...base, cpuShare: 0.3, waiting: 5 })).toBe(5);
    expect(nextFfmpegLimit(8, { ...base, cpuShare: 0.3, waiting: 5 })).toBe(8);
    // nothing waits: no reason to grow; near the budget: hold
    expect(nextFfmpegLimit(4, { ...base, cpuShare: 0.3, waiting: 0 })).toBe(4);
    expect(nextFfmpegLimit(4, { ...base, cpuShare: 0.45, waiting: 50 })).toBe(4);
    // a lowered max takes effect at once
    expect(nextFfmpegLimit(8, { ...base, max: 3, cpuShare: 0.1, waiting: 0 })).toBe(3);
  });

  it('ffmpeg governor: follows the CPU the process tree used between samples, and gives max without a budget or without /proc', () => {
    let at = 0;
    let cpuMs = 0;
    let budget = 0.5;
    let readable = true;
    const applied: number[] = [];
    const g = new FfmpegGovernor({ cpuMs: () => (readable ? cpuMs : undefined), cores: 2, budget: () => budget, max: () => 8, waiting: () => 10, apply: (n) => applied.push(n), now: () => at }, 2);
    expect(applied).toEqual([2]);
    g.sample(); // the first sample only sets the baseline
    const step = (usedMs: number) => {
      at += 10_000;
      cpuMs += usedMs;
      g.sample();
    };
    step(4000); // 20% of two cores
    step(4000);
    expect(g.current).toBe(4);
    step(14_000); // 70%
    expect(g.current).toBe(3);
    budget = 0;
    step(1000);
    expect(g.current).toBe(8);
    budget = 0.5;
    readable = false;
    step(1000);
    expect(g.current).toBe(8);
    expect(applied).toEqual([2, 3, 4, 3, 8]);
  });
});

describe('ffmpeg governor and memory', () => {
  it('ffmpeg governor: over the memory budget one fewer, near it no more, without a memory rule only the CPU counts', () => {
    const base = { budget: 0.5, max: 8, cpuShare: 0.2, waiting: 10, memoryBudgetMb: 450 };
    expect(nextFfmpegLimit(6, { ...base, memoryMb: 470 })).toBe(5);
    expect(nextFfmpegLimit(6, { ...base, memoryMb: 400 })).toBe(6);
    expect(nextFfmpegLimit(6, { ...base, memoryMb: 300 })).toBe(7);
    expect(nextFfmpegLimit(6, { ...base, memoryMb: 9000, memoryBudgetMb: 0 })).toBe(7);
  });
});
