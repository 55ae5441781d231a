/**
 * Scratch directories of the benchmarks (stores of a million cameras, broker
 * files): removed when the benchmark's process exits, also after a failure or
 * Ctrl-C, so that runs do not fill the disk (a 1,000,000-camera store is over
 * a gigabyte). XUELIANG_BENCH_KEEP=1 keeps them and prints where they are.
 * A benchmark that kills its child processes in an exit handler registers it
 * with `process.prependListener('exit', …)`, so that they are gone before
 * their directories are removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];
let hooked = false;

function removeAll(): void {
  if (process.env['XUELIANG_BENCH_KEEP'] === '1') {
    if (made.length > 0) console.error(`benchmark scratch kept: ${made.join(' ')}`);
    return;
  }
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** A new directory under the system's temporary directory, named `prefix` and random letters, removed at exit. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  if (!hooked) {
    hooked = true;
    process.on('exit', removeAll);
    // an interrupted benchmark exits through its exit handlers (a signal's default would skip them)
    for (const signal of ['SIGINT', 'SIGTERM'] as const) if (process.listenerCount(signal) === 0) process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
  }
  made.push(dir);
  return dir;
}
