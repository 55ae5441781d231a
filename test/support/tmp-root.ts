/**
 * Vitest global setup: one scratch directory for the whole test run, removed
 * when the run ends. The tests (and the brokers, aggregators, agents,
 * PostgreSQL and slapd they start) make their directories with
 * `mkdtemp(os.tmpdir())`; pointing TMPDIR here before any worker starts keeps
 * them all under this root, so a run leaves nothing behind in /tmp (the stores
 * and brokers of a few hundred tests add up to gigabytes over a week of runs).
 * XUELIANG_KEEP_TEST_TMP=1 keeps the root and prints where it is, to look at
 * what a failing test left.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(path.join(os.tmpdir(), 'xl-test-run-'));
  // mosquitto, PostgreSQL and slapd drop root and run as their own users: they
  // must pass through the root to reach their own directories (those stay 0700
  // or are opened up by the test that makes them)
  chmodSync(root, 0o711);
  const before = process.env['TMPDIR'];
  process.env['TMPDIR'] = root;
  return () => {
    if (before === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = before;
    if (process.env['XUELIANG_KEEP_TEST_TMP'] === '1') {
      console.log(`test scratch kept in ${root}`);
      return;
    }
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}
