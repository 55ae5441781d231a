/**
 * Group commit for ingest: messages are applied as they come and written to
 * the store's open batch; every `maxDelayMs` or `maxMessages` the batch is
 * flushed, and only then are those messages acknowledged to the broker. A
 * crash loses nothing the broker was told we have. A flush the engine refused
 * is tried again after `retryMs`; its messages stay unacknowledged until a
 * later flush has made them durable.
 */
export class GroupCommit {
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;
  /** what acknowledges the messages of batches not yet durable */
  private unacked: Array<() => void> = [];
  /** how many messages those acks are for */
  private unackedCount = 0;
  /** messages applied whose batch is not yet durable (and so not yet acknowledged to the broker) */
  private notStored = 0;

  constructor(
    private readonly deps: {
      /** makes every write so far durable */
      flush: () => Promise<void>;
      /** takes the acks of the messages handled so far; the function returned sends them */
      takeAcks: () => () => void;
      maxDelayMs: number;
      maxMessages: number;
      retryMs?: number;
      onError: (err: unknown) => void;
    },
  ) {}

  /** Runs `apply` inside the open batch. */
  add(apply: () => void): void {
    this.pending += 1;
    this.notStored += 1;
    apply();
    if (this.pending >= this.deps.maxMessages) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.deps.maxDelayMs);
  }

  /** Flushes the batch and acknowledges it; never rejects (a failure is reported and tried again). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === 0 && this.unacked.length === 0) return;
    const taken = this.pending + this.unackedCount;
    this.pending = 0;
    const acks = [...this.unacked, this.deps.takeAcks()];
    this.unacked = [];
    this.unackedCount = 0;
    try {
      await this.deps.flush();
      for (const ack of acks) ack();
      this.notStored -= taken;
    } catch (err) {
      this.unacked = acks.concat(this.unacked);
      this.unackedCount += taken;
      this.deps.onError(err);
      this.timer ??= setTimeout(() => void this.flush(), this.deps.retryMs ?? 1000);
    }
  }

  /** How many messages were applied but are not yet stored, nor acknowledged to the broker. */
  get waiting(): number {
    return this.notStored;
  }

  /** Flushes what is left and stops trying again (at shutdown). */
  async stop(): Promise<void> {
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
