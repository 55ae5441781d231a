import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.js';
import { aggregatorConfig, startAggregator, type AggregatorProcess, type AggregatorSetup } from '../support/aggregator-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { MqttWatch } from '../support/mqtt-watch.js';
import { startPostgres, type PgServer } from '../../scripts/sim/postgres-server.js';
import { waitFor } from '../support/wait.js';
import { addToken } from '../support/accounts.js';
import { artefactDir, launchChromium } from '../support/browser.js';
import path from 'node:path';
import type { Browser } from 'puppeteer-core';

// A centre restarting on a large store answers from its first moment: that it is starting and how far it has come,
// and the 24 h rates it kept before the restart, said to be such; nothing half-loaded. The load is held here by a
// lock on the marks table (PostgreSQL), so that what it answers meanwhile is looked at without a race.
const t = topics();
const iso = (ms: number) => new Date(ms).toISOString();
const T0 = Date.now() - 3600_000;

const cell = (installed: number, online: number) => ({ points: installed, coveredPoints: installed, installed, networked: online, intact: online, online, degraded: 0, offline: installed - online, unknown: 0, maintenance: 0, recorded: 0, offlineCamera: installed - online, offlineDevice: 0, offlineNetwork: 0 });
/** a row of the count table: every category */
const counts = (all: ReturnType<typeof cell>, publicArea = all) => ({ key_public_area: publicArea, key_industry_part: cell(0, 0), other: cell(0, 0), unassigned: cell(0, 0), all });

