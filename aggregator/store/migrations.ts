/**
 * The aggregator's schema, as numbered migrations for each engine. A store
 * runs, in order and each in its own transaction, those above the highest
 * version in its `schema_migrations` table, at every start. Add a migration
 * at the end; never edit one that has shipped.
 */
export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'base schema',
    // IF NOT EXISTS: a SQLite file made before migrations were numbered (0.1.0) adopts version 1 as it is
    sqlite: `
      CREATE TABLE IF NOT EXISTS agents (agent_id TEXT PRIMARY KEY, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS cameras (camera_id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, status_json TEXT NOT NULL, first_seen INTEGER NOT NULL, removed_at INTEGER);
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
    `,
    // times are epoch milliseconds (bigint); marks and versions keep their order of writing in an identity column
    postgres: `
      CREATE TABLE agents (agent_id text PRIMARY KEY, json text NOT NULL);
      CREATE TABLE cameras (camera_id text PRIMARY KEY, agent_id text NOT NULL, status_json text NOT NULL, first_seen bigint NOT NULL, removed_at bigint);
      CREATE TABLE events (
        agent_id text NOT NULL, session text NOT NULL, seq bigint NOT NULL, ts bigint NOT NULL, camera_id text NOT NULL,
        PRIMARY KEY (agent_id, session, seq));
      CREATE TABLE marks (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, camera_id text NOT NULL, at bigint NOT NULL, state text NOT NULL);
      CREATE INDEX marks_by_camera ON marks (camera_id, at, id);
      CREATE INDEX marks_by_time ON marks (at);
      CREATE TABLE plan (id integer PRIMARY KEY CHECK (id = 1), json text NOT NULL);
      CREATE TABLE losses (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, json text NOT NULL);
      CREATE TABLE plan_versions (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at bigint NOT NULL, json text NOT NULL);
      CREATE TABLE maintenance (id text PRIMARY KEY, json text NOT NULL);
      CREATE TABLE alerts (id text PRIMARY KEY, json text NOT NULL, active boolean NOT NULL);
      CREATE TABLE alert_outbox (seq bigint PRIMARY KEY, json text NOT NULL);
      CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
      CREATE TABLE recording_checks (
        camera_id text NOT NULL, checked_at bigint NOT NULL, supported boolean NOT NULL, recorded_sec double precision, scheduled_sec double precision,
        PRIMARY KEY (camera_id, checked_at));
    `,
  },
  {
    version: 2,
    name: 'inbox of replicas',
    // replicas sharing the ingest append what they receive here; the leader applies it in id order (PostgreSQL only; the table keeps the schemas alike)
    sqlite: `CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL, event_key TEXT UNIQUE);`,
    postgres: `
      CREATE TABLE inbox (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at bigint NOT NULL, topic text NOT NULL, payload bytea NOT NULL, event_key text UNIQUE);
      INSERT INTO meta (key, value) VALUES ('inbox_cursor', '0') ON CONFLICT (key) DO NOTHING;
    `,
  },
  {
    version: 3,
    name: 'totals of closed days',
    // per local day, region (every level and the whole) and category: what the 30-day trend and /api/rates/daily read
    sqlite: `
      CREATE TABLE IF NOT EXISTS daily_totals (
        day TEXT NOT NULL, region TEXT NOT NULL, category TEXT NOT NULL, from_ms INTEGER NOT NULL, to_ms INTEGER NOT NULL,
        online_ms REAL NOT NULL, unknown_ms REAL NOT NULL, observed_ms REAL NOT NULL, installed INTEGER NOT NULL, networked INTEGER NOT NULL, intact INTEGER NOT NULL,
        computed_at INTEGER NOT NULL,
        PRIMARY KEY (region, category, day)) WITHOUT ROWID;
    `,
    postgres: `
      CREATE TABLE daily_totals (
        day text NOT NULL, region text NOT NULL, category text NOT NULL, from_ms bigint NOT NULL, to_ms bigint NOT NULL,
        online_ms double precision NOT NULL, unknown_ms double precision NOT NULL, observed_ms double precision NOT NULL,
        installed bigint NOT NULL, networked bigint NOT NULL, intact bigint NOT NULL, computed_at bigint NOT NULL,
        PRIMARY KEY (region, category, day));
    `,
  },
  {
    version: 4,
    name: 'audit trail',
    // append-only: the centre inserts, never updates or deletes (retention aside); each row chains to the one before
    sqlite: `
      CREATE TABLE IF NOT EXISTS audit (
        seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, source TEXT NOT NULL, user_agent TEXT NOT NULL,
        action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
    `,
    postgres: `
      CREATE TABLE audit (
        seq bigint PRIMARY KEY, at bigint NOT NULL, actor text NOT NULL, source text NOT NULL, user_agent text NOT NULL,
        action text NOT NULL, target text NOT NULL, detail text NOT NULL, prev_hash text NOT NULL, hash text NOT NULL);
    `,
  },
  {
    version: 5,
    name: 'accounts, sessions and API tokens',
    // the doors of the centre (docs/security.md); audit_pending holds records written where the chain is not held (the CLI) until the centre chains them in
    sqlite: `
      CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, regions TEXT NOT NULL, hash TEXT NOT NULL, disabled INTEGER NOT NULL,
        created_at INTEGER NOT NULL, changed_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS sessions (
        id_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL, csrf TEXT NOT NULL, created_at INTEGER NOT NULL, seen_at INTEGER NOT NULL,
        source TEXT NOT NULL, user_agent TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_name);
      CREATE TABLE IF NOT EXISTS api_tokens (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL, role TEXT NOT NULL, regions TEXT NOT NULL, user_name TEXT,
        created_by TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER);
      CREATE TABLE IF NOT EXISTS audit_pending (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL, source TEXT NOT NULL, user_agent TEXT NOT NULL,
        action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);
    `,
    postgres: `
      CREATE TABLE users (
        name text PRIMARY KEY, role text NOT NULL, regions text NOT NULL, hash text NOT NULL, disabled integer NOT NULL,
        created_at bigint NOT NULL, changed_at bigint NOT NULL);
      CREATE TABLE sessions (
        id_hash text PRIMARY KEY, user_name text NOT NULL, csrf text NOT NULL, created_at bigint NOT NULL, seen_at bigint NOT NULL,
        source text NOT NULL, user_agent text NOT NULL);
      CREATE INDEX sessions_by_user ON sessions (user_name);
      CREATE TABLE api_tokens (
        id text PRIMARY KEY, name text NOT NULL, hash text NOT NULL, role text NOT NULL, regions text NOT NULL, user_name text,
        created_by text NOT NULL, created_at bigint NOT NULL, expires_at bigint, revoked_at bigint);
      CREATE TABLE audit_pending (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at bigint NOT NULL, actor text NOT NULL, source text NOT NULL, user_agent text NOT NULL,
        action text NOT NULL, target text NOT NULL, detail text NOT NULL);
    `,
  },
  {
    version: 6,
    name: 'sessions of directory users',
    // a directory (LDAP) user has no row in users: the session keeps the role and regions its groups gave at the login
    sqlite: `ALTER TABLE sessions ADD COLUMN grant_json TEXT;`,
    postgres: `ALTER TABLE sessions ADD COLUMN grant_json text;`,
  },
  {
    version: 7,
    name: 'causes of outages',
    // why a camera was down (camera, device, network; null when its check passed), from when: an assessment of a closed period splits what was not networked by cause
    sqlite: `
      CREATE TABLE IF NOT EXISTS causes (camera_id TEXT NOT NULL, at INTEGER NOT NULL, cause TEXT);
      CREATE INDEX IF NOT EXISTS causes_by_at ON causes (at);
    `,
    postgres: `
      CREATE TABLE causes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, camera_id text NOT NULL, at bigint NOT NULL, cause text);
      CREATE INDEX causes_by_at ON causes (at);
    `,
  },
  {
    version: 8,
    name: 'evidence frames',
    // the reference and the last few frames of each camera's picture checks (JPEG, base64), kept bounded (store/frames.ts)
    sqlite: `
      CREATE TABLE IF NOT EXISTS frames (camera_id TEXT NOT NULL, at INTEGER NOT NULL, kind TEXT NOT NULL, json TEXT NOT NULL, jpeg TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS frames_by_camera ON frames (camera_id, at);
    `,
    postgres: `
      CREATE TABLE frames (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, camera_id text NOT NULL, at bigint NOT NULL, kind text NOT NULL, json text NOT NULL, jpeg text NOT NULL);
      CREATE INDEX frames_by_camera ON frames (camera_id, at);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/** The migrations a store at `current` still needs, in order; an error when the store is newer than this program. */
export function pendingMigrations(current: number): Migration[] {
  if (current > SCHEMA_VERSION) throw new Error(`the database is at schema version ${current}, newer than this xueliang (${SCHEMA_VERSION}): run the newer version, or restore a backup`);
  return MIGRATIONS.filter((m) => m.version > current);
}
