import type { LostRecords } from './lost-records.js';
import type { Logger } from 'pino';
import { topics as topicsOf, type AgentEvent, type AgentSummaryMessage, type Topics } from '../../protocols/index.js';
import type { MqttConnection } from '../../platform/mqtt-client.js';
import type { Outbox } from './outbox.js';
import type { PictureFault } from './picture-faults.js';
import type { Transition } from './camera-health.js';
import type { CameraRecord, MonitorSink } from './monitor.js';
import { stateEvent, statusMessage, summaryMessage } from './status-message.js';

/**
 * Turns what the monitor sees into MQTT messages: retained status per
 * camera, one event per state change with a gap-free `seq` (through the
 * durable outbox), a periodic retained summary.
 */
export class Publisher implements MonitorSink {
  private seq = 0;
  readonly topics: Topics;

  /** cameras whose status changed while the broker was unreachable: sent, latest only, on reconnect */
  private readonly unsent = new Map<string, CameraRecord>();

  constructor(
    private readonly deps: { mqtt: MqttConnection; outbox: () => Outbox; agentId: string; topicRoot: string; session: string; log: Logger; now: () => number },
  ) {
    this.topics = topicsOf(deps.topicRoot);
  }

  status(rec: CameraRecord): void {
    // retained and latest-wins: while offline keep only the newest per camera instead of queueing every check
    if (!this.deps.mqtt.connected) {
      this.unsent.set(rec.probe.target.id, rec);
      return;
    }
    this.send(this.topics.cameraStatus(this.deps.agentId, rec.probe.target.id), JSON.stringify(statusMessage(rec)), true);
  }

  /** After a reconnect: the statuses that changed meanwhile. */
  flushStatuses(alive: (cameraId: string) => boolean): void {
    const recs = [...this.unsent.values()];
    this.unsent.clear();
    for (const rec of recs) if (alive(rec.probe.target.id)) this.status(rec);
  }

  /** The events_dropped notice for the outbox, with this session's next seq. */
  droppedEvent(count: number, first: AgentEvent, last: AgentEvent): { topic: string; event: AgentEvent } {
    const ref = (e: AgentEvent) => ({ session: e.session, seq: e.seq, ts: e.ts });
    return {
      topic: this.topics.events(this.deps.agentId),
      event: { type: 'events_dropped', session: this.deps.session, seq: this.nextSeq(), ts: new Date(this.deps.now()).toISOString(), count, from: ref(first), to: ref(last) },
    };
  }

  transition(rec: CameraRecord, t: Transition, at: number): void {
    this.event(stateEvent(rec.probe.target.id, t, at, this.deps.session, this.nextSeq()));
  }

  faultsChanged(rec: CameraRecord, appeared: PictureFault[], cleared: string[], at: number): void {
    this.event({ type: 'faults', session: this.deps.session, seq: this.nextSeq(), ts: new Date(at).toISOString(), cameraId: rec.probe.target.id, appeared, cleared });
  }

  removed(cameraId: string, at: number): void {
    this.unsent.delete(cameraId);
    // an empty retained message clears the topic
    this.send(this.topics.cameraStatus(this.deps.agentId, cameraId), '', true);
    this.event({ type: 'camera_removed', session: this.deps.session, seq: this.nextSeq(), ts: new Date(at).toISOString(), cameraId });
  }

  /** Records of the outbox lost to a crash, told through the outbox as this session's event (lost-records.ts). */
  lost(l: LostRecords, writtenAt: number): void {
    this.event({ type: 'events_lost', session: this.deps.session, seq: this.nextSeq(), ts: new Date(this.deps.now()).toISOString(), ...l, ...(writtenAt > 0 ? { writtenAt: new Date(writtenAt).toISOString() } : {}) });
  }

  /** The clean stop, through the outbox: it reaches the centre even when the broker is down now. */
  stopped(at: number, startedAt: number): void {
    this.event({ type: 'agent_stopped', session: this.deps.session, seq: this.nextSeq(), ts: new Date(at).toISOString(), startedAt: new Date(startedAt).toISOString() });
  }

  summary(records: Iterable<CameraRecord>, windowMs: number, checks?: AgentSummaryMessage['checks']): void {
    if (!this.deps.mqtt.connected) return; // the next one after reconnect says it all
    this.send(this.topics.summary(this.deps.agentId), JSON.stringify({ ...summaryMessage(records, this.deps.now(), windowMs, this.deps.session), ...(checks ? { checks } : {}) }), true);
  }

  /** The last seq used in this session (0 before the first event). */
  get lastSeq(): number {
    return this.seq;
  }

  private nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  private event(e: AgentEvent): void {
    this.deps.outbox().push(this.topics.events(this.deps.agentId), e);
  }

  private send(topic: string, payload: string, retain: boolean): void {
    this.deps.mqtt.publish(topic, payload, { qos: 1, retain }).catch((err: Error) => this.deps.log.warn({ err: { message: err.message }, topic }, 'publish failed'));
  }
}
