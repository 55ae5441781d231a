import { describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.js';
import { camerasView } from '../../aggregator/features/queries.js';
import { memoryFleet } from '../support/fleet.js';

const t = topics();
const T0 = Date.parse('2026-12-05T08:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const status = (cameraId: string, state: string, since: number) => ({
  cameraId, name: `Camera ${cameraId}`, state, since: iso(since), checkedAt: iso(T0 - 1000), rung: state === 'offline' ? 'tcp' : null, reason: state === 'offline' ? 'unreachable' : null, detail: null,
  consecutiveFailures: state === 'offline' ? 3 : 0, source: 'rtsp', address: 'h:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: null, category: null,
  faults: state === 'degraded' ? [{ fault: 'frozen', value: 1, threshold: 0.995 }] : [], rungs: [],
});

describe('the camera list', () => {
  it('a page built from the cameras it shows (no filter needs the whole view) is the page built from every view, order and total alike', async () => {
    const f = memoryFleet({ now: () => T0 });
    f.send(t.agentState('gw-1'), { state: 'online', session: 's1', agentVersion: '0.1.0', startedAt: iso(T0 - 86_400_000), site: null, region: '330106' });
    const states = ['online', 'offline', 'degraded', 'offline', 'online', 'degraded'];
    // since spread over the last hours, with ties, so that the order needs both its keys
    for (let i = 0; i < 60; i++) f.send(t.cameraStatus('gw-1', `c${String(i).padStart(2, '0')}`), status(`c${String(i).padStart(2, '0')}`, states[i % states.length]!, T0 - 3600_000 * (i % 7)));
    for (const [query, slow] of [
      ['state=offline,degraded&limit=7&offset=3', 'state=offline,degraded&limit=7&offset=3&maintenance=false'],
      ['limit=10', 'limit=10&flapping=false'],
      ['state=offline', 'state=offline&maintenance=false'],
    ] as const) {
      const fast = await camerasView(f.fleet, new URLSearchParams(query), T0);
      const every = await camerasView(f.fleet, new URLSearchParams(slow), T0);
      expect('cameras' in fast && fast.cameras.length).toBeGreaterThan(0);
      expect(fast, query).toEqual(every);
    }
    // a page is the slice of the whole list at its offset, whatever it kept while walking
    const whole = await camerasView(f.fleet, new URLSearchParams('state=offline,degraded'), T0);
    expect('cameras' in whole && whole.cameras.length).toBe(40);
    for (const [limit, offset] of [[7, 3], [1, 0], [50, 0], [10, 35], [5, 40]] as const) {
      const page = await camerasView(f.fleet, new URLSearchParams(`state=offline,degraded&limit=${limit}&offset=${offset}`), T0);
      if (!('cameras' in page) || !('cameras' in whole)) throw new Error('not a page');
      expect(page.total).toBe(40);
      expect(page.cameras.map((c) => c.cameraId), `limit ${limit} offset ${offset}`).toEqual(whole.cameras.slice(offset, offset + limit).map((c) => c.cameraId));
    }
  });
});
