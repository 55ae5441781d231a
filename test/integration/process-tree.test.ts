import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { childrenMemory, processTreeCpuMs, processTreePssMb } from '../../agent/adapters/process-tree.js';

// what the ffmpeg governor measures: the CPU and memory of this process and its children, from /proc
describe('process tree', () => {
  it('process tree: a child that burns CPU adds its time while it runs and after it ends; PSS counts it while it lives', async () => {
    const before = processTreeCpuMs()!;
    const pssBefore = processTreePssMb()!;
    expect(pssBefore).toBeGreaterThan(10);
    const child = spawn(process.execPath, ['-e', 'const end = Date.now() + 600; while (Date.now() < end); setTimeout(() => {}, 400)']);
    await new Promise((r) => setTimeout(r, 700));
    const during = processTreeCpuMs()!;
    expect(during - before).toBeGreaterThanOrEqual(400);
    expect(processTreePssMb()!).toBeGreaterThan(pssBefore);
    await new Promise((r) => child.once('exit', r));
    // its time moved to the finished children's: the sum did not fall back
    expect(processTreeCpuMs()!).toBeGreaterThanOrEqual(during);
  }, 10_000);

  it('process tree: each ffmpeg child is seen with its own memory and the inputs it reads', async () => {
    // two inputs; the second one grows a 32 MB buffer of its own. The graph must be valid: an hstack of two
    // heights makes ffmpeg exit within ~150 ms, and the test then passed only when a poll fell in that window
    const child = spawn('ffmpeg', ['-v', 'quiet', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=5', '-f', 'lavfi', '-i', 'testsrc=size=3840x2160:rate=5', '-filter_complex', '[1:v]scale=320:180[b];[0:v][b]hstack=shortest=1', '-f', 'null', '-']);
    try {
      let seen: Array<{ pssMb: number; anonMb: number; inputs: number }> = [];
      // up to 10 s: on a loaded 2-core machine ffmpeg may take seconds to start and open its inputs
      for (let k = 0; k < 100 && !seen.some((c) => c.inputs === 2 && c.anonMb > 30); k++) {
        await new Promise((r) => setTimeout(r, 100));
        seen = childrenMemory() ?? [];
      }
      const mine = seen.find((c) => c.inputs === 2);
      expect(mine, JSON.stringify(seen)).toBeDefined();
      expect(mine!.anonMb).toBeGreaterThan(30);
      expect(mine!.pssMb).toBeGreaterThanOrEqual(mine!.anonMb);
    } finally {
      child.kill('SIGKILL');
    }
  }, 15_000);
});
