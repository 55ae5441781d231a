import type { LostRecords } from './lost-records.js';
import type { Logger } from 'pino';
import { jpegSize, topics as topicsOf, type AgentEvent, type AgentRoundMessage, type AgentSummaryMessage, type CameraFrameMessage, type Topics } from '../../protocols/index.js';
import type { MqttConnection } from '../../platform/mqtt-client.js';
import type { Outbox } from './outbox.js';
import type { PictureFault } from './picture-faults.js';
import type { Transition } from './camera-health.js';
import type { CameraRecord, EvidenceFrame, MonitorSink } from './monitor.js';
import type { RoundReport } from './round-book.js';
import { StatusChanges, type ChangeRule } from './status-changes.js';
import { stateEvent, statusMessage, summaryMessage } from './status-message.js';

/** How statuses and summaries go out (config `status`, `summaryPublish`), read at each use: a config push changes them. */
export interface PublishSettings {
  status: 'change' | 'check';
  refreshMs: number;
  rule: ChangeRule;
  summary: 'change' | 'interval';
}

/**
 * Turns what the monitor sees into MQTT messages: retained status per
 * camera (when it changes, or after every check), one event per state change
 * with a gap-free `seq` (through the durable outbox), one round message per
 * liveness round, a retained summary.
 */
export class Publisher implements MonitorSink {
  private seq = 0;
  readonly topics: Topics;

  /** cameras whose status changed while the broker was unreachable: sent, latest only, on reconnect */
  private readonly unsent = new Map<string, CameraRecord>();

  /** what each camera's status said when it last went out (report by exception) */
  private readonly changes: StatusChanges;
  private roundCount = 0;
  /** the last round's message while the broker was unreachable: sent on reconnect */
  private unsentRound: string | undefined;
  /** where the status refresh left off (the end of the last round) */
  private refreshedTo: number | undefined;
  /** each camera's state in the last summary sent, and when it went (summaryPublish change) */
  private summarised: { states: Map<string, string>; counts: string; at: number } | undefined;

  constructor(
    private readonly deps: {
      mqtt: MqttConnection;
      outbox: () => Outbox;
      agentId: string;
      topicRoot: string;
      session: string;
      log: Logger;
      now: () => number;
      settings: () => PublishSettings;
      /** the cameras watched now (for the refresh) */
      records: () => ReadonlyMap<string, CameraRecord>;
    },
  ) {
    this.topics = topicsOf(deps.topicRoot);
    this.changes = new StatusChanges(() => deps.settings().rule);
  }

  /**
   * A camera's status after a check (or a change the monitor made). With
   * `status.publish: change` it goes only when it says something new;
   * `force`: whatever it says (a refresh, a request).
   */
  status(rec: CameraRecord, force = false): void {
    const id = rec.probe.target.id;
    const msg = statusMessage(rec);
    if (!force && this.deps.settings().status === 'change' && !this.changes.isNews(msg)) return;
    // retained and latest-wins: while offline keep only the newest per camera instead of queueing every check
    if (!this.deps.mqtt.connected) {
      this.unsent.set(id, rec);
      return;
    }
    this.changes.markSent(msg, this.deps.now());
    this.send(this.topics.cameraStatus(this.deps.agentId, id), JSON.stringify(msg), true, () => this.changes.forget(id));
  }

  /**
   * Evidence of a picture check (QoS 1, not retained): sent while the broker
   * is reachable, else let go (a frame is evidence, not history: the status
   * and the events carry what happened).
   */
  frame(rec: CameraRecord, f: EvidenceFrame): void {
    const id = rec.probe.target.id;
    const size = jpegSize(f.jpeg);
    if (!size || !this.deps.mqtt.connected) {
      this.deps.log.debug({ camera: id, kind: f.kind, connected: this.deps.mqtt.connected }, 'evidence frame not sent');
      return;
    }
    const msg: CameraFrameMessage = { cameraId: id, at: new Date(f.at).toISOString(), kind: f.kind, faults: f.faults, cleared: f.cleared, ...size, jpeg: f.jpeg.toString('base64') };
    this.send(this.topics.cameraFrame(this.deps.agentId, id), JSON.stringify(msg), false);
  }

