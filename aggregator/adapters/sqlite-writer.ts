import type Database from 'better-sqlite3';
import { FRAMES_KEPT, type Row, type WriteKind } from '../store/changes.js';

/** rows per multi-row INSERT of events and marks: SQLite binds at most 32,766 parameters; those rows have at most 5 */
const ROWS_PER_INSERT = 200;

/**
 * The statements of every write (store/changes.ts WRITES), on one SQLite
 * connection: a batch of rows is applied in one transaction, runs of
 * inserts into one table as multi-row INSERTs. Used in the writer thread
 * (sqlite-writer-worker.ts) or, for `:memory:`, on the main thread.
 */
export class SqliteWriter {
  private readonly single: Record<WriteKind, Database.Statement>;
  /** multi-row forms of the plain inserts, by row count */
  private readonly multi = new Map<string, Database.Statement>();
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;

  constructor(private readonly db: Database.Database) {
    const p = (sql: string) => db.prepare(sql);
    this.single = {
      agent: p('INSERT INTO agents (agent_id, json) VALUES (?, ?) ON CONFLICT(agent_id) DO UPDATE SET json = excluded.json'),
      camera: p('INSERT INTO cameras (camera_id, agent_id, status_json, first_seen) VALUES (?, ?, ?, ?) ON CONFLICT(camera_id) DO UPDATE SET agent_id = excluded.agent_id, status_json = excluded.status_json, removed_at = NULL'),
      // a row's columns in WRITES order; SQLite binds in the order of the `?`, so an UPDATE names them through VALUES
      removeCamera: p('WITH u(id, at) AS (VALUES (?, ?)) UPDATE cameras SET removed_at = (SELECT at FROM u) WHERE camera_id = (SELECT id FROM u)'),
      event: p('INSERT OR IGNORE INTO events (agent_id, session, seq, ts, camera_id) VALUES (?, ?, ?, ?, ?)'),
      mark: p('INSERT INTO marks (camera_id, at, state) VALUES (?, ?, ?)'),
      cause: p('INSERT INTO causes (camera_id, at, cause) VALUES (?, ?, ?)'),
      frame: p('INSERT INTO frames (camera_id, at, kind, json, jpeg) VALUES (?, ?, ?, ?, ?)'),
      // the newest reference and the FRAMES_KEPT newest others of the camera stay
      trimFrames: p(
        `WITH u(c) AS (VALUES (?)) DELETE FROM frames WHERE camera_id = (SELECT c FROM u) AND rowid NOT IN (
           SELECT rowid FROM (SELECT rowid FROM frames WHERE camera_id = (SELECT c FROM u) AND kind = 'reference' ORDER BY at DESC, rowid DESC LIMIT 1)
           UNION SELECT rowid FROM (SELECT rowid FROM frames WHERE camera_id = (SELECT c FROM u) AND kind <> 'reference' ORDER BY at DESC, rowid DESC LIMIT ${FRAMES_KEPT}))`,
      ),
      proveMark: p("WITH u(c, a, s) AS (VALUES (?, ?, ?)) UPDATE marks SET state = (SELECT s FROM u) WHERE camera_id = (SELECT c FROM u) AND at = (SELECT a FROM u) AND state = 'unknown'"),
      loss: p('INSERT INTO losses (json) VALUES (?)'),
      plan: p('INSERT INTO plan (id, json) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json'),
      planVersion: p('INSERT INTO plan_versions (at, json) VALUES (?, ?)'),
      recording: p('INSERT OR IGNORE INTO recording_checks (camera_id, checked_at, supported, recorded_sec, scheduled_sec) VALUES (?, ?, ?, ?, ?)'),
      alert: p('INSERT INTO alerts (id, json, active) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json, active = excluded.active'),
      meta: p('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      window: p('INSERT INTO maintenance (id, json) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json'),
      deleteWindow: p('DELETE FROM maintenance WHERE id = ?'),
      notice: p('INSERT OR REPLACE INTO alert_outbox (seq, json) VALUES (?, ?)'),
      noticeDelivered: p('DELETE FROM alert_outbox WHERE seq = ?'),
      clearDay: p('DELETE FROM daily_totals WHERE day = ?'),
      dailyTotal: p('INSERT OR REPLACE INTO daily_totals (day, region, category, from_ms, to_ms, online_ms, unknown_ms, observed_ms, installed, networked, intact, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      audit: p('INSERT INTO audit (seq, at, actor, source, user_agent, action, target, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      auditPendingChained: p('DELETE FROM audit_pending WHERE id <= ?'),
    };
    this.begin = p('BEGIN');
    this.commit = p('COMMIT');
    this.rollback = p('ROLLBACK');
  }

  /** Applies the rows in order, in one transaction: all of them or, on an error, none. */
  apply(rows: ReadonlyArray<[WriteKind, Row]>): void {
    if (rows.length === 0) return;
    this.begin.run();
    try {
      let i = 0;
      while (i < rows.length) {
        const kind = rows[i]![0];
        let j = i + 1;
        // the events and marks of a batch are most of it: a run of them is one statement per ROWS_PER_INSERT rows
        if (kind === 'event' || kind === 'mark') while (j < rows.length && rows[j]![0] === kind && j - i < ROWS_PER_INSERT) j++;
        if (j - i > 1) this.insertMany(kind as 'event' | 'mark', rows, i, j);
        else this.single[kind].run(...sqliteValues(rows[i]![1]));
        i = j;
      }
      this.commit.run();
    } catch (err) {
      if (this.db.inTransaction) this.rollback.run();
      throw err;
    }
  }

  private insertMany(kind: 'event' | 'mark', rows: ReadonlyArray<[WriteKind, Row]>, from: number, to: number): void {
    const n = to - from;
    const key = `${kind}:${n}`;
    let st = this.multi.get(key);
    if (!st) {
      const sql =
        kind === 'event'
          ? `INSERT OR IGNORE INTO events (agent_id, session, seq, ts, camera_id) VALUES ${Array(n).fill('(?, ?, ?, ?, ?)').join(', ')}`
          : `INSERT INTO marks (camera_id, at, state) VALUES ${Array(n).fill('(?, ?, ?)').join(', ')}`;
      st = this.db.prepare(sql);
      // a few sizes recur (full runs, and the tails of batches): keep them, but not every size ever seen
      if (this.multi.size > 64) this.multi.clear();
      this.multi.set(key, st);
    }
    const params: Row = [];
    for (let k = from; k < to; k++) for (const v of rows[k]![1]) params.push(v);
    st.run(...sqliteValues(params));
  }

  /**
   * Drops history older than `before`: whole sessions whose last event is
   * older (so no false gaps appear), and marks older than the one in force then.
   */
  prune(before: number): { events: number; marks: number } {
    return this.db.transaction(() => {
      const events = this.db.prepare('DELETE FROM events WHERE (agent_id, session) IN (SELECT agent_id, session FROM events GROUP BY agent_id, session HAVING MAX(ts) < ?)').run(before).changes;
      const marks = this.db
        .prepare(
          // a camera with no mark before the cut gives NULL here, and NOT IN a list holding NULL is never true: those are left out
          `DELETE FROM marks WHERE at < ? AND rowid NOT IN (SELECT id FROM (
             SELECT (SELECT rowid FROM marks m2 WHERE m2.camera_id = m.camera_id AND m2.at < ? ORDER BY m2.at DESC, m2.rowid DESC LIMIT 1) AS id FROM (SELECT DISTINCT camera_id FROM marks) m) WHERE id IS NOT NULL)`,
        )
        .run(before, before).changes;
      // evidence frames with the history, but a camera's newest reference
      this.db
        .prepare(
          `DELETE FROM frames WHERE at < ? AND rowid NOT IN (SELECT id FROM (
             SELECT (SELECT rowid FROM frames f2 WHERE f2.camera_id = f.camera_id AND f2.kind = 'reference' ORDER BY f2.at DESC, f2.rowid DESC LIMIT 1) AS id FROM (SELECT DISTINCT camera_id FROM frames) f) WHERE id IS NOT NULL)`,
        )
        .run(before);
      // causes as marks: those older than the one in force then go
      this.db
        .prepare(
          `DELETE FROM causes WHERE at < ? AND rowid NOT IN (SELECT id FROM (
             SELECT (SELECT rowid FROM causes c2 WHERE c2.camera_id = c.camera_id AND c2.at < ? ORDER BY c2.at DESC, c2.rowid DESC LIMIT 1) AS id FROM (SELECT DISTINCT camera_id FROM causes) c) WHERE id IS NOT NULL)`,
        )
        .run(before, before);
      return { events, marks };
    })();
  }

  /** Keeps at most `max` queued notices, dropping the oldest; how many were dropped. */
  trimNotices(max: number): number {
    return this.db.prepare('DELETE FROM alert_outbox WHERE seq <= (SELECT MAX(seq) FROM alert_outbox) - ?').run(max).changes;
  }
}

/** SQLite has no boolean: 1 and 0, as the schema's INTEGER columns hold them. */
function sqliteValues(row: Row): Row {
  for (let i = 0; i < row.length; i++) if (typeof row[i] === 'boolean') return row.map((v) => (v === true ? 1 : v === false ? 0 : v));
  return row;
}
