import pino from 'pino';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../aggregator/adapters/sqlite-store.js';
import type { CameraStatusMessage } from '../../protocols/index.js';

// The SQLite store's reads for reports go in pages (the event loop given back between them): what they return
// must not depend on where a page ends, nor on how many rows of a page fall in the period asked for.
describe('store: reads for a period, in pages (SQLite)', () => {
  const status = (cameraId: string): CameraStatusMessage => ({
    cameraId, name: cameraId, state: 'online', since: null, checkedAt: null, rung: null, reason: null, detail: null, consecutiveFailures: 0,
    source: 'rtsp', address: 'h:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: null, category: null, faults: [], rungs: [],
  } as unknown as CameraStatusMessage);

  it('store: cameras of a period and marks before a time, across pages, whichever rows of a page match', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'xl-pages-')), 'agg.db');
    const store = new SqliteStore({ file, log: pino({ level: 'silent' }) });
    await store.open();
    const N = 2600;
    const id = (i: number) => `c${String(i).padStart(5, '0')}`;
    // cameras 0–1499 came at 5,000 (after the period [1,000, 2,000)); 1500–2599 at 500, of which every 7th was removed at 800 (before it)
    for (let i = 0; i < N; i++) store.record({ kind: 'camera', cameraId: id(i), agentId: 'gw', status: status(id(i)), firstSeen: i < 1500 ? 5000 : 500 });
    for (let i = 1500; i < N; i += 7) store.record({ kind: 'cameraRemoved', cameraId: id(i), at: 800 });
    // marks: three per camera, written camera by camera and then a late one for every third, so rowids interleave times
    const written: Array<{ cameraId: string; at: number; state: 'online' | 'offline' | 'unknown' }> = [];
    for (let i = 0; i < N; i++) for (const at of [100, 3000, 1500]) written.push({ cameraId: id(i), at: at + (i % 400), state: at === 3000 ? 'offline' : 'online' });
    for (let i = 0; i < N; i += 3) written.push({ cameraId: id(i), at: 50 + (i % 40), state: 'unknown' });
    for (const m of written) store.record({ kind: 'mark', ...m });
    await store.flush();

    const inPeriod = await store.camerasInPeriod(1000, 2000);
    const expected = Array.from({ length: N }, (_, i) => i).filter((i) => i >= 1500 && (i - 1500) % 7 !== 0).map(id);
    expect(inPeriod.map((c) => c.cameraId)).toEqual(expected);
    expect(inPeriod[0]).toMatchObject({ agentId: 'gw', firstSeen: 500, removedAt: null });
    expect(JSON.parse(inPeriod[0]!.statusJson).cameraId).toBe(expected[0]);
    // a period before every camera: none, and the same read over a table where no row matches
    expect(await store.camerasInPeriod(0, 400)).toEqual([]);

    const asked = new Set([id(0), id(1), id(999), id(1000), id(2599), 'nobody']);
    const marks = await store.marksBefore(2000, asked);
    // each asked camera's marks before 2,000, in time order
    const expectedMarks = new Map<string, Array<{ at: number; state: string }>>();
    for (const m of [...written].sort((a, b) => a.at - b.at)) {
      if (m.at >= 2000 || !asked.has(m.cameraId)) continue;
      expectedMarks.set(m.cameraId, [...(expectedMarks.get(m.cameraId) ?? []), { at: m.at, state: m.state }]);
    }
    expect(expectedMarks.size).toBe(5);
    expect(new Map([...marks].sort())).toEqual(new Map([...expectedMarks].sort()));
    // nothing before the first mark
    expect((await store.marksBefore(50, asked)).size).toBe(0);
    await store.close();
  });
});
