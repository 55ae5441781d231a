import type { SqlPort } from '../auth/sql-port.js';
import { AUDIT_COLUMNS, auditRecordOf, auditWhere, type AuditRow } from '../store/rows.js';
import type { AuditFilter, StoredFrame } from '../store/port.js';
import type { AuditRecord } from '../audit/chain.js';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { CameraState, StateMark } from '../../protocols/index.js';
import type { Row, StoreChange, WriteKind } from '../store/changes.js';
import { SqliteWriter } from './sqlite-writer.js';
import { WriteBatch } from './write-batch.js';
import { flattenRows, startWriterThread, writerScript } from './writer-thread.js';
import { readSnapshot, readStart } from '../store/snapshot-read.js';
import { DAILY_TOTALS_COLUMNS, type AggregatorStore, type LoadPace, type StartRead, type RecordingCheckRow, type StoreSnapshot, type StoredCamera, type StoredDailyTotals } from '../store/port.js';
import { pendingMigrations } from '../store/migrations.js';
import { groupRecordingChecks } from '../store/rows.js';

/**
 * rows a report reads between two turns of the event loop: a province's history does not hold the ingest and the API
 * for seconds (5,000 statuses of a page took up to 145 ms at a million cameras: a thousand, a few tens)
 */
const READ_PAGE = 1000;
const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The store on SQLite (better-sqlite3, its only importer): the default, no
 * server to run. WAL journal, synchronous=NORMAL: a crash of the process
 * loses nothing committed. Changes are kept in order in memory and written
 * at flush(), one transaction per batch, by the writer: a thread of its own
 * for a database file (its statements and commits off the thread that takes
 * MQTT messages), the main thread for `:memory:`. Reads go through the main
 * thread's connection after a flush, so they see every write made before them.
 */
export class SqliteStore implements AggregatorStore {
  readonly engine = 'sqlite';
  readonly sql: SqlPort = {
    all: async <T extends Record<string, unknown>>(sql: string, params: ReadonlyArray<string | number | null> = []) => this.db.prepare(sql).all(...params) as T[],
    run: async (sql: string, params: ReadonlyArray<string | number | null> = []) => this.db.prepare(sql).run(...params).changes,
  };
  private db!: Database.Database;
  private writer!: Writer;
  private readonly batch: WriteBatch;

  constructor(private readonly deps: { file: string; log: Logger; /** `thread` unless the file is `:memory:` */ writer?: 'thread' | 'main' }) {
    this.batch = new WriteBatch({ write: (rows) => this.writer.apply(rows), log: deps.log, engine: 'SQLite' });
  }

