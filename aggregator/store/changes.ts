import type { AlertMessage, CameraState, CameraStatusMessage } from '../../protocols/index.js';
import type { PlanPoint } from '../rates/model.js';
import type { AgentRecord, LossRecord } from './records.js';
import type { AuditRecord } from '../audit/chain.js';

/**
 * What the centre's decisions leave for the store: typed changes, made by
 * the fleet model, the alerts and the webhook; the store records them in its
 * open batch and makes them durable at flush(). No JSON string and no engine
 * crosses the port: rowsOf() turns a change into the rows both adapters
 * write, written once.
 */
export type StoreChange =
  | { kind: 'agent'; agent: AgentRecord }
  | { kind: 'camera'; cameraId: string; agentId: string; status: CameraStatusMessage; firstSeen: number }
  /** no longer installed from `at` on; the row and the marks stay for the reports */
  | { kind: 'cameraRemoved'; cameraId: string; at: number }
  /** one event, once per (agent, session, seq): the fleet model answers whether it is new */
  | { kind: 'event'; agentId: string; session: string; seq: number; ts: number; cameraId: string }
  | { kind: 'mark'; cameraId: string; at: number; state: CameraState }
  /** an unknown mark whose state a replayed event or a proven span showed */
  | { kind: 'markProven'; cameraId: string; at: number; state: CameraState }
  /** a camera's cause of outage changed (camera, device, network; null: its check passed), as its gateway said at `at` */
  | { kind: 'cause'; cameraId: string; at: number; cause: string | null }
  /** an evidence frame of a camera: kept with its reference and the last few (FRAMES_KEPT), the older ones go in the same batch */
  | { kind: 'frame'; cameraId: string; at: number; frameKind: 'fault' | 'cleared' | 'reference'; json: string; jpeg: string }
  | { kind: 'loss'; loss: LossRecord }
  /** the plan in force, and a version of it from `at` on (the reports of a period use the plan of its end); `source`: the file it was read from, as `file:{sha256}`; `json`: the points as JSON, when made already (in slices) */
  | { kind: 'plan'; points: readonly PlanPoint[]; at: number; source?: string | undefined; json?: string }
  /** a camera's daily recording check, kept for the reports */
  | { kind: 'recordingCheck'; cameraId: string; checkedAt: number; supported: boolean; recordedSec: number | null; scheduledSec: number | null }
  | { kind: 'alert'; alert: AlertMessage; active: boolean }
  | { kind: 'noticeSeq'; seq: number }
  | { kind: 'window'; window: { id: string; scope: string; target: string; from: string; to: string; reason: string } }
  | { kind: 'windowDeleted'; id: string }
  /** a notice queued for the webhook: `body` is the exact JSON it will POST */
  | { kind: 'notice'; seq: number; body: string }
  | { kind: 'noticeDelivered'; seq: number }
  | { kind: 'meta'; key: string; value: string }
  /** the totals of one closed local day, per region and category: they replace what was stored for that day */
  | { kind: 'dailyTotals'; day: string; from: number; to: number; computedAt: number; rows: readonly DailyTotalsRow[] }
  /** one record of the audit trail, appended */
  | { kind: 'audit'; record: AuditRecord }
  /** records of audit_pending (written by the CLI) up to this id are in the chain now */
  | { kind: 'auditPendingChained'; upToId: number };

/** One region's and category's totals of a local day (the report's total row of that day). */
export interface DailyTotalsRow {
  region: string;
  category: string;
  onlineMs: number;
  unknownMs: number;
  observedMs: number;
  installed: number;
  networked: number;
  intact: number;
}

export type ChangeKind = StoreChange['kind'];

/** evidence frames kept per camera besides its newest reference */
export const FRAMES_KEPT = 5;

/** Where changes go: the store's open batch, or a list in a test. */
export interface ChangeSink {
  record(change: StoreChange): void;
}

/**
 * The writes of the engines: each names a table and its columns in order.
 * An adapter has one statement per write, taking the row as these columns
 * give it; which rows a change makes is rowsOf()'s alone.
 */
