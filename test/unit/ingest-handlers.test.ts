import { describe, expect, it } from 'vitest';
import { topics, type DecodedOf } from '../../protocols/index.js';
import { agentState } from '../../aggregator/ingest/handlers/agent-state.js';
import { cameraStatus } from '../../aggregator/ingest/handlers/camera-status.js';
import { cascadeRollup, cascadeState } from '../../aggregator/ingest/handlers/cascade.js';
import { configReported } from '../../aggregator/ingest/handlers/config-reported.js';
import { event } from '../../aggregator/ingest/handlers/event.js';
import { maintenance } from '../../aggregator/ingest/handlers/maintenance.js';
import { rates } from '../../aggregator/ingest/handlers/rates.js';
import { summary } from '../../aggregator/ingest/handlers/summary.js';
import { memoryFleet } from '../support/fleet.js';

const t = topics();
const T0 = Date.parse('2026-12-04T08:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const birth = (session = 's1', startedAt = T0 - 60_000) => ({ state: 'online', session, agentVersion: '0.1.0', startedAt: iso(startedAt), site: null, region: '330106' });
const status = (cameraId: string, state: string, extra: object = {}) => ({
  cameraId, name: null, state, since: iso(T0 - 30_000), checkedAt: iso(T0 - 1000), rung: null, reason: null, detail: null, consecutiveFailures: 0,
  source: 'rtsp', address: 'h:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: null, category: null, faults: [], rungs: [], ...extra,
});
const lost = (seq: number) => ({ session: 's0', seq, ts: iso(T0 - 3600_000 + seq) });
const stateEvent = (seq: number, cameraId: string, from: string, to: string, at = T0, session = 's1') => ({ type: 'state', session, seq, ts: iso(at), cameraId, from, to, rung: null, reason: null });

/** a fleet at T0 with gateway gw-1 born and its camera c1 online */
function withCamera(now = () => T0) {
  const f = memoryFleet({ now });
  f.send(t.agentState('gw-1'), birth());
  f.send(t.cameraStatus('gw-1', 'c1'), status('c1', 'online'));
  f.changes.clear();
  return f;
}

describe('ingest handlers, on an in-memory fleet', () => {
  it('agent state: a birth saves the agent; its will makes its cameras unknown from now', () => {
    const f = withCamera();
    expect(f.changes.changes).toEqual([]);
    expect(agentState(f.ctx, f.decoded(t.agentState('gw-1'), { state: 'offline', session: 's1' }))).toBe('applied');
    expect(f.changes.of('agent')).toEqual([{ kind: 'agent', agent: expect.objectContaining({ agentId: 'gw-1', online: false, session: 's1', since: T0 }) }]);
    expect(f.changes.of('mark')).toEqual([{ kind: 'mark', cameraId: 'c1', at: T0, state: 'unknown' }]);
    expect(f.fleet.counters.get('c1')?.state).toBe('unknown');
  });

  it("agent state: a copy of the same birth (the retained one, sent again when the centre resubscribes) refreshes none of its cameras and keeps a proof that waits for its events", () => {
    const f = withCamera();
    // the gateway goes and its session comes back: the span between waits for the events up to lastSeq 3
    agentState(f.ctx, f.decoded(t.agentState('gw-1'), { state: 'offline', session: 's1' }));
    agentState(f.ctx, f.decoded(t.agentState('gw-1'), { ...birth(), lastSeq: 3 }));
    const proof = f.fleet.agents.get('gw-1')?.pendingProof;
    expect(proof).toMatchObject({ session: 's1', upToSeq: 3 });
    let refreshed = 0;
    const refresh = f.fleet.refresh.bind(f.fleet);
    f.fleet.refresh = (c) => {
      refreshed += 1;
      refresh(c);
    };
    f.changes.clear();
    agentState(f.ctx, f.decoded(t.agentState('gw-1'), { ...birth(), lastSeq: 3 }));
    expect(refreshed).toBe(0);
    expect(f.changes.of('mark')).toEqual([]);
    expect(f.fleet.agents.get('gw-1')?.pendingProof).toEqual(proof);
    // a birth that moves the gateway's region is no copy: its cameras are counted again
    agentState(f.ctx, f.decoded(t.agentState('gw-1'), { ...birth(), region: '330102' }));
    expect(refreshed).toBe(1);
    expect(f.fleet.counters.get('c1')?.region).toBe('330102');
  });

  it('agent state: the will of an older session changes nothing, and is counted as stale', () => {
    const f = withCamera();
    agentState(f.ctx, f.decoded(t.agentState('gw-1'), { state: 'offline', session: 's0' }));
    expect(f.changes.changes).toEqual([]);
    expect(f.fleet.stats.accepted['agent_state_stale']).toBe(1);
    expect(f.fleet.agents.get('gw-1')?.online).toBe(true);
  });

  it('camera status: a new camera is saved with its first mark at its own since; a recording check is kept once', () => {
    const f = memoryFleet({ now: () => T0 });
    f.send(t.agentState('gw-1'), birth());
    f.changes.clear();
    const rec = { checkedAt: iso(T0 - 5000), supported: true, recordedSec: 86000, scheduledSec: 86400, detail: null };
    const msg = f.decoded<DecodedOf<'cameraStatus'>>(t.cameraStatus('gw-1', 'c2'), status('c2', 'online', { recording: rec }));
    expect(cameraStatus(f.ctx, msg)).toBe('applied');
    expect(f.changes.changes.map((c) => c.kind)).toEqual(['recordingCheck', 'camera', 'mark']);
    expect(f.changes.of('mark')[0]).toEqual({ kind: 'mark', cameraId: 'c2', at: T0 - 30_000, state: 'online' });
    f.changes.clear();
    cameraStatus(f.ctx, f.decoded(t.cameraStatus('gw-1', 'c2'), status('c2', 'online', { recording: rec, checkedAt: iso(T0) })));
    // the same state and the same recording check: only the status is saved
    expect(f.changes.changes.map((c) => c.kind)).toEqual(['camera']);
  });

  it("camera status: another gateway's status for an owned camera is refused and changes nothing; the owner's clear removes it", () => {
    const f = withCamera();
    expect(cameraStatus(f.ctx, f.decoded(t.cameraStatus('gw-2', 'c1'), status('c1', 'offline')))).toBe('not_owner');
    expect(f.changes.changes).toEqual([]);
    expect(f.fleet.stats.rejected['not_owner']).toBe(1);
    expect(cameraStatus(f.ctx, f.decoded(t.cameraStatus('gw-1', 'c1'), ''))).toBe('applied');
    expect(f.changes.changes).toEqual([{ kind: 'cameraRemoved', cameraId: 'c1', at: T0 }]);
    expect(f.fleet.cameras.has('c1')).toBe(false);
  });

  it('event: stored once per (session, seq) with its mark; a repeat is a duplicate; a gap is noted', () => {
    const f = withCamera();
    const e1 = f.decoded<DecodedOf<'events'>>(t.events('gw-1'), stateEvent(1, 'c1', 'online', 'offline', T0 - 500));
    expect(event(f.ctx, e1)).toBe('applied');
    expect(f.changes.changes).toEqual([
      { kind: 'event', agentId: 'gw-1', session: 's1', seq: 1, ts: T0 - 500, cameraId: 'c1' },
      { kind: 'mark', cameraId: 'c1', at: T0 - 500, state: 'offline' },
    ]);
    f.changes.clear();
    event(f.ctx, e1);
    expect(f.changes.changes).toEqual([]);
    expect(f.fleet.stats.duplicates).toBe(1);
    event(f.ctx, f.decoded(t.events('gw-1'), stateEvent(4, 'c1', 'offline', 'online', T0 - 100)));
    expect(f.fleet.stats.gapsDetected).toBe(1);
    expect(f.fleet.gaps()).toEqual([{ agentId: 'gw-1', session: 's1', fromSeq: 2, toSeq: 3 }]);
  });

  it('event: a replayed change proves the unknown span before it; a reported loss is kept', () => {
    let now = T0;
    const f = withCamera(() => now);
    agentState(f.ctx, f.decoded(t.agentState('gw-1'), { state: 'offline', session: 's1' }));
    now = T0 + 60_000;
    f.changes.clear();
    // the gateway replays: c1 went offline from online during the span the centre had as unknown
    event(f.ctx, f.decoded(t.events('gw-1'), stateEvent(1, 'c1', 'online', 'offline', T0 + 30_000)));
    expect(f.changes.of('markProven')).toEqual([{ kind: 'markProven', cameraId: 'c1', at: T0, state: 'online' }]);
    event(f.ctx, f.decoded(t.events('gw-1'), { type: 'events_dropped', session: 's1', seq: 2, ts: iso(T0 + 40_000), count: 5, from: lost(3), to: lost(7) }));
    expect(f.changes.of('loss')).toEqual([{ kind: 'loss', loss: { agentId: 'gw-1', count: 5, cause: 'outbox_full', from: lost(3), to: lost(7), reportedAt: iso(T0 + 40_000) } }]);
  });

  it('event: an agent_stopped makes its cameras unknown at the time it says', () => {
    const f = withCamera(() => T0 + 10_000);
    event(f.ctx, f.decoded(t.events('gw-1'), { type: 'agent_stopped', session: 's1', seq: 1, ts: iso(T0 + 5000) }));
    expect(f.changes.of('mark')).toEqual([{ kind: 'mark', cameraId: 'c1', at: T0 + 5000, state: 'unknown' }]);
    expect(f.changes.of('agent')[0]?.agent).toMatchObject({ online: false, since: T0 + 5000 });
  });

  it('config reported: kept on the agent for the gateways page', () => {
    const f = withCamera();
    configReported(f.ctx, f.decoded(t.configReported('gw-1'), { version: 3, source: 'agent', status: 'rejected', hash: 'h', appliedAt: iso(T0), versions: { agent: 2 }, errors: [{ path: 'a', message: 'b' }] }));
    expect(f.changes.of('agent')[0]?.agent.config).toEqual({ version: 3, source: 'agent', status: 'rejected', appliedAt: iso(T0), errors: 1 });
  });

  it('summary: counted, nothing stored', () => {
    const f = withCamera();
    summary(f.ctx, f.decoded(t.summary('gw-1'), { session: 's1', ts: iso(T0), windowMs: 86_400_000, counts: { online: 1, degraded: 0, offline: 0, unknown: 0 }, cameras: [] }));
    expect(f.changes.changes).toEqual([]);
    expect(f.fleet.stats.accepted['summary']).toBe(1);
  });

  it('maintenance: a window is saved with the id of its topic; clearing one that has not begun deletes it', () => {
    const f = withCamera();
    maintenance(f.ctx, f.decoded(t.maintenance('mw-1'), { id: 'other', scope: 'camera', target: 'c1', from: iso(T0 + 3600_000), to: iso(T0 + 7200_000) }));
    expect(f.changes.of('window')).toEqual([{ kind: 'window', window: { id: 'mw-1', scope: 'camera', target: 'c1', from: iso(T0 + 3600_000), to: iso(T0 + 7200_000), reason: '' } }]);
    maintenance(f.ctx, f.decoded(t.maintenance('mw-1'), ''));
    expect(f.changes.of('windowDeleted')).toEqual([{ kind: 'windowDeleted', id: 'mw-1' }]);
  });

  it("cascade: a tier's state and rollup move the rates; our own tier is not one below us", () => {
    const f = memoryFleet({ now: () => T0, ownTier: 'city' });
    cascadeState(f.ctx, f.decoded(t.cascadeState('county-1'), { state: 'online', tier: 'county-1' }));
    expect(f.fleet.tiers.size).toBe(1);
    expect(f.ratesDirty()).toBe(1);
    cascadeRollup(f.ctx, f.decoded(t.cascadeRollup('city'), { tier: 'city', ts: iso(T0), intervalMs: 1000, regions: {} }));
    expect(f.fleet.tiers.size).toBe(1);
    expect(f.ratesDirty()).toBe(1);
    expect(f.changes.changes).toEqual([]);
  });

  it('rates: what the broker holds is told to the rates publisher, unread', () => {
    const f = memoryFleet();
    rates(f.ctx, f.decoded(t.rates('330106'), 'not even JSON'));
    rates(f.ctx, f.decoded(t.rates('330106'), ''));
    expect(f.ratesSeen).toEqual([
      { region: '330106', payload: 'not even JSON' },
      { region: '330106', payload: null },
    ]);
  });

  it('pipeline: a refused message is counted by its reason and changes nothing', () => {
    const f = withCamera();
    f.send(t.events('gw-1'), '{nope');
    f.send(t.cameraStatus('gw-1', 'c1'), status('c9', 'offline'));
    f.send(t.cascadeRollup('county-1'), { tier: 'county-2', ts: iso(T0), intervalMs: 1000, regions: {} });
    f.send(t.maintenance('mw-2'), { scope: 'camera' });
    f.send(`${t.root}/agents/gw-1/unheard-of`, '{}');
    f.send(t.agentState('gw 1'), birth());
    expect(f.changes.changes).toEqual([]);
    expect(f.fleet.stats.rejected).toEqual({ not_json: 1, id_mismatch: 2, schema: 1, unknown_topic: 1, bad_id: 1 });
  });
});

describe('a restart inside a broker outage', () => {
  it("agent state: the old session's will arriving after the new session had started does not leave the new session's watched time unknown", () => {
    let now = T0;
    const f = withCamera(() => now);
    // the broker comes back at T0+120 s and only then hands over the first session's will
    now = T0 + 120_000;
    agentState(f.ctx, f.decoded(t.agentState('gw-1'), { state: 'offline', session: 's1' }));
    expect(f.changes.of('mark')).toEqual([{ kind: 'mark', cameraId: 'c1', at: T0 + 120_000, state: 'unknown' }]);
    // the second session started at T0+30 s, in the outage, and has used seq 1..2
    now = T0 + 121_000;
    agentState(f.ctx, f.decoded(t.agentState('gw-1'), { ...birth('s2', T0 + 30_000), lastSeq: 2 }));
    // its outbox replays what it saw: the camera came up under it, went down and came back, all before the will
    event(f.ctx, f.decoded(t.events('gw-1'), stateEvent(1, 'c1', 'unknown', 'offline', T0 + 35_000, 's2')));
    expect(f.changes.of('markProven')).toEqual([]);
    event(f.ctx, f.decoded(t.events('gw-1'), stateEvent(2, 'c1', 'offline', 'online', T0 + 60_000, 's2')));
    // every event of the session up to its birth's lastSeq is here: the will's unknown is the state it proved
    expect(f.changes.of('markProven')).toEqual([{ kind: 'markProven', cameraId: 'c1', at: T0 + 120_000, state: 'online' }]);
    expect(f.fleet.cameras.get('c1')!.marks.map((m) => m.state)).toEqual(['online', 'offline', 'online', 'online']);
  });

  it('agent state: a new session that started after the old one was marked offline proves nothing (no agent watched between)', () => {
    let now = T0;
    const f = withCamera(() => now);
    now = T0 + 10_000;
    agentState(f.ctx, f.decoded(t.agentState('gw-1'), { state: 'offline', session: 's1' }));
    now = T0 + 60_000;
    agentState(f.ctx, f.decoded(t.agentState('gw-1'), { ...birth('s2', T0 + 50_000), lastSeq: 1 }));
    event(f.ctx, f.decoded(t.events('gw-1'), stateEvent(1, 'c1', 'unknown', 'online', T0 + 55_000, 's2')));
    expect(f.changes.of('markProven')).toEqual([]);
    expect(f.fleet.cameras.get('c1')!.marks.map((m) => m.state)).toEqual(['online', 'unknown', 'online']);
  });

  const stopped = (seq: number, at: number, session = 's1', startedAt = T0 - 60_000) => ({ type: 'agent_stopped', session, seq, ts: iso(at), startedAt: iso(startedAt) });

  it("event: a session's clean stop, with every seq of it here, proves the time its link was down up to the stop", () => {
    let now = T0;
    const f = withCamera(() => now);
    f.send(t.events('gw-1'), stateEvent(1, 'c1', 'unknown', 'online', T0 - 50_000));
    now = T0 + 10_000; // the uplink drops: the will
    agentState(f.ctx, f.decoded(t.agentState('gw-1'), { state: 'offline', session: 's1' }));
    f.changes.clear();
    // the agent was restarted inside the outage; its stop is replayed later
    now = T0 + 90_000;
    event(f.ctx, f.decoded(t.events('gw-1'), stopped(2, T0 + 40_000)));
    expect(f.changes.of('markProven')).toEqual([{ kind: 'markProven', cameraId: 'c1', at: T0 + 10_000, state: 'online' }]);
    expect(f.changes.of('mark')).toEqual([{ kind: 'mark', cameraId: 'c1', at: T0 + 40_000, state: 'unknown' }]);
  });

  it('event: a stop with a seq of its session missing, or without the session start, proves nothing', () => {
    for (const [seq, startedAt] of [
      [3, T0 - 60_000], // seq 2 never came
      [2, undefined],
    ] as const) {
      let now = T0;
      const f = withCamera(() => now);
      f.send(t.events('gw-1'), stateEvent(1, 'c1', 'unknown', 'online', T0 - 50_000));
      now = T0 + 10_000;
      agentState(f.ctx, f.decoded(t.agentState('gw-1'), { state: 'offline', session: 's1' }));
      now = T0 + 90_000;
      const e = { ...stopped(seq, T0 + 40_000), ...(startedAt === undefined ? { startedAt: undefined } : {}) };
      event(f.ctx, f.decoded(t.events('gw-1'), JSON.parse(JSON.stringify(e))));
      expect(f.changes.of('markProven'), `seq ${seq}`).toEqual([]);
      expect(f.fleet.cameras.get('c1')!.marks.map((m) => m.state), `seq ${seq}`).toEqual(['online', 'online', 'unknown']);
    }
  });
});