  async open(): Promise<void> {
    const file = this.deps.file;
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    const script = file !== ':memory:' && (this.deps.writer ?? 'thread') === 'thread' ? writerScript('sqlite-writer-worker') : undefined;
    this.writer = script ? await threadWriter(script, file) : mainWriter(new SqliteWriter(this.db));
    this.deps.log.debug({ writer: script ? 'thread' : 'main' }, 'SQLite store open');
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

  record(change: StoreChange): void {
    this.batch.record(change);
  }

  flush(): Promise<void> {
    return this.batch.flush();
  }

  async readStart(): Promise<StartRead> {
    await this.flush();
    return readStart({ query: (sql) => this.db.prepare(sql).all() as Array<Record<string, unknown>> });
  }

  async load(pace: LoadPace = {}): Promise<StoreSnapshot> {
    await this.flush();
    // a paced read keeps its statements open across turns of the event loop, when the API answers on the main
    // connection (better-sqlite3 runs no other statement on a connection while one iterates): a connection of its own
    const db = pace.pace && this.deps.file !== ':memory:' ? new Database(this.deps.file, { readonly: true }) : undefined;
    try {
      return await readSnapshot({
        query: (sql) => (db ?? this.db).prepare(sql).iterate() as Iterable<Record<string, unknown>>,
        order: 'rowid',
        refused: (table, reason) => this.deps.log.warn({ table, reason }, 'a stored record was refused by its schema and left out'),
        ...(db ? pace : {}),
      });
    } finally {
      db?.close();
    }
  }

  async camerasInPeriod(from: number, to: number): Promise<Array<StoredCamera & { removedAt: number | null }>> {
    await this.flush();
    const out: Array<StoredCamera & { removedAt: number | null }> = [];
    // a page is READ_PAGE rows of the table, whether they are in the period or not: a LIMIT on the rows that match
    // scanned the whole table in one call when few did (a past period before a province's cameras came: 180 ms held)
    const end = this.db.prepare('SELECT MAX(camera_id) AS hi FROM (SELECT camera_id FROM cameras WHERE camera_id > ? ORDER BY camera_id LIMIT ?)');
    const page = this.db.prepare('SELECT camera_id, agent_id, status_json, first_seen, removed_at FROM cameras WHERE camera_id > ? AND camera_id <= ? AND first_seen < ? AND (removed_at IS NULL OR removed_at > ?) ORDER BY camera_id');
    for (let after = ''; ; ) {
      const hi = (end.get(after, READ_PAGE) as { hi: string | null }).hi;
      if (hi === null) return out;
      for (const r of page.all(after, hi, to, from) as Array<{ camera_id: string; agent_id: string; status_json: string; first_seen: number; removed_at: number | null }>) out.push({ cameraId: r.camera_id, agentId: r.agent_id, statusJson: r.status_json, firstSeen: r.first_seen, removedAt: r.removed_at });
      after = hi;
      await turn();
    }
  }

  async framesOf(cameraId: string): Promise<StoredFrame[]> {
    await this.flush();
    return this.db.prepare('SELECT at, kind, json, jpeg FROM frames WHERE camera_id = ? ORDER BY at DESC, rowid DESC LIMIT 16').all(cameraId) as StoredFrame[];
  }

  async causesBefore(to: number): Promise<Map<string, string | null>> {
    await this.flush();
    const out = new Map<string, string | null>();
    // in time order: the last one before `to` stands
    for (const r of this.db.prepare('SELECT camera_id, cause FROM causes WHERE at < ? ORDER BY at, rowid').iterate(to) as Iterable<{ camera_id: string; cause: string | null }>) out.set(r.camera_id, r.cause);
    return out;
  }

  async marksBefore(to: number, cameraIds: ReadonlySet<string>): Promise<Map<string, StateMark[]>> {
    await this.flush();
    // pages in rowid order (the table's own order, no sort in SQLite), each camera's marks put in time order here
    const out = new Map<string, Array<StateMark & { id: number }>>();
    // pages of READ_PAGE rowids, whatever their time: a LIMIT on the rows before `to` scanned the whole table in
    // one call when few were (a past period). A late mark written after the walk began is not read: the event
    // that brought it has the report publisher publish the period again (FleetEvents eventStored)
    // one aggregate a statement: SQLite reads MIN or MAX of the rowid off the b-tree's edge, both together scan the table
    const { lo } = this.db.prepare('SELECT MIN(rowid) AS lo FROM marks').get() as { lo: number | null };
    const { hi } = this.db.prepare('SELECT MAX(rowid) AS hi FROM marks').get() as { hi: number | null };
    const page = this.db.prepare('SELECT rowid AS id, camera_id, at, state FROM marks WHERE rowid >= ? AND rowid < ? AND at < ?');
    for (let from = lo ?? 1; hi !== null && from <= hi; from += READ_PAGE) {
      for (const r of page.all(from, from + READ_PAGE, to) as Array<{ id: number; camera_id: string; at: number; state: CameraState }>) {
        if (!cameraIds.has(r.camera_id)) continue;
        let list = out.get(r.camera_id);
        if (!list) out.set(r.camera_id, (list = []));
        list.push({ at: r.at, state: r.state, id: r.id });
      }
      await turn();
    }
    const marks = new Map<string, StateMark[]>();
    let n = 0;
    for (const [id, list] of out) {
      marks.set(id, list.sort((a, b) => a.at - b.at || a.id - b.id).map((m) => ({ at: m.at, state: m.state })));
      // a province's million cameras: the loop given back as between the pages
      if (++n % READ_PAGE === 0) await turn();
    }
    return marks;
  }

  async dailyTotals(region: string, category: string, fromDay: string, toDay: string): Promise<StoredDailyTotals[]> {
    await this.flush();
    return this.db.prepare(`SELECT ${DAILY_TOTALS_COLUMNS} FROM daily_totals WHERE region = ? AND category = ? AND day >= ? AND day <= ? ORDER BY day`).all(region, category, fromDay, toDay) as StoredDailyTotals[];
  }

  async recordingChecksIn(from: number, to: number): Promise<Map<string, RecordingCheckRow[]>> {
    await this.flush();
    return groupRecordingChecks(this.db.prepare('SELECT camera_id, supported, recorded_sec, scheduled_sec FROM recording_checks WHERE checked_at >= ? AND checked_at < ? ORDER BY camera_id, checked_at').all(from, to) as Array<{ camera_id: string; supported: number; recorded_sec: number | null; scheduled_sec: number | null }>);
  }

  /** The version in force at `at` (as the port says), by its id only: a plan of 10⁵ points is megabytes. */
  private planVersionId(at: number): number | undefined {
    const row = (this.db.prepare('SELECT rowid AS id FROM plan_versions WHERE at <= ? ORDER BY at DESC, rowid DESC LIMIT 1').get(at) ?? this.db.prepare('SELECT rowid AS id FROM plan_versions ORDER BY at, rowid LIMIT 1').get()) as { id: number } | undefined;
    return row?.id;
  }

  async planAt(at: number): Promise<string | undefined> {
    await this.flush();
    const id = this.planVersionId(at);
    if (id !== undefined) return (this.db.prepare('SELECT json FROM plan_versions WHERE rowid = ?').get(id) as { json: string }).json;
    return (this.db.prepare('SELECT json FROM plan WHERE id = 1').get() as { json: string } | undefined)?.json;
  }

  async auditRecords(fromSeq: number, limit: number, filter: AuditFilter = {}): Promise<AuditRecord[]> {
    await this.flush();
    const w = auditWhere(fromSeq, filter, () => '?');
    return (this.db.prepare(`SELECT ${AUDIT_COLUMNS} FROM audit WHERE ${w.sql} ORDER BY seq LIMIT ?`).all(...w.params, limit) as AuditRow[]).map(auditRecordOf);
  }

  async planVersionAt(at: number): Promise<number> {
    await this.flush();
    return this.planVersionId(at) ?? 0;
  }

  async nextNotice(): Promise<{ seq: number; json: string } | undefined> {
    await this.flush();
    return this.db.prepare('SELECT seq, json FROM alert_outbox ORDER BY seq LIMIT 1').get() as { seq: number; json: string } | undefined;
  }

  async trimNotices(max: number): Promise<number> {
    await this.flush();
    return this.writer.trimNotices(max);
  }

  async prune(before: number): Promise<{ events: number; marks: number }> {
    await this.flush();
    return this.writer.prune(before);
  }

  async close(): Promise<void> {
    if (!this.db?.open) return;
    await this.batch.close();
    await this.writer.close();
    this.db.close();
  }
}

/** Where batches are written: the writer thread, or the main thread's own connection. */
interface Writer {
  apply(rows: Array<[WriteKind, Row]>): Promise<void>;
  prune(before: number): Promise<{ events: number; marks: number }>;
  trimNotices(max: number): Promise<number>;
  close(): Promise<void>;
}

function mainWriter(w: SqliteWriter): Writer {
  return {
    apply: async (rows) => w.apply(rows),
    prune: async (before) => w.prune(before),
    trimNotices: async (max) => w.trimNotices(max),
    close: async () => undefined,
  };
}

async function threadWriter(script: string, file: string): Promise<Writer> {
  const thread = await startWriterThread(script, { file });
  return {
    apply: (rows) => thread.call<void>('apply', flattenRows(rows)),
    prune: (before) => thread.call<{ events: number; marks: number }>('prune', before),
    trimNotices: (max) => thread.call<number>('trimNotices', max),
    close: () => thread.close(),
  };
}
