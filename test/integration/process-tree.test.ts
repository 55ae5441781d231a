import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { processTreeCpuMs, processTreePssMb } from '../../agent/adapters/process-tree.js';

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
});
