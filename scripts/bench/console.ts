/**
 * Console benchmark (issue 14): the console's first paint with 100,000
 * cameras in the aggregator. A real aggregator process on a real mosquitto
 * is fed a plan of N points and N cameras over 100 gateways in 100 counties
 * (2% offline, 1% degraded), then Debian's chromium opens the overview, the
 * problem list and a county's drill-down. Printed: time to first meaningful
 * paint (the rates on screen), first contentful paint, and every API
 * response the page needed with its size (goal: < 2 s, none > 1 MB).
 * Run: npm run bench:console  [-- --cameras 100000]
 * Everything runs on 127.0.0.1 and stops by itself.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import puppeteer from 'puppeteer-core';
import { topics } from '../../protocols/index.js';
import { freePort, mosquitto } from './broker.js';
import { procStats } from './proc-stats.js';

const { values } = parseArgs({ options: { cameras: { type: 'string', default: '100000' }, chromium: { type: 'string', default: '/usr/bin/chromium' } } });
const N = Number(values.cameras);
if (!Number.isInteger(N) || N < 100 || N > 2_000_000) throw new Error('--cameras takes 100..2000000');
const t = topics();
const GATEWAYS = 100;
const county = (g: number) => `33${String(1 + Math.floor(g / 10)).padStart(2, '0')}${String(1 + (g % 10)).padStart(2, '0')}`;
const deadline = Date.now() + 20 * 60_000;

const broker = await mosquitto();
const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-bench-console-'));
const port = await freePort();
const token = 'bench-console-token';
const conf = path.join(dir, 'aggregator.yaml');
writeFileSync(conf, `database: ${path.join(dir, 'agg.db')}\nmqtt:\n  url: ${broker.url}\nhttp:\n  host: 127.0.0.1\n  port: ${port}\n  token: ${token}\n`);
const cli = new URL('../../cli/main.js', import.meta.url).pathname;
const agg = spawn(process.execPath, ['--max-old-space-size=4096', cli, 'aggregator', '--config', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
const api = `http://127.0.0.1:${port}`;
const stopAll = () => {
  agg.kill('SIGKILL');
  broker.stop();
};
process.on('exit', stopAll);
for (;;) {
  if (Date.now() > deadline) throw new Error('the aggregator did not start');
  if (await fetch(`${api}/healthz`).then((r) => r.ok, () => false)) break;
  await new Promise((r) => setTimeout(r, 200));
}

// the plan: one point per camera
const rows = ['id,name,region,category'];
for (let i = 0; i < N; i++) rows.push(`P${i},Point ${i},${county(i % GATEWAYS)},${i % 3 === 0 ? 'key_industry_part' : 'key_public_area'}`);
const planRes = await fetch(`${api}/api/plan`, { method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/csv' }, body: rows.join('\n') });
if (!planRes.ok) throw new Error(`plan upload: ${planRes.status} ${await planRes.text()}`);

// the gateways and their cameras' retained statuses
const pub = mqtt.connect(broker.url, { protocolVersion: 4 });
await new Promise<void>((r) => pub.once('connect', () => r()));
const since = new Date(Date.now() - 3600_000).toISOString();
for (let g = 0; g < GATEWAYS; g++) await pub.publishAsync(t.agentState(`gw-${g}`), JSON.stringify({ state: 'online', session: `s-${g}`, agentVersion: '0.1.0', startedAt: since, site: null, region: county(g), lastSeq: 0 }), { qos: 1, retain: true });
const t0 = Date.now();
let inflight: Array<Promise<unknown>> = [];
for (let i = 0; i < N; i++) {
  const state = i % 50 === 7 ? 'offline' : i % 100 === 13 ? 'degraded' : 'online';
  const s = {
    cameraId: `cam-${i}`, name: `Camera ${i}`, state, since, checkedAt: new Date().toISOString(), rung: state === 'offline' ? 'tcp' : state === 'degraded' ? 'picture' : null,
    reason: state === 'offline' ? 'unreachable' : state === 'degraded' ? 'degraded' : null, detail: state === 'offline' ? 'connect ECONNREFUSED' : null, consecutiveFailures: state === 'offline' ? 3 : 0,
    source: 'onvif', address: '127.0.0.1:80', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: `P${i}`, category: null,
    faults: state === 'degraded' ? [{ fault: 'frozen', value: 0.999, threshold: 0.995 }] : [], rungs: [],
  };
  inflight.push(pub.publishAsync(t.cameraStatus(`gw-${i % GATEWAYS}`, `cam-${i}`), JSON.stringify(s), { qos: 1 }));
  if (inflight.length >= 500) {
    await Promise.all(inflight);
    inflight = [];
  }
}
await Promise.all(inflight);
for (;;) {
  const ingest = (await (await fetch(`${api}/api/ingest`)).json()) as { accepted: Record<string, number> };
  if ((ingest.accepted['status'] ?? 0) >= N) break;
  if (Date.now() > deadline) throw new Error('the aggregator did not take every status in time');
  await new Promise((r) => setTimeout(r, 500));
}
const loadS = (Date.now() - t0) / 1000;
await pub.endAsync();

const browser = await puppeteer.launch({ executablePath: values.chromium!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-proxy-server', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
const page = await browser.newPage();
await page.setViewport({ width: 1366, height: 768 });
const sizes = new Map<string, number>();
page.on('response', (res) => {
  const u = new URL(res.url());
  if (u.pathname === '/api/live' || res.request().method() !== 'GET') return;
  void res.buffer().then((b) => sizes.set(`${u.pathname}${u.search}`, b.length), () => undefined);
});
const measure = async (label: string, q: string, selector: string) => {
  const start = Date.now();
  await page.goto(`${api}/${q}`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector(selector, { timeout: 60_000 });
  const meaningful = Date.now() - start;
  const fcp = (await page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null")) as number | null;
  console.log(`${label.padEnd(26)} first meaningful paint ${String(meaningful).padStart(5)} ms   first contentful paint ${fcp === null ? '-' : Math.round(fcp)} ms`);
};
console.log(`console benchmark: ${N.toLocaleString('en')} cameras and points, ${GATEWAYS} gateways in ${GATEWAYS} counties (aggregator took them in ${loadS.toFixed(1)} s; its RSS ${procStats(agg.pid!).rssMb.toFixed(0)} MB)`);
// a first visit warms the browser's cache of the bundle, as any second visit would
await measure('overview (cold)', '', '[data-testid="all-networking"]');
await measure('overview', '', '[data-testid="all-networking"]');
const trendStart = Date.now();
await page.waitForSelector('[data-testid="trend-chart"] canvas', { timeout: 120_000 });
console.log(`${'  + 30-day trend'.padEnd(26)} drawn ${Date.now() - trendStart} ms after the rates`);
await measure('problems (page 1 of 50)', '?page=problems', '[data-testid="problems-table"] tr[data-camera]');
await measure('county drill-down', '?page=regions&region=330100', '[data-testid="regions-table"] tr[data-region]');
await measure('camera page', '?page=camera&id=cam-7', '[data-testid="timeline"] .band');
await new Promise((r) => setTimeout(r, 500));
console.log('\nAPI responses the pages needed (bytes):');
let largest = 0;
for (const [u, b] of [...sizes].sort((a, b) => b[1] - a[1])) {
  largest = Math.max(largest, b);
  console.log(`  ${String(b).padStart(9)}  ${u}`);
}
console.log(`largest response ${(largest / 1024).toFixed(1)} KiB (goal: none over 1 MiB)`);
await browser.close();
stopAll();
process.exit(0);