describe('a restarting centre, while it loads its store', () => {
  let broker: Broker;
  let server: PgServer;
  let setup: AggregatorSetup;
  let agg: AggregatorProcess | undefined;
  let pub: MqttWatch;
  let url: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    broker = await startMosquitto();
    server = await startPostgres();
    url = await server.createDatabase('restart_loading');
    setup = await aggregatorConfig({ mqtt: { url: broker.url }, database: url });
    pub = await MqttWatch.connect(broker.url, [`${t.root}/none`]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await agg?.stop('SIGKILL');
    await pub?.close();
    await broker?.stop();
    await server?.stop();
  });

  it('answers the 24 h rates it kept before the restart, marked restored, and 503 STARTING to the rest; once loaded, the live figures', async () => {
    agg = await startAggregator(setup);
    const send = (topic: string, payload: unknown) => pub.client.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
    await send(t.agentState('gw'), { state: 'online', session: 's1', agentVersion: '0.1.0', startedAt: iso(T0), site: null, region: '330106' });
    for (const [id, state] of [['c1', 'online'], ['c2', 'online'], ['c3', 'offline']] as const) {
      await send(t.cameraStatus('gw', id), { cameraId: id, name: null, state, since: iso(T0), checkedAt: iso(Date.now()), rung: state === 'offline' ? 'tcp' : null, reason: state === 'offline' ? 'unreachable' : null, detail: null, consecutiveFailures: 0, source: 'rtsp', address: 'h:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: null, category: null, faults: [], rungs: [] });
    }
    const installed = async () => (await agg!.get<{ regions: Array<{ categories: { all: { counts: { installed: number } } } }> }>('/api/rates?region=all')).regions[0]?.categories.all.counts.installed;
    await waitFor(async () => (await installed()) === 3);
    await agg.stop();

    // a county's viewer: sees the kept rates of its county, and no count of the centre's cameras
    const county = await addToken(setup.file, ['--name', 'county-viewer', '--role', 'viewer', '--region', '330106']);
    const asCounty = (p: string) => fetch(`${agg!.api}${p}`, { headers: { Authorization: `Bearer ${county}` } });

    // the row a centre keeps (where its walks are long, a province's): written here as one would have, a minute ago
    const keptAt = Date.now() - 60_000;
    const row = {
      v: 1, at: keptAt, from: keptAt - 86_400_000, to: keptAt,
      counts: [['all', counts(cell(1_000_000, 987_000), cell(600_000, 590_000))], ['330000', counts(cell(1_000_000, 987_000))]],
      online: [['all', { all: { cameras: 1_000_000, onlineMs: 975, unknownMs: 5, observedMs: 1000, rate: 0.975 } }]],
      recording: [],
      names: [],
    };
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      await db.query("INSERT INTO meta (key, value) VALUES ('rates_restore', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [JSON.stringify(row)]);
      // the load holds at its first read until we let go
      await db.query('BEGIN');
      await db.query('LOCK TABLE marks IN ACCESS EXCLUSIVE MODE');
      agg = await startAggregator(setup, { until: 'answering' });
      const health = await fetch(`${agg.api}/healthz`);
      expect(health.status).toBe(503);
      expect(health.headers.get('retry-after')).toBe('2');
      // the health check is open to anyone: the phase, no count of the centre's cameras
      expect(await health.json()).toEqual({ ok: false, starting: { phase: 'reading' } });

      const rates = await fetch(`${agg.api}/api/rates?region=all`);
      expect(rates.status).toBe(200);
      const body = (await rates.json()) as { restored?: unknown; window: unknown; regions: Array<{ region: string; categories: Record<string, { counts: { installed: number }; online: { rate: number | null } }> }> };
      expect(body.restored).toEqual({ at: iso(keptAt), phase: 'reading', loaded: 0, of: 3 });
      expect(body.window).toEqual({ label: '24h', from: iso(keptAt - 86_400_000), to: iso(keptAt) });
      expect(body.regions.map((r) => r.region)).toEqual(['all', '330000']);
      expect(body.regions[0]!.categories['all']!.counts.installed).toBe(1_000_000);
      expect(body.regions[0]!.categories['all']!.online.rate).toBe(0.975);

      // other windows, and every other view, wait for the load: said, never half-loaded
      for (const p of ['/api/rates?window=7d', '/api/cameras', '/api/agents', '/api/rates/daily?region=all']) {
        const r = await fetch(`${agg.api}${p}`);
        expect(r.status, p).toBe(503);
        const e = (await r.json()) as { error: { code: string; message: string }; starting: unknown };
        expect(e.error.code, p).toBe('STARTING');
        expect(e.error.message).toBe('the centre is starting: reading its store (3 cameras); try again in a few seconds');
        expect(e.starting).toEqual({ phase: 'reading', loaded: 0, of: 3 });
      }

      const countyRates = (await (await asCounty('/api/rates')).json()) as { restored?: unknown; regions: unknown[] };
      expect(countyRates.restored).toEqual({ at: iso(keptAt), phase: 'reading' });
      expect(countyRates.regions).toEqual([]); // the kept row holds no county of theirs
      const countyCameras = await asCounty('/api/cameras');
      expect(countyCameras.status).toBe(503);
      expect(await countyCameras.json()).toEqual({ error: { code: 'STARTING', message: 'the centre is starting: reading its store; try again in a few seconds' }, starting: { phase: 'reading' } });
      expect((await asCounty('/api/rates?region=330000')).status).toBe(404);

      // the console: the kept figures with a notice that says what they are; the trend says the centre is starting
      browser = await launchChromium();
      const page = await browser.newPage();
      await page.goto(`${agg.api}/`, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('[data-testid="restored"]', { timeout: 15_000 });
      const notice = await page.$eval('[data-testid="restored"]', (e) => e.textContent ?? '');
      expect(notice).toContain('以下为中心重启前');
      expect(notice).toContain('读取存储的数据（3 台摄像机）');
      expect(await page.$eval('[data-testid="all-networking"] [data-role="percent"]', (e) => e.textContent)).toBe('98.70%');
      await page.waitForSelector('[data-testid="starting"]');
      await page.screenshot({ path: path.join(artefactDir('restart-loading'), 'overview-restored.png') });
      await db.query('COMMIT');
      // once loaded, the live figures replace them by themselves, and the notice goes
      await page.waitForSelector('[data-testid="restored"]', { hidden: true, timeout: 20_000 });
      await page.waitForFunction(`document.querySelector('[data-testid="all-networking"] [data-role="percent"]')?.textContent === '66.67%'`, { timeout: 10_000 });
      await page.waitForSelector('[data-testid="trend-chart"]', { timeout: 10_000 });
      await page.screenshot({ path: path.join(artefactDir('restart-loading'), 'overview-live.png') });
    } finally {
      await db.end();
    }
    await waitFor(async () => (await fetch(`${agg!.api}/healthz`)).ok, 20_000);
    const live = await agg.get<{ restored?: unknown; regions: Array<{ categories: { all: { counts: { installed: number; offline: number } } } }> }>('/api/rates?region=all');
    expect(live.restored).toBeUndefined();
    expect(live.regions[0]!.categories.all.counts).toMatchObject({ installed: 3, offline: 1 });
    expect((await agg.get<{ total: number }>('/api/cameras')).total).toBe(3);
  }, 90_000);
});
