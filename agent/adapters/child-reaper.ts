import { readdirSync, readFileSync } from 'node:fs';

/**
 * Kills our own child processes whose command line contains `marker`.
 * For children spawned by libraries that do not hand out the process
 * (fluent-ffmpeg's ffprobe): the only way to enforce a deadline on them.
 * Linux only (/proc); elsewhere it finds nothing.
 */
export function killChildrenByMarker(marker: string, signal: NodeJS.Signals = 'SIGKILL'): number {
  let killed = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      // pid (comm) state ppid ...; comm may contain spaces and parentheses
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'latin1');
      if (!cmdline.includes(marker)) continue;
      process.kill(Number(name), signal);
      killed += 1;
    } catch {
      // the process ended while we looked: nothing to kill
    }
  }
  return killed;
}

/** Our child processes whose command line contains `needle` (for tests and leak checks). */
export function countChildren(needle: string): number {
  let n = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(needle)) n += 1;
    } catch {
      // gone
    }
  }
  return n;
}

/**
 * A marker for the command line of an ffmpeg/ffprobe run: it names this
 * process, so a later start can tell a run whose agent died (SIGKILL, OOM)
 * from one of another agent on the same machine.
 */
export function runMarker(kind: 'probe' | 'picture', unique: string): string {
  return `xueliang-${kind}-${process.pid}-${unique}`;
}

const MARKED = /xueliang-(?:probe|picture)-(\d+)-/;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Kills the ffmpeg/ffprobe runs whose agent is gone: killed with SIGKILL, an
 * agent leaves its children running outside every limit until their own
 * timeouts. Called at start. Linux only (/proc); returns how many it killed.
 */
export function reapOrphans(): number {
  let killed = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'latin1');
      const owner = MARKED.exec(cmdline)?.[1];
      if (owner === undefined || Number(owner) === process.pid || alive(Number(owner))) continue;
      process.kill(Number(name), 'SIGKILL');
      killed += 1;
    } catch {
      // gone meanwhile, or not ours to kill
    }
  }
  return killed;
}
