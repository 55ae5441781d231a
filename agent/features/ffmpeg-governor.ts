/**
 * How many ffmpeg processes may run at once, sized by what limits a gateway:
 * the CPU the agent may use (its own and its ffmpeg children's, as a share
 * of all cores) and its memory, not the number of cores. An ffmpeg of ours
 * mostly waits for a keyframe, so one per core leaves the CPU idle while
 * checks queue up; too many take the CPU and memory the gateway's other work
 * needs. Every sample the limit moves by one: down while the CPU or the
 * memory used is over its budget, up while checks wait and both are clearly
 * under, never over `max` (the ceiling the admin sets). Pure: the caller
 * measures and applies.
 */
export function nextFfmpegLimit(
  current: number,
  s: { cpuShare: number; budget: number; waiting: number; max: number; memoryMb?: number | undefined; memoryBudgetMb?: number | undefined },
): number {
  const limit = Math.min(Math.max(1, current), s.max);
  const memory = s.memoryBudgetMb && s.memoryMb !== undefined ? s.memoryMb / s.memoryBudgetMb : 0;
  if (s.cpuShare > s.budget || memory > 1) return Math.max(1, limit - 1);
  if (s.waiting > 0 && s.cpuShare < s.budget * 0.85 && memory < 0.85) return Math.min(s.max, limit + 1);
  return limit;
}

/** Applies nextFfmpegLimit every sample from the CPU time the agent and its children used. */
export class FfmpegGovernor {
  private last: { at: number; cpuMs: number } | undefined;
  private limit: number;

  constructor(
    private readonly deps: {
      /** CPU ms used so far by the agent and its finished children; undefined where it cannot be read (no /proc) */
      cpuMs: () => number | undefined;
      cores: number;
      /** share of all cores (0–1); 0: no governing, the limit is `max` */
      budget: () => number;
      /** memory (MB, PSS) of the agent and its children now, and what it may be (0: no rule) */
      memoryMb?: () => number | undefined;
      memoryBudgetMb?: () => number;
      max: () => number;
      waiting: () => number;
      apply: (limit: number) => void;
      now: () => number;
      onChange?: (limit: number, cpuShare: number) => void;
    },
    start: number,
  ) {
    this.limit = deps.budget() <= 0 ? deps.max() : Math.min(Math.max(1, start), deps.max());
    deps.apply(this.limit);
  }

  get current(): number {
    return this.limit;
  }

  sample(): void {
    const budget = this.deps.budget();
    const cpuMs = this.deps.cpuMs();
    const at = this.deps.now();
    if (budget <= 0 || cpuMs === undefined) {
      this.set(this.deps.max(), 0);
      return;
    }
    const memoryBudgetMb = this.deps.memoryBudgetMb?.() ?? 0;
    const memoryMb = memoryBudgetMb > 0 ? this.deps.memoryMb?.() : undefined;
    const prev = this.last;
    this.last = { at, cpuMs };
    if (!prev || at <= prev.at) return;
    const cpuShare = (cpuMs - prev.cpuMs) / (at - prev.at) / this.deps.cores;
    this.set(nextFfmpegLimit(this.limit, { cpuShare, budget, waiting: this.deps.waiting(), max: this.deps.max(), memoryMb, memoryBudgetMb }), cpuShare);
  }

  private set(limit: number, cpuShare: number): void {
    if (limit === this.limit) return;
    this.limit = limit;
    this.deps.apply(limit);
    this.deps.onChange?.(limit, cpuShare);
  }
}
