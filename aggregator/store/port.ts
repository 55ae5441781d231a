import type { AuditRecord } from '../audit/chain.js';
import type { SqlPort } from '../auth/sql-port.js';
import type { AlertMessage, CameraStatusMessage, MaintenanceWindow, StateMark } from '../../protocols/index.js';
import type { PlanPoint } from '../rates/model.js';
import type { DailyTotalsRow, StoreChange } from './changes.js';
import type { AgentRecord, LossRecord } from './records.js';

/** Which audit records to read: by actor, by action (a prefix: `maintenance.`), by time (epoch ms, [since, until)). */
/** An evidence frame as the store keeps it: its metadata as JSON, the JPEG as base64. */
export interface StoredFrame {
  at: number;
  kind: string;
  json: string;
  jpeg: string;
}

export interface AuditFilter {
  actor?: string | undefined;
  action?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
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

/** A day's totals as the store keeps them (changes.ts dailyTotals). */
export type StoredDailyTotals = DailyTotalsRow & { day: string; from: number; to: number; computedAt: number };

/** The columns of daily_totals as StoredDailyTotals (both engines take the quoted aliases). */
export const DAILY_TOTALS_COLUMNS = 'day, region, category, from_ms AS "from", to_ms AS "to", online_ms AS "onlineMs", unknown_ms AS "unknownMs", observed_ms AS "observedMs", installed, networked, intact, computed_at AS "computedAt"';

export interface RecordingCheckRow {
  supported: boolean;
  recordedSec: number | null;
  scheduledSec: number | null;
}

/** Everything the centre restores at start, read in one go (store/snapshot-read.ts), each record checked by its schema. */
/** What the centre reads first at start, before its API answers (store/snapshot-read.ts readStart). */
export interface StartRead {
  /** the last record of the audit trail: the next one chains to it */
  auditHead: { seq: number; hash: string } | null;
  /** the view of the rates kept for a restart (JSON, features/restored-rates.ts), if any */
  restore: string | undefined;
  /** how many cameras are installed: what the load that follows reads */
  cameras: number;
}

/** How a long load shares the event loop (store/snapshot-read.ts SnapshotReader). */
export interface LoadPace {
  pace?: () => Promise<void> | undefined;
}

export interface StoreSnapshot {
  plan: PlanPoint[] | undefined;
  agents: AgentRecord[];
  /** cameras installed now (not removed) */
  cameras: Array<{ cameraId: string; agentId: string; status: CameraStatusMessage; firstSeen: number }>;
  /** where the plan came from (`file:{sha256}` of the plan file; null: an upload, or not said) */
  planSource?: string | null | undefined;
  /** the last long walks of the 24 h and today's online time before the restart (JSON, features/queries.ts STORED_WALKS): the first overview and trend are answered from them */
  keptWalks?: readonly string[] | undefined;
  /** when each removed camera was removed */
  removals: Map<string, number>;
  /** every camera's marks in time order (ties in the order they were written) */
  marks: Map<string, StateMark[]>;
  /** highest seq and latest event time stored per (agent, session) */
  seqHeads: Array<{ agentId: string; session: string; maxSeq: number; lastTs: number }>;
  /** seq numbers missing below each session's highest stored seq */
  gaps: SeqGap[];
  losses: LossRecord[];
  windows: MaintenanceWindow[];
  alerts: Array<{ alert: AlertMessage; active: boolean }>;
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
 * - an event is stored once per (agent, session, seq): the fleet model
 *   decides whether it is new; the engine's key is the backstop.
 * - `inbox` is there where the engine can carry replicas (PostgreSQL).
 */
export interface AggregatorStore {
  readonly engine: 'sqlite' | 'postgres';
  /** Connects and runs the migrations this version needs. */
  open(): Promise<void>;
  /** What the centre needs before its API answers: small reads. */
  readStart(): Promise<StartRead>;
  /** Everything the centre restores; with `pace`, read giving the event loop back (the API answers meanwhile). */
  load(pace?: LoadPace): Promise<StoreSnapshot>;

  /** Joins a change to the open batch (store/changes.ts); durable once a flush() that began after it has resolved. */
  record(change: StoreChange): void;

  /** Makes every write made so far durable. Rejects when the engine refused: the writes stay pending and the next flush tries them again. */
  flush(): Promise<void>;

  /** Cameras installed at some time in [from, to): reported before `to`, not removed before `from`. */
  camerasInPeriod(from: number, to: number): Promise<Array<StoredCamera & { removedAt: number | null }>>;
  /** The marks of the given cameras before `to`, in time order. */
  marksBefore(to: number, cameraIds: ReadonlySet<string>): Promise<Map<string, StateMark[]>>;
  /** each camera's cause of outage in force at `to` (the last change before it; null: none), for the cameras that ever had one */
  causesBefore(to: number): Promise<Map<string, string | null>>;
  /** a camera's evidence frames kept (its newest reference and the last few), newest first */
  framesOf(cameraId: string): Promise<StoredFrame[]>;
  /** The stored totals of closed local days `fromDay`..`toDay` (YYYY-MM-DD, inclusive) of one region and category, oldest first. */
  dailyTotals(region: string, category: string, fromDay: string, toDay: string): Promise<StoredDailyTotals[]>;
  /** The recording checks made in [from, to), per camera. */
  recordingChecksIn(from: number, to: number): Promise<Map<string, RecordingCheckRow[]>>;
  /** The plan in force at `at`; when every version is younger, the first one (a plan loaded after the period). */
  planAt(at: number): Promise<string | undefined>;
  /** Audit records from `fromSeq` on, in seq order, at most `limit`, those the filter keeps (the auditor's page, and `audit verify` without one). */
  auditRecords(fromSeq: number, limit: number, filter?: AuditFilter): Promise<AuditRecord[]>;
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
  /** small reads and writes made at once: accounts, sessions, API tokens (auth/accounts.ts) */
  readonly sql: SqlPort;
  /** the replicas' shared inbox and leader lock, where the engine has them */
  readonly inbox?: ReplicaInbox;
}

/** A message a replica received, as the inbox keeps it. */
export interface InboxRow {
  id: number;
  /** when the replica received it (ms epoch): the centre's time of the message */
  at: number;
  topic: string;
  payload: Buffer;
}

/** The leadership was lost (another replica took over): this process must stop writing. */
export class FencedError extends Error {
  readonly code = 'FENCED';
}

/**
 * What replicas sharing one database need of it: an inbox every replica
 * appends what it receives to, in commit order, and a leader lock that fences
 * the leader's writes.
 */
export interface ReplicaInbox {
  /** Appends what a replica received, in one transaction; events already in the inbox (same event key) are skipped. */
  appendInbox(rows: ReadonlyArray<{ at: number; topic: string; payload: Buffer; eventKey: string | null }>): Promise<void>;
  readInbox(after: number, limit: number): Promise<InboxRow[]>;
  /** Drops inbox rows the leader applied (id ≤ cursor) that are older than `before`. */
  pruneInbox(cursor: number, before: number): Promise<number>;
  readMeta(key: string): Promise<string | undefined>;
  /** Tries to become the leader: the inbox cursor when it did, undefined when another replica leads. `lost` is called if the lock goes. */
  tryLeadership(lost: (err: Error) => void): Promise<number | undefined>;
}

/** A write outside the group commit is durable within this many milliseconds. */
export const AUTO_FLUSH_MS = 20;
