import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parentPort, Worker } from 'node:worker_threads';
import { WRITES, type Row, type WriteKind } from '../store/changes.js';

/**
 * A store's writer thread: the main thread calls, the thread answers each
 * call in order. Both engines use it to keep their statements, the driver's
 * serialisation and the commit off the thread that takes MQTT messages.
 */

export type WriterCall = { id: number; op: string; args: unknown[] };
export type WriterAnswer = { id: number; ok: true; result?: unknown } | { id: number; ok: false; message: string; code?: string };

/** The script of a writer thread beside this file once built (dist/); undefined from the TypeScript sources (the unit tests), where the store writes on the main thread. */
export function writerScript(name: string): string | undefined {
  const file = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  return existsSync(file) ? file : undefined;
}

export interface WriterThread {
  call<T>(op: string, ...args: unknown[]): Promise<T>;
  /** Asks the thread to close its connection, then ends it. */
  close(): Promise<void>;
}

/** Starts a writer thread and waits for it to say it is ready (its connection open). */
export async function startWriterThread(script: string, workerData: unknown): Promise<WriterThread> {
  const worker = new Worker(script, { workerData });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 1;
  let failed: Error | undefined;
  const fail = (err: Error) => {
    failed ??= err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  await new Promise<void>((resolve, reject) => {
    worker.once('message', (a: WriterAnswer) => (a.ok ? resolve() : reject(new Error(a.message))));
    worker.once('error', reject);
  });
  worker.on('message', (a: WriterAnswer) => {
    const w = waiting.get(a.id);
    if (!w) return;
    waiting.delete(a.id);
    if (a.ok) w.resolve(a.result);
    else w.reject(Object.assign(new Error(a.message), a.code ? { code: a.code } : {}));
  });
  worker.on('error', (err) => fail(err));
  worker.on('exit', (code) => fail(new Error(`the writer thread ended (exit code ${code})`)));
  return {
    call: <T>(op: string, ...args: unknown[]): Promise<T> => {
      if (failed) return Promise.reject(failed);
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        worker.postMessage({ id, op, args } satisfies WriterCall);
      });
    },
    close: async () => {
      if (!failed) {
        const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        worker.postMessage({ id: 0, op: 'close', args: [] } satisfies WriterCall);
        await Promise.race([gone, new Promise<void>((r) => setTimeout(r, 5000).unref())]);
      }
      await worker.terminate();
    },
  };
}

/**
 * The thread's side: opens what `open` returns, says it is ready, then
 * answers each call with the handler of its op, in order (a call that returns
 * a promise is waited for before the next); `close` ends the thread.
 */
export async function serveWriter(open: () => Promise<{ handlers: Record<string, (...args: never[]) => unknown>; close: () => Promise<void> | void }>): Promise<void> {
  const port = parentPort!;
  let served: Awaited<ReturnType<typeof open>>;
  try {
    served = await open();
  } catch (err) {
    port.postMessage({ id: 0, ok: false, message: (err as Error).message } satisfies WriterAnswer);
    return;
  }
  port.postMessage({ id: 0, ok: true } satisfies WriterAnswer);
  let chain = Promise.resolve();
  port.on('message', (c: WriterCall) => {
    chain = chain.then(async () => {
      if (c.op === 'close') {
        await served.close();
        port.close();
        return;
      }
      let answer: WriterAnswer;
      try {
        const handler = served.handlers[c.op];
        if (!handler) throw new Error(`no writer op ${c.op}`);
        answer = { id: c.id, ok: true, result: await (handler as (...a: unknown[]) => unknown)(...c.args) };
      } catch (err) {
        const e = err as Error & { code?: string };
        answer = { id: c.id, ok: false, message: e.message, ...(typeof e.code === 'string' ? { code: e.code } : {}) };
      }
      port.postMessage(answer);
    });
  });
}

/**
 * A batch of rows as two flat lists (the kinds, and every value one after
 * another, each row as wide as its kind's columns): half the cost of cloning
 * a list of small arrays to the thread, where a batch is thousands of rows.
 */
export interface FlatRows {
  kinds: WriteKind[];
  values: Row;
}

export function flattenRows(rows: ReadonlyArray<readonly [WriteKind, Row]>): FlatRows {
  const kinds: WriteKind[] = new Array(rows.length);
  const values: Row = [];
  for (let i = 0; i < rows.length; i++) {
    const [kind, row] = rows[i]!;
    kinds[i] = kind;
    for (const v of row) values.push(v);
  }
  return { kinds, values };
}

export function unflattenRows(flat: FlatRows): Array<[WriteKind, Row]> {
  const out: Array<[WriteKind, Row]> = new Array(flat.kinds.length);
  let at = 0;
  for (let i = 0; i < flat.kinds.length; i++) {
    const kind = flat.kinds[i]!;
    const width = WRITES[kind].columns.length;
    out[i] = [kind, flat.values.slice(at, at + width)];
    at += width;
  }
  return out;
}
