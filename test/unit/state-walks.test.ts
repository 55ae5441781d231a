import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.js';
import { AggregatorState } from '../../aggregator/features/state.js';
import { applyWindow } from '../../aggregator/features/maintenance.js';
import { createPipeline } from '../../aggregator/ingest/pipeline.js';
import { ALL_REGIONS } from '../../aggregator/rates/model.js';
import { turnCounter } from '../support/turns.js';

// Issue 31: a maintenance window that begins moves every camera it covers out
// of the counts, a new plan binds every camera anew; at a province's scale
// each takes a second or more, and must give the event loop back while it goes
// (answers, ingest, timers).
const t = topics();
const iso = (ms: number) => new Date(ms).toISOString();
const CAMERAS = 30_000;

/** A model with `n` cameras online on one gateway, each naming point P{i}. */
function fleetOf(n: number, now: number) {
  const log = pino({ level: 'silent' });
  const state = new AggregatorState({ changes: { record: () => undefined }, log, now: () => now });
  const ingest = createPipeline({ fleet: state, log, rates: { observe: () => undefined, markDirty: () => undefined }, ownTier: undefined, topicRoot: t.root, maxPayloadBytes: 64 * 1024 });
  const send = (topic: string, payload: unknown) => ingest({ topic, payload: Buffer.from(JSON.stringify(payload)), responseTopic: undefined, correlationData: undefined });
  send(t.agentState('gw'), { state: 'online', session: 's1', agentVersion: '0.1.0', startedAt: iso(now - 3600_000), site: null, region: '330106', lastSeq: 0 });
  for (let i = 0; i < n; i++) {
    send(t.cameraStatus('gw', `c${i}`), { cameraId: `c${i}`, name: null, state: 'online', since: iso(now - 60_000), checkedAt: iso(now - 1000), rung: null, reason: null, detail: null, consecutiveFailures: 0, source: 'rtsp', address: 'h:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: `P${i}`, category: null, faults: [], rungs: [] });
  }
  return { state, all: () => state.counters.counts().get(ALL_REGIONS)!.all };
}

describe('walks over many cameras', () => {
  it('a new plan is put in force in slices, the loop turning meanwhile: every camera bound to its point after', async () => {
    const now = Date.parse('2026-12-05T04:00:00Z');
    const { state, all } = fleetOf(CAMERAS, now);
    expect([all().installed, all().points, all().coveredPoints]).toEqual([CAMERAS, 0, 0]);
    const turns = turnCounter();
    const version = state.planVersion;
    const done = state.setPlan(Array.from({ length: CAMERAS }, (_, i) => ({ id: `P${i}`, name: `点位 ${i}`, region: '330106', category: 'key_public_area' as const, required: 1 })));
    // nothing changed until it is in force
    expect([all().points, state.planVersion]).toEqual([0, version]);
    await done;
    turns.stop();
    expect(turns.now()).toBeGreaterThanOrEqual(2);
    expect([all().installed, all().points, all().coveredPoints, state.planVersion]).toEqual([CAMERAS, CAMERAS, CAMERAS, version + 1]);
    expect(state.pointOf('P7')?.name).toBe('点位 7');
  });

  it('a window that begins moves its cameras out of the counts in slices, the loop turning meanwhile; one that ends moves them back', async () => {
    const now = Date.parse('2026-12-05T04:00:00Z');
    const { state, all } = fleetOf(CAMERAS, now);
    expect([all().installed, all().maintenance]).toEqual([CAMERAS, 0]);

    const turns = turnCounter();
    applyWindow(state, { id: 'mw-1', scope: 'agent', target: 'gw', from: iso(now - 1000), to: iso(now + 3600_000), reason: '' });
    await state.maintenanceSettled();
    const during = turns.now();
    expect([all().installed, all().maintenance]).toEqual([0, CAMERAS]);
    // thirty thousand cameras take longer than one slice (8 ms): the walk gave the loop back on its way
    expect(during).toBeGreaterThanOrEqual(2);

    expect(state.maintenance.end('mw-1')).toBe(true);
    await state.tickMaintenance();
    turns.stop();
    expect([all().installed, all().maintenance]).toEqual([CAMERAS, 0]);
  });
});
