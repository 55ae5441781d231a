import type PQueue from 'p-queue';
import type { DecodeResult, KeyframeInput } from '../adapters/keyframe-decode.js';

interface Waiting {
  input: KeyframeInput;
  deadlineMs: number;
  started: () => void;
  resolve: (r: DecodeResult) => void;
}

/**
 * Decode checks share ffmpeg processes: a check waits in a list, and when an
 * ffmpeg slot of the queue frees, one process takes up to `groupSize` waiting
 * checks (after at most `gatherMs` for the list to fill). One process start
 * costs more CPU than decoding a keyframe, so at the scale of a county
 * gateway the start-up is what is shared; a slot is still one process, so
 * the queue's concurrency keeps bounding processes and memory.
 */
export class DecodeBatcher {
  private readonly waiting: Waiting[] = [];
  /** queue jobs added that have not started yet: each takes its group when it starts */
  private jobsWaiting = 0;

  constructor(
    private readonly deps: {
      queue: PQueue;
      groupSize: () => number;
      gatherMs: number;
      decode: (inputs: KeyframeInput[], deadlineMs: number) => Promise<DecodeResult[]>;
    },
  ) {}

  /** The decode check of one camera; `started` is called when its group's ffmpeg starts. Never rejects. */
  decode(input: KeyframeInput, deadlineMs: number, started: () => void = () => undefined): Promise<DecodeResult> {
    return new Promise((resolve) => {
      this.waiting.push({ input, deadlineMs, started, resolve });
      this.ensureJob();
    });
  }

  /** checks waiting for a process */
  get queued(): number {
    return this.waiting.length;
  }

  private ensureJob(): void {
    // one job waiting in the queue is enough: it takes what has gathered when its slot frees
    if (this.waiting.length === 0 || this.jobsWaiting > 0) return;
    this.jobsWaiting += 1;
    void this.deps.queue.add(async () => {
      const size = Math.max(1, this.deps.groupSize());
      if (this.waiting.length < size && this.deps.gatherMs > 0) await new Promise((r) => setTimeout(r, this.deps.gatherMs));
      const group = this.waiting.splice(0, size);
      this.jobsWaiting -= 1;
      this.ensureJob();
      if (group.length === 0) return;
      for (const w of group) w.started();
      const deadlineMs = Math.min(...group.map((w) => w.deadlineMs));
      let results: DecodeResult[];
      try {
        results = await this.deps.decode(
          group.map((w) => w.input),
          deadlineMs,
        );
      } catch (err) {
        const detail = `decode failed: ${err instanceof Error ? err.message : String(err)}`;
        results = group.map(() => ({ ok: false, ms: 0, reason: 'no_video', detail }));
      }
      group.forEach((w, i) => w.resolve(results[i] ?? { ok: false, ms: 0, reason: 'no_video', detail: 'no result' }));
    });
  }
}
