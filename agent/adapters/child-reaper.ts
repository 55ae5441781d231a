import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

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
  return `xueliang-${kind}-${process.pid}-${installation}-${unique}`;
}

/** which installation this agent is (a hash of its state directory), as its runs' markers say */
let installation = 'none';

/**
 * Names this agent's installation (its state directory) in the markers of
 * its runs: a restarted agent reaps the runs its own installation left when
 * it died, never those of another agent on the same machine (a second site's
 * agent, a test), whose restart reaps its own.
 */
export function setRunOwner(stateDir: string): void {
  installation = createHash('sha256').update(path.resolve(stateDir)).digest('hex').slice(0, 12);
}

const MARKED = /xueliang-(?:probe|picture)-(\d+)-([0-9a-f]{12}|none)-/;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Kills the ffmpeg/ffprobe runs of this installation whose agent is gone:
 * killed with SIGKILL, an agent leaves its children running outside every
 * limit until their own timeouts. Called at start; returns the runs it killed
 * (pid, and the pid of the agent that left it), for the log.
 */
export function reapOrphans(): Array<{ pid: number; agentPid: number }> {
  const killed: Array<{ pid: number; agentPid: number }> = [];
  for (const p of processes()) {
    const m = MARKED.exec(p.cmdline);
    const owner = m?.[1];
    if (owner === undefined || m![2] !== installation || Number(owner) === process.pid || alive(Number(owner))) continue;
    if (kill(p.pid, 'SIGKILL')) killed.push({ pid: p.pid, agentPid: Number(owner) });
  }
  return killed;
}
