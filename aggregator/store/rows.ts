import type { AuditRecord } from '../audit/chain.js';
import type { AuditFilter } from './port.js';
import type { CameraState, StateMark } from '../../protocols/index.js';
import type { RecordingCheckRow } from './port.js';
import { Interner } from './intern.js';

/**
 * Mark rows in (camera, time, write) order as each camera's marks (`keep`
 * picks the cameras), a row at a time: a read can give the event loop back
 * between rows.
 */
export class MarkGroups {
  readonly out = new Map<string, StateMark[]>();
  // rows come camera by camera: the list of the last row's camera first, without a lookup
  private lastId: string | undefined;
  private list: StateMark[] | undefined;
  private readonly states = new Interner(16);

  constructor(private readonly keep: (cameraId: string) => boolean = () => true) {}

  add(r: { camera_id: string; at: number; state: CameraState }): void {
    if (r.camera_id !== this.lastId) {
      this.lastId = r.camera_id;
      this.list = undefined;
      if (this.keep(r.camera_id)) {
        this.list = this.out.get(r.camera_id);
        // a camera's first mark in an array of one: a push onto [] reserves 17 (most cameras have a mark or two)
        if (!this.list) return void this.out.set(r.camera_id, (this.list = [{ at: r.at, state: this.states.of(r.state) }]));
      }
    }
    this.list?.push({ at: r.at, state: this.states.of(r.state) });
  }
}

/** Recording check rows in (camera, time) order, per camera. */
export function groupRecordingChecks(rows: Iterable<{ camera_id: string; supported: boolean | number; recorded_sec: number | null; scheduled_sec: number | null }>): Map<string, RecordingCheckRow[]> {
  const out = new Map<string, RecordingCheckRow[]>();
  for (const r of rows) {
    let list = out.get(r.camera_id);
    if (!list) out.set(r.camera_id, (list = []));
    list.push({ supported: r.supported === true || r.supported === 1, recordedSec: r.recorded_sec, scheduledSec: r.scheduled_sec });
  }
  return out;
}

/** An audit row as both engines read it (bigint columns as numbers or strings). */
export interface AuditRow {
  seq: number | string;
  at: number | string;
  actor: string;
  source: string;
  user_agent: string;
  action: string;
  target: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

export const AUDIT_COLUMNS = 'seq, at, actor, source, user_agent, action, target, detail, prev_hash, hash';

export function auditRecordOf(r: AuditRow): AuditRecord {
  return { seq: Number(r.seq), at: Number(r.at), actor: r.actor, source: r.source, userAgent: r.user_agent, action: r.action, target: r.target, detail: r.detail, prevHash: r.prev_hash, hash: r.hash };
}

/** The WHERE clause of an audit read and its parameters, numbered from 1 (`$n` for PostgreSQL, `?` for SQLite, in order). */
export function auditWhere(fromSeq: number, f: AuditFilter, placeholder: (n: number) => string): { sql: string; params: Array<string | number> } {
  const params: Array<string | number> = [fromSeq];
  const parts = [`seq >= ${placeholder(1)}`];
  const add = (clause: (ph: string) => string, v: string | number) => {
    params.push(v);
    parts.push(clause(placeholder(params.length)));
  };
  if (f.actor !== undefined) add((ph) => `actor = ${ph}`, f.actor);
  // a prefix: "maintenance." takes every maintenance action (no LIKE wildcards from the caller)
  if (f.action !== undefined) add((ph) => `substr(action, 1, ${f.action!.length}) = ${ph}`, f.action);
  if (f.since !== undefined) add((ph) => `at >= ${ph}`, f.since);
  if (f.until !== undefined) add((ph) => `at < ${ph}`, f.until);
  return { sql: parts.join(' AND '), params };
}
