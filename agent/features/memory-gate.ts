/**
 * Admits cameras into ffmpeg runs within the memory budget. What an ffmpeg
 * costs grows with the cameras it checks at once (each input holds its
 * decoder's frames until the run ends, and a run lasts until its slowest
 * camera's keyframe), so the unit here is an input, not a process. An input
 * costs little while it waits for its keyframe and most once it decodes, and
 * the inputs of a run decode at different moments: an average over every
 * running input understates what they take when several decode at once. So
 * the cost of one is learnt per run: a run's own memory (its heap and frames,
 * not the libraries every ffmpeg shares) over its inputs, the highest seen
 * lately; the shared libraries count once. A group starts with as many
 * cameras as fit beside the agent's own memory, the shared part and the
 * inputs already running; one camera always may start when none runs, so
 * checks never stall.
 */
export class MemoryGate {
  private running = 0;
  private perInputMb: number;
  /** memory the ffmpeg processes share (their libraries), as last seen while some ran */
  private sharedMb = 0;

  constructor(
    private readonly deps: {
      /** what the agent and its ffmpeg may use together (MB); 0: no rule */
      budgetMb: () => number;
      /** the agent process's own memory now (MB, PSS); undefined where it cannot be read */
      selfMb: () => number | undefined;
      /** each running child's memory (PSS), its own (anonymous) part, and its inputs */
      children: () => Array<{ pssMb: number; anonMb: number; inputs: number }> | undefined;
      /** the cost of one input until one is measured (MB) */
      initialPerInputMb?: number;
    },
  ) {
    this.perInputMb = deps.initialPerInputMb ?? 15;
  }

  /** inputs of ffmpeg runs going on now */
  get inputs(): number {
    return this.running;
  }

  /** what one input is taken to cost (MB) */
  get perInput(): number {
    return this.perInputMb;
  }

  /** How many of `wanted` cameras may start now (0 when none fit; at least one when nothing runs). */
  room(wanted: number): number {
    const budget = this.deps.budgetMb();
    if (budget <= 0) return wanted;
    const self = this.deps.selfMb();
    if (self === undefined) return wanted;
    const fit = Math.floor((budget - self - this.sharedMb) / this.perInputMb) - this.running;
    return Math.max(this.running === 0 ? 1 : 0, Math.min(wanted, fit));
  }

  /** Counts `n` inputs running until the function returned is called. */
  take(n: number): () => void {
    this.running += n;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.running -= n;
    };
  }

  /** Learns the cost of one input from the running children's memory (call it every 2 s). */
  sample(): void {
    const kids = this.deps.children()?.filter((c) => c.inputs > 0);
    if (!kids || kids.length === 0) return;
    const seen = Math.max(...kids.map((c) => c.anonMb / c.inputs));
    // the highest lately counts, fading by 2% a sample (half in about a minute at one sample each 2 s)
    this.perInputMb = Math.min(500, Math.max(1, seen, this.perInputMb * 0.98));
    // what is not a child's own is the libraries they share, their PSS shares of it adding up to it once
    this.sharedMb = kids.reduce((a, c) => a + Math.max(0, c.pssMb - c.anonMb), 0);
  }
}
