import pino from 'pino';
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../aggregator/adapters/sqlite-store.js';
import { FRAMES_KEPT } from '../../aggregator/store/changes.js';

// The SQLite store's own bookkeeping of history: pruning and the evidence frames kept.
describe('store: pruning and frames (SQLite)', () => {
  const open = async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'xl-prune-')), 'agg.db');
    const store = new SqliteStore({ file, log: pino({ level: 'silent' }) });
    await store.open();
    return { store, file };
  };

  it('store: pruning keeps the mark and the cause in force at the cut, also when another camera has none before it', async () => {
    const { store, file } = await open();
    for (const [cameraId, at, state] of [['old', 1, 'online'], ['old', 2, 'offline'], ['old', 3, 'online'], ['new', 100, 'online']] as const) store.record({ kind: 'mark', cameraId, at, state });
    for (const [cameraId, at, cause] of [['old', 2, 'network'], ['old', 3, null], ['new', 101, 'camera']] as const) store.record({ kind: 'cause', cameraId, at, cause });
    await store.flush();
    await store.prune(50);
    await store.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT camera_id, at FROM marks ORDER BY camera_id, at').all()).toEqual([
      { camera_id: 'new', at: 100 },
      { camera_id: 'old', at: 3 },
    ]);
    expect(db.prepare('SELECT camera_id, at FROM causes ORDER BY camera_id, at').all()).toEqual([
      { camera_id: 'new', at: 101 },
      { camera_id: 'old', at: 3 },
    ]);
    db.close();
  });

  it(`store: a camera keeps its newest reference and its ${FRAMES_KEPT} newest other frames; pruning spares the reference`, async () => {
    const { store } = await open();
    const frame = (cameraId: string, at: number, frameKind: 'fault' | 'cleared' | 'reference') => store.record({ kind: 'frame', cameraId, at, frameKind, json: '{}', jpeg: `${at}` });
    frame('c1', 1, 'reference');
    frame('c1', 2, 'reference');
    for (let at = 10; at < 20; at++) frame('c1', at, at % 2 ? 'fault' : 'cleared');
    frame('c2', 5, 'fault');
    await store.flush();
    expect((await store.framesOf('c1')).map((f) => [f.at, f.kind])).toEqual([
      [19, 'fault'],
      [18, 'cleared'],
      [17, 'fault'],
      [16, 'cleared'],
      [15, 'fault'],
      [2, 'reference'],
    ]);
    await store.prune(100);
    expect((await store.framesOf('c1')).map((f) => f.at)).toEqual([2]);
    expect(await store.framesOf('c2')).toEqual([]);
    await store.close();
  });
});
