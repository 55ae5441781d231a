import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { CameraState, StateMark } from '../../protocols/index.js';
import { AUTO_FLUSH_MS, type AggregatorStore, type RecordingCheckRow, type StoreSnapshot, type StoredCamera } from '../store/port.js';
import { pendingMigrations } from '../store/migrations.js';
import { groupMarks, groupRecordingChecks } from '../store/rows.js';

/** rows a report reads between two turns of the event loop: a province's history does not hold the ingest and the API for seconds */
const READ_PAGE = 5000;
const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The store on SQLite (better-sqlite3, its only importer): the default, no
 * server to run. WAL journal, synchronous=NORMAL: a crash of the process
 * loses nothing committed. The first write opens a transaction, flush()
 * commits it: one commit per batch, not ~60 µs per message.
 */
export class SqliteStore implements AggregatorStore {
  readonly engine = 'sqlite';
  private db!: Database.Database;
  private st!: ReturnType<SqliteStore['prepare']>;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly file: string) {}

  async open(): Promise<void> {
    if (this.file !== ':memory:') mkdirSync(path.dirname(this.file), { recursive: true });
    this.db = new Database(this.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.migrate();
    this.st = this.prepare();
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const current = (this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
    for (const m of pendingMigrations(current)) {
      this.db.transaction(() => {
        this.db.exec(m.sqlite);
        // a file of 0.1.0 made before removals were kept has no removed_at
        if (m.version === 1 && !this.columns('cameras').includes('removed_at')) this.db.exec('ALTER TABLE cameras ADD COLUMN removed_at INTEGER');
        this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      })();
    }
  }

  private columns(table: string): string[] {
    return (this.db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);
  }

  private prepare() {
    const p = (sql: string) => this.db.prepare(sql);
    return {
      upsertAgent: p('INSERT INTO agents (agent_id, json) VALUES (?, ?) ON CONFLICT(agent_id) DO UPDATE SET json = excluded.json'),
      upsertCamera: p('INSERT INTO cameras (camera_id, agent_id, status_json, first_seen) VALUES (?, ?, ?, ?) ON CONFLICT(camera_id) DO UPDATE SET agent_id = excluded.agent_id, status_json = excluded.status_json, removed_at = NULL'),
      removeCamera: p('UPDATE cameras SET removed_at = ? WHERE camera_id = ?'),
      insertEvent: p('INSERT OR IGNORE INTO events (agent_id, session, seq, ts, camera_id) VALUES (?, ?, ?, ?, ?)'),
      begin: p('BEGIN'),
      commit: p('COMMIT'),
      insertMark: p('INSERT INTO marks (camera_id, at, state) VALUES (?, ?, ?)'),
      proveMark: p("UPDATE marks SET state = ? WHERE camera_id = ? AND at = ? AND state = 'unknown'"),
      saveLoss: p('INSERT INTO losses (json) VALUES (?)'),
      savePlan: p('INSERT INTO plan (id, json) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json'),
      savePlanVersion: p('INSERT INTO plan_versions (at, json) VALUES (?, ?)'),
      saveRecordingCheck: p('INSERT OR IGNORE INTO recording_checks (camera_id, checked_at, supported, recorded_sec, scheduled_sec) VALUES (?, ?, ?, ?, ?)'),
      saveAlert: p('INSERT INTO alerts (id, json, active) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json, active = excluded.active'),
      saveMeta: p('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      saveWindow: p('INSERT INTO maintenance (id, json) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json'),
      deleteWindow: p('DELETE FROM maintenance WHERE id = ?'),
      queueNotice: p('INSERT OR REPLACE INTO alert_outbox (seq, json) VALUES (?, ?)'),
      noticeDelivered: p('DELETE FROM alert_outbox WHERE seq = ?'),
    };
  }

  /** Every write joins the open transaction; one that opens it makes sure a flush follows. */
  private write(): void {
    if (!this.db.inTransaction) this.st.begin.run();
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.commit();
    }, AUTO_FLUSH_MS);
  }

  private commit(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.db.inTransaction) this.st.commit.run();
  }

  saveAgent(agentId: string, json: string): void {
    this.write();
    this.st.upsertAgent.run(agentId, json);
  }

  saveCamera(c: StoredCamera): void {
    this.write();
    this.st.upsertCamera.run(c.cameraId, c.agentId, c.statusJson, c.firstSeen);
  }

  removeCamera(cameraId: string, at: number): void {
    this.write();
    this.st.removeCamera.run(at, cameraId);
  }

  insertEvent(agentId: string, session: string, seq: number, ts: number, cameraId: string): boolean {
    this.write();
    return this.st.insertEvent.run(agentId, session, seq, ts, cameraId).changes === 1;
  }

  insertMark(cameraId: string, mark: StateMark): void {
    this.write();
    this.st.insertMark.run(cameraId, mark.at, mark.state);
  }

  proveMark(cameraId: string, at: number, state: CameraState): void {
    this.write();
    this.st.proveMark.run(state, cameraId, at);
  }

  saveLoss(json: string): void {
    this.write();
    this.st.saveLoss.run(json);
  }

  savePlan(json: string, at: number): void {
    this.write();
    this.st.savePlan.run(json);
    this.st.savePlanVersion.run(at, json);
  }

  saveRecordingCheck(cameraId: string, checkedAt: number, supported: boolean, recordedSec: number | null, scheduledSec: number | null): void {
    this.write();
    this.st.saveRecordingCheck.run(cameraId, checkedAt, supported ? 1 : 0, recordedSec, scheduledSec);
  }

  saveAlert(id: string, json: string, active: boolean): void {
    this.write();
    this.st.saveAlert.run(id, json, active ? 1 : 0);
  }

  saveNoticeSeq(seq: number): void {
    this.write();
    this.st.saveMeta.run('alert_seq', String(seq));
  }

  saveWindow(id: string, json: string): void {
    this.write();
    this.st.saveWindow.run(id, json);
  }

  deleteWindow(id: string): void {
    this.write();
    this.st.deleteWindow.run(id);
  }

  queueNotice(seq: number, json: string): void {
    this.write();
    this.st.queueNotice.run(seq, json);
  }

  noticeDelivered(seq: number): void {
    this.write();
    this.st.noticeDelivered.run(seq);
  }

  async flush(): Promise<void> {
    this.commit();
  }

  async load(): Promise<StoreSnapshot> {
    const all = <T>(sql: string, ...params: unknown[]) => this.db.prepare(sql).all(...params) as T[];
    const marks = groupMarks(this.db.prepare('SELECT camera_id, at, state FROM marks ORDER BY camera_id, at, rowid').iterate() as IterableIterator<{ camera_id: string; at: number; state: CameraState }>);
    const noticeSeq = Math.max(
      (this.db.prepare('SELECT MAX(seq) AS m FROM alert_outbox').get() as { m: number | null }).m ?? 0,
      Number((this.db.prepare("SELECT value FROM meta WHERE key = 'alert_seq'").get() as { value: string } | undefined)?.value ?? 0),
    );
    return {
      plan: (this.db.prepare('SELECT json FROM plan WHERE id = 1').get() as { json: string } | undefined)?.json,
      agents: all<{ agent_id: string; json: string }>('SELECT agent_id, json FROM agents').map((r) => ({ agentId: r.agent_id, json: r.json })),
      cameras: all<{ camera_id: string; agent_id: string; status_json: string; first_seen: number }>('SELECT camera_id, agent_id, status_json, first_seen FROM cameras WHERE removed_at IS NULL').map((r) => ({ cameraId: r.camera_id, agentId: r.agent_id, statusJson: r.status_json, firstSeen: r.first_seen })),
      removals: new Map(all<{ camera_id: string; removed_at: number }>('SELECT camera_id, removed_at FROM cameras WHERE removed_at IS NOT NULL').map((r) => [r.camera_id, r.removed_at])),
      marks,
      seqHeads: all<{ agent_id: string; session: string; m: number; t: number }>('SELECT agent_id, session, MAX(seq) AS m, MAX(ts) AS t FROM events GROUP BY agent_id, session').map((r) => ({ agentId: r.agent_id, session: r.session, maxSeq: r.m, lastTs: r.t })),
      gaps: all<{ agent_id: string; session: string; from_seq: number; to_seq: number }>(
        `SELECT agent_id, session, prev + 1 AS from_seq, seq - 1 AS to_seq FROM (
           SELECT agent_id, session, seq, COALESCE(LAG(seq) OVER (PARTITION BY agent_id, session ORDER BY seq), 0) AS prev FROM events
         ) WHERE seq - prev > 1 ORDER BY agent_id, session, from_seq`,
      ).map((r) => ({ agentId: r.agent_id, session: r.session, fromSeq: r.from_seq, toSeq: r.to_seq })),
      losses: all<{ json: string }>('SELECT json FROM losses ORDER BY rowid').map((r) => r.json),
      windows: all<{ json: string }>('SELECT json FROM maintenance ORDER BY id').map((r) => r.json),
      alerts: all<{ json: string; active: number }>('SELECT json, active FROM alerts').map((r) => ({ json: r.json, active: r.active === 1 })),
      lastNoticeSeq: noticeSeq,
    };
  }

  async camerasInPeriod(from: number, to: number): Promise<Array<StoredCamera & { removedAt: number | null }>> {
    const out: Array<StoredCamera & { removedAt: number | null }> = [];
    const page = this.db.prepare('SELECT camera_id, agent_id, status_json, first_seen, removed_at FROM cameras WHERE camera_id > ? AND first_seen < ? AND (removed_at IS NULL OR removed_at > ?) ORDER BY camera_id LIMIT ?');
    for (let after = ''; ; ) {
      const rows = page.all(after, to, from, READ_PAGE) as Array<{ camera_id: string; agent_id: string; status_json: string; first_seen: number; removed_at: number | null }>;
      for (const r of rows) out.push({ cameraId: r.camera_id, agentId: r.agent_id, statusJson: r.status_json, firstSeen: r.first_seen, removedAt: r.removed_at });
      if (rows.length < READ_PAGE) return out;
      after = rows.at(-1)!.camera_id;
      await turn();
    }
  }

  async marksBefore(to: number, cameraIds: ReadonlySet<string>): Promise<Map<string, StateMark[]>> {
    // pages in rowid order (the table's own order, no sort in SQLite), each camera's marks put in time order here
    const out = new Map<string, Array<StateMark & { id: number }>>();
    const page = this.db.prepare('SELECT rowid AS id, camera_id, at, state FROM marks WHERE rowid > ? AND at < ? ORDER BY rowid LIMIT ?');
    for (let after = 0; ; ) {
      const rows = page.all(after, to, READ_PAGE) as Array<{ id: number; camera_id: string; at: number; state: CameraState }>;
      for (const r of rows) {
        if (!cameraIds.has(r.camera_id)) continue;
        let list = out.get(r.camera_id);
        if (!list) out.set(r.camera_id, (list = []));
        list.push({ at: r.at, state: r.state, id: r.id });
      }
      if (rows.length < READ_PAGE) break;
      after = rows.at(-1)!.id;
      await turn();
    }
    const marks = new Map<string, StateMark[]>();
    for (const [id, list] of out) marks.set(id, list.sort((a, b) => a.at - b.at || a.id - b.id).map((m) => ({ at: m.at, state: m.state })));
    return marks;
  }

  async recordingChecksIn(from: number, to: number): Promise<Map<string, RecordingCheckRow[]>> {
    return groupRecordingChecks(this.db.prepare('SELECT camera_id, supported, recorded_sec, scheduled_sec FROM recording_checks WHERE checked_at >= ? AND checked_at < ? ORDER BY camera_id, checked_at').all(from, to) as Array<{ camera_id: string; supported: number; recorded_sec: number | null; scheduled_sec: number | null }>);
  }

  /** The version in force at `at` (as the port says), by its id only: a plan of 10⁵ points is megabytes. */
  private planVersionId(at: number): number | undefined {
    const row = (this.db.prepare('SELECT rowid AS id FROM plan_versions WHERE at <= ? ORDER BY at DESC, rowid DESC LIMIT 1').get(at) ?? this.db.prepare('SELECT rowid AS id FROM plan_versions ORDER BY at, rowid LIMIT 1').get()) as { id: number } | undefined;
    return row?.id;
  }

  async planAt(at: number): Promise<string | undefined> {
    const id = this.planVersionId(at);
    if (id !== undefined) return (this.db.prepare('SELECT json FROM plan_versions WHERE rowid = ?').get(id) as { json: string }).json;
    return (this.db.prepare('SELECT json FROM plan WHERE id = 1').get() as { json: string } | undefined)?.json;
  }

  async planVersionAt(at: number): Promise<number> {
    return this.planVersionId(at) ?? 0;
  }

  async nextNotice(): Promise<{ seq: number; json: string } | undefined> {
    return this.db.prepare('SELECT seq, json FROM alert_outbox ORDER BY seq LIMIT 1').get() as { seq: number; json: string } | undefined;
  }

  async trimNotices(max: number): Promise<number> {
    this.write();
    return this.db.prepare('DELETE FROM alert_outbox WHERE seq <= (SELECT MAX(seq) FROM alert_outbox) - ?').run(max).changes;
  }

  async prune(before: number): Promise<{ events: number; marks: number }> {
    this.commit();
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

  async close(): Promise<void> {
    if (!this.db?.open) return;
    this.commit();
    this.db.close();
  }
}
