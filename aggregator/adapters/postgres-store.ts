import { numbered, type SqlPort } from '../auth/sql-port.js';
import { AUDIT_COLUMNS, auditRecordOf, auditWhere, type AuditRow } from '../store/rows.js';
import type { AuditFilter, StoredFrame } from '../store/port.js';
import type { AuditRecord } from '../audit/chain.js';
import pg from 'pg';
import type { Logger } from 'pino';
import type { CameraState, StateMark } from '../../protocols/index.js';
import { maskUrlPassword } from '../../platform/redact.js';
import { FRAMES_KEPT, WRITES, type Row, type StoreChange, type WriteKind } from '../store/changes.js';
import { readSnapshot, readStart } from '../store/snapshot-read.js';
import { flattenRows, startWriterThread, writerScript, type WriterThread } from './writer-thread.js';
import { WriteBatch } from './write-batch.js';
import { pendingMigrations } from '../store/migrations.js';
import { groupRecordingChecks, MarkGroups } from '../store/rows.js';
import { DAILY_TOTALS_COLUMNS, FencedError, type StoredDailyTotals, type AggregatorStore, type InboxRow, type RecordingCheckRow, type ReplicaInbox, type StoreSnapshot, type StoredCamera, type LoadPace, type StartRead } from '../store/port.js';

/**
 * How each kind of write reaches PostgreSQL: one statement per run of writes
 * of that kind, its rows passed as arrays (unnest), so a batch of a thousand
 * messages costs a handful of round trips. `collapse` keeps one row per key
 * in a run (an upsert may not touch a row twice in one statement): the last
 * write of a row wins, or the first where a later one could no longer apply.
 */
interface OpKind {
  sql: string;
  types: string[];
  collapse?: { key: (row: unknown[]) => string; keep: 'first' | 'last' };
}

