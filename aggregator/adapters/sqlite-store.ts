import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { CameraState, StateMark } from '../../protocols/index.js';
import { rowsOf, type StoreChange, type WriteKind } from '../store/changes.js';
import { readSnapshot } from '../store/snapshot-read.js';
import { AUTO_FLUSH_MS, type AggregatorStore, type RecordingCheckRow, type StoreSnapshot, type StoredCamera } from '../store/port.js';
import { pendingMigrations } from '../store/migrations.js';
import { groupRecordingChecks } from '../store/rows.js';

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

  constructor(private readonly deps: { file: string; log: Logger }) {}

  async open(): Promise<void> {
    if (this.deps.file !== ':memory:') mkdirSync(path.dirname(this.deps.file), { recursive: true });
    this.db = new Database(this.deps.file);
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
    const writes: Record<WriteKind, Database.Statement> = {
      agent: p('INSERT INTO agents (agent_id, json) VALUES (?, ?) ON CONFLICT(agent_id) DO UPDATE SET json = excluded.json'),
      camera: p('INSERT INTO cameras (camera_id, agent_id, status_json, first_seen) VALUES (?, ?, ?, ?) ON CONFLICT(camera_id) DO UPDATE SET agent_id = excluded.agent_id, status_json = excluded.status_json, removed_at = NULL'),
      // a row's columns in WRITES order; SQLite binds in the order of the `?`, so an UPDATE names them through VALUES
      removeCamera: p('WITH u(id, at) AS (VALUES (?, ?)) UPDATE cameras SET removed_at = (SELECT at FROM u) WHERE camera_id = (SELECT id FROM u)'),
      event: p('INSERT OR IGNORE INTO events (agent_id, session, seq, ts, camera_id) VALUES (?, ?, ?, ?, ?)'),
      mark: p('INSERT INTO marks (camera_id, at, state) VALUES (?, ?, ?)'),
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
    };
    return { writes, begin: p('BEGIN'), commit: p('COMMIT') };
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

  record(change: StoreChange): void {
    this.write();
    for (const [kind, row] of rowsOf(change)) {
      // SQLite has no boolean: 1 and 0, as the schema's INTEGER columns hold them
      this.st.writes[kind].run(...row.map((v) => (v === true ? 1 : v === false ? 0 : v)));
    }
  }

  async flush(): Promise<void> {
    this.commit();
  }

  async load(): Promise<StoreSnapshot> {
    this.commit();
    return readSnapshot({
      query: (sql) => this.db.prepare(sql).iterate() as Iterable<Record<string, unknown>>,
      order: 'rowid',
      refused: (table, reason) => this.deps.log.warn({ table, reason }, 'a stored record was refused by its schema and left out'),
    });
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
