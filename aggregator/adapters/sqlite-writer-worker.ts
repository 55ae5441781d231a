/**
 * The SQLite writer thread: the store's batches are committed here, on a
 * connection of its own, so the statements and the commit's page writes
 * leave the thread that takes MQTT messages and answers HTTP. The main
 * thread reads through its own connection (WAL: it sees every commit that
 * finished before the read began).
 */
import { workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SqliteWriter } from './sqlite-writer.js';
import { serveWriter, unflattenRows, type FlatRows } from './writer-thread.js';

await serveWriter(async () => {
  const { file } = workerData as { file: string };
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  const writer = new SqliteWriter(db);
  return {
    handlers: {
      apply: (rows: FlatRows) => writer.apply(unflattenRows(rows)),
      prune: (before: number) => writer.prune(before),
      trimNotices: (max: number) => writer.trimNotices(max),
    },
    close: () => void db.close(),
  };
});
