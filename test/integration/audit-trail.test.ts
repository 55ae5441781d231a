import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatorConfig, startAggregator, type AggregatorProcess, type AggregatorSetup } from '../support/aggregator-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { startPostgres, type PgServer } from '../../scripts/sim/postgres-server.js';
import { CLI } from '../support/agent-process.js';
import { artefactDir, launchChromium } from '../support/browser.js';
import { addToken, addUser, consoleLogin } from '../support/accounts.js';
import path from 'node:path';

const TOKEN = 'an-audit-test-token-1234567';
const AUDITOR_PW = 'Audit-Pa55word-2026';
type Page = { records: Array<{ seq: number; action: string; actor: string; source: string; userAgent: string; target: string; detail: Record<string, unknown> }>; next: number | null };

/** What an admin does over HTTP that the trail must keep: a plan, a window declared and ended, a wrong token, an export. */
async function actions(api: string): Promise<void> {
  const h = { Authorization: `Bearer ${TOKEN}`, 'User-Agent': 'audit-test/1.0' };
  expect((await fetch(`${api}/api/plan`, { method: 'PUT', headers: { ...h, 'Content-Type': 'text/csv' }, body: 'id,name,region,category\nP1,a,330106,other\nP2,b,330106,other\n' })).status).toBe(200);
  const w = await fetch(`${api}/api/maintenance`, { method: 'POST', headers: { ...h, 'Content-Type': 'application/json' }, body: JSON.stringify({ scope: 'point', target: 'P1', from: new Date().toISOString(), to: new Date(Date.now() + 3600_000).toISOString(), reason: '更换立杆' }) });
  expect(w.status).toBe(201);
  const id = ((await w.json()) as { window: { id: string } }).window.id;
  expect((await fetch(`${api}/api/maintenance/${id}`, { method: 'DELETE', headers: h })).status).toBe(200);
  expect((await fetch(`${api}/api/maintenance/${id}`, { method: 'DELETE', headers: { Authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
  expect((await fetch(`${api}/api/cameras?format=csv&state=offline`, { headers: { Authorization: `Bearer ${TOKEN}`, 'User-Agent': 'spreadsheet' } })).status).toBe(200);
}

/** The auditor's page in Chromium: logged in, the records shown, a filter applied. */
async function auditInBrowser(api: string): Promise<void> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${api}/?page=audit`, { waitUntil: 'domcontentloaded' });
    await consoleLogin(page, 'auditor', AUDITOR_PW);
    await page.waitForSelector('[data-testid="audit-table"] tr[data-seq="1"]', { timeout: 10_000 });
    expect(await page.$$eval('[data-testid="audit-table"] td[data-role="action"]', (tds) => tds.map((td) => td.textContent))).toContain('plan.replace');
    await page.type('[data-testid="audit-form"] input[name="action"]', 'maintenance.');
    await page.click('[data-testid="audit-form"] button[type="submit"]');
    // the windows of both rounds of actions
    await page.waitForFunction(`document.querySelectorAll('[data-testid="audit-table"] tbody tr').length === 4`, { timeout: 10_000 });
    await page.screenshot({ path: path.join(artefactDir('audit'), 'audit-page.png'), fullPage: true });
  } finally {
    await browser.close();
  }
}

const verify = (args: string[]) => spawnSync(process.execPath, [CLI, 'audit', 'verify', ...args], { encoding: 'utf8', env: { ...process.env } });

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`audit trail (${engine})`, () => {
    let broker: Broker;
    let server: PgServer | undefined;
    let setup: AggregatorSetup;
    let agg: AggregatorProcess;
    let database = '';
    let auditor: Record<string, string> = {};

    beforeAll(async () => {
      broker = await startMosquitto();
      if (engine === 'postgres') {
        server = await startPostgres();
        database = await server.createDatabase('audit');
      }
      setup = await aggregatorConfig({ mqtt: { url: broker.url }, http: { token: TOKEN }, ...(database ? { database } : {}) });
      // the auditor (审计管理员) and a token of theirs, made on the server before the start: the first two records
      await addUser(setup.file, 'auditor', 'auditor', ['all'], AUDITOR_PW);
      auditor = { Authorization: `Bearer ${await addToken(setup.file, ['--name', 'audit reader', '--user', 'auditor'])}` };
      agg = await startAggregator(setup);
    }, 60_000);

    afterAll(async () => {
      await agg?.stop();
      await server?.stop();
      await broker?.stop();
    });

    it('audit trail: accounts made on the server, changes, a refused token and an export are recorded with who and where; the auditor reads them (the admin may not); verify passes, also after a restart', async () => {
      await actions(agg.api);
      // a flood of refused requests from one address right after the first: counted, not one record each
      for (let i = 0; i < 20; i++) expect((await fetch(`${agg.api}/api/audit`, { headers: { Authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
      // the admin's token may change the plan but not read the trail (三权分立)
      expect((await fetch(`${agg.api}/api/audit`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(403);
      const page = (await (await fetch(`${agg.api}/api/audit?limit=50`, { headers: auditor })).json()) as Page;
      expect(page.records.map((r) => r.action)).toEqual(['user.add', 'token.create', 'plan.replace', 'maintenance.declare', 'maintenance.end', 'auth.refused', 'export.cameras']);
      const [added, , plan, declare, , refused, exported] = page.records;
      expect(added).toMatchObject({ seq: 1, target: 'auditor', source: 'server (xueliang CLI)', detail: { role: 'auditor', regions: ['all'] } });
      expect(added!.actor).toMatch(/^cli:/);
      expect(JSON.stringify(page)).not.toContain(AUDITOR_PW);
      expect(plan).toMatchObject({ seq: 3, actor: 'token', userAgent: 'audit-test/1.0', target: 'plan', detail: { pointsBefore: 0, points: 2, rejectedRows: 0 } });
      expect(plan!.source).toMatch(/127\.0\.0\.1/);
      expect(declare!.detail).toMatchObject({ reason: '更换立杆' });
      expect(refused).toMatchObject({ actor: 'anonymous', detail: { why: 'unknown bearer token' } });
      expect(exported).toMatchObject({ actor: 'token', userAgent: 'spreadsheet', detail: { query: { state: 'offline' } } });
      // the token never lands in the trail, right or wrong
      expect(JSON.stringify(page)).not.toContain(TOKEN);
      expect(JSON.stringify(page)).not.toContain('not-the-token-at-all');

      // filters: an action prefix, an actor, a time span; the page as CSV (itself recorded)
      const q = async (qs: string) => ((await (await fetch(`${agg.api}/api/audit?${qs}`, { headers: auditor })).json()) as Page).records.map((r) => r.seq);
      expect(await q('action=maintenance.')).toEqual([4, 5]);
      expect(await q('actor=anonymous')).toEqual([6]);
      expect(await q(`since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toEqual([]);
      expect(await q('from=7&limit=1')).toEqual([7]);
      const csv = await fetch(`${agg.api}/api/audit?format=csv&action=plan.`, { headers: auditor });
      const bytes = Buffer.from(await csv.arrayBuffer());
      // a byte-order mark first: a spreadsheet then reads the Chinese as UTF-8
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = bytes.subarray(3).toString('utf8');
      expect(text.startsWith('seq,at,actor,source,userAgent,action,target,detail,hash\r\n3,')).toBe(true);
      expect(text.split('\r\n').filter(Boolean)).toHaveLength(2);
      expect((await fetch(`${agg.api}/api/audit?since=yesterday`, { headers: auditor })).status).toBe(400);

      const ok = verify(['--config', setup.file]);
      expect(ok.stdout.trim(), ok.stderr).toBe(`audit trail intact: 8 records, the last #8`);
      expect(ok.status).toBe(0);
      // a restart goes on from the stored head
      expect(await agg.stop()).toBe(0);
      agg = await startAggregator(setup);
      await actions(agg.api);
      const again = verify(['--config', setup.file]);
      expect(again.stdout.trim()).toBe('audit trail intact: 13 records, the last #13');
      if (engine === 'sqlite') await auditInBrowser(agg.api);
    }, 60_000);

    it('audit trail: one record edited in the database, or one deleted, is found by audit verify (exit 1, which record)', async () => {
      expect(await agg.stop()).toBe(0);
      const exec = async (sql: string) => {
        if (engine === 'sqlite') {
          const db = new Database((parse(readFileSync(setup.file, 'utf8')) as { database: string }).database);
          db.exec(sql);
          db.close();
        } else {
          const c = new pg.Client({ connectionString: database });
          await c.connect();
          await c.query(sql);
          await c.end();
        }
      };
      await exec(`UPDATE audit SET detail = '{"points":0}' WHERE seq = 2`);
      const edited = verify(['--config', setup.file]);
      expect(edited.status).toBe(1);
      expect(edited.stderr).toContain('audit trail broken at record #2: its content does not match its hash: the record was edited');
      await exec(`DELETE FROM audit WHERE seq IN (2, 3)`);
      const deleted = verify(['--config', setup.file]);
      expect(deleted.status).toBe(1);
      expect(deleted.stderr).toContain('audit trail broken at record #4: records 2..3 are missing: deleted');
    }, 60_000);
  });
}
