/**
 * Group commit for ingest: messages are stored inside one open transaction,
 * committed every `maxDelayMs` or `maxMessages`, and only then acknowledged
 * to the broker. A crash loses nothing the broker was told we have.
 */
export class GroupCommit {
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      begin: () => void;
      commit: () => void;
      /** after a commit: acknowledge what it made durable */
      release: () => void;
      maxDelayMs: number;
      maxMessages: number;
      onError: (err: unknown) => void;
    },
  ) {}

  /** Runs `apply` inside the open batch. */
  add(apply: () => void): void {
    if (this.pending === 0) this.deps.begin();
    this.pending += 1;
    apply();
    if (this.pending >= this.deps.maxMessages) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.deps.maxDelayMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === 0) return;
    this.pending = 0;
    try {
      this.deps.commit();
      this.deps.release();
    } catch (err) {
      // not acknowledged: the broker sends these messages again
      this.deps.onError(err);
    }
  }
}
