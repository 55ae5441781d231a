/** how long a group waits for memory to free before it starts with one camera anyway (bounded: 60 s) */
const ROOM_WAIT_MS = 250;
const ROOM_WAITS = 240;

interface Waiting<I, R> {
  input: I;
  deadlineMs: number;
  started: () => void;
  resolve: (r: R) => void;
}

/** How many cameras may start within the memory budget (MemoryGate), and counting them while they run. */
export interface Admission {
  room(wanted: number): number;
  take(n: number): () => void;
}

/** Where a group's process runs: a queue slot (p-queue's add, or slots nested). */
export interface Slots {
  add<T>(job: () => Promise<T>): Promise<T>;
}

/**
 * Checks of one kind share ffmpeg processes: a check waits in a list, and
 * when a slot frees, one process takes up to `groupSize` waiting checks
 * (after at most `gatherMs` for the list to fill). One process start costs
 * more CPU than decoding a keyframe, so at the scale of a county gateway the
 * start-up is what is shared; a slot is still one process, so the queue's
 * concurrency keeps bounding processes and memory. Decode checks and
 * picture checks each have one.
 */
export class CheckBatcher<I, R> {
  private readonly waiting: Array<Waiting<I, R>> = [];
  /** queue jobs added that have not started yet: each takes its group when it starts */
  private jobsWaiting = 0;

  constructor(
    private readonly deps: {
      queue: Slots;
      groupSize: () => number;
      gatherMs: number;
      /** the checks of a group, in one process; one result per input, in order */
      run: (inputs: I[], deadlineMs: number) => Promise<R[]>;
      /** the result of a check whose group could not run */
      failed: (detail: string) => R;
      /** how many cameras may start within the memory budget (MemoryGate); absent: the group size */
      memory?: Admission | undefined;
    },
  ) {}

  /** The check of one camera; `started` is called when its group's process starts. Never rejects. */
  check(input: I, deadlineMs: number, started: () => void = () => undefined): Promise<R> {
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
      // as many as fit in memory beside the runs going on; none fit: wait for one of them to end (each has its deadline)
      const memory = this.deps.memory;
      let room = memory ? memory.room(Math.min(size, this.waiting.length)) : size;
      for (let k = 0; memory && room === 0 && this.waiting.length > 0 && k < ROOM_WAITS; k++) {
        await new Promise((r) => setTimeout(r, ROOM_WAIT_MS));
        room = memory.room(Math.min(size, this.waiting.length));
      }
      const group = this.waiting.splice(0, Math.max(1, room));
      this.jobsWaiting -= 1;
      this.ensureJob();
      if (group.length === 0) return;
      const release = memory?.take(group.length);
      for (const w of group) w.started();
      const deadlineMs = Math.min(...group.map((w) => w.deadlineMs));
      let results: R[];
      try {
        results = await this.deps.run(
          group.map((w) => w.input),
          deadlineMs,
        );
      } catch (err) {
        const failure = this.deps.failed(`check failed: ${err instanceof Error ? err.message : String(err)}`);
        results = group.map(() => failure);
      }
      release?.();
      group.forEach((w, i) => w.resolve(results[i] ?? this.deps.failed('no result')));
    });
  }
}
