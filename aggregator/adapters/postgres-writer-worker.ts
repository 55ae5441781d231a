/**
 * The PostgreSQL writer thread of the one aggregator (replicas write on the
 * main thread, where the leader's fence is checked): each batch is sent in one
 * transaction, a statement per run of one kind (statementsFor), on a
 * connection of its own, so the driver's serialisation and round trips leave
 * the thread that takes MQTT messages.
 */
import { workerData } from 'node:worker_threads';
import pg from 'pg';
import { statementsFor, type Op } from './postgres-store.js';
import { serveWriter, unflattenRows, type FlatRows } from './writer-thread.js';

await serveWriter(async () => {
  const { url } = workerData as { url: string };
  // a pool of one: a connection the server closed is replaced at the next batch (which the store sends again)
  const pool = new pg.Pool({ connectionString: url, max: 1, application_name: 'xueliang-aggregator-writer', connectionTimeoutMillis: 10_000 });
  pool.on('error', () => undefined);
  (await pool.connect()).release();
  return {
    handlers: {
      apply: async (flat: FlatRows) => {
        const ops: Op[] = unflattenRows(flat).map(([kind, row]) => ({ kind, row }));
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          for (const s of statementsFor(ops)) await client.query(s.sql, s.params);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        } finally {
          client.release();
        }
      },
    },
    close: () => pool.end(),
  };
});
