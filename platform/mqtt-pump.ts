import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { DecodeResult, TopicKind } from '../protocols/index.js';
import type { IncomingMessage, MqttSettings, SubscribeOptions } from './mqtt-client.js';

/** the thread's script, beside this file once built (dist/); from the TypeScript sources (unit tests) there is none */
const WORKER = fileURLToPath(new URL('./mqtt-pump-worker.js', import.meta.url));

/** Whether a receiving thread can be started here (the built package): otherwise the caller receives on its own thread. */
export const pumpAvailable = (): boolean => existsSync(WORKER);

/** What the receiving thread sends: a batch of messages, its connection's news, its log lines. */
export type PumpEvent =
  | { op: 'batch'; id: number; topics: string[]; payload: Uint8Array; ends: Uint32Array }
  | { op: 'decoded'; id: number; items: Array<{ topic: string; bytes: number; result: DecodeResult }> }
  | { op: 'connected' }
  | { op: 'log'; line: string }
  | { op: 'stopped' };
/** What it is told. */
export type PumpCommand = { op: 'subscribe'; filter: string; opts: SubscribeOptions } | { op: 'start' } | { op: 'stop' };

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/** How long the handing over of received messages may hold this thread before it gives the event loop back. */
const HAND_MS = 8;

/**
 * A consumer's MQTT connection, receiving on a thread of its own: mqtt.js's
 * parsing and the socket run there, and batches of messages (topics and one
 * transferred buffer of payloads) come to this thread in order. The PUBACKs
 * stay held until takeAcks() is called here and the function it returns is
 * run (after the consumer's commit), as MqttConnection's deferAcks holds
 * them; the thread stops reading once `maxOutstanding` messages wait for that.
 * The same surface as the MqttConnection a consumer subscribes with.
 */
export class MqttPump {
  private worker: Worker | undefined;
  private readonly handlers: Array<(m: IncomingMessage) => void> = [];
  private readonly connectListeners: Array<() => void> = [];
  private readonly filters: Array<[string, SubscribeOptions]> = [];
  /** the last batch whose messages were handed to the handlers */
  private delivered = 0;
  private isConnected = false;
  private stopped: Promise<void> | undefined;
  /**
   * The last batch whose messages are stored, shared with the thread: a commit
   * releases its acks by a store and a notify (Atomics), not by a message
   * (a postMessage per commit cost more than the rest of the commit here).
   */
  private released = new Int32Array(new SharedArrayBuffer(4));

  private readonly decodedHandlers: Array<(topic: string, bytes: number, r: DecodeResult) => void> = [];

  /**
   * Batches received and not yet handed over whole, in order: their messages
   * go to the handlers HAND_MS at a time. A batch of 1,000 statuses handed in
   * one piece held the event loop 40–130 ms while a province's gateways
   * reported (the console benchmark's fill, a backlog after a restart).
   */
  private readonly backlog: Array<{ id: number; count: number; next: number; hand: (i: number) => void }> = [];
  private handing = false;

  constructor(
    private readonly deps: {
      settings: MqttSettings;
      log: Logger;
      maxOutstanding?: number;
      /** decode on the receiving thread too (protocols/codec.ts, these options): onDecoded gets the results */
      decode?: { root: string; accept: readonly TopicKind[]; bounded: readonly TopicKind[]; maxBytes: number } | undefined;
    },
  ) {}

