import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

const fieldsOf = (pid: number | 'self') => {
  const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // pid (comm) state ppid …: comm may hold spaces and parentheses
  return s.slice(s.lastIndexOf(')') + 2).split(' ');
};

/** Our live child processes, with their /proc stat fields. */
function* children(): Generator<{ pid: number; fields: string[] }> {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const fields = fieldsOf(Number(name));
      if (Number(fields[1]) === process.pid) yield { pid: Number(name), fields };
    } catch {
      // ended while we looked
    }
  }
}

/**
 * CPU ms used so far by this process and its children: its own time, its
 * finished children's (cutime, cstime) and its live children's so far (a
 * child that ends moves from the one to the other, so the sum does not jump).
 * Linux only: undefined where /proc cannot be read.
 */
export function processTreeCpuMs(): number | undefined {
  try {
    const self = fieldsOf('self');
    let ticks = Number(self[11]) + Number(self[12]) + Number(self[13]) + Number(self[14]);
    for (const c of children()) ticks += Number(c.fields[11]) + Number(c.fields[12]);
    return ticks * TICK_MS;
  } catch {
    return undefined;
  }
}

const pssKb = (pid: number | 'self') => Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'))?.[1] ?? 0);

/** Memory (MB, PSS) of this process alone. Linux only: undefined where /proc cannot be read. */
export function processPssMb(): number | undefined {
  try {
    return pssKb('self') / 1024;
  } catch {
    return undefined;
  }
}

/**
 * Memory (MB) of this process and its live children, as PSS: a page shared
 * by several (ffmpeg's libraries) counts once in the sum, not once per
 * process as RSS would. Linux only: undefined where /proc cannot be read.
 */
export function processTreePssMb(): number | undefined {
  try {
    let kb = pssKb('self');
    for (const c of children()) {
      try {
        kb += pssKb(c.pid);
      } catch {
        // ended while we looked
      }
    }
    return kb / 1024;
  } catch {
    return undefined;
  }
}

/**
 * Each live child's memory (MB): its PSS, and of that its anonymous part (its
 * own heap and frames, not the libraries it shares with the others), and how
 * many inputs it reads (its `-i` arguments). Linux only: undefined where
 * /proc cannot be read.
 */
export function childrenMemory(): Array<{ pssMb: number; anonMb: number; inputs: number }> | undefined {
  try {
    const out: Array<{ pssMb: number; anonMb: number; inputs: number }> = [];
    for (const c of children()) {
      try {
        const rollup = readFileSync(`/proc/${c.pid}/smaps_rollup`, 'latin1');
        const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? NaN);
        const pss = kb('Pss');
        const anon = Number.isNaN(kb('Pss_Anon')) ? kb('Private_Dirty') : kb('Pss_Anon');
        const inputs = readFileSync(`/proc/${c.pid}/cmdline`, 'latin1').split('\0').filter((a) => a === '-i').length;
        out.push({ pssMb: (pss || 0) / 1024, anonMb: (anon || 0) / 1024, inputs });
      } catch {
        // ended while we looked
      }
    }
    return out;
  } catch {
    return undefined;
  }
}