export const WRITES = {
  agent: { table: 'agents', columns: ['agent_id', 'json'] },
  camera: { table: 'cameras', columns: ['camera_id', 'agent_id', 'status_json', 'first_seen'] },
  removeCamera: { table: 'cameras', columns: ['camera_id', 'removed_at'] },
  event: { table: 'events', columns: ['agent_id', 'session', 'seq', 'ts', 'camera_id'] },
  mark: { table: 'marks', columns: ['camera_id', 'at', 'state'] },
  proveMark: { table: 'marks', columns: ['camera_id', 'at', 'state'] },
  cause: { table: 'causes', columns: ['camera_id', 'at', 'cause'] },
  frame: { table: 'frames', columns: ['camera_id', 'at', 'kind', 'json', 'jpeg'] },
  trimFrames: { table: 'frames', columns: ['camera_id'] },
  loss: { table: 'losses', columns: ['json'] },
  plan: { table: 'plan', columns: ['json'] },
  planVersion: { table: 'plan_versions', columns: ['at', 'json'] },
  recording: { table: 'recording_checks', columns: ['camera_id', 'checked_at', 'supported', 'recorded_sec', 'scheduled_sec'] },
  alert: { table: 'alerts', columns: ['id', 'json', 'active'] },
  meta: { table: 'meta', columns: ['key', 'value'] },
  window: { table: 'maintenance', columns: ['id', 'json'] },
  deleteWindow: { table: 'maintenance', columns: ['id'] },
  notice: { table: 'alert_outbox', columns: ['seq', 'json'] },
  noticeDelivered: { table: 'alert_outbox', columns: ['seq'] },
  clearDay: { table: 'daily_totals', columns: ['day'] },
  dailyTotal: { table: 'daily_totals', columns: ['day', 'region', 'category', 'from_ms', 'to_ms', 'online_ms', 'unknown_ms', 'observed_ms', 'installed', 'networked', 'intact', 'computed_at'] },
  audit: { table: 'audit', columns: ['seq', 'at', 'actor', 'source', 'user_agent', 'action', 'target', 'detail', 'prev_hash', 'hash'] },
  auditPendingChained: { table: 'audit_pending', columns: ['id'] },
} as const satisfies Record<string, { table: string; columns: readonly string[] }>;

export type WriteKind = keyof typeof WRITES;
export type Row = Array<string | number | boolean | null>;

/** The rows a change writes, in order. */
export function rowsOf(c: StoreChange): Array<[WriteKind, Row]> {
  switch (c.kind) {
    case 'agent':
      return [['agent', [c.agent.agentId, JSON.stringify(c.agent)]]];
    case 'camera':
      return [['camera', [c.cameraId, c.agentId, JSON.stringify(c.status), c.firstSeen]]];
    case 'cameraRemoved':
      return [['removeCamera', [c.cameraId, c.at]]];
    case 'event':
      return [['event', [c.agentId, c.session, c.seq, c.ts, c.cameraId]]];
    case 'mark':
      return [['mark', [c.cameraId, c.at, c.state]]];
    case 'markProven':
      return [['proveMark', [c.cameraId, c.at, c.state]]];
    case 'cause':
      return [['cause', [c.cameraId, c.at, c.cause]]];
    case 'frame':
      return [
        ['frame', [c.cameraId, c.at, c.frameKind, c.json, c.jpeg]],
        ['trimFrames', [c.cameraId]],
      ];
    case 'loss':
      return [['loss', [JSON.stringify(c.loss)]]];
    case 'plan': {
      const json = c.json ?? JSON.stringify(c.points);
      return [
        ['plan', [json]],
        ['planVersion', [c.at, json]],
        // where it came from (the plan file's SHA-256; empty for an upload): an unchanged file is not loaded again at start
        ['meta', ['plan_source', c.source ?? '']],
      ];
    }
    case 'recordingCheck':
      return [['recording', [c.cameraId, c.checkedAt, c.supported, c.recordedSec, c.scheduledSec]]];
    case 'alert':
      return [['alert', [c.alert.id, JSON.stringify(c.alert), c.active]]];
    case 'noticeSeq':
      return [['meta', ['alert_seq', String(c.seq)]]];
    case 'window':
      return [['window', [c.window.id, JSON.stringify(c.window)]]];
    case 'windowDeleted':
      return [['deleteWindow', [c.id]]];
    case 'notice':
      return [['notice', [c.seq, c.body]]];
    case 'noticeDelivered':
      return [['noticeDelivered', [c.seq]]];
    case 'meta':
      return [['meta', [c.key, c.value]]];
    case 'dailyTotals':
      return [
        ['clearDay', [c.day]],
        ...c.rows.map((r): [WriteKind, Row] => ['dailyTotal', [c.day, r.region, r.category, c.from, c.to, r.onlineMs, r.unknownMs, r.observedMs, r.installed, r.networked, r.intact, c.computedAt]]),
      ];
    case 'audit': {
      const r = c.record;
      return [['audit', [r.seq, r.at, r.actor, r.source, r.userAgent, r.action, r.target, r.detail, r.prevHash, r.hash]]];
    }
    case 'auditPendingChained':
      return [['auditPendingChained', [c.upToId]]];
  }
}

/** A sink that keeps what it is given: the unit tests' store. */
export class ChangeList implements ChangeSink {
  readonly changes: StoreChange[] = [];
  record(change: StoreChange): void {
    this.changes.push(change);
  }
  /** The changes of one kind, typed. */
  of<K extends ChangeKind>(kind: K): Array<Extract<StoreChange, { kind: K }>> {
    return this.changes.filter((c): c is Extract<StoreChange, { kind: K }> => c.kind === kind);
  }
  clear(): void {
    this.changes.length = 0;
  }
}
