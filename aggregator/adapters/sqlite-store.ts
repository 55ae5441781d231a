import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
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

/**
 * The only importer of better-sqlite3. WAL journal, synchronous=NORMAL: a
 * crash of the process loses nothing committed. Writes are grouped by the
 * caller with begin()/commit(); a commit per message would cost ~60 µs.
 */
export class SqliteStore {
  private readonly db: Database.Database;
  private readonly st: ReturnType<SqliteStore['prepare']>;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS agents (agent_id TEXT PRIMARY KEY, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS cameras (camera_id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, status_json TEXT NOT NULL, first_seen INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS events (
        agent_id TEXT NOT NULL, session TEXT NOT NULL, seq INTEGER NOT NULL,
        ts INTEGER NOT NULL, camera_id TEXT NOT NULL,
        PRIMARY KEY (agent_id, session, seq)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS marks (camera_id TEXT NOT NULL, at INTEGER NOT NULL, state TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS marks_by_camera ON marks (camera_id, at);
      CREATE TABLE IF NOT EXISTS plan (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS losses (json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS plan_versions (at INTEGER NOT NULL, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS maintenance (id TEXT PRIMARY KEY, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS alerts (id TEXT PRIMARY KEY, json TEXT NOT NULL, active INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS alert_outbox (seq INTEGER PRIMARY KEY, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS recording_checks (
        camera_id TEXT NOT NULL, checked_at INTEGER NOT NULL, supported INTEGER NOT NULL, recorded_sec REAL, scheduled_sec REAL,
        PRIMARY KEY (camera_id, checked_at)) WITHOUT ROWID;
    `);
    // a removed camera keeps its row (and its marks) for the reports of the periods it was installed in
    const columns = (this.db.prepare('PRAGMA table_info(cameras)').all() as Array<{ name: string }>).map((c) => c.name);
    if (!columns.includes('removed_at')) this.db.exec('ALTER TABLE cameras ADD COLUMN removed_at INTEGER');
    this.st = this.prepare();
  }

  private prepare() {
    return {
      upsertAgent: this.db.prepare('INSERT INTO agents (agent_id, json) VALUES (?, ?) ON CONFLICT(agent_id) DO UPDATE SET json = excluded.json'),
      upsertCamera: this.db.prepare(
        'INSERT INTO cameras (camera_id, agent_id, status_json, first_seen) VALUES (?, ?, ?, ?) ON CONFLICT(camera_id) DO UPDATE SET agent_id = excluded.agent_id, status_json = excluded.status_json, removed_at = NULL',
      ),
      removeCamera: this.db.prepare('UPDATE cameras SET removed_at = ? WHERE camera_id = ?'),
      insertEvent: this.db.prepare('INSERT OR IGNORE INTO events (agent_id, session, seq, ts, camera_id) VALUES (?, ?, ?, ?, ?)'),
      begin: this.db.prepare('BEGIN'),
      commit: this.db.prepare('COMMIT'),
      insertMark: this.db.prepare('INSERT INTO marks (camera_id, at, state) VALUES (?, ?, ?)'),
      savePlan: this.db.prepare('INSERT INTO plan (id, json) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json'),
    };
  }

  saveAgent(agentId: string, json: string): void {
    this.st.upsertAgent.run(agentId, json);
  }

  saveCamera(c: StoredCamera): void {
    this.st.upsertCamera.run(c.cameraId, c.agentId, c.statusJson, c.firstSeen);
  }

  /** No longer installed from `at` on; the row and the marks stay for the reports. */
  removeCamera(cameraId: string, at: number): void {
    this.st.removeCamera.run(at, cameraId);
  }

  /** Stores an event once; false when (agent, session, seq) was already stored. */
  insertEvent(agentId: string, session: string, seq: number, ts: number, cameraId: string): boolean {
    return this.st.insertEvent.run(agentId, session, seq, ts, cameraId).changes === 1;
  }

  /** Opens a write batch (group commit); no-op when one is open. */
  begin(): void {
    if (!this.db.inTransaction) this.st.begin.run();
  }

  /** Commits the open batch, if any. */
  commit(): void {
    if (this.db.inTransaction) this.st.commit.run();
  }

  insertMark(cameraId: string, mark: StateMark): void {
    this.st.insertMark.run(cameraId, mark.at, mark.state);
  }

  saveLoss(json: string): void {
    this.db.prepare('INSERT INTO losses (json) VALUES (?)').run(json);
  }

  loadLosses(): string[] {
    return (this.db.prepare('SELECT json FROM losses ORDER BY rowid').all() as Array<{ json: string }>).map((r) => r.json);
  }

  /** An unknown mark whose state a replayed event proved. */
  proveMark(cameraId: string, at: number, state: CameraState): void {
    this.db.prepare("UPDATE marks SET state = ? WHERE camera_id = ? AND at = ? AND state = 'unknown'").run(state, cameraId, at);
  }

  /** The plan in force, and a version of it from `at` on (the reports of a period use the plan of its end). */
  savePlan(json: string, at: number): void {
    this.st.savePlan.run(json);
    this.db.prepare('INSERT INTO plan_versions (at, json) VALUES (?, ?)').run(at, json);
  }

  /** Which version of the plan is in force at `at` (as planAt chooses it), without reading it: 0 when there is no version. */
  planVersionAt(at: number): number {
    const row = (this.db.prepare('SELECT rowid AS id FROM plan_versions WHERE at <= ? ORDER BY at DESC, rowid DESC LIMIT 1').get(at) ?? this.db.prepare('SELECT rowid AS id FROM plan_versions ORDER BY at, rowid LIMIT 1').get()) as { id: number } | undefined;
    return row?.id ?? 0;
  }

  /** The plan in force at `at`; when every version is younger, the first one (a plan loaded after the period). */
  planAt(at: number): string | undefined {
    const row = (this.db.prepare('SELECT json FROM plan_versions WHERE at <= ? ORDER BY at DESC, rowid DESC LIMIT 1').get(at) ?? this.db.prepare('SELECT json FROM plan_versions ORDER BY at, rowid LIMIT 1').get()) as { json: string } | undefined;
    return row?.json ?? this.loadPlan();
  }

  /** A camera's daily recording check, kept for the reports (once per check). */
  saveRecordingCheck(cameraId: string, checkedAt: number, supported: boolean, recordedSec: number | null, scheduledSec: number | null): void {
    this.db.prepare('INSERT OR IGNORE INTO recording_checks (camera_id, checked_at, supported, recorded_sec, scheduled_sec) VALUES (?, ?, ?, ?, ?)').run(cameraId, checkedAt, supported ? 1 : 0, recordedSec, scheduledSec);
  }

  /** The recording checks made in [from, to), per camera. */
  recordingChecksIn(from: number, to: number): Map<string, Array<{ supported: boolean; recordedSec: number | null; scheduledSec: number | null }>> {
    const out = new Map<string, Array<{ supported: boolean; recordedSec: number | null; scheduledSec: number | null }>>();
    const rows = this.db.prepare('SELECT camera_id, supported, recorded_sec, scheduled_sec FROM recording_checks WHERE checked_at >= ? AND checked_at < ? ORDER BY camera_id, checked_at').all(from, to) as Array<{ camera_id: string; supported: number; recorded_sec: number | null; scheduled_sec: number | null }>;
    for (const r of rows) {
      const list = out.get(r.camera_id) ?? [];
      list.push({ supported: r.supported === 1, recordedSec: r.recorded_sec, scheduledSec: r.scheduled_sec });
      out.set(r.camera_id, list);
    }
    return out;
  }

  saveAlert(id: string, json: string, active: boolean): void {
    this.db.prepare('INSERT INTO alerts (id, json, active) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json, active = excluded.active').run(id, json, active ? 1 : 0);
  }

  /** Active alerts, and the cleared ones of the last `days`. */
  loadAlerts(): Array<{ json: string; active: boolean }> {
    return (this.db.prepare('SELECT json, active FROM alerts').all() as Array<{ json: string; active: number }>).map((r) => ({ json: r.json, active: r.active === 1 }));
  }

  /** Queues a notice for the webhook; keeps at most `max`, dropping the oldest (returns how many were dropped). */
  queueNotice(seq: number, json: string, max: number): number {
    this.db.prepare('INSERT INTO alert_outbox (seq, json) VALUES (?, ?)').run(seq, json);
    return this.db.prepare('DELETE FROM alert_outbox WHERE seq <= (SELECT MAX(seq) FROM alert_outbox) - ?').run(max).changes;
  }

  nextNotice(): { seq: number; json: string } | undefined {
    return this.db.prepare('SELECT seq, json FROM alert_outbox ORDER BY seq LIMIT 1').get() as { seq: number; json: string } | undefined;
  }

  noticeDelivered(seq: number): void {
    this.db.prepare('DELETE FROM alert_outbox WHERE seq = ?').run(seq);
  }

  /** The highest notice seq ever used (kept in the alerts' own rows and the queue). */
  lastNoticeSeq(): number {
    const q = this.db.prepare('SELECT MAX(seq) AS m FROM alert_outbox').get() as { m: number | null };
    const k = this.db.prepare("SELECT value FROM meta WHERE key = 'alert_seq'").get() as { value: string } | undefined;
    return Math.max(q.m ?? 0, k ? Number(k.value) : 0);
  }

  saveNoticeSeq(seq: number): void {
    this.db.prepare("INSERT INTO meta (key, value) VALUES ('alert_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(seq));
  }

  saveWindow(id: string, json: string): void {
    this.db.prepare('INSERT INTO maintenance (id, json) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json').run(id, json);
  }

  deleteWindow(id: string): void {
    this.db.prepare('DELETE FROM maintenance WHERE id = ?').run(id);
  }

  loadWindows(): string[] {
    return (this.db.prepare('SELECT json FROM maintenance ORDER BY id').all() as Array<{ json: string }>).map((r) => r.json);
  }

  /** Cameras installed at some time in [from, to): reported before `to`, not removed before `from`. */
  camerasInPeriod(from: number, to: number): Array<StoredCamera & { removedAt: number | null }> {
    const rows = this.db
      .prepare('SELECT camera_id, agent_id, status_json, first_seen, removed_at FROM cameras WHERE first_seen < ? AND (removed_at IS NULL OR removed_at > ?)')
      .all(to, from) as Array<{ camera_id: string; agent_id: string; status_json: string; first_seen: number; removed_at: number | null }>;
    return rows.map((r) => ({ cameraId: r.camera_id, agentId: r.agent_id, statusJson: r.status_json, firstSeen: r.first_seen, removedAt: r.removed_at }));
  }

  /** The marks of the given cameras before `to`, in time order. */
  marksBefore(to: number, cameraIds: ReadonlySet<string>): Map<string, StateMark[]> {
    const out = new Map<string, StateMark[]>();
    for (const r of this.db.prepare('SELECT camera_id, at, state FROM marks WHERE at < ? ORDER BY camera_id, at, rowid').iterate(to) as IterableIterator<{ camera_id: string; at: number; state: CameraState }>) {
      if (!cameraIds.has(r.camera_id)) continue;
      let list = out.get(r.camera_id);
      if (!list) out.set(r.camera_id, (list = []));
      list.push({ at: r.at, state: r.state });
    }
    return out;
  }

  loadPlan(): string | undefined {
    return (this.db.prepare('SELECT json FROM plan WHERE id = 1').get() as { json: string } | undefined)?.json;
  }

  loadAgents(): StoredAgent[] {
    return (this.db.prepare('SELECT agent_id, json FROM agents').all() as Array<{ agent_id: string; json: string }>).map((r) => ({ agentId: r.agent_id, json: r.json }));
  }

  /** When each removed camera was removed. */
  loadRemovals(): Map<string, number> {
    const rows = this.db.prepare('SELECT camera_id, removed_at FROM cameras WHERE removed_at IS NOT NULL').all() as Array<{ camera_id: string; removed_at: number }>;
    return new Map(rows.map((r) => [r.camera_id, r.removed_at]));
  }

  loadCameras(): StoredCamera[] {
    return (this.db.prepare('SELECT camera_id, agent_id, status_json, first_seen FROM cameras WHERE removed_at IS NULL').all() as Array<{ camera_id: string; agent_id: string; status_json: string; first_seen: number }>).map((r) => ({
      cameraId: r.camera_id,
      agentId: r.agent_id,
      statusJson: r.status_json,
      firstSeen: r.first_seen,
    }));
  }

  /** Every camera's marks in time order (ties in insertion order). */
  loadMarks(): Map<string, StateMark[]> {
    const out = new Map<string, StateMark[]>();
    for (const r of this.db.prepare('SELECT camera_id, at, state FROM marks ORDER BY camera_id, at, rowid').iterate() as IterableIterator<{ camera_id: string; at: number; state: CameraState }>) {
      let list = out.get(r.camera_id);
      if (!list) out.set(r.camera_id, (list = []));
      list.push({ at: r.at, state: r.state });
    }
    return out;
  }

  /** Highest seq and latest event time stored per (agent, session). */
  loadSeqHeads(): Array<{ agentId: string; session: string; maxSeq: number; lastTs: number }> {
    return (this.db.prepare('SELECT agent_id, session, MAX(seq) AS m, MAX(ts) AS t FROM events GROUP BY agent_id, session').all() as Array<{ agent_id: string; session: string; m: number; t: number }>).map((r) => ({
      agentId: r.agent_id,
      session: r.session,
      maxSeq: r.m,
      lastTs: r.t,
    }));
  }

  /** Seq numbers missing below each session's highest stored seq. */
  loadGaps(): SeqGap[] {
    const rows = this.db
      .prepare(
        `SELECT agent_id, session, prev + 1 AS from_seq, seq - 1 AS to_seq FROM (
           SELECT agent_id, session, seq, COALESCE(LAG(seq) OVER (PARTITION BY agent_id, session ORDER BY seq), 0) AS prev FROM events
         ) WHERE seq - prev > 1 ORDER BY agent_id, session, from_seq`,
      )
      .all() as Array<{ agent_id: string; session: string; from_seq: number; to_seq: number }>;
    return rows.map((r) => ({ agentId: r.agent_id, session: r.session, fromSeq: r.from_seq, toSeq: r.to_seq }));
  }

  /**
   * Drops history older than `before`: whole sessions whose last event is
   * older (so no false gaps appear), and marks older than the one in force then.
   */
  prune(before: number): { events: number; marks: number } {
    return this.db.transaction(() => {
      const events = this.db
        .prepare('DELETE FROM events WHERE (agent_id, session) IN (SELECT agent_id, session FROM events GROUP BY agent_id, session HAVING MAX(ts) < ?)')
        .run(before).changes;
      const marks = this.db
        .prepare(
          `DELETE FROM marks WHERE at < ? AND rowid NOT IN (
             SELECT (SELECT rowid FROM marks m2 WHERE m2.camera_id = m.camera_id AND m2.at < ? ORDER BY m2.at DESC, m2.rowid DESC LIMIT 1) FROM (SELECT DISTINCT camera_id FROM marks) m)`,
        )
        .run(before, before).changes;
      return { events, marks };
    })();
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    this.db.close();
  }
}
