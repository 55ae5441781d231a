import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.js';
import { SCHEMA_VERSION } from '../../aggregator/store/migrations.js';
import { aggregatorConfig, startAggregator, type AggregatorProcess, type AggregatorSetup } from '../support/aggregator-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { MqttWatch } from '../support/mqtt-watch.js';
import { startPostgres, type PgServer } from '../../scripts/sim/postgres-server.js';
import { waitFor } from '../support/wait.js';

// What PostgreSQL adds to the story: a server that can go away under a running aggregator.
const t = topics();
const T0 = Date.now() - 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const event = (seq: number, from: string, to: string, at: number) => ({ type: 'state', session: 's1', seq, ts: iso(at), cameraId: 'c1', from, to, rung: null, reason: null });

describe('aggregator on PostgreSQL', () => {
  let broker: Broker;
  let server: PgServer;
  let setup: AggregatorSetup;
  let agg: AggregatorProcess;
  let pub: MqttWatch;
  let url: string;

  const count = async (sql: string): Promise<number> => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return Number((await c.query<{ n: string }>(sql)).rows[0]!.n);
    } finally {
      await c.end();
    }
  };
  const send = (topic: string, payload: unknown, retain = false) => pub.client.publishAsync(topic, JSON.stringify(payload), { qos: 1, retain });

  beforeAll(async () => {
    broker = await startMosquitto();
    server = await startPostgres();
    url = await server.createDatabase('outage_test');
    setup = await aggregatorConfig({ mqtt: { url: broker.url }, database: url });
    agg = await startAggregator(setup);
    pub = await MqttWatch.connect(broker.url, [`${t.root}/none`]);
  }, 60_000);

  afterAll(async () => {
    await agg?.stop('SIGKILL');
    await pub?.close();
    await broker?.stop();
    await server?.stop();
  });

  it('postgres: the schema is migrated at start and recorded', async () => {
    expect(await count('SELECT MAX(version) AS n FROM schema_migrations')).toBe(SCHEMA_VERSION);
    expect(await count('SELECT COUNT(*) AS n FROM schema_migrations')).toBe(SCHEMA_VERSION);
  });

  it('postgres: the totals of closed days are worked out once, stored, and read back', async () => {
    const daily = await agg.get<{ days: Array<{ day: string; complete: boolean }> }>('/api/rates/daily?region=all&days=3');
    expect(daily.days.map((d) => d.complete)).toEqual([true, true, false]);
    // the trend's closed days (30), per region and category, in rows of their own: worked out at start or on first asking, once
    await waitFor(async () => (await count("SELECT COUNT(DISTINCT day) AS n FROM daily_totals WHERE region = 'all' AND category = 'all'")) === 30, 20_000);
    expect(await count("SELECT COUNT(*) AS n FROM daily_totals WHERE region = 'all' AND category = 'all'")).toBe(30);
    const again = await agg.get<{ days: unknown[] }>('/api/rates/daily?region=all&days=3');
    expect(again.days.slice(0, 2)).toEqual(daily.days.slice(0, 2));
  });

  const states = async () => (await agg.get<{ changes: Array<{ state: string }> }>(`/api/cameras/c1/history?from=${encodeURIComponent(iso(T0))}`)).changes.map((c) => c.state);
  const failedCommits = () => agg.lines.filter((l) => l.includes('commit failed')).length;

  it('postgres: while the database is down the aggregator keeps running and serving; back, it stores what it held', async () => {
    await send(t.agentState('gw'), { state: 'online', session: 's1', agentVersion: '0.1.0', startedAt: iso(T0), site: null, region: '330106' }, true);
    await send(t.events('gw'), event(1, 'unknown', 'online', T0 + 1000));
    await waitFor(async () => (await count('SELECT COUNT(*) AS n FROM events')) === 1);

    await server.pause();
    await send(t.events('gw'), event(2, 'online', 'offline', T0 + 2000));
    await send(t.events('gw'), event(3, 'offline', 'online', T0 + 3000));
    // applied in memory and served; the database refused the batch, and it is tried again
    await waitFor(async () => (await agg.get<{ accepted: Record<string, number> }>('/api/ingest')).accepted['event'] === 3);
    await waitFor(async () => failedCommits() > 0);
    expect(agg.child.exitCode).toBeNull();
    expect(await states()).toEqual(['online', 'offline', 'online']);

    await server.resume();
    await waitFor(async () => (await count('SELECT COUNT(*) AS n FROM events')) === 3, 30_000);
    expect(await count("SELECT COUNT(*) AS n FROM marks WHERE camera_id = 'c1'")).toBe(3);
  }, 90_000);

  it('postgres: killed while the database is down, it had acknowledged none of it: the broker sends it again, stored once', async () => {
    await server.pause();
    const before = failedCommits();
    await send(t.events('gw'), event(4, 'online', 'offline', T0 + 4000));
    await send(t.events('gw'), event(5, 'offline', 'online', T0 + 5000));
    await waitFor(async () => failedCommits() > before);
    expect(await agg.stop('SIGKILL')).toBeNull();
    await server.resume();
    agg = await startAggregator(setup);
    await waitFor(async () => (await count('SELECT COUNT(*) AS n FROM events')) === 5, 30_000);
    expect(await states()).toEqual(['online', 'offline', 'online', 'offline', 'online']);
    // a clean restart reads the same history back; nothing arrives twice
    expect(await agg.stop('SIGTERM')).toBe(0);
    agg = await startAggregator(setup);
    expect(await states()).toEqual(['online', 'offline', 'online', 'offline', 'online']);
    expect(await count("SELECT COUNT(*) AS n FROM marks WHERE camera_id = 'c1'")).toBe(5);
    expect((await agg.get<{ duplicates: number }>('/api/ingest')).duplicates).toBe(0);
  }, 90_000);

  it('postgres: a database that is not there stops the start with one line naming it (password masked)', async () => {
    const bad = await aggregatorConfig({ mqtt: { url: broker.url, clientId: 'other-aggregator' }, database: 'postgres://xueliang:s3cret-pw@127.0.0.1:1/none' });
    const failure = await startAggregator(bad).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(failure).toMatch(/did not start: cannot reach the database postgres:\/\/xueliang:\*\*\*@127\.0\.0\.1:1\/none/);
    expect(failure).not.toContain('s3cret-pw');
  });
});
