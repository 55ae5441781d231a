import { afterEach, describe, expect, it, vi } from 'vitest';
import { phaseOf, SpreadRound } from '../../agent/features/spread.js';

describe('spread rounds', () => {
  afterEach(() => vi.useRealTimers());

  it('spread: 2,000 cameras start across the span, each at its own phase, about evenly, each once', async () => {
    vi.useFakeTimers();
    const ids = Array.from({ length: 2000 }, (_, i) => `cam-${i}`);
    const started: Array<{ id: string; at: number }> = [];
    const t0 = Date.now();
    const round = new SpreadRound(ids, 'liveness', 54_000, (batch) => started.push(...batch.map((id) => ({ id, at: Date.now() - t0 }))));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(started).toHaveLength(2000);
    expect(new Set(started.map((s) => s.id)).size).toBe(2000);
    // no camera early, none later than a step after its phase
    for (const s of started) {
      const due = phaseOf(s.id, 'liveness') * 54_000;
      expect(s.at).toBeGreaterThanOrEqual(Math.floor(due));
      expect(s.at - due).toBeLessThan(20);
    }
    // no burst: every 6-second slice of the span gets a ninth of the cameras, give or take
    const slices = Array.from({ length: 9 }, (_, k) => started.filter((s) => s.at >= k * 6000 && s.at < (k + 1) * 6000).length);
    for (const n of slices) expect(n).toBeGreaterThan(2000 / 9 * 0.75);
    for (const n of slices) expect(n).toBeLessThan(2000 / 9 * 1.25);
    expect(round.pending).toBe(0);
  });

  it('spread: a camera has another phase for another kind of check, and stop ends the round', async () => {
    vi.useFakeTimers();
    expect(phaseOf('cam-1', 'liveness')).not.toBe(phaseOf('cam-1', 'decode'));
    const started: string[] = [];
    const ids = Array.from({ length: 100 }, (_, i) => `cam-${i}`);
    const round = new SpreadRound(ids, 'decode', 10_000, (batch) => started.push(...batch));
    await vi.advanceTimersByTimeAsync(5000);
    const half = started.length;
    expect(half).toBeGreaterThan(30);
    expect(half).toBeLessThan(70);
    round.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(started).toHaveLength(half);
    expect(round.pending).toBe(100 - half);
  });
});
