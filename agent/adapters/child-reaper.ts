import { readdirSync, readFileSync } from 'node:fs';

/** Every process we can read in /proc, with its parent and command line (NUL-separated). Linux only; elsewhere none. */
function* processes(): Generator<{ pid: number; ppid: () => number; cmdline: string }> {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, 'latin1');
    } catch {
      continue; // ended while we looked
    }
    const ppid = () => {
      try {
        // pid (comm) state ppid ...; comm may contain spaces and parentheses
        const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      } catch {
        return -1;
      }
    };
    yield { pid: Number(name), ppid, cmdline };
  }
}

const kill = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false; // gone meanwhile, or not ours to kill
  }
};

/**
 * Kills our own child processes whose command line contains `marker`.
 * For children spawned by libraries that do not hand out the process
 * (fluent-ffmpeg's ffprobe): the only way to enforce a deadline on them.
 */
export function killChildrenByMarker(marker: string, signal: NodeJS.Signals = 'SIGKILL'): number {
  let killed = 0;
  for (const p of processes()) if (p.cmdline.includes(marker) && p.ppid() === process.pid && kill(p.pid, signal)) killed += 1;
  return killed;
}

/** Our child processes whose command line contains `needle` (for tests and leak checks). */
export function countChildren(needle: string): number {
  let n = 0;
  for (const p of processes()) if (p.cmdline.includes(needle) && p.ppid() === process.pid) n += 1;
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
 * timeouts. Called at start; returns how many it killed.
 */
export function reapOrphans(): number {
  let killed = 0;
  for (const p of processes()) {
    const owner = MARKED.exec(p.cmdline)?.[1];
    if (owner === undefined || Number(owner) === process.pid || alive(Number(owner))) continue;
    if (kill(p.pid, 'SIGKILL')) killed += 1;
  }
  return killed;
}
