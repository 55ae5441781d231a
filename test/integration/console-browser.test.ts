import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.js';
import { EXPORT_WORDS } from '../../aggregator/features/report-words.js';
import { aggregatorConfig, startAggregator, type AggregatorProcess } from '../support/aggregator-process.js';
import { addUser, consoleLogin } from '../support/accounts.js';
import { artefactDir, launchChromium } from '../support/browser.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { MqttWatch } from '../support/mqtt-watch.js';
import { waitFor } from '../support/wait.js';

// The operations console in Debian's chromium against a real aggregator fed
// real MQTT messages through mosquitto (issue 14): what the screen shows is
// what the API says, live, in both languages, and hostile names stay text.
const t = topics();
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const T0 = Date.now() - 20 * MIN;
const TOKEN = 'console-test-token-0001';
const ADMIN_PW = 'Console-Admin-Pa55';
const HOSTILE = '<img src=x onerror=alert(1)>';

const status = (cameraId: string, state: 'online' | 'offline', at: number, extra: Record<string, unknown> = {}) => ({
  cameraId, name: null, state, since: iso(at), checkedAt: iso(at), rung: state === 'offline' ? 'tcp' : null, reason: state === 'offline' ? 'unreachable' : null,
  detail: state === 'offline' ? 'connection refused' : null, consecutiveFailures: state === 'offline' ? 3 : 0, source: 'rtsp', address: '127.0.0.1:554', streamUri: null, stream: null, device: null,
  clockDriftMs: null, pointId: null, category: null, faults: [], rungs: [], ...extra,
});
const birth = (session: string, region: string) => ({ state: 'online', session, agentVersion: '0.1.0', startedAt: iso(T0), site: null, region, lastSeq: 0 });

type Ratio = { numerator: number; denominator: number; percent: number | null };
type Cell = { coverage: Ratio; networking: Ratio; intact: Ratio; register: Ratio; online: { percent: number | null } };
type Rates = { regions: Array<{ region: string; categories: Record<string, Cell> }> };

