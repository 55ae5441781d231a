import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * Replaces `file` with `text` so that a crash leaves the old content or the
 * new, never half of either: write a temp file, fsync, rename. Mode 0600:
 * what the agent keeps may name cameras and carry pushed secrets.
 */
export function writeFileAtomic(file: string, text: string, mode = 0o600): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
