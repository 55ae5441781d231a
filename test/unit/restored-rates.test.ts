import { describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.js';
import { ratesResponse } from '../../protocols/http-api.js';
import { Scope } from '../../aggregator/auth/roles.js';
import { ratesWalk } from '../../aggregator/features/rates-walk.js';
import { keptRatesText, RESTORE_MAX_AGE_MS, RestoredRates } from '../../aggregator/features/restored-rates.js';
import { scopedRates } from '../../aggregator/features/scope-views.js';
import { memoryFleet } from '../support/fleet.js';

const t = topics();
const T0 = Date.parse('2026-12-05T08:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const status = (id: string, state: string, pointId: string) => ({
  cameraId: id, name: null, state, since: iso(T0 - 3600_000), checkedAt: iso(T0 - 1000), rung: state === 'offline' ? 'tcp' : null, reason: state === 'offline' ? 'unreachable' : null, detail: null,
  consecutiveFailures: 0, source: 'rtsp', address: 'h:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId, category: null, faults: [], rungs: [],
});

/** Two counties of 杭州 (one a grassroots name from the plan), three cameras, one offline. */
async function fleetAt(now: () => number) {
  const f = memoryFleet({ now });
  await f.fleet.setPlan([
    { id: 'P1', name: 'P1', region: '330106', category: 'key_public_area', required: 1 },
    { id: 'P2', name: 'P2', region: '330106', category: 'key_industry_part', required: 1 },
    { id: 'P3', name: 'P3', region: '330108', regionName: '滨江试点', category: 'key_public_area', required: 1 },
  ] as never);
  f.send(t.agentState('gw-1'), { state: 'online', session: 's1', agentVersion: '0.1.0', startedAt: iso(T0 - 7200_000), site: null, region: '330106' });
  f.send(t.cameraStatus('gw-1', 'c1'), status('c1', 'online', 'P1'));
  f.send(t.cameraStatus('gw-1', 'c2'), status('c2', 'offline', 'P2'));
  f.send(t.cameraStatus('gw-1', 'c3'), status('c3', 'online', 'P3'));
  return f;
}

describe('the rates kept for a restart (restored-rates.ts)', () => {
  it('answer as the live rates answered when they were kept, for every scope, whatever changed since; marked restored', async () => {
    let now = T0;
    const f = await fleetAt(() => now);
    const window = { label: '24h', from: T0 - 86_400_000, to: T0 };
    const walked = await ratesWalk(f.fleet, window);
    const text = keptRatesText(f.fleet.ratesTable(), f.fleet.regionNames, { online: walked.online, recording: walked.recording, from: walked.window.from, to: walked.window.to }, T0);
    const all = new Scope(['all']);
    const county = new Scope(['330106']);
    const live = {
      whole: await scopedRates(f.fleet, all, { region: 'all', category: null, window }),
      every: await scopedRates(f.fleet, all, { region: null, category: null, window }),
      county: await scopedRates(f.fleet, county, { region: null, category: 'key_public_area', window }),
    };
    // what happens after the row was kept does not reach it: the restored figures are of then
    f.send(t.cameraStatus('gw-1', 'c1'), status('c1', 'offline', 'P1'));
    now = T0 + 30 * 60_000;
    const kept = RestoredRates.parse(text, now)!;
    expect(kept.at).toBe(T0);
    const loading = { phase: 'placing' as const, loaded: 1200, of: 3000 };
    const restored = { at: iso(T0), phase: 'placing', loaded: 1200, of: 3000 };
    expect(kept.view(all, { region: 'all', category: null }, loading)).toEqual({ ...(live.whole as object), restored });
    expect(kept.view(all, { region: null, category: null }, loading)).toEqual({ ...(live.every as object), restored });
    expect(kept.view(county, { region: null, category: 'key_public_area' }, loading)).toEqual({ ...(live.county as object), restored });
    // the plan's name of a grassroots unit is kept with the figures
    const unit = kept.view(all, { region: '330100', category: null }, loading);
    expect(unit !== 'unknown' && unit.regions.find((r) => r.region === '330108')?.name).toBe('滨江试点');
    // out of scope is no such region, as live
    expect(kept.view(county, { region: '330108', category: null }, loading)).toBe('unknown');
    // and the answer is the contract's
    expect(ratesResponse.safeParse(kept.view(all, { region: 'all', category: null }, loading)).success).toBe(true);
    const figures = kept.view(all, { region: 'all', category: null }, loading);
    expect(figures !== 'unknown' && figures.regions[0]!.categories.all!.counts).toMatchObject({ installed: 3, online: 2, offline: 1, points: 3, coveredPoints: 3 });
  });

  it('are not shown once older than an hour, from the future, or unreadable', async () => {
    const f = await fleetAt(() => T0);
    const walked = await ratesWalk(f.fleet, { label: '24h', from: T0 - 86_400_000, to: T0 });
    const text = keptRatesText(f.fleet.ratesTable(), f.fleet.regionNames, { ...walked, from: walked.window.from, to: walked.window.to }, T0);
    expect(RestoredRates.parse(text, T0 + RESTORE_MAX_AGE_MS)).not.toBeNull();
    expect(RestoredRates.parse(text, T0 + RESTORE_MAX_AGE_MS + 1)).toBeNull();
    expect(RestoredRates.parse(text, T0 - 60_000)).toBeNull();
    expect(RestoredRates.parse(undefined, T0)).toBeNull();
    expect(RestoredRates.parse('{"v":1,"at":', T0)).toBeNull();
    expect(RestoredRates.parse(JSON.stringify({ ...JSON.parse(text), v: 2 }), T0)).toBeNull();
    expect(RestoredRates.parse(JSON.stringify({ ...JSON.parse(text), counts: [['all', { all: { installed: -1 } }]] }), T0)).toBeNull();
  });
});
