import { describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.js';
import { ratesWalk, seedStoredWalk } from '../../aggregator/features/rates-walk.js';
import { memoryFleet } from '../support/fleet.js';

const t = topics();
const T0 = Date.parse('2026-12-05T08:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** The row an earlier process of the centre wrote (features/queries.ts, STORED_WALKS): its last long walk of a window. */
const storedRow = (to: number, rate: number, key: '24h' | 'today' = '24h', from = to - 86_400_000) =>
  JSON.stringify({
    v: 1,
    key,
    from,
    to,
    walkMs: 1800,
    online: [['all', { all: { cameras: 1_000_000, onlineMs: rate * 1000, unknownMs: 0, observedMs: 1000, rate } }]],
    recording: [],
  });

describe('the 24 h walk kept in the store, read at start', () => {
  it("answers the first rates after a start with its figures and its own span; the next answer is this process's walk", async () => {
    const now = T0;
    const f = memoryFleet({ now: () => now });
    f.send(t.agentState('gw-1'), { state: 'online', session: 's1', agentVersion: '0.1.0', startedAt: iso(T0 - 3600_000), site: null, region: '330106' });
    f.send(t.cameraStatus('gw-1', 'c1'), { cameraId: 'c1', name: null, state: 'online', since: iso(T0 - 3600_000), checkedAt: iso(T0 - 1000), rung: null, reason: null, detail: null, consecutiveFailures: 0, source: 'rtsp', address: 'h:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: null, category: null, faults: [], rungs: [] });
    expect(seedStoredWalk(f.fleet, storedRow(T0 - 60_000, 0.975))).toBe(true);
    const first = await ratesWalk(f.fleet, { label: '24h', from: T0 - 86_400_000, to: T0 });
    expect(first.online.get('all')?.all).toMatchObject({ cameras: 1_000_000, rate: 0.975 });
    expect(first.window).toEqual({ label: '24h', from: T0 - 60_000 - 86_400_000, to: T0 - 60_000 });
    await new Promise((r) => setTimeout(r, 10)); // the walk of this start, behind the first answer
    const next = await ratesWalk(f.fleet, { label: '24h', from: T0 - 86_400_000, to: T0 });
    expect(next.online.get('all')?.all).toMatchObject({ cameras: 1 });
    expect(next.window.to).toBe(T0);
  });

  it("today's walk serves the same day only: after midnight it is no answer", async () => {
    const midnight = T0 - 8 * 3600_000;
    const f = memoryFleet({ now: () => T0 });
    expect(seedStoredWalk(f.fleet, storedRow(T0 - 60_000, 0.9, 'today', midnight))).toBe(true);
    const same = await ratesWalk(f.fleet, { label: 'today', from: midnight, to: T0 });
    expect(same.online.get('all')?.all?.rate).toBe(0.9);
    expect(same.window).toEqual({ label: 'today', from: midnight, to: T0 - 60_000 });
    const g = memoryFleet({ now: () => T0 });
    seedStoredWalk(g.fleet, storedRow(T0 - 60_000, 0.9, 'today', midnight - 86_400_000));
    const next = await ratesWalk(g.fleet, { label: 'today', from: midnight, to: T0 });
    expect(next.online.get('all')?.all).toBeUndefined(); // this start's own walk: no camera yet
    expect(next.window.from).toBe(midnight);
  });

  it('an unreadable row is no walk: nothing is served from it', () => {
    const f = memoryFleet();
    expect(seedStoredWalk(f.fleet, '{"v":1,"from":')).toBe(false);
    expect(seedStoredWalk(f.fleet, JSON.stringify({ v: 2 }))).toBe(false);
    expect(seedStoredWalk(f.fleet, null)).toBe(false);
  });
});
