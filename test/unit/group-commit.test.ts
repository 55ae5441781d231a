import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../aggregator/features/group-commit.js';

/** a flush we finish by hand: resolve or reject each in turn */
function manualFlushes() {
  const calls: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const flush = () => new Promise<void>((resolve, reject) => calls.push({ resolve, reject }));
  return { calls, flush };
}

describe('group commit', () => {
  it('group commit: acknowledges only after the flush, counts what waits, keeps a failed batch for the next flush', async () => {
    const f = manualFlushes();
    const acked: number[] = [];
    let taken = 0;
    let n = 0;
    const errors: unknown[] = [];
    const gc = new GroupCommit({
      flush: f.flush,
      takeAcks: () => {
        const upTo = n;
        const from = taken;
        taken = n;
        return () => {
          for (let i = from + 1; i <= upTo; i += 1) acked.push(i);
        };
      },
      maxDelayMs: 60_000,
      maxMessages: 1000,
      retryMs: 60_000,
      onError: (e) => errors.push(e),
    });
    for (let i = 0; i < 3; i += 1) gc.add(() => (n += 1));
    expect(gc.waiting).toBe(3);
    const first = gc.flush();
    // two more arrive while the first batch is written, and a second flush starts before the first ends
    gc.add(() => (n += 1));
    gc.add(() => (n += 1));
    const second = gc.flush();
    expect(gc.waiting).toBe(5);
    f.calls[0]!.reject(new Error('database away'));
    await first;
    expect(acked).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(gc.waiting).toBe(5);
    f.calls[1]!.resolve();
    await second;
    // the second flush made messages 4 and 5 durable; 1–3 wait for a flush that carries them again
    expect(acked).toEqual([4, 5]);
    expect(gc.waiting).toBe(3);
    const third = gc.flush();
    f.calls[2]!.resolve();
    await third;
    expect(acked).toEqual([4, 5, 1, 2, 3]);
    expect(gc.waiting).toBe(0);
    await gc.stop();
    expect(f.calls).toHaveLength(3);
  });
});
