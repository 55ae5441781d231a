import type { Logger } from 'pino';
import { topics as topicsOf, type AgentEvent, type Topics } from '../../protocols/index.js';
import type { MqttConnection } from '../adapters/mqtt-client.js';
import type { Transition } from './camera-health.js';
import type { CameraRecord, MonitorSink } from './monitor.js';
import { stateEvent, statusMessage, summaryMessage } from './status-message.js';

/**
 * Turns what the monitor sees into MQTT messages: retained status per
 * camera, one event per state change with a gap-free `seq`, a periodic
 * retained summary.
 */
export class Publisher implements MonitorSink {
  private seq = 0;
  readonly topics: Topics;

  constructor(
    private readonly deps: { mqtt: MqttConnection; agentId: string; topicRoot: string; session: string; log: Logger; now: () => number },
  ) {
    this.topics = topicsOf(deps.topicRoot);
  }

  status(rec: CameraRecord): void {
    this.send(this.topics.cameraStatus(this.deps.agentId, rec.probe.target.id), JSON.stringify(statusMessage(rec)), true);
  }

  transition(rec: CameraRecord, t: Transition, at: number): void {
    this.event(stateEvent(rec.probe.target.id, t, at, this.deps.session, this.nextSeq()));
  }

  removed(cameraId: string, at: number): void {
    // an empty retained message clears the topic
    this.send(this.topics.cameraStatus(this.deps.agentId, cameraId), '', true);
    this.event({ type: 'camera_removed', session: this.deps.session, seq: this.nextSeq(), ts: new Date(at).toISOString(), cameraId });
  }

  summary(records: Iterable<CameraRecord>, windowMs: number): void {
    this.send(this.topics.summary(this.deps.agentId), JSON.stringify(summaryMessage(records, this.deps.now(), windowMs, this.deps.session)), true);
  }

  private nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  private event(e: AgentEvent): void {
    this.send(this.topics.events(this.deps.agentId), JSON.stringify(e), false);
  }

  private send(topic: string, payload: string, retain: boolean): void {
    this.deps.mqtt.publish(topic, payload, { qos: 1, retain }).catch((err: Error) => this.deps.log.warn({ err: { message: err.message }, topic }, 'publish failed'));
  }
}
