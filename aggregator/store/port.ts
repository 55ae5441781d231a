import type { CameraState, StateMark } from '../../protocols/index.js';

export interface StoredAgent {
  agentId: string;
  json: string;
}

export interface StoredCamera {
  cameraId: string;
  agentId: string;
  statusJson: string;
  firstSeen: number;
}

export interface SeqGap {
  agentId: string;
  session: string;
  fromSeq: number;
  toSeq: number;
}

export interface RecordingCheckRow {
  supported: boolean;
  recordedSec: number | null;
  scheduledSec: number | null;
}

/** Everything the centre restores at start, read in one go. */
export interface StoreSnapshot {
  plan: string | undefined;
  agents: StoredAgent[];
  /** cameras installed now (not removed) */
  cameras: StoredCamera[];
  /** when each removed camera was removed */
  removals: Map<string, number>;
  /** every camera's marks in time order (ties in the order they were written) */
  marks: Map<string, StateMark[]>;
  /** highest seq and latest event time stored per (agent, session) */
  seqHeads: Array<{ agentId: string; session: string; maxSeq: number; lastTs: number }>;
  /** seq numbers missing below each session's highest stored seq */
  gaps: SeqGap[];
  losses: string[];
  windows: string[];
  alerts: Array<{ json: string; active: boolean }>;
  /** the highest alert notice seq ever used */
  lastNoticeSeq: number;
}

/**
 * The aggregator's persistence, whatever the engine (SQLite by default,
 * PostgreSQL for a city or a province). The running centre keeps its state in
 * memory and writes every change through this port:
 *
 * - writes are synchronous calls that join the store's open batch; they are
 *   durable once a flush() that began after them has resolved. The group
 *   commit flushes before it acknowledges MQTT messages; a write outside it
 *   (the HTTP API, alerts, timers) is flushed by the store itself within
 *   `AUTO_FLUSH_MS`.
 * - reads see every write made before them.
 * - an event is stored once per (agent, session, seq): insertEvent answers at
 *   once whether it is new.
 */
export interface AggregatorStore {
  readonly engine: 'sqlite' | 'postgres';
  /** Connects and runs the migrations this version needs. */
  open(): Promise<void>;
  load(): Promise<StoreSnapshot>;

  saveAgent(agentId: string, json: string): void;
  saveCamera(c: StoredCamera): void;
  /** No longer installed from `at` on; the row and the marks stay for the reports. */
  removeCamera(cameraId: string, at: number): void;
  /** Stores an event once; false when (agent, session, seq) was already stored. */
  insertEvent(agentId: string, session: string, seq: number, ts: number, cameraId: string): boolean;
  insertMark(cameraId: string, mark: StateMark): void;
  /** An unknown mark whose state a replayed event proved. */
  proveMark(cameraId: string, at: number, state: CameraState): void;
  saveLoss(json: string): void;
  /** The plan in force, and a version of it from `at` on (the reports of a period use the plan of its end). */
  savePlan(json: string, at: number): void;
  /** A camera's daily recording check, kept for the reports (once per check). */
  saveRecordingCheck(cameraId: string, checkedAt: number, supported: boolean, recordedSec: number | null, scheduledSec: number | null): void;
  saveAlert(id: string, json: string, active: boolean): void;
  saveNoticeSeq(seq: number): void;
  saveWindow(id: string, json: string): void;
  deleteWindow(id: string): void;
  /** Queues a notice for the webhook. */
  queueNotice(seq: number, json: string): void;
  noticeDelivered(seq: number): void;

  /** Makes every write made so far durable. Rejects when the engine refused: the writes stay pending and the next flush tries them again. */
  flush(): Promise<void>;

  /** Cameras installed at some time in [from, to): reported before `to`, not removed before `from`. */
  camerasInPeriod(from: number, to: number): Promise<Array<StoredCamera & { removedAt: number | null }>>;
  /** The marks of the given cameras before `to`, in time order. */
  marksBefore(to: number, cameraIds: ReadonlySet<string>): Promise<Map<string, StateMark[]>>;
  /** The recording checks made in [from, to), per camera. */
  recordingChecksIn(from: number, to: number): Promise<Map<string, RecordingCheckRow[]>>;
  /** The plan in force at `at`; when every version is younger, the first one (a plan loaded after the period). */
  planAt(at: number): Promise<string | undefined>;
  /** Which version of the plan is in force at `at` (as planAt chooses it), without reading it: 0 when there is none. */
  planVersionAt(at: number): Promise<number>;
  nextNotice(): Promise<{ seq: number; json: string } | undefined>;
  /** Keeps at most `max` queued notices, dropping the oldest; returns how many were dropped. */
  trimNotices(max: number): Promise<number>;
  /**
   * Drops history older than `before`: whole sessions whose last event is
   * older (so no false gaps appear), and marks older than the one in force then.
   */
  prune(before: number): Promise<{ events: number; marks: number }>;
  /** Flushes what is pending and closes. */
  close(): Promise<void>;
}

/** A write outside the group commit is durable within this many milliseconds. */
export const AUTO_FLUSH_MS = 20;
