import type { Logger } from 'pino';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { AggregatorStore } from '../store/port.js';

/**
 * Which engine a `database` setting names: `postgres://…` or
 * `postgresql://…` (libpq's URL, `?host=/run/postgresql` for a unix socket);
 * `sqlite:///var/lib/xueliang/aggregator.db`, a plain file path, or
 * `:memory:` for SQLite.
 */
export function storeTarget(database: string): { engine: 'postgres'; url: string } | { engine: 'sqlite'; file: string } {
  if (/^postgres(ql)?:\/\//i.test(database)) return { engine: 'postgres', url: database };
  const m = /^sqlite:\/\/(.*)$/i.exec(database);
  if (m) return { engine: 'sqlite', file: m[1] || ':memory:' };
  return { engine: 'sqlite', file: database };
}

/**
 * The store the setting names, not opened yet. Its writes run in a thread of
 * their own where the package is built, except for replicas (whose leader's
 * writes are fenced on the main thread).
 */
export function createStore(database: string, log: Logger, opts: { replicas?: boolean } = {}): AggregatorStore {
  const t = storeTarget(database);
  return t.engine === 'postgres' ? new PostgresStore({ url: t.url, log, writerThread: !opts.replicas }) : new SqliteStore({ file: t.file, log });
}
