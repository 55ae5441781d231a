import { describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.js';
import { ratesWalk, seedStoredWalk } from '../../aggregator/features/queries.js';
import { memoryFleet } from '../support/fleet.js';

const t = topics();
const T0 = Date.parse('2026-12-05T08:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** The row an earlier process of the centre wrote (features/queries.ts, STORED_WALK_KEY): its last long 24 h walk. */
const storedRow = (to: number, rate: number) =>
  JSON.stringify({
    v: 1,
    from: to - 86_400_000,
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

  it('an unreadable row is no walk: nothing is served from it', () => {
    const f = memoryFleet();
    expect(seedStoredWalk(f.fleet, '{"v":1,"from":')).toBe(false);
    expect(seedStoredWalk(f.fleet, JSON.stringify({ v: 2 }))).toBe(false);
    expect(seedStoredWalk(f.fleet, null)).toBe(false);
  });
});