  /** After a reconnect: the statuses that changed meanwhile, then the last round (it confirms the rest). */
  flushStatuses(alive: (cameraId: string) => boolean): void {
    const recs = [...this.unsent.values()];
    this.unsent.clear();
    for (const rec of recs) if (alive(rec.probe.target.id)) this.status(rec, true);
    if (this.unsentRound !== undefined && this.deps.mqtt.connected) {
      this.send(this.topics.round(this.deps.agentId), this.unsentRound, true);
      this.unsentRound = undefined;
    }
  }

  /** Every camera's status (or one camera's) goes out now, whatever it says: the centre asked. */
  republish(records: Iterable<CameraRecord>): number {
    let n = 0;
    for (const rec of records) {
      this.status(rec, true);
      n += 1;
    }
    return n;
  }

  /**
   * A liveness round closed: its message, then (status.publish change) the
   * statuses whose refresh slot fell in it. Cameras in no `unchecked` list are
   * confirmed by it at the centre, so nothing else needs to go.
   */
  round(report: RoundReport): void {
    const records = this.deps.records();
    const settings = this.deps.settings();
    this.roundCount += 1;
    const msg: AgentRoundMessage = {
      session: this.deps.session,
      round: this.roundCount,
      startedAt: new Date(report.startedAt).toISOString(),
      endedAt: new Date(report.endedAt).toISOString(),
      periodMs: report.periodMs,
      checked: report.checked,
      unchecked: report.unchecked.slice(0, 10_000),
      statusPublish: settings.status,
    };
    const from = this.refreshedTo ?? report.startedAt;
    this.refreshedTo = report.endedAt;
    if (!this.deps.mqtt.connected) {
      // the latest round says it all once the broker is back; refreshes wait for their next slot
      this.unsentRound = JSON.stringify(msg);
      return;
    }
    this.send(this.topics.round(this.deps.agentId), JSON.stringify(msg), true);
    if (settings.status !== 'change') return;
    for (const id of this.changes.dueForRefresh(records.keys(), from, report.endedAt, settings.refreshMs)) {
      const rec = records.get(id);
      if (rec) this.status(rec, true);
    }
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
    this.event(stateEvent(rec, t, at, this.deps.session, this.nextSeq()));
  }

  faultsChanged(rec: CameraRecord, appeared: PictureFault[], cleared: string[], at: number): void {
    this.event({ type: 'faults', session: this.deps.session, seq: this.nextSeq(), ts: new Date(at).toISOString(), cameraId: rec.probe.target.id, appeared, cleared });
  }

  removed(cameraId: string, at: number): void {
    this.unsent.delete(cameraId);
    this.changes.forget(cameraId);
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

  /**
   * The retained summary, called every summaryIntervalSec. With
   * `summaryPublish: change` it goes only when the counts or a camera's state
   * changed since the last one (listing those cameras), or when the last one
   * is a refresh period old; otherwise every time, listing every camera.
   */
  summary(records: Iterable<CameraRecord>, windowMs: number, checks?: AgentSummaryMessage['checks']): void {
    if (!this.deps.mqtt.connected) return; // the next one after reconnect says it all
    const settings = this.deps.settings();
    const now = this.deps.now();
    const all = [...records];
    const extra = checks ? { checks } : {};
    if (settings.summary === 'interval' && settings.status === 'check') {
      this.send(this.topics.summary(this.deps.agentId), JSON.stringify({ ...summaryMessage(all, now, windowMs, this.deps.session), ...extra }), true);
      return;
    }
    const states = new Map(all.map((r) => [r.probe.target.id, r.health.state as string]));
    const last = this.summarised;
    const changed = all.filter((r) => last?.states.get(r.probe.target.id) !== r.health.state);
    const full = summaryMessage(changed, now, windowMs, this.deps.session);
    const counts = { online: 0, degraded: 0, offline: 0, unknown: 0 };
    for (const r of all) counts[r.health.state] += 1;
    const countsKey = JSON.stringify(counts);
    const news = !last || changed.length > 0 || last.counts !== countsKey || last.states.size !== states.size;
    if (settings.summary === 'change' && !news && now - last.at < settings.refreshMs) return;
    this.summarised = { states, counts: countsKey, at: now };
    this.send(this.topics.summary(this.deps.agentId), JSON.stringify({ ...full, counts, cameraList: 'changed', ...extra }), true);
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

  private send(topic: string, payload: string, retain: boolean, failed?: () => void): void {
    this.deps.mqtt.publish(topic, payload, { qos: 1, retain }).catch((err: Error) => {
      failed?.();
      this.deps.log.warn({ err: { message: err.message }, topic }, 'publish failed');
    });
  }
}
