import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatorConfig, startAggregator, type AggregatorProcess, type AggregatorSetup } from '../support/aggregator-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';

/**
 * The plan file (`planFile`) at every start: read and bound when it changed,
 * left alone when it is the file the stored plan came from (a province's
 * million points took half a minute of each start, issue 31), and read again
 * after an upload replaced the plan in between: the file wins at start.
 */
describe('the plan file at start', () => {
  let broker: Broker;
  let setup: AggregatorSetup;
  let agg: AggregatorProcess | undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-planfile-'));
  const planFile = path.join(dir, 'plan.csv');
  const plan = (ids: string[]) => writeFileSync(planFile, ['id,name,region,category', ...ids.map((id) => `${id},Point ${id},330106,key_public_area`)].join('\n'));
  const points = async () => (await agg!.get<{ points: Array<{ id: string }> }>('/api/plan')).points.map((p) => p.id).sort();
  const said = (msg: string) => agg!.lines.filter((l) => l.includes(`"msg":"${msg}"`)).length;

  beforeAll(async () => {
    broker = await startMosquitto();
    plan(['P1', 'P2']);
    setup = await aggregatorConfig({ mqtt: { url: broker.url }, planFile, http: { token: 'plan-file-admin-token-0123' } });
  }, 30_000);

  afterAll(async () => {
    await agg?.stop('SIGKILL');
    await broker?.stop();
  });

  it('loads a new file, leaves an unchanged one alone, reads a changed one, and takes the file back after an upload', async () => {
    agg = await startAggregator(setup);
    expect(await points()).toEqual(['P1', 'P2']);
    expect(said('point plan loaded')).toBe(1);
    expect(await agg.stop()).toBe(0);

    // the same file: the stored plan stands, nothing parsed or stored again
    agg = await startAggregator(setup);
    expect(await points()).toEqual(['P1', 'P2']);
    expect(said('point plan loaded')).toBe(0);
    expect(said('point plan file unchanged since it was loaded: the stored plan stands')).toBe(1);
    expect(await agg.stop()).toBe(0);

    // one byte more: read again
    plan(['P1', 'P2', 'P3']);
    agg = await startAggregator(setup);
    expect(await points()).toEqual(['P1', 'P2', 'P3']);
    expect(said('point plan loaded')).toBe(1);

    // an upload replaces the plan; at the next start the (unchanged) file is the plan again
    const put = await fetch(`${agg.api}/api/plan`, { method: 'PUT', headers: { Authorization: 'Bearer plan-file-admin-token-0123', 'Content-Type': 'text/csv' }, body: 'id,name,region,category\nU1,Uploaded,330106,key_public_area' });
    expect(put.status).toBe(200);
    expect(await points()).toEqual(['U1']);
    expect(await agg.stop()).toBe(0);
    agg = await startAggregator(setup);
    expect(await points()).toEqual(['P1', 'P2', 'P3']);
    expect(said('point plan loaded')).toBe(1);
  }, 60_000);
});
