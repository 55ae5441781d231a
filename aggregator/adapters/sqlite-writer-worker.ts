/**
 * The SQLite writer thread: the store's batches are committed here, on a
 * connection of its own, so the statements and the commit's page writes
 * leave the thread that takes MQTT messages and answers HTTP. The main
 * thread reads through its own connection (WAL: it sees every commit that
 * finished before the read began).
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SqliteWriter, type WriterReply, type WriterRequest } from './sqlite-writer.js';

const { file } = workerData as { file: string };
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
const writer = new SqliteWriter(db);
const port = parentPort!;

port.on('message', (req: WriterRequest | { op: 'close' }) => {
  if (req.op === 'close') {
    db.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    const result = req.op === 'apply' ? writer.apply(req.rows) : req.op === 'prune' ? writer.prune(req.before) : writer.trimNotices(req.max);
    reply = { id: req.id, ok: true, result };
  } catch (err) {
    const e = err as Error & { code?: string };
    reply = { id: req.id, ok: false, message: e.message, ...(e.code ? { code: e.code } : {}) };
  }
  port.postMessage(reply);
});
port.postMessage({ id: 0, ok: true });
