import PQueue from 'p-queue';
import { describe, expect, it } from 'vitest';
import { MemoryGate } from '../../agent/features/memory-gate.js';
import { CheckBatcher } from '../../agent/features/check-batch.js';

describe('memory gate', () => {
  it('memory gate: cameras fit beside the agent, the shared libraries and the inputs running, at the highest per-input cost a run showed', () => {
    let self = 150;
    let kids: Array<{ pssMb: number; anonMb: number; inputs: number }> = [];
    const gate = new MemoryGate({ budgetMb: () => 450, selfMb: () => self, children: () => kids, initialPerInputMb: 15 });
    // (450 - 150) / 15 = 20 inputs
    expect(gate.room(8)).toBe(8);
    const a = gate.take(8);
    const b = gate.take(8);
    expect(gate.room(8)).toBe(4);
    // one run has decoded (8 inputs, 200 MB of its own: 25 each), the other still waits for keyframes (8 MB);
    // the average (13 MB) would let more in: the run that decoded sets the cost; the libraries (40 MB) count once
    kids = [{ pssMb: 220, anonMb: 200, inputs: 8 }, { pssMb: 28, anonMb: 8, inputs: 8 }];
    gate.sample();
    expect(gate.perInput).toBe(25);
    // (450 - 150 - 40) / 25 = 10 inputs, 16 running
    expect(gate.room(8)).toBe(0);
    a();
    a(); // twice is once
    expect(gate.inputs).toBe(8);
    expect(gate.room(8)).toBe(2);
    b();
    // the agent alone over the budget: still one camera at a time, never none
    self = 600;
    expect(gate.room(8)).toBe(1);
    const c = gate.take(1);
    expect(gate.room(8)).toBe(0);
    c();
    // cheaper runs lower the cost slowly: 2% a sample, down to what runs show
    self = 150;
    kids = [{ pssMb: 90, anonMb: 50, inputs: 10 }];
    gate.sample();
    expect(gate.perInput).toBeCloseTo(24.5, 5);
    for (let i = 0; i < 200; i++) gate.sample();
    expect(gate.perInput).toBe(5);
    // no child running: nothing learnt
    kids = [];
    gate.sample();
    expect(gate.perInput).toBe(5);
  });

  it('memory gate: no budget or no /proc: the group size alone', () => {
    expect(new MemoryGate({ budgetMb: () => 0, selfMb: () => 100, children: () => [] }).room(8)).toBe(8);
    expect(new MemoryGate({ budgetMb: () => 450, selfMb: () => undefined, children: () => undefined }).room(8)).toBe(8);
  });

  it('check batcher: a group starts with the cameras that fit in memory; the rest wait for the next run', async () => {
    const self = 100;
    const gate = new MemoryGate({ budgetMb: () => 160, selfMb: () => self, children: () => [], initialPerInputMb: 20 });
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
