import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU time (user + system, ms) and memory of a process, from /proc. */
export function procStats(pid: number): { cpuMs: number; rssMb: number; hwmMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuMs = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuMs, rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

/** Busy CPU time of the whole machine so far (ms, every core; idle and I/O wait left out), from /proc/stat. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) * TICK_MS;
}

/**
 * Starts timing where the machine's CPU goes; the function returned tells, in
 * cores busy since then: the whole machine, the broker's process and this one.
 */
export function cpuSplit(brokerPid: number): () => { machine: number; broker: number; self: number } {
  const t0 = performance.now();
  const m0 = machineBusyMs();
  const b0 = procStats(brokerPid).cpuMs;
  const s0 = process.cpuUsage();
  return () => {
    const ms = performance.now() - t0;
    const s = process.cpuUsage(s0);
    return { machine: (machineBusyMs() - m0) / ms, broker: (procStats(brokerPid).cpuMs - b0) / ms, self: (s.user + s.system) / 1000 / ms };
  };
}

/**
 * CPU time (user + system, ms) of this process's main thread alone, from
 * /proc/self/task/<pid>/stat: what bounds a Node.js consumer, whatever its
 * worker and libuv threads do beside it.
 */
export function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/**
 * CPU time (ms) of each thread of a process, by name and id (node's main
 * thread is `main`; its garbage collector's helpers, libuv's pool and worker
 * threads are all "node" on Linux): where a process's CPU goes beside its
 * JavaScript.
 */
export function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1');
      // node names its other threads alike ("node"): each keeps its id
      const name = tid === String(pid) ? 'main' : `${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}:${tid}`;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * TICK_MS);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** The busiest threads between two threadCpuMs readings, as "name 1.2%" over `ms`. */
export function threadSplit(before: Map<string, number>, after: Map<string, number>, ms: number): string {
  return [...after]
    .map(([name, cpu]) => [name, cpu - (before.get(name) ?? 0)] as const)
    .filter(([, d]) => d > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([name, d]) => `${name} ${((d / ms) * 100).toFixed(1)}%`)
    .join(', ');
}
