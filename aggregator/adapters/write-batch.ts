import type { Logger } from 'pino';
import { AUTO_FLUSH_MS } from '../store/port.js';
import { rowsOf, type Row, type StoreChange, type WriteKind } from '../store/changes.js';

/**
 * What both engines do with the changes they are given: keep their rows in
 * order in memory, write them at flush() (flushes one after another, each
 * taking what was recorded before it began), put a batch the engine refused
 * back first for the next try, and flush by themselves within AUTO_FLUSH_MS
 * of a write made outside the group commit (retrying every second after a
 * failure). The engine only says how a batch is written.
 */
export class WriteBatch {
  private pending: Array<[WriteKind, Row]> = [];
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly deps: {
      /** writes the rows, all or none */
      write: (rows: Array<[WriteKind, Row]>) => Promise<void>;
      /** an error after which nothing more may be written (a fenced replica): the rows are dropped, not kept */
      final?: (err: unknown) => boolean;
      log: Logger;
      engine: string;
    },
  ) {}

  /** rows recorded and not yet written */
  get size(): number {
    return this.pending.length;
  }

  record(change: StoreChange): void {
    for (const r of rowsOf(change)) this.pending.push(r);
    this.schedule(AUTO_FLUSH_MS);
  }

  private schedule(ms: number): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((err: Error) => {
        this.deps.log.error({ err: { message: err.message } }, `${this.deps.engine} write failed: kept in memory, trying again`);
        this.schedule(1000);
      });
    }, ms);
  }

  flush(): Promise<void> {
    const run = this.chain.then(() => this.send());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async send(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.pending;
    this.pending = [];
    if (rows.length === 0) return;
    try {
      await this.deps.write(rows);
    } catch (err) {
      if (this.deps.final?.(err)) this.pending = [];
      // nothing of the batch was stored: it goes first in the next try
      else this.pending = rows.concat(this.pending);
      throw err;
    }
  }

  /** Flushes what is left (a failure is logged: those messages were never acknowledged) and stops flushing by itself. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } catch (err) {
      // the MQTT messages behind them were not acknowledged: the broker sends them again to the next run
      this.deps.log.error({ err: { message: (err as Error).message }, writes: this.pending.length }, `stopped with writes ${this.deps.engine} did not take`);
    }
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
