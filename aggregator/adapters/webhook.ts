import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { AggregatorStore } from '../store/port.js';

export interface WebhookSettings {
  url: string;
  /** HMAC-SHA256 key of the X-Xueliang-Signature header */
  secret: string;
  timeoutMs: number;
  /** notices kept while the receiver is away; beyond, the oldest are dropped and logged */
  maxQueued: number;
}

/** The signature header value of a body: `sha256=` and the hex HMAC, as the receiver recomputes it. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Delivers alert notices by HTTP POST, one at a time and in order, from a
 * queue in the store: a receiver that is down, slow or answering 5xx gets
 * the same notice again with backoff (1 s doubling to 60 s), and a restart
 * of the aggregator resumes where it stopped. The only place that POSTs.
 */
export class WebhookSender {
  private running = false;
  private wake: (() => void) | undefined;
  private attempt = 0;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly deps: { store: AggregatorStore; settings: WebhookSettings; log: Logger }) {}

  enqueue(seq: number, body: string): void {
    this.deps.store.record({ kind: 'notice', seq, body });
    // the bound holds while the loop waits out a receiver's outage too
    this.trim().catch((err: Error) => this.deps.log.warn({ err: { message: err.message } }, 'webhook queue not trimmed'));
    this.wake?.();
  }

  private async trim(): Promise<void> {
    const { store, settings, log } = this.deps;
    const dropped = await store.trimNotices(settings.maxQueued);
    if (dropped > 0) log.warn({ dropped, max: settings.maxQueued }, 'webhook queue full: the oldest notices were dropped');
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    const { store, settings, log } = this.deps;
    while (this.running) {
      let next: { seq: number; json: string } | undefined;
      try {
        next = await store.nextNotice();
      } catch (err) {
        log.warn({ err: { message: (err as Error).message } }, 'webhook queue not readable: trying again');
        await this.sleep(1000);
        continue;
      }
      if (!next) {
        await this.sleep(1000);
        continue;
      }
      let ok = false;
      let why = '';
      try {
        const res = await fetch(settings.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Xueliang-Signature': signature(settings.secret, next.json), 'X-Xueliang-Seq': String(next.seq) },
          body: next.json,
          signal: AbortSignal.any([AbortSignal.timeout(settings.timeoutMs), this.abort.signal]),
        });
        await res.arrayBuffer().catch(() => undefined);
        ok = res.status >= 200 && res.status < 300;
        why = `HTTP ${res.status}`;
      } catch (err) {
        why = (err as Error).name === 'TimeoutError' ? `no answer within ${settings.timeoutMs} ms` : (err as Error).message;
      }
      if (!this.running) return;
      if (ok) {
        store.record({ kind: 'noticeDelivered', seq: next.seq });
        this.attempt = 0;
        continue;
      }
      this.attempt += 1;
      const wait = Math.min(60_000, 1000 * 2 ** Math.min(this.attempt - 1, 6));
      if (this.attempt === 1 || this.attempt % 10 === 0) log.warn({ seq: next.seq, attempt: this.attempt, retryInMs: wait, reason: why }, 'webhook not delivered: retrying');
      await this.sleep(wait);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    this.wake?.();
    await this.loop;
  }
}