  /** Each message decoded on the receiving thread (with `decode` set), in order. */
  onDecoded(handler: (topic: string, bytes: number, r: DecodeResult) => void): void {
    this.decodedHandlers.push(handler);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  onMessage(handler: (m: IncomingMessage) => void): void {
    this.handlers.push(handler);
  }

  onConnect(listener: () => void): void {
    this.connectListeners.push(listener);
  }

  /** Resolves true once connected and subscribed, false when `deadlineMs` passed first (the thread goes on trying). */
  whenConnected(deadlineMs: number): Promise<boolean> {
    if (this.isConnected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), deadlineMs);
      this.onConnect(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  subscribe(filter: string, opts: SubscribeOptions = {}): void {
    this.filters.push([filter, opts]);
    this.worker?.postMessage({ op: 'subscribe', filter, opts } satisfies PumpCommand);
  }

  start(): void {
    const { log } = this.deps;
    // each thread numbers its batches from 1: a new thread gets a counter of its own (an old ack-release writes to the old one)
    this.released = new Int32Array(new SharedArrayBuffer(4));
    this.delivered = 0;
    // what an old thread sent and was not handed over yet goes with it: its acks are never sent, the broker sends it again
    this.backlog.length = 0;
    const worker = new Worker(WORKER, { workerData: { settings: this.deps.settings, level: log.level, maxOutstanding: this.deps.maxOutstanding ?? 5000, released: this.released, decode: this.deps.decode } });
    this.worker = worker;
    worker.on('message', (e: PumpEvent) => {
      if (this.worker === worker) this.received(e);
    });
    worker.on('error', (err) => log.error({ err }, 'the MQTT receiving thread failed'));
    worker.on('exit', (code) => {
      if (this.stopped || this.worker !== worker) return;
      // what it held unacknowledged the broker sends again to the next one
      this.isConnected = false;
      log.error({ code }, 'the MQTT receiving thread ended: starting another in 1 s');
      setTimeout(() => {
        if (!this.stopped) this.start();
      }, 1000).unref();
    });
    for (const [filter, opts] of this.filters) worker.postMessage({ op: 'subscribe', filter, opts } satisfies PumpCommand);
    worker.postMessage({ op: 'start' } satisfies PumpCommand);
  }

  private received(e: PumpEvent): void {
    switch (e.op) {
      case 'batch': {
        const payload = Buffer.from(e.payload.buffer, e.payload.byteOffset, e.payload.byteLength);
        this.queue(e.id, e.topics.length, (i) => {
          const m: IncomingMessage = { topic: e.topics[i]!, payload: payload.subarray(i === 0 ? 0 : e.ends[i - 1]!, e.ends[i]!), responseTopic: undefined, correlationData: undefined };
          for (const h of this.handlers) {
            try {
              h(m);
            } catch (err) {
              this.deps.log.error({ err, topic: m.topic }, 'message handler failed');
            }
          }
        });
        return;
      }
      case 'decoded': {
        this.queue(e.id, e.items.length, (i) => {
          const item = e.items[i]!;
          const r = item.result;
          // bytes handed on unread (the rates) cross the thread as a plain Uint8Array: a Buffer again here
          const m = r.ok ? (r.value as { message: unknown }) : undefined;
          if (m && m.message instanceof Uint8Array && !Buffer.isBuffer(m.message)) m.message = Buffer.from(m.message.buffer, m.message.byteOffset, m.message.byteLength);
          for (const h of this.decodedHandlers) {
            try {
              h(item.topic, item.bytes, r);
            } catch (err) {
              this.deps.log.error({ err, topic: item.topic }, 'message handler failed');
            }
          }
        });
        return;
      }
      case 'connected':
        this.isConnected = true;
        for (const l of this.connectListeners) l();
        return;
      case 'log':
        this.relog(e.line);
        return;
      case 'stopped':
        return;
    }
  }

  /** Queues a batch for its handlers; `delivered` becomes its id once every message of it is handed over. */
  private queue(id: number, count: number, hand: (i: number) => void): void {
    this.backlog.push({ id, count, next: 0, hand });
    if (!this.handing) this.handOn();
  }

  private readonly handOn = (): void => {
    this.handing = false;
    const start = performance.now();
    let handed = 0;
    while (this.backlog.length > 0) {
      const b = this.backlog[0]!;
      while (b.next < b.count) {
        if ((++handed & 7) === 0 && performance.now() - start > HAND_MS) {
          this.handing = true;
          setImmediate(this.handOn);
          return;
        }
        b.hand(b.next++);
      }
      this.delivered = b.id;
      this.backlog.shift();
    }
  };

  /** A log line of the thread, written through this thread's logger (its destination, its redaction). */
  private relog(line: string): void {
    try {
      const { level, msg, time: _time, pid: _pid, hostname: _host, name: _name, module: _module, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const at = typeof level === 'string' && LEVELS.has(level) ? (level as 'info') : 'info';
      this.deps.log[at]({ ...rest, thread: 'mqtt' }, typeof msg === 'string' ? msg : '');
    } catch {
      // a line the thread's logger did not write whole: dropped
    }
  }

  /** The acks of every message handed to the handlers so far; the function returned releases them (after the commit). */
  takeAcks(): () => number {
    const upTo = this.delivered;
    // the counter of the thread these messages came from, whatever thread runs when the commit is done
    const released = this.released;
    return () => {
      if (upTo > Atomics.load(released, 0)) {
        Atomics.store(released, 0, upTo);
        Atomics.notify(released, 0);
      }
      return upTo;
    };
  }

  /** Disconnects (held acks are not sent: the broker sends those messages again) and ends the thread. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      const worker = this.worker;
      // stopped: nothing more is handed over (what was not is not acked, and comes again at the next start)
      this.backlog.length = 0;
      if (!worker) return;
      const done = new Promise<void>((resolve) => {
        worker.on('message', (e: PumpEvent) => e.op === 'stopped' && resolve());
        worker.once('exit', () => resolve());
      });
      worker.postMessage({ op: 'stop' } satisfies PumpCommand);
      await Promise.race([done, new Promise<void>((r) => setTimeout(r, 5000).unref())]);
      await worker.terminate();
    })();
    return this.stopped;
  }
}