const byFirst = (row: unknown[]) => String(row[0]);
const OPS = {
  agent: { types: ['text', 'text'], collapse: { key: byFirst, keep: 'last' }, sql: 'INSERT INTO agents (agent_id, json) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (agent_id) DO UPDATE SET json = excluded.json' },
  camera: {
    types: ['text', 'text', 'text', 'bigint'],
    collapse: { key: byFirst, keep: 'last' },
    sql: 'INSERT INTO cameras (camera_id, agent_id, status_json, first_seen) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) ON CONFLICT (camera_id) DO UPDATE SET agent_id = excluded.agent_id, status_json = excluded.status_json, removed_at = NULL',
  },
  removeCamera: { types: ['text', 'bigint'], collapse: { key: byFirst, keep: 'last' }, sql: 'UPDATE cameras c SET removed_at = u.at FROM unnest($1::text[], $2::bigint[]) AS u(id, at) WHERE c.camera_id = u.id' },
  event: { types: ['text', 'text', 'bigint', 'bigint', 'text'], sql: 'INSERT INTO events (agent_id, session, seq, ts, camera_id) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[]) ON CONFLICT DO NOTHING' },
  mark: { types: ['text', 'bigint', 'text'], sql: 'INSERT INTO marks (camera_id, at, state) SELECT c, a, s FROM unnest($1::text[], $2::bigint[], $3::text[]) WITH ORDINALITY AS u(c, a, s, n) ORDER BY n' },
  cause: { types: ['text', 'bigint', 'text'], sql: 'INSERT INTO causes (camera_id, at, cause) SELECT c, a, s FROM unnest($1::text[], $2::bigint[], $3::text[]) WITH ORDINALITY AS u(c, a, s, n) ORDER BY n' },
  frame: { types: ['text', 'bigint', 'text', 'text', 'text'], sql: 'INSERT INTO frames (camera_id, at, kind, json, jpeg) SELECT c, a, k, j, p FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(c, a, k, j, p, n) ORDER BY n' },
  // the newest reference and the FRAMES_KEPT newest others of each camera named stay
  trimFrames: {
    types: ['text'],
    collapse: { key: byFirst, keep: 'last' },
    sql: `DELETE FROM frames f WHERE f.camera_id = ANY($1::text[]) AND f.id NOT IN (
      SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY camera_id, kind = 'reference' ORDER BY at DESC, id DESC) AS r, kind FROM frames WHERE camera_id = ANY($1::text[])) x
      WHERE (x.kind = 'reference' AND x.r = 1) OR (x.kind <> 'reference' AND x.r <= ${FRAMES_KEPT}))`,
  },
  // a mark proven once is no longer unknown: a second proof of it in the same run would not have applied
  proveMark: {
    types: ['text', 'bigint', 'text'],
    collapse: { key: (r: unknown[]) => `${String(r[0])}\u0000${String(r[1])}`, keep: 'first' },
    sql: "UPDATE marks m SET state = u.s FROM unnest($1::text[], $2::bigint[], $3::text[]) AS u(c, a, s) WHERE m.camera_id = u.c AND m.at = u.a AND m.state = 'unknown'",
  },
  loss: { types: ['text'], sql: 'INSERT INTO losses (json) SELECT j FROM unnest($1::text[]) WITH ORDINALITY AS u(j, n) ORDER BY n' },
  plan: { types: ['text'], collapse: { key: () => 'plan', keep: 'last' }, sql: 'INSERT INTO plan (id, json) SELECT 1, j FROM unnest($1::text[]) AS u(j) ON CONFLICT (id) DO UPDATE SET json = excluded.json' },
  planVersion: { types: ['bigint', 'text'], sql: 'INSERT INTO plan_versions (at, json) SELECT a, j FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS u(a, j, n) ORDER BY n' },
  recording: {
    types: ['text', 'bigint', 'boolean', 'float8', 'float8'],
    sql: 'INSERT INTO recording_checks (camera_id, checked_at, supported, recorded_sec, scheduled_sec) SELECT * FROM unnest($1::text[], $2::bigint[], $3::boolean[], $4::float8[], $5::float8[]) ON CONFLICT DO NOTHING',
  },
  alert: { types: ['text', 'text', 'boolean'], collapse: { key: byFirst, keep: 'last' }, sql: 'INSERT INTO alerts (id, json, active) SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[]) ON CONFLICT (id) DO UPDATE SET json = excluded.json, active = excluded.active' },
  meta: { types: ['text', 'text'], collapse: { key: byFirst, keep: 'last' }, sql: 'INSERT INTO meta (key, value) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (key) DO UPDATE SET value = excluded.value' },
  window: { types: ['text', 'text'], collapse: { key: byFirst, keep: 'last' }, sql: 'INSERT INTO maintenance (id, json) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (id) DO UPDATE SET json = excluded.json' },
  deleteWindow: { types: ['text'], sql: 'DELETE FROM maintenance WHERE id = ANY($1::text[])' },
  notice: { types: ['bigint', 'text'], collapse: { key: byFirst, keep: 'last' }, sql: 'INSERT INTO alert_outbox (seq, json) SELECT * FROM unnest($1::bigint[], $2::text[]) ON CONFLICT (seq) DO UPDATE SET json = excluded.json' },
  noticeDelivered: { types: ['bigint'], sql: 'DELETE FROM alert_outbox WHERE seq = ANY($1::bigint[])' },
  clearDay: { types: ['text'], sql: 'DELETE FROM daily_totals WHERE day = ANY($1::text[])' },
  dailyTotal: {
    types: ['text', 'text', 'text', 'bigint', 'bigint', 'float8', 'float8', 'float8', 'bigint', 'bigint', 'bigint', 'bigint'],
    collapse: { key: (r: unknown[]) => `${String(r[0])}\u0000${String(r[1])}\u0000${String(r[2])}`, keep: 'last' },
    sql: `INSERT INTO daily_totals (day, region, category, from_ms, to_ms, online_ms, unknown_ms, observed_ms, installed, networked, intact, computed_at)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::float8[], $7::float8[], $8::float8[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[])
      ON CONFLICT (region, category, day) DO UPDATE SET from_ms = excluded.from_ms, to_ms = excluded.to_ms, online_ms = excluded.online_ms, unknown_ms = excluded.unknown_ms,
        observed_ms = excluded.observed_ms, installed = excluded.installed, networked = excluded.networked, intact = excluded.intact, computed_at = excluded.computed_at`,
  },
  audit: {
    types: ['bigint', 'bigint', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text'],
    sql: 'INSERT INTO audit (seq, at, actor, source, user_agent, action, target, detail, prev_hash, hash) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])',
  },
  auditPendingChained: { types: ['bigint'], sql: 'DELETE FROM audit_pending WHERE id <= (SELECT MAX(x) FROM unnest($1::bigint[]) AS u(x))' },
} satisfies Record<WriteKind, OpKind>;

export type Op = { kind: WriteKind; row: Row };

/** the advisory lock the leader of the replicas holds: (classid 0, objid LEADER_LOCK) */
const LEADER_LOCK = 7_061_712;

/**
 * The statements that make `ops` durable: writes to different tables commute,
 * writes to one table keep their order, and each run of one kind is one
 * statement.
 */
export function statementsFor(ops: readonly Op[]): Array<{ sql: string; params: unknown[][] }> {
  const perTable = new Map<string, Op[]>();
  for (const op of ops) {
    const t = WRITES[op.kind].table;
    let list = perTable.get(t);
    if (!list) perTable.set(t, (list = []));
    list.push(op);
  }
  const out: Array<{ sql: string; params: unknown[][] }> = [];
  for (const list of perTable.values()) {
    let i = 0;
    while (i < list.length) {
      const kind = list[i]!.kind;
      let j = i;
      while (j < list.length && list[j]!.kind === kind) j++;
      const spec: OpKind = OPS[kind];
      let rows = list.slice(i, j).map((o) => o.row);
      if (spec.collapse) {
        const { key, keep } = spec.collapse;
        const chosen = new Map<string, Row>();
        for (const r of rows) if (keep === 'last' || !chosen.has(key(r))) chosen.set(key(r), r);
        rows = [...chosen.values()];
      }
      out.push({ sql: spec.sql, params: spec.types.map((_, c) => rows.map((r) => r[c])) });
      i = j;
    }
  }
  return out;
}

/** bigint columns hold epoch milliseconds and counts, safe as numbers */
const types = {
  getTypeParser: ((oid: number, format?: string) => (oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};

/**
 * The store on PostgreSQL (`pg`, its only importer), for a centre bigger than
 * one SQLite file serves comfortably. Writes are kept in order in memory and
 * sent at flush() in one transaction; whether an event is new is answered from
 * an index of the stored (agent, session, seq) ranges, loaded at open(), with
 * the primary key as the backstop. One aggregator process writes at a time.
 */
export class PostgresStore implements AggregatorStore, ReplicaInbox {
  readonly engine = 'postgres';
  readonly inbox: ReplicaInbox = this;
  readonly sql: SqlPort = {
    all: async <T extends Record<string, unknown>>(sql: string, params: ReadonlyArray<string | number | null> = []) => (await this.pool.query<T>(numbered(sql), [...params])).rows,
    run: async (sql: string, params: ReadonlyArray<string | number | null> = []) => (await this.pool.query(numbered(sql), [...params])).rowCount ?? 0,
  };
  private readonly pool: pg.Pool;
  private readonly batch: WriteBatch;
  private closed = false;
  /** the session that holds the leader lock: every write checks it still does */
  private leader: pg.Client | undefined;
  private leaderPid = 0;
  private fenced = false;

  /** the writer thread of the one aggregator (none for replicas: the leader's writes are fenced on this thread) */
  private thread: WriterThread | undefined;

  constructor(private readonly deps: { url: string; log: Logger; /** write from a thread of its own where built (not with replicas) */ writerThread?: boolean }) {
    this.pool = new pg.Pool({ connectionString: deps.url, max: 4, types, application_name: 'xueliang-aggregator', connectionTimeoutMillis: 10_000 });
    // an idle connection the server closed: the pool replaces it; without a listener it would end the process
    this.pool.on('error', (err) => deps.log.warn({ err: { message: err.message } }, 'PostgreSQL connection lost'));
    this.batch = new WriteBatch({ write: (rows) => this.write(rows), final: (err) => err instanceof FencedError, log: deps.log, engine: 'PostgreSQL' });
  }

  async open(): Promise<void> {
    try {
      (await this.pool.connect()).release();
    } catch (err) {
      throw new Error(`cannot reach the database ${maskUrlPassword(this.deps.url)}: ${(err as Error).message}`);
    }
    await this.inTransaction(async (client) => {
      // replicas starting together migrate one after the other
      await client.query("SELECT pg_advisory_xact_lock(hashtext('xueliang-schema'))");
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
      const current = (await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations')).rows[0]?.v ?? 0;
      for (const m of pendingMigrations(current)) {
        await client.query(m.postgres);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
        this.deps.log.info({ version: m.version, name: m.name }, 'database migrated');
      }
    });
    const script = this.deps.writerThread ? writerScript('postgres-writer-worker') : undefined;
    if (script) this.thread = await startWriterThread(script, { url: this.deps.url });
  }

  record(change: StoreChange): void {
    this.batch.record(change);
  }

  flush(): Promise<void> {
    return this.batch.flush();
  }

  /** One batch, in one transaction: the writer thread's, or (replicas) this thread's, where the leader's fence is checked in it. */
  private async write(rows: Array<[WriteKind, Row]>): Promise<void> {
    if (this.fenced) throw new FencedError('no longer the leader of the replicas: nothing more is written');
    if (this.thread && !this.leader) return this.thread.call<void>('apply', flattenRows(rows));
    try {
      await this.inTransaction(async (client) => {
        if (this.leader) await this.checkFence(client);
        for (const s of statementsFor(rows.map(([kind, row]) => ({ kind, row })))) await client.query(s.sql, s.params);
      });
    } catch (err) {
      if (err instanceof FencedError) this.fenced = true;
      throw err;
    }
  }

  /** Runs `fn` in a transaction on a connection of the pool: committed when it resolves, rolled back when it throws. */
  private async inTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private async rows<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    await this.flush();
    return (await this.pool.query<T>(sql, params)).rows;
  }

  async readStart(): Promise<StartRead> {
    return readStart({ query: (sql) => this.rows(sql) });
  }

  async load(pace: LoadPace = {}): Promise<StoreSnapshot> {
    return readSnapshot({
      query: (sql) => this.rows(sql),
      order: 'id',
      refused: (table, reason) => this.deps.log.warn({ table, reason }, 'a stored record was refused by its schema and left out'),
      ...pace,
    });
  }

  async camerasInPeriod(from: number, to: number): Promise<Array<StoredCamera & { removedAt: number | null }>> {
    const rows = await this.rows<{ camera_id: string; agent_id: string; status_json: string; first_seen: number; removed_at: number | null }>(
      'SELECT camera_id, agent_id, status_json, first_seen, removed_at FROM cameras WHERE first_seen < $1 AND (removed_at IS NULL OR removed_at > $2)',
      [to, from],
    );
    // a province's million rows: the event loop given back every few thousand, as marksBefore does
    const out: Array<StoredCamera & { removedAt: number | null }> = [];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      out.push({ cameraId: r.camera_id, agentId: r.agent_id, statusJson: r.status_json, firstSeen: r.first_seen, removedAt: r.removed_at });
      if ((i + 1) % 5000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return out;
  }

  async framesOf(cameraId: string): Promise<StoredFrame[]> {
    await this.flush();
    return this.rows<StoredFrame>('SELECT at, kind, json, jpeg FROM frames WHERE camera_id = $1 ORDER BY at DESC, id DESC LIMIT 16', [cameraId]);
  }

  async causesBefore(to: number): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    for (const r of await this.rows<{ camera_id: string; cause: string | null }>('SELECT DISTINCT ON (camera_id) camera_id, cause FROM causes WHERE at < $1 ORDER BY camera_id, at DESC, id DESC', [to])) out.set(r.camera_id, r.cause);
    return out;
  }

  async marksBefore(to: number, cameraIds: ReadonlySet<string>): Promise<Map<string, StateMark[]>> {
    const rows = await this.rows<{ camera_id: string; at: number; state: CameraState }>('SELECT camera_id, at, state FROM marks WHERE at < $1 ORDER BY camera_id, at, id', [to]);
    // a province's million cameras' marks: the event loop given back every few thousand rows
    const groups = new MarkGroups((id) => cameraIds.has(id));
    for (let i = 0; i < rows.length; i++) {
      groups.add(rows[i]!);
      if ((i + 1) % 5000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return groups.out;
  }

  async dailyTotals(region: string, category: string, fromDay: string, toDay: string): Promise<StoredDailyTotals[]> {
    return this.rows<StoredDailyTotals>(`SELECT ${DAILY_TOTALS_COLUMNS} FROM daily_totals WHERE region = $1 AND category = $2 AND day >= $3 AND day <= $4 ORDER BY day`, [region, category, fromDay, toDay]);
  }

  async recordingChecksIn(from: number, to: number): Promise<Map<string, RecordingCheckRow[]>> {
    return groupRecordingChecks(
      await this.rows<{ camera_id: string; supported: boolean; recorded_sec: number | null; scheduled_sec: number | null }>(
        'SELECT camera_id, supported, recorded_sec, scheduled_sec FROM recording_checks WHERE checked_at >= $1 AND checked_at < $2 ORDER BY camera_id, checked_at',
        [from, to],
      ),
    );
  }

  /** The version in force at `at` (as the port says), by its id only: a plan of 10⁵ points is megabytes. */
  private async planVersionId(at: number): Promise<number | undefined> {
    const [row] = await this.rows<{ id: number }>('SELECT id FROM plan_versions WHERE at <= $1 ORDER BY at DESC, id DESC LIMIT 1', [at]);
    return (row ?? (await this.rows<{ id: number }>('SELECT id FROM plan_versions ORDER BY at, id LIMIT 1'))[0])?.id;
  }

  async planAt(at: number): Promise<string | undefined> {
    const id = await this.planVersionId(at);
    if (id !== undefined) return (await this.rows<{ json: string }>('SELECT json FROM plan_versions WHERE id = $1', [id]))[0]?.json;
    return (await this.rows<{ json: string }>('SELECT json FROM plan WHERE id = 1'))[0]?.json;
  }

  async auditRecords(fromSeq: number, limit: number, filter: AuditFilter = {}): Promise<AuditRecord[]> {
    await this.flush();
    const w = auditWhere(fromSeq, filter, (n) => `$${n}`);
    return (await this.rows<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit WHERE ${w.sql} ORDER BY seq LIMIT $${w.params.length + 1}`, [...w.params, limit])).map(auditRecordOf);
  }

  async planVersionAt(at: number): Promise<number> {
    return (await this.planVersionId(at)) ?? 0;
  }

  async nextNotice(): Promise<{ seq: number; json: string } | undefined> {
    return (await this.rows<{ seq: number; json: string }>('SELECT seq, json FROM alert_outbox ORDER BY seq LIMIT 1'))[0];
  }

  async trimNotices(max: number): Promise<number> {
    await this.flush();
    return (await this.pool.query('DELETE FROM alert_outbox WHERE seq <= (SELECT MAX(seq) FROM alert_outbox) - $1', [max])).rowCount ?? 0;
  }

  async prune(before: number): Promise<{ events: number; marks: number }> {
    await this.flush();
    const pruned = await this.inTransaction(async (client) => {
      const events = await client.query(
        'DELETE FROM events e USING (SELECT agent_id, session FROM events GROUP BY agent_id, session HAVING MAX(ts) < $1) AS old WHERE e.agent_id = old.agent_id AND e.session = old.session',
        [before],
      );
      const marks = await client.query('DELETE FROM marks WHERE at < $1 AND id NOT IN (SELECT DISTINCT ON (camera_id) id FROM marks WHERE at < $1 ORDER BY camera_id, at DESC, id DESC)', [before]);
      await client.query('DELETE FROM causes WHERE at < $1 AND id NOT IN (SELECT DISTINCT ON (camera_id) id FROM causes WHERE at < $1 ORDER BY camera_id, at DESC, id DESC)', [before]);
      await client.query("DELETE FROM frames WHERE at < $1 AND id NOT IN (SELECT DISTINCT ON (camera_id) id FROM frames WHERE kind = 'reference' ORDER BY camera_id, at DESC, id DESC)", [before]);
      return { events: events.rowCount ?? 0, marks: marks.rowCount ?? 0 };
    });
    return pruned;
  }

  /**
   * Inside a write transaction of the leader: the cursor row is locked (a
   * replica taking over reads it FOR UPDATE, so it waits for this commit and
   * sees what it wrote) and the leader lock must still be ours; else nothing
   * of it is written.
   */
  private async checkFence(client: pg.PoolClient): Promise<void> {
    await client.query("SELECT value FROM meta WHERE key = 'inbox_cursor' FOR UPDATE");
    const held = await client.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = $1 AND objsubid = 1 AND granted AND pid = $2", [LEADER_LOCK, this.leaderPid]);
    if (held.rowCount !== 1) throw new FencedError('the leader lock is no longer ours');
  }

  /** Appends what a replica received, in one transaction; events already in the inbox (same agent, session, seq) are skipped. Ids follow commit order. */
  async appendInbox(rows: ReadonlyArray<{ at: number; topic: string; payload: Buffer; eventKey: string | null }>): Promise<void> {
    if (rows.length === 0) return;
    await this.inTransaction(async (client) => {
      // one appender at a time: an id is visible to the leader only after every smaller one is
      await client.query('LOCK TABLE inbox IN EXCLUSIVE MODE');
      await client.query(
        'INSERT INTO inbox (at, topic, payload, event_key) SELECT a, t, p, k FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::text[]) WITH ORDINALITY AS u(a, t, p, k, n) ORDER BY n ON CONFLICT (event_key) DO NOTHING',
        [rows.map((r) => r.at), rows.map((r) => r.topic), rows.map((r) => r.payload), rows.map((r) => r.eventKey)],
      );
    });
  }

  async readInbox(after: number, limit: number): Promise<InboxRow[]> {
    return (await this.pool.query<InboxRow>('SELECT id, at, topic, payload FROM inbox WHERE id > $1 ORDER BY id LIMIT $2', [after, limit])).rows;
  }

  /** Drops inbox rows the leader applied (id ≤ cursor) that are older than `before`. */
  async pruneInbox(cursor: number, before: number): Promise<number> {
    return (await this.pool.query('DELETE FROM inbox WHERE id <= $1 AND at < $2', [cursor, before])).rowCount ?? 0;
  }

  async readMeta(key: string): Promise<string | undefined> {
    return (await this.rows<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]))[0]?.value;
  }

  /**
   * Tries to become the leader of the replicas: a session-level advisory lock
   * on a connection of its own, held while the process lives. `lost` is
   * called if that connection breaks (the lock is gone with it). On success
   * every later write checks the lock is still ours, and the inbox cursor is
   * read FOR UPDATE: a leader that lost the lock mid-write has committed or
   * rolled back before this returns.
   */
  async tryLeadership(lost: (err: Error) => void): Promise<number | undefined> {
    const client = new pg.Client({ connectionString: this.deps.url, types, application_name: 'xueliang-aggregator-leader' });
    client.on('error', () => undefined);
    await client.connect();
    const got = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [LEADER_LOCK])).rows[0]?.ok === true;
    if (!got) {
      await client.end().catch(() => undefined);
      return undefined;
    }
    this.leader = client;
    this.leaderPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    client.on('error', (err) => lost(err));
    client.on('end', () => lost(new Error('the connection holding the leader lock closed')));
    await client.query('BEGIN');
    const cursor = Number((await client.query<{ value: string }>("SELECT value FROM meta WHERE key = 'inbox_cursor' FOR UPDATE")).rows[0]?.value ?? 0);
    await client.query('COMMIT');
    return cursor;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.batch.close();
    this.closed = true;
    await this.thread?.close();
    if (this.leader) {
      this.leader.removeAllListeners('end');
      await this.leader.end().catch(() => undefined);
    }
    await this.pool.end();
  }
}
