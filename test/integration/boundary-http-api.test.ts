import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatorConfig, startAggregator, type AggregatorProcess } from '../support/aggregator-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';

/*
 * Trust boundary: anyone ↔ the aggregator's HTTP API.
 * What it promises (with http.publicReads, the lab setting; logins, roles and
 * regions are access-control.test.ts): every change needs a credential
 * (compared in constant time); malformed requests get a 4xx with a reason,
 * never a 500; a slow or silent client is cut off; a plan upload can neither
 * wipe the plan by accident nor make the answer explode; ids are printable.
 */
const TOKEN = 'http-boundary-token-000111';
const auth = { Authorization: `Bearer ${TOKEN}` };

describe('boundary anyone ↔ HTTP API', () => {
  let broker: Broker;
  let agg: AggregatorProcess;
  const putPlan = (body: string | Buffer, type = 'text/csv', query = '') => fetch(`${agg.api}/api/plan${query}`, { method: 'PUT', headers: { ...auth, 'Content-Type': type }, body });
  const planSize = async () => (await agg.get<{ points: unknown[] }>('/api/plan')).points.length;

  beforeAll(async () => {
    broker = await startMosquitto();
    agg = await startAggregator(await aggregatorConfig({ mqtt: { url: broker.url }, http: { token: TOKEN } }));
    expect((await putPlan('id,region,category\nP1,330106,key_public_area\nP2,330106,other\n')).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await agg?.stop('SIGKILL');
    await broker?.stop();
  });

  it('http api: a bad percent-encoding is a 400 with a reason, not a 500', async () => {
    const r = await fetch(`${agg.api}/api/cameras/%E0%A4%A`);
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ error: { code: 'BAD_PATH' } });
  });

  it('http api: changes need a credential; reads open to all do not', async () => {
    expect((await fetch(`${agg.api}/api/plan`, { method: 'PUT', body: 'id,region,category\n' })).status).toBe(401);
    expect((await fetch(`${agg.api}/api/plan`, { method: 'PUT', headers: { Authorization: `Bearer ${TOKEN}x` }, body: '[]' })).status).toBe(401);
    expect((await fetch(`${agg.api}/api/cameras/x`, { method: 'DELETE' })).status).toBe(401);
    expect((await fetch(`${agg.api}/api/rates`)).status).toBe(200);
  });

  it('http api: a plan with only its header row does not wipe the plan unless asked in so many words', async () => {
    const r = await putPlan('id,name,region,gbId,category,required\n');
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ error: { code: 'EMPTY_PLAN' } });
    expect(await planSize()).toBe(2);
    expect((await putPlan('id,name,region,gbId,category,required\n', 'text/csv', '?allowEmpty=true')).status).toBe(200);
    expect(await planSize()).toBe(0);
    expect((await putPlan('id,region,category\nP1,330106,key_public_area\n')).status).toBe(200);
  });

  it('http api: 100,000 bad rows give a short answer that counts them all', async () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => `bad-${i},33XX,other`).join('\n');
    const r = await putPlan(`id,region,category\n${rows}\n`);
    const text = await r.text();
    expect(r.status).toBe(400);
    expect(text.length).toBeLessThan(50_000);
    const body = JSON.parse(text) as { errors: unknown[]; errorCount: number };
    expect(body.errors).toHaveLength(100);
    expect(body.errorCount).toBe(100_000);
    expect(await planSize()).toBe(1);
  }, 30_000);

  it('http api: ids with control characters and plans that are not UTF-8 are refused', async () => {
    const nul = await putPlan(JSON.stringify([{ id: 'P\u0000x', region: '330106', category: 'other' }, { id: 'P-ok', region: '330106', category: 'other' }]), 'application/json');
    expect(nul.status).toBe(200);
    const body = (await nul.json()) as { loaded: number; errors: Array<{ line: number; reason: string }> };
    expect(body.loaded).toBe(1);
    expect(body.errors[0]).toMatchObject({ line: 1, reason: expect.stringContaining('control characters') });
    const latin1 = await putPlan(Buffer.from([...Buffer.from('id,region,category\nP\u00e9', 'latin1'), ...Buffer.from(',330106,other\n')]));
    expect(latin1.status).toBe(400);
    expect(await latin1.json()).toMatchObject({ error: { code: 'NOT_UTF8' } });
  });

  it('http api: a client that trickles its headers is cut off after the header deadline', async () => {
    const port = Number(new URL(agg.api).port);
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const started = Date.now();
    socket.write('GET /api/rates HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => socket.write('X-Slow: a\r\n'), 1000);
    const closedAfter = await new Promise<number>((resolve) => {
      socket.on('close', () => resolve(Date.now() - started));
      socket.on('error', () => undefined);
      setTimeout(() => resolve(Number.POSITIVE_INFINITY), 25_000);
    });
    clearInterval(trickle);
    socket.destroy();
    expect(closedAfter).toBeLessThan(15_000);
  }, 30_000);
});
