import type { Logger } from 'pino';
import type { AgentEvent } from '../../protocols/index.js';
import type { MqttConnection } from '../../platform/mqtt-client.js';
import type { Journal } from '../adapters/journal.js';

/** One journaled event; the event comes first in its line, so that a torn line still names its session and seq (lost-records.ts). */
export interface OutboxRecord {
  event: AgentEvent;
  topic: string;
}

const IN_FLIGHT = 100;

/**
 * Durable, bounded, ordered delivery of events: each is journaled before it
 * is published and leaves the journal only when the broker acknowledged it
 * (QoS 1 PUBACK). After an outage or a restart the pending ones go out in
 * order, marked `historical`, with their original session, seq and time.
 * When full, the oldest are dropped and one `events_dropped` event says so.
 */
export class Outbox {
  private readonly inFlight = new Set<number>();
  /** entries with a smaller journal id were made before the current connection: they are historical */
  private liveFromId = Number.POSITIVE_INFINITY;
  private generation = 0;
  dropped = 0;

  constructor(
    private readonly deps: {
      journal: Journal<OutboxRecord>;
      mqtt: MqttConnection;
      log: Logger;
      maxEvents: () => number;
      /** makes the events_dropped event (with the next seq of this session) */
      droppedEvent: (count: number, first: AgentEvent, last: AgentEvent) => { topic: string; event: AgentEvent };
    },
  ) {}

  get pending(): number {
    return this.deps.journal.size;
  }

  push(topic: string, event: AgentEvent): void {
    this.deps.journal.add({ event, topic });
    this.enforceBound();
    this.drain();
  }

  private enforceBound(): void {
    const max = this.deps.maxEvents();
    if (this.deps.journal.size <= max) return;
    // drop a tenth at once, so one notice covers many drops rather than one per event
    const drop = Math.max(this.deps.journal.size - max, Math.floor(max / 10));
    const victims = this.deps.journal.entries().filter((e) => e.value.event.type !== 'events_dropped' && !this.inFlight.has(e.id)).slice(0, drop);
    if (victims.length === 0) return;
    for (const v of victims) this.deps.journal.ack(v.id);
    this.dropped += victims.length;
    const notice = this.deps.droppedEvent(victims.length, victims[0]!.value.event, victims.at(-1)!.value.event);
    this.deps.log.error({ count: victims.length, from: victims[0]!.value.event.seq, to: victims.at(-1)!.value.event.seq }, 'outbox full: oldest events dropped');
    this.deps.journal.add({ event: notice.event, topic: notice.topic });
  }

  /** Called on every (re)connect: what was made before it is replayed as historical. */
  onConnect(): void {
    this.liveFromId = this.deps.journal.nextIdValue;
    this.generation += 1;
    this.inFlight.clear();
    this.drain();
  }

  /** Publishes pending events in order, at most IN_FLIGHT unacknowledged at once. */
  drain(): void {
    if (!this.deps.mqtt.connected) return;
    const gen = this.generation;
    for (const { id, value } of this.deps.journal.iterate()) {
      if (this.inFlight.size >= IN_FLIGHT) return;
      if (this.inFlight.has(id)) continue;
      this.inFlight.add(id);
      const historical = id < this.liveFromId;
      const payload = JSON.stringify(historical ? { ...value.event, historical: true } : value.event);
      this.deps.mqtt.publish(value.topic, payload, { qos: 1, retain: false }).then(
        () => {
          this.deps.journal.ack(id);
          this.inFlight.delete(id);
          if (gen === this.generation) this.drain();
        },
        (err: Error) => {
          // not acknowledged: it stays in the journal and goes out again on the next connect
          this.inFlight.delete(id);
          this.deps.log.warn({ err: { message: err.message }, seq: value.event.seq }, 'event not acknowledged yet');
        },
      );
    }
  }

  /** Waits until everything is acknowledged, or `deadlineMs`; then makes the journal durable. */
  async flush(deadlineMs: number): Promise<boolean> {
    const until = Date.now() + deadlineMs;
    while (this.deps.journal.size > 0 && Date.now() < until && this.deps.mqtt.connected) {
      this.drain();
      await new Promise((r) => setTimeout(r, 20));
    }
    this.deps.journal.sync();
    return this.deps.journal.size === 0;
  }

  close(): void {
    this.deps.journal.close();
  }
}
