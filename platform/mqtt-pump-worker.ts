/**
 * The MQTT receiving thread of a consumer (mqtt-pump.ts): one MqttConnection
 * with held PUBACKs; messages go to the main thread in batches, in order,
 * each batch's acks sent once the main thread says its messages are stored.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Writable } from 'node:stream';
import pino from 'pino';
import { MqttConnection, type MqttSettings } from './mqtt-client.js';
import type { PumpCommand, PumpEvent } from './mqtt-pump.js';
import { REDACT_PATHS } from './redact.js';
import { decode, type DecodeOptions, type DecodeResult, type TopicKind } from '../protocols/index.js';

const port = parentPort!;
const { settings, level, maxOutstanding, released, decode: decoding } = workerData as {
  settings: MqttSettings;
  level: string;
  maxOutstanding: number;
  released: Int32Array;
  decode: { root: string; accept: TopicKind[]; bounded: TopicKind[]; maxBytes: number } | undefined;
};
const bounded = new Set(decoding?.bounded ?? []);
const decodeOptions: DecodeOptions | undefined = decoding && { accept: new Set(decoding.accept), maxBytes: (kind) => (bounded.has(kind) ? decoding.maxBytes : undefined) };
const post = (e: PumpEvent, transfer?: ArrayBuffer[]) => port.postMessage(e, transfer);

// log lines go to the main thread, which writes them where its own go
const lines = new Writable({
  write(chunk: Buffer, _enc, cb) {
    for (const line of chunk.toString('utf8').split('\n')) if (line) post({ op: 'log', line });
    cb();
  },
});
const log = pino({ level, redact: { paths: REDACT_PATHS, censor: '***' }, formatters: { level: (label) => ({ level: label }) } }, lines).child({ module: 'mqtt' });

/** messages handed to the main thread whose acks wait */
let outstanding = 0;
let resume: (() => void) | undefined;
/** batches posted and not yet stored: their count and the acks to send, in order */
const waiting: Array<{ id: number; count: number; send: () => number }> = [];
let batchId = 0;
let topics: string[] = [];
let chunks: Buffer[] = [];
let bytes = 0;
/** with decoding: the messages decoded since the last batch */
let items: Array<{ topic: string; bytes: number; result: DecodeResult }> = [];
let scheduled = false;

const conn = new MqttConnection({
  settings: { ...settings, deferAcks: true },
  log,
  // the main thread applies what it is given before it asks for more: bound what waits for it
  hold: () => (outstanding >= maxOutstanding ? new Promise<void>((r) => (resume = r)) : undefined),
});

/** Sends what was received since the last batch, with the acks of those messages kept for their release. */
function flush(): void {
  scheduled = false;
  if (decodeOptions) {
    if (items.length === 0) return;
    batchId += 1;
    waiting.push({ id: batchId, count: items.length, send: conn.takeAcks() });
    post({ op: 'decoded', id: batchId, items });
    items = [];
    return;
  }
  if (topics.length === 0) return;
  const payload = Buffer.concat(chunks, bytes);
  const ends = new Uint32Array(topics.length);
  let at = 0;
  for (let i = 0; i < chunks.length; i++) ends[i] = at += chunks[i]!.length;
  batchId += 1;
  waiting.push({ id: batchId, count: topics.length, send: conn.takeAcks() });
  // a pooled small buffer is a view on a shared arena: transfer only a buffer of its own
  const own = payload.byteOffset === 0 && payload.byteLength === payload.buffer.byteLength;
  post({ op: 'batch', id: batchId, topics, payload, ends }, own ? [payload.buffer as ArrayBuffer, ends.buffer] : [ends.buffer]);
  topics = [];
  chunks = [];
  bytes = 0;
}

conn.onMessage((m) => {
  // a full batch goes before this message joins: the acks of every message in it are held by now (each message's
  // ack is held when its handler has returned), so a batch's release sends exactly its own messages' acks
  if (topics.length + items.length >= 1000) flush();
  if (decodeOptions) items.push({ topic: m.topic, bytes: m.payload.length, result: decode(decoding!.root, m.topic, m.payload, decodeOptions) });
  else {
    topics.push(m.topic);
    chunks.push(m.payload);
    bytes += m.payload.length;
  }
  outstanding += 1;
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
});
// connected once the broker has the subscriptions: what is published from then on reaches us
conn.onSubscribed(() => post({ op: 'connected' }));

/** Sends the acks of every batch up to `upTo` (stored by the main thread), and reads on if the bound allows. */
function release(upTo: number): void {
  while (waiting.length > 0 && waiting[0]!.id <= upTo) {
    const w = waiting.shift()!;
    w.send();
    outstanding -= w.count;
  }
  if (outstanding < maxOutstanding && resume) {
    const r = resume;
    resume = undefined;
    r();
  }
}

let stopping = false;
/** Atomics.waitAsync (ES2024; in Node.js since 16), typed here: the project's lib is ES2023 */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): { async: false; value: string } | { async: true; value: Promise<string> } }).waitAsync;
// the main thread stores the last stored batch and notifies: woken, the acks go out
void (async () => {
  let seen = 0;
  while (!stopping) {
    const w = waitAsync(released, 0, seen, 1000);
    if (w.async) await w.value;
    const now = Atomics.load(released, 0);
    if (now !== seen) {
      seen = now;
      release(now);
    }
  }
})();

port.on('message', async (c: PumpCommand) => {
  if (c.op === 'subscribe') conn.subscribe(c.filter, c.opts);
  else if (c.op === 'start') conn.start();
  else if (c.op === 'stop') {
    stopping = true;
    // what the main thread stored before it asked us to stop is acknowledged before we disconnect
    release(Atomics.load(released, 0));
    await conn.stop(undefined, 2000);
    post({ op: 'stopped' });
    port.close();
  }
});
