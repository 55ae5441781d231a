import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { statementsFor } from '../../aggregator/adapters/postgres-store.js';
import { EventKeyIndex } from '../../aggregator/fleet/event-keys.js';
import { MIGRATIONS, pendingMigrations, SCHEMA_VERSION } from '../../aggregator/store/migrations.js';

describe('event key index', () => {
  it('event keys: a key is new once, in any order, across holes', () => {
    const ix = new EventKeyIndex();
    const order = [1, 2, 3, 7, 5, 4, 6, 10, 9, 8];
    for (const seq of order) expect(ix.add('gw', 's1', seq, seq)).toBe(true);
    for (const seq of order) expect(ix.add('gw', 's1', seq, seq)).toBe(false);
    // one run of 1..10: the holes closed and merged
    expect(ix.size).toBe(1);
    // another session and another agent are other keys
    expect(ix.add('gw', 's2', 1, 0)).toBe(true);
    expect(ix.add('gw2', 's1', 1, 0)).toBe(true);
  });

  it('event keys: stored runs from the engine, then a gap filled between them', () => {
    const ix = new EventKeyIndex();
    ix.addRange('gw', 's', 1, 100, 1000);
    ix.addRange('gw', 's', 200, 300, 2000);
    expect(ix.size).toBe(2);
    expect(ix.add('gw', 's', 50, 0)).toBe(false);
    expect(ix.add('gw', 's', 250, 0)).toBe(false);
    expect(ix.add('gw', 's', 150, 0)).toBe(true);
    expect(ix.add('gw', 's', 150, 0)).toBe(false);
    expect(ix.size).toBe(3);
    ix.addRange('gw', 's', 101, 199, 1500);
    expect(ix.size).toBe(1);
    expect(ix.add('gw', 's', 301, 0)).toBe(true);
    expect(ix.size).toBe(1);
  });

  it('event keys: pruning forgets whole sessions by their last event', () => {
    const ix = new EventKeyIndex();
    ix.add('gw', 'old', 1, 1000);
    ix.add('gw', 'new', 1, 5000);
    ix.dropOlderThan(2000);
    expect(ix.add('gw', 'old', 1, 6000)).toBe(true);
    expect(ix.add('gw', 'new', 1, 6000)).toBe(false);
  });

  it('event keys: random order against a set', () => {
    let x = 42;
    const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const ix = new EventKeyIndex();
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const seq = 1 + Math.floor(rand() * 2000);
      expect(ix.add('a', 's', seq, i)).toBe(!seen.has(seq));
      seen.add(seq);
    }
  });
});

describe('PostgreSQL write batches', () => {
  it('store writes: one statement per run of a kind, tables apart, order kept within a table', () => {
    const s = statementsFor([
      { kind: 'agent', row: ['gw', '{"v":1}'] },
      { kind: 'event', row: ['gw', 's', 1, 10, 'c1'] },
      { kind: 'mark', row: ['c1', 10, 'online'] },
      { kind: 'event', row: ['gw', 's', 2, 20, 'c1'] },
      { kind: 'mark', row: ['c1', 20, 'offline'] },
      { kind: 'proveMark', row: ['c1', 5, 'online'] },
      { kind: 'mark', row: ['c1', 30, 'online'] },
      { kind: 'agent', row: ['gw', '{"v":2}'] },
    ]);
    const sql = s.map((x) => x.sql.split(' ').slice(0, 3).join(' '));
    expect(sql).toEqual(['INSERT INTO agents', 'INSERT INTO events', 'INSERT INTO marks', 'UPDATE marks m', 'INSERT INTO marks']);
    // the two agent rows of one run: one row, the last
    expect(s[0]!.params).toEqual([['gw'], ['{"v":2}']]);
    // columns as arrays, rows in their order
    expect(s[1]!.params).toEqual([['gw', 'gw'], ['s', 's'], [1, 2], [10, 20], ['c1', 'c1']]);
    expect(s[2]!.params).toEqual([['c1', 'c1'], [10, 20], ['online', 'offline']]);
    expect(s[4]!.params).toEqual([['c1'], [30], ['online']]);
  });

  it('store writes: a mark proven twice in a run keeps the first proof (the second would find it no longer unknown)', () => {
    const s = statementsFor([
      { kind: 'proveMark', row: ['c1', 5, 'online'] },
      { kind: 'proveMark', row: ['c1', 5, 'offline'] },
    ]);
    expect(s).toHaveLength(1);
    expect(s[0]!.params).toEqual([['c1'], [5], ['online']]);
  });

  it('store writes: a camera saved, removed and saved again keeps that order', () => {
    const s = statementsFor([
      { kind: 'camera', row: ['c1', 'gw', '{}', 1] },
      { kind: 'removeCamera', row: ['c1', 2] },
      { kind: 'camera', row: ['c1', 'gw', '{}', 1] },
    ]);
    expect(s.map((x) => x.sql.split(' ')[0])).toEqual(['INSERT', 'UPDATE', 'INSERT']);
  });
});

describe('migrations', () => {
  it('migrations: numbered from 1 without holes, each for both engines; a newer database is refused', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    for (const m of MIGRATIONS) expect(m.sqlite.length > 0 && m.postgres.length > 0).toBe(true);
    expect(pendingMigrations(0)).toHaveLength(MIGRATIONS.length);
    expect(pendingMigrations(SCHEMA_VERSION)).toEqual([]);
    expect(() => pendingMigrations(SCHEMA_VERSION + 1)).toThrow(/newer than this xueliang/);
  });
});

describe('SQLite file of an earlier version', () => {
  it('migrations: a file made before migrations were numbered (no removed_at, no schema_migrations) opens and keeps its rows', async () => {
    const { mkdtempSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { default: Database } = await import('better-sqlite3');
    const { SqliteStore } = await import('../../aggregator/adapters/sqlite-store.js');
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'xl-old-db-')), 'agg.db');
    const status = { cameraId: 'c1', name: null, state: 'online', since: '2026-12-01T00:00:00.000Z', checkedAt: null, rung: null, reason: null, detail: null, consecutiveFailures: 0, source: 'rtsp', address: 'h:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: null, category: null, faults: [], rungs: [] };
    const old = new Database(file);
    old.exec(`CREATE TABLE agents (agent_id TEXT PRIMARY KEY, json TEXT NOT NULL);
      CREATE TABLE cameras (camera_id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, status_json TEXT NOT NULL, first_seen INTEGER NOT NULL);
      CREATE TABLE marks (camera_id TEXT NOT NULL, at INTEGER NOT NULL, state TEXT NOT NULL);
      INSERT INTO cameras VALUES ('c1', 'gw', '${JSON.stringify(status)}', 5);
      INSERT INTO marks VALUES ('c1', 5, 'online');`);
    old.close();
    const store = new SqliteStore({ file, log: pino({ level: 'silent' }) });
    await store.open();
    const snap = await store.load();
    expect(snap.cameras).toEqual([{ cameraId: 'c1', agentId: 'gw', status, firstSeen: 5 }]);
    expect(snap.marks.get('c1')).toEqual([{ at: 5, state: 'online' }]);
    store.record({ kind: 'cameraRemoved', cameraId: 'c1', at: 9 });
    await store.flush();
    expect((await store.load()).removals.get('c1')).toBe(9);
    await store.close();
    // opened again: nothing left to migrate
    const again = new SqliteStore({ file, log: pino({ level: 'silent' }) });
    await again.open();
    expect((await again.load()).removals.get('c1')).toBe(9);
    await again.close();
  });
});