describe('operations console in a real browser', () => {
  let broker: Broker;
  let agg: AggregatorProcess;
  let pub: MqttWatch;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];
  const shots = artefactDir('console');
  const seq = new Map<string, number>();
  const send = async (topic: string, payload: unknown, retain = false) => pub.client.publishAsync(topic, JSON.stringify(payload), { qos: 1, retain });
  const camera = async (agent: string, id: string, state: 'online' | 'offline', at: number, extra: Record<string, unknown> = {}, from = 'unknown') => {
    const n = (seq.get(agent) ?? 0) + 1;
    seq.set(agent, n);
    await send(t.events(agent), { type: 'state', session: `${agent}-s1`, seq: n, ts: iso(at), cameraId: id, from, to: state, rung: null, reason: null });
    await send(t.cameraStatus(agent, id), status(id, state, at, extra), true);
  };
  const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  const text = (sel: string) => page.$eval(sel, (e) => e.textContent ?? '');
  const open = async (q: string) => {
    await page.goto(`${agg.api}/${q}`, { waitUntil: 'domcontentloaded', timeout: 10_000 });
  };
  /** The figures of a rate card: percent, numerator and denominator as shown. */
  const card = (testId: string) =>
    page.$eval(`[data-testid="${testId}"]`, (e) => ({
      percent: e.querySelector('[data-role="percent"]')?.textContent ?? '',
      numerator: Number(e.querySelector('[data-role="numerator"]')?.textContent),
      denominator: Number(e.querySelector('[data-role="denominator"]')?.textContent),
    }));
  const shown = (r: Ratio) => (r.percent === null ? '—' : `${r.percent.toFixed(2)}%`);

  beforeAll(async () => {
    broker = await startMosquitto();
    const setup = await aggregatorConfig({ mqtt: { url: broker.url }, http: { token: TOKEN } });
    // the console's user: an admin of every region (exports, the plan upload)
    await addUser(setup.file, 'zhang', 'admin', ['all'], ADMIN_PW);
    agg = await startAggregator(setup);
    pub = await MqttWatch.connect(broker.url, [`${t.root}/rates/all`]);
    // two counties of one city: Xihu (330106) and Gongshu (330105)
    const csv = [
      'id,name,region,category',
      'XH-1,Xihu gate,330106,key_public_area',
      'XH-2,Xihu market,330106,key_public_area',
      'XH-3,Xihu school,330106,key_industry_part',
      'GS-1,Gongshu station,330105,key_public_area',
      'GS-2,Gongshu bridge,330105,key_public_area',
    ].join('\n');
    const res = await fetch(`${agg.api}/api/plan`, { method: 'PUT', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'text/csv' }, body: csv });
    expect((await res.json()) as unknown).toMatchObject({ loaded: 5, errorCount: 0 });
    await send(t.agentState('gw-xihu'), birth('gw-xihu-s1', '330106'), true);
    await send(t.agentState('gw-gongshu'), birth('gw-gongshu-s1', '330105'), true);
    await camera('gw-xihu', 'xh-cam-1', 'online', T0, { pointId: 'XH-1', name: 'Xihu gate east' });
    await camera('gw-xihu', 'xh-cam-2', 'online', T0, { pointId: 'XH-2', name: HOSTILE });
    await camera('gw-xihu', 'xh-cam-3', 'offline', T0 + MIN, { pointId: 'XH-3' });
    await camera('gw-gongshu', 'gs-cam-1', 'online', T0, { pointId: 'GS-1' });
    await camera('gw-gongshu', 'gs-cam-2', 'online', T0, { pointId: 'GS-2' });
    await camera('gw-gongshu', 'gs-cam-9', 'online', T0);
    await waitFor(async () => (await agg.get<{ accepted: Record<string, number> }>('/api/ingest')).accepted['status'] === 6, 15_000);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.setViewport({ width: 1366, height: 768 });
    await page.goto(`${agg.api}/`, { waitUntil: 'domcontentloaded' });
    await consoleLogin(page, 'zhang', ADMIN_PW);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await pub?.close();
    await agg?.stop();
    await broker?.stop();
  });

  it('serves the console with a policy that forbids inline script, and nothing from elsewhere', async () => {
    const res = await fetch(`${agg.api}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/https?:\/\//);
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    await open('');
    await page.waitForSelector('[data-testid="all-networking"]', { timeout: 10_000 });
    expect(requested.filter((u) => !u.startsWith(agg.api) && !u.startsWith('data:'))).toEqual([]);
  });

  it('shows the rates of the whole area and of a drilled-down county as /api/rates has them', async () => {
    await open('');
    await page.waitForSelector('[data-testid="all-networking"]');
    const whole = (await agg.get<Rates>('/api/rates?region=all&window=24h')).regions.find((r) => r.region === 'all')!;
    for (const k of ['key_public_area', 'key_industry_part', 'all']) {
      for (const rate of ['coverage', 'networking', 'intact', 'register'] as const) {
        const api = whole.categories[k]![rate];
        expect(await card(`${k}-${rate}`), `${k} ${rate}`).toEqual({ percent: shown(api), numerator: api.numerator, denominator: api.denominator });
      }
    }
    expect(await text('[data-testid="gateways-online"] .n')).toMatch(/^2\s*\/\s*2$/);
    await shot('overview');
    // drill down by clicks: whole area → province → city → county, on the regions page
    await page.click('a[data-page="regions"]');
    for (const code of ['330000', '330100', '330106']) {
      await page.waitForSelector(`tr[data-region="${code}"] a`, { timeout: 10_000 });
      await page.click(`tr[data-region="${code}"] a`);
    }
    await page.waitForFunction("location.search.includes('region=330106')");
    await shot('regions-county');
    // the selection is in the URL: a reload keeps it; the overview of the county shows its own rates
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.waitForSelector('.crumbs a[data-region="330106"][aria-current="page"]');
    // the operator reads names, not codes: 浙江省 › 杭州市 › 西湖区
    const crumbs = () => page.$$eval('.crumbs a', (as) => as.map((a) => a.textContent));
    await waitFor(async () => (await crumbs()).includes('西湖区'), 10_000).catch(() => undefined);
    expect(await crumbs()).toEqual(['全域', '浙江省', '杭州市', '西湖区']);
    expect(await text('#regions-h')).toContain('西湖区 (330106)');
    await page.click('a[data-page="overview"]');
    await page.waitForFunction("document.querySelector('h2')?.textContent?.includes('330106')");
    await page.waitForSelector('[data-testid="all-networking"]');
    const county = (await agg.get<Rates>('/api/rates?region=330106&window=24h')).regions.find((r) => r.region === '330106')!;
    expect(county.categories['all']!.networking).toMatchObject({ numerator: 2, denominator: 3 });
    for (const k of ['key_public_area', 'key_industry_part', 'all']) {
      for (const rate of ['coverage', 'networking', 'intact', 'register'] as const) {
        const api = county.categories[k]![rate];
        expect(await card(`${k}-${rate}`), `330106 ${k} ${rate}`).toEqual({ percent: shown(api), numerator: api.numerator, denominator: api.denominator });
      }
    }
    // the county's table of the city lists both counties, sortable
    await open('?page=regions&region=330100&sort=intact');
    await page.waitForSelector('tr[data-region="330105"]');
    const order = await page.$$eval('[data-testid="regions-table"] tbody tr', (rows) => rows.map((r) => r.getAttribute('data-region')));
    expect(order).toEqual(['330106', '330105']);
    expect(await page.$$eval('[data-testid="regions-table"] tbody tr td:first-child a', (as) => as.map((a) => a.textContent))).toEqual(['西湖区', '拱墅区']);
  }, 60_000);

  it('puts a camera that goes offline into the problem list within seconds, without a reload', async () => {
    await open('?page=problems');
    await page.waitForSelector('tr[data-camera="xh-cam-3"]');
    await page.waitForSelector('[data-testid="live"].on', { timeout: 10_000 });
    await page.evaluate('window.marker = 42');
    expect(await page.$('tr[data-camera="gs-cam-2"]')).toBeNull();
    await camera('gw-gongshu', 'gs-cam-2', 'offline', Date.now(), { rung: 'onvif', reason: 'auth_failed', detail: 'ter:NotAuthorized Sender not Authorized' }, 'online');
    await page.waitForSelector('tr[data-camera="gs-cam-2"]', { timeout: 10_000 });
    expect(await page.evaluate('window.marker')).toBe(42);
    expect(await text('[data-testid="problems-total"]')).toContain('2');
    // the machine's words in the operator's: rung tcp, reason unreachable
    expect(await text('tr[data-camera="xh-cam-3"] td[data-rung]')).toBe('网络');
    expect(await text('tr[data-camera="xh-cam-3"] td[data-reason]')).toBe('无法连接');
    expect(await text('tr[data-camera="xh-cam-3"] td.detail')).toBe('connection refused');
    expect(await text('tr[data-camera="gs-cam-2"] td[data-reason]')).toBe('认证失败');
    expect(await text('tr[data-camera="gs-cam-2"] td.detail')).toBe('ter:NotAuthorized Sender not Authorized');
    // a frozen picture: degraded, named by its fault
    const frozen = { rung: 'picture', reason: 'degraded', detail: null, consecutiveFailures: 0, faults: [{ fault: 'frozen', value: 0.01, threshold: 0.05 }], pointId: 'GS-1' };
    await send(t.cameraStatus('gw-gongshu', 'gs-cam-1'), { ...status('gs-cam-1', 'online', Date.now(), frozen), state: 'degraded' }, true);
    await page.waitForSelector('tr[data-camera="gs-cam-1"]', { timeout: 10_000 });
    expect(await text('tr[data-camera="gs-cam-1"] td[data-reason]')).toBe('画面冻结');
    expect(await text('tr[data-camera="gs-cam-1"] .badge')).toBe('画面异常');
    await shot('problems');
  }, 30_000);

  it('switches the labels between Chinese and English', async () => {
    await page.evaluate("localStorage.removeItem('xueliang.lang')");
    await open('');
    await page.waitForSelector('a[data-page="overview"]');
    expect(await text('a[data-page="overview"]')).toBe('总览');
    expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    await page.click('[data-testid="lang"]');
    await page.waitForFunction("document.querySelector('a[data-page=overview]')?.textContent === 'Overview'");
    expect(await text('a[data-page="problems"]')).toBe('Problems');
    expect(await page.evaluate('document.documentElement.lang')).toBe('en');
    await shot('overview-en');
    await page.click('[data-testid="lang"]');
    await page.waitForFunction("document.querySelector('a[data-page=overview]')?.textContent === '总览'");
  });

  it('offers an assessment sheet that parses back to the numbers of the report', async () => {
    await open('?region=330100');
    await page.waitForSelector('[data-testid="xlsx"]');
    const href = new URL((await page.$eval('[data-testid="xlsx"]', (a) => a.getAttribute('href'))) ?? '', agg.api).href;
    // a real download by the browser, as an operator clicks it
    const downloads = mkdtempSync(path.join(os.tmpdir(), 'xl-console-dl-'));
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await page.click('[data-testid="xlsx"]');
    await waitFor(async () => readdirSync(downloads).some((f) => f.endsWith('.xlsx')), 15_000);
    const file = readdirSync(downloads).find((f) => f.endsWith('.xlsx'))!;
    expect(file).toMatch(/^xueliang-330100-\d{4}-\d{2}\.xlsx$/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(path.join(downloads, file));
    const sheet = wb.worksheets[0]!;
    const q = new URL(href).searchParams;
    const report = await agg.get<{ rows: Array<{ region: string; category: string; points: number; installed: number; networked: number; intact: number }> }>(`/api/report?region=330100&month=${q.get('month')}`);
    expect(report.rows.length).toBeGreaterThan(0);
    // data rows start under the title, the period and the header
    // in the page's language (Chinese): sheet names, headers, region names and categories
    expect(sheet.name).toBe('考核');
    expect((sheet.getRow(3).values as unknown[]).slice(1, 4)).toEqual(['区域代码', '区域名称', '类别']);
    const category = (word: string) => Object.entries(EXPORT_WORDS).find(([, [zh]]) => zh === word)?.[0] ?? word;
    const rows: Array<{ region: string; category: string; points: number; installed: number; networked: number; intact: number }> = [];
    const names = new Map<string, string>();
    sheet.eachRow((row, n) => {
      if (n <= 3) return;
      const v = row.values as unknown[];
      names.set(String(v[1]), String(v[2]));
      rows.push({ region: String(v[1]), category: category(String(v[3])), points: Number(v[4]), installed: Number(v[7]), networked: Number(v[8]), intact: Number(v[10]) });
    });
    expect(rows).toEqual(report.rows.map((r) => ({ region: r.region, category: r.category, points: r.points, installed: r.installed, networked: r.networked, intact: r.intact })));
    expect(Object.fromEntries(names)).toEqual({ '330100': '杭州市', '330105': '拱墅区', '330106': '西湖区' });
    expect(rows.find((r) => r.region === '330100' && r.category === 'all')).toMatchObject({ points: 5, installed: 6 });
    // the day sheet: today's report of the same region, downloaded the same way
    await page.click('[data-testid="xlsx-day"]');
    await waitFor(async () => readdirSync(downloads).some((f) => /^xueliang-330100-\d{4}-\d{2}-\d{2}\.xlsx$/.test(f)), 15_000);
    const dayFile = readdirSync(downloads).find((f) => /^xueliang-330100-\d{4}-\d{2}-\d{2}\.xlsx$/.test(f))!;
    const day = new URL((await page.$eval('[data-testid="xlsx-day"]', (a) => a.getAttribute('href'))) ?? '', agg.api).searchParams.get('day');
    expect(dayFile).toBe(`xueliang-330100-${day}.xlsx`);
    const dayBook = new ExcelJS.Workbook();
    await dayBook.xlsx.readFile(path.join(downloads, dayFile));
    const dayReport = await agg.get<{ rows: Array<{ region: string; category: string; installed: number }> }>(`/api/report?region=330100&day=${day}`);
    const dayTotal = dayReport.rows.find((r) => r.region === '330100' && r.category === 'all')!;
    let sheetTotal: number | undefined;
    dayBook.worksheets[0]!.eachRow((row, n) => {
      const v = row.values as unknown[];
      if (n > 3 && String(v[1]) === '330100' && String(v[3]) === '合计') sheetTotal = Number(v[7]);
    });
    expect(sheetTotal).toBe(dayTotal.installed);
  });

  it('draws the trend from daily figures that are each day\'s report', async () => {
    type Day = { day: string; complete: boolean; intact: { numerator: number; denominator: number }; networking: { numerator: number; denominator: number }; online: { onlineMs: number; observedMs: number } };
    const daily = await agg.get<{ days: Day[] }>('/api/rates/daily?region=330100&days=3');
    expect(daily.days.map((d) => d.complete)).toEqual([true, true, false]);
    const today = daily.days[2]!;
    const report = await agg.get<{ rows: Array<{ region: string; category: string; installed: number; networked: number; intact: number; observedMs: number; onlineMs: number }> }>(`/api/report?region=330100&day=${today.day}`);
    const total = report.rows.find((r) => r.region === '330100' && r.category === 'all')!;
    expect(today.intact).toMatchObject({ numerator: total.intact, denominator: total.installed });
    expect(today.networking).toMatchObject({ numerator: total.networked, denominator: total.installed });
    // a few milliseconds apart: the same time online and observed within the requests' gap
    expect(Math.abs(today.online.observedMs - total.observedMs)).toBeLessThan(10 * 5000);
    expect(today.online.observedMs).toBeGreaterThan(0);
    await open('');
    await page.waitForSelector('[data-testid="trend-chart"] canvas');
  });

  it('renders a hostile camera name as text, and no script of it runs', async () => {
    await open('?page=camera&id=xh-cam-2');
    await page.waitForSelector('[data-testid="camera-name"]');
    expect(await text('[data-testid="camera-name"]')).toContain(HOSTILE);
    expect(await page.$$eval('main img', (imgs) => imgs.length)).toBe(0);
    await page.waitForSelector('[data-testid="timeline"] .band-online');
    // no frame of it reached the centre: the page says why there is none
    expect(await text('[data-testid="frames-note"]')).toContain('中心尚未收到这台摄像机的画面');
    await shot('camera');
    // the same name in a problem list
    await camera('gw-xihu', 'xh-cam-2', 'offline', Date.now(), { pointId: 'XH-2', name: HOSTILE }, 'online');
    await open('?page=problems');
    await page.waitForSelector('tr[data-camera="xh-cam-2"]', { timeout: 10_000 });
    expect(await page.$eval('tr[data-camera="xh-cam-2"] td a', (a) => a.textContent)).toBe(HOSTILE);
    expect(await page.$$eval('main img', (imgs) => imgs.length)).toBe(0);
    expect(dialogs).toEqual([]);
  }, 30_000);

  it('uploads a plan as the admin and shows the rows it refused', async () => {
    await open('?page=plan');
    await page.waitForSelector('[data-testid="plan-upload"]');
    const csv = path.join(mkdtempSync(path.join(os.tmpdir(), 'xl-console-plan-')), 'plan.csv');
    // a grassroots unit (8 digits) no division data has: the plan names it
    const rows = ['id,name,region,category,regionName', 'XH-1,Xihu gate,330106,key_public_area,', 'XH-2,Xihu market,330106,key_public_area,', 'XH-3,Xihu school,330106,key_industry_part,', 'GS-1,Gongshu station,330105,key_public_area,', 'GS-2,Gongshu bridge,330105,key_public_area,', 'GS-3,Gongshu park,330105,key_public_area,', 'WX-1,Wenxin lane,33010601,key_public_area,文新街道', 'BAD-1,Nowhere,12345,key_public_area,'];
    writeFileSync(csv, rows.join('\n'));
    const input = await page.$('input[name="plan"]');
    await input!.uploadFile(csv);
    expect((await agg.get<{ points: unknown[] }>('/api/plan')).points).toHaveLength(5);
    await page.click('[data-testid="plan-upload"] button[type="submit"]');
    await page.waitForSelector('[data-testid="plan-result"].notice');
    const result = await text('[data-testid="plan-result"]');
    expect(result).toContain('7');
    expect(result).toMatch(/9.*region|region.*9/);
    expect((await agg.get<{ points: unknown[] }>('/api/plan')).points).toHaveLength(7);
    // the new point has no camera: it is listed as short of cameras once the page has read the new bindings (the
    // list of the old plan is on screen until then)
    type Doc = { document: { querySelector(s: string): { textContent: string | null } | null } };
    const shows = (sel: string, want: string) => (globalThis as unknown as Doc).document.querySelector(sel)?.textContent?.includes(want) ?? false;
    await page.waitForFunction(shows, { timeout: 10_000 }, '[data-testid="uncovered"]', 'GS-3').catch(() => undefined);
    expect(await text('[data-testid="uncovered"]')).toContain('GS-3');
    await shot('plan');
    // the unit carries the plan's name in the breadcrumb; a code nobody names shows as the code, never blank
    for (const [code, last] of [['33010601', '文新街道'], ['33010699', '33010699']]) {
      await open(`?page=regions&region=${code}`);
      const want = ['全域', '浙江省', '杭州市', '西湖区', last];
      // the codes show at once and their names when /api/regions answers: wait for the names, not for the last code (an unnamed code is its own name)
      await waitFor(async () => JSON.stringify(await page.$$eval('.crumbs a', (as) => as.map((a) => a.textContent))) === JSON.stringify(want), 10_000).catch(() => undefined);
      expect(await page.$$eval('.crumbs a', (as) => as.map((a) => a.textContent)), code).toEqual(want);
    }
  });

  it('works at phone width and from the keyboard', async () => {
    await page.setViewport({ width: 390, height: 844 });
    await open('');
    await page.waitForSelector('[data-testid="all-networking"]');
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')).toBe(true);
    await shot('overview-phone');
    await page.setViewport({ width: 1366, height: 768 });
    // Tab to the gateways tab and open it with Enter
    await page.focus('a[data-page="problems"]');
    await page.keyboard.press('Tab');
    expect(await page.evaluate("document.activeElement?.getAttribute('data-page')")).toBe('gateways');
    await page.keyboard.press('Enter');
    // what the page showed instead, should the row not come (seen once in a full run, not since)
    await page.waitForSelector('[data-testid="gateways-table"] tr[data-agent="gw-xihu"]').catch(async (err: Error) => {
      await shot('gateways-missing');
      throw new Error(`${err.message}; the page at ${page.url()} showed: ${String(await page.evaluate('document.body.innerText')).slice(0, 800)}`);
    });
    await shot('gateways');
  });
});
