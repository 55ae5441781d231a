import PQueue from 'p-queue';
import { describe, expect, it } from 'vitest';
import { MemoryGate } from '../../agent/features/memory-gate.js';
import { CheckBatcher } from '../../agent/features/check-batch.js';

describe('memory gate', () => {
  it('memory gate: cameras fit beside the agent and the inputs running, at the cost learnt per input; one always when none runs', () => {
    let self = 150;
    let tree = 150;
    const gate = new MemoryGate({ budgetMb: () => 450, selfMb: () => self, treeMb: () => tree, initialPerInputMb: 15 });
    // (450 - 150) / 15 = 20 inputs
    expect(gate.room(8)).toBe(8);
    const a = gate.take(8);
    const b = gate.take(8);
    expect(gate.room(8)).toBe(4);
    // the children take 25 MB per input: the cost rises at once, and fewer fit
    tree = 150 + 16 * 25;
    gate.sample();
    expect(gate.perInput).toBe(25);
    expect(gate.room(8)).toBe(0);
    a();
    a(); // twice is once
    expect(gate.inputs).toBe(8);
    expect(gate.room(8)).toBe(4);
    b();
    // the agent alone over the budget: still one camera at a time, never none
    self = 600;
    expect(gate.room(8)).toBe(1);
    const c = gate.take(1);
    expect(gate.room(8)).toBe(0);
    c();
    // cheaper inputs lower the cost slowly (runs that just started have not grown yet): 2% a sample
    self = 150;
    const d = gate.take(10);
    tree = 150 + 10 * 5;
    gate.sample();
    expect(gate.perInput).toBeCloseTo(24.5, 5);
    for (let i = 0; i < 200; i++) gate.sample();
    expect(gate.perInput).toBe(5);
    d();
  });

  it('memory gate: no budget or no /proc: the group size alone', () => {
    expect(new MemoryGate({ budgetMb: () => 0, selfMb: () => 100, treeMb: () => 100 }).room(8)).toBe(8);
    expect(new MemoryGate({ budgetMb: () => 450, selfMb: () => undefined, treeMb: () => undefined }).room(8)).toBe(8);
  });

  it('check batcher: a group starts with the cameras that fit in memory; the rest wait for the next run', async () => {
    let self = 100;
    const gate = new MemoryGate({ budgetMb: () => 160, selfMb: () => self, treeMb: () => self, initialPerInputMb: 20 });
    const groups: number[] = [];
    const running: number[] = [];
    const batcher = new CheckBatcher<string, string>({
      queue: new PQueue({ concurrency: 2 }),
      groupSize: () => 8,
      gatherMs: 0,
      memory: gate,
      failed: (d) => d,
      run: async (inputs) => {
        groups.push(inputs.length);
        running.push(gate.inputs);
        await new Promise((r) => setTimeout(r, 30));
        return inputs.map((i) => `ok ${i}`);
      },
    });
    const results = await Promise.all(Array.from({ length: 7 }, (_, i) => batcher.check(`c${i}`, 5000)));
    expect(results).toEqual(Array.from({ length: 7 }, (_, i) => `ok c${i}`));
    // (160 - 100) / 20 = 3 cameras at once, whatever the group size and the slots
    expect(Math.max(...running)).toBeLessThanOrEqual(3);
    expect(groups.reduce((a, b) => a + b, 0)).toBe(7);
    expect(gate.inputs).toBe(0);
  });
});
