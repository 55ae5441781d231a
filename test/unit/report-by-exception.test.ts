import { describe, expect, it } from 'vitest';
import { topics, type CameraStatusMessage } from '../../protocols/index.js';
import { StatusChanges, type ChangeRule } from '../../agent/features/status-changes.js';
import { RoundBook } from '../../agent/features/round-book.js';
import { memoryFleet } from '../support/fleet.js';
import { AlertEngine } from '../../aggregator/features/alerts.js';
import pino from 'pino';

const t = topics();
const T0 = Date.parse('2026-12-04T08:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const RULE: ChangeRule = { fpsTolerance: 0.2, clockDriftToleranceMs: 5000, offlineAfter: 3 };

const status = (cameraId: string, extra: Partial<CameraStatusMessage> = {}): CameraStatusMessage => ({
  cameraId, gbId: null, name: 'gate', state: 'online', since: iso(T0 - 60_000), checkedAt: iso(T0), rung: null, reason: null, detail: null, consecutiveFailures: 0,
  source: 'rtsp', address: '127.0.0.1:554', streamUri: 'rtsp://127.0.0.1:554/cam', stream: { codec: 'h264', width: 1280, height: 720, fps: 25, bitrate: 2_000_000, rtspRttMs: 1.2, frames: 1 },
  device: null, clockDriftMs: 300, pointId: 'P-1', category: 'key_public_area', faults: [],
  rungs: [{ rung: 'tcp', ok: true, ms: 0.4, reason: null, detail: null, at: iso(T0) }, { rung: 'rtsp', ok: true, ms: 2.1, reason: null, detail: null, at: iso(T0), streamUri: 'rtsp://127.0.0.1:554/cam' }],
  recording: null, ...extra,
});

describe('report by exception: what the agent sends', () => {
  it('status changes: a new check that says the same (times, timings, bitrate, a fault\'s value) is not news; state, rung, faults, stream size, binding and a new recording check are', () => {
    const c = new StatusChanges(() => RULE);
    const first = status('c1');
    expect(c.isNews(first)).toBe(true);
    c.markSent(first, T0);
    const same = status('c1', {
      checkedAt: iso(T0 + 60_000),
      detail: 'took 12 ms',
      stream: { ...first.stream!, bitrate: 1_800_000, rtspRttMs: 9, frames: 3, fps: 24 },
      clockDriftMs: 2300,
      rungs: first.rungs.map((r) => ({ ...r, ms: r.ms + 5, at: iso(T0 + 60_000), detail: 'again' })),
    });
    expect(c.isNews(same)).toBe(false);
    const news: Array<[string, Partial<CameraStatusMessage>]> = [
      ['state', { state: 'offline', since: iso(T0 + 60_000) }],
      ['a first failure', { consecutiveFailures: 1, rung: 'tcp', reason: 'unreachable' }],
      ['a fault', { faults: [{ fault: 'black', value: 3, threshold: 16 }] }],
      ['stream size', { stream: { ...first.stream!, width: 1920, height: 1080 } }],
      ['frame rate beyond 20%', { stream: { ...first.stream!, fps: 12.5 } }],
      ['clock drift beyond 5 s', { clockDriftMs: 9000 }],
      ['point', { pointId: 'P-2' }],
      ['category', { category: 'key_industry_part' }],
      ['name', { name: 'gate 2' }],
      ['a rung failing', { rungs: [first.rungs[0]!, { ...first.rungs[1]!, ok: false, reason: 'busy' }] }],
      ['recording check', { recording: { supported: true, recordedSec: 86_000, scheduledSec: 86_400, checkedAt: iso(T0 + 3_600_000), detail: null } }],
    ];
    for (const [what, extra] of news) expect(c.isNews(status('c1', extra)), what).toBe(true);
  });

  it('status changes: failures beyond offlineAfter are no news (an offline camera is not re-sent every round); a fault\'s measured value is not either', () => {
    const c = new StatusChanges(() => RULE);
    const off = (n: number) => status('c1', { state: 'offline', rung: 'tcp', reason: 'unreachable', consecutiveFailures: n, faults: [] });
    c.markSent(off(3), T0);
    expect(c.isNews(off(4))).toBe(false);
    expect(c.isNews(off(40))).toBe(false);
    c.markSent(status('c1', { state: 'degraded', faults: [{ fault: 'black', value: 3, threshold: 16 }] }), T0);
    expect(c.isNews(status('c1', { state: 'degraded', faults: [{ fault: 'black', value: 7, threshold: 16 }] }))).toBe(false);
    c.forget('c1');
    expect(c.isNews(status('c1', { state: 'degraded', faults: [{ fault: 'black', value: 7, threshold: 16 }] }))).toBe(true);
  });

  it('refresh: over a day of 60 s rounds each of 100 cameras is refreshed exactly once, never more than ceil(100 / 1440) a round; one sent within the round is skipped', () => {
    const c = new StatusChanges(() => RULE);
    const ids = Array.from({ length: 100 }, (_, i) => `cam-${i}`);
    const day = 86_400_000;
    for (const id of ids) c.markSent(status(id), T0);
    const times = new Map<string, number>();
    let most = 0;
    for (let r = 0; r < 1440; r++) {
      const due = c.dueForRefresh(ids, T0 + r * 60_000, T0 + (r + 1) * 60_000, day);
      most = Math.max(most, due.length);
      for (const id of due) times.set(id, (times.get(id) ?? 0) + 1);
    }
    expect(most).toBe(1);
    expect([...times.values()].every((n) => n === 1)).toBe(true);
    expect(times.size).toBe(100);
    // a camera whose change went out within the span is not refreshed in it
    const whole = c.dueForRefresh(ids, T0, T0 + day, day);
    expect(whole).toHaveLength(100);
    c.markSent(status('cam-7'), T0 + 10);
    expect(c.dueForRefresh(ids, T0, T0 + day, day)).not.toContain('cam-7');
  });

  it('rounds: a round closes with its last camera\'s check, or at the next round with what is still pending as unchecked; a removed camera is not waited for', () => {
    const b = new RoundBook();
    expect(b.begin(['a', 'b', 'c'], T0, 60_000)).toEqual([]);
    expect(b.done('a', T0 + 10)).toBeUndefined();
    expect(b.done('a', T0 + 11)).toBeUndefined(); // counted once
    expect(b.removed('c', T0 + 12)).toBeUndefined();
    expect(b.done('b', T0 + 20)).toEqual({ round: 1, startedAt: T0, endedAt: T0 + 20, periodMs: 60_000, checked: 2, unchecked: [] });
    expect(b.begin(['a', 'b'], T0 + 60_000, 60_000)).toEqual([]);
    b.done('b', T0 + 61_000);
    expect(b.begin(['a', 'b'], T0 + 120_000, 60_000)).toEqual([{ round: 2, startedAt: T0 + 60_000, endedAt: T0 + 120_000, periodMs: 60_000, checked: 1, unchecked: ['a'] }]);
    expect(b.begin([], T0 + 180_000, 60_000).map((r) => [r.round, r.checked, r.unchecked])).toEqual([
      [3, 0, ['a', 'b']],
      [4, 0, []],
    ]);
  });
});

describe('report by exception: what the centre makes of rounds', () => {
  const birth = (session = 's1') => ({ state: 'online', session, agentVersion: '0.2.0', startedAt: iso(T0 - 120_000), site: null, region: '330106' });
  const round = (n: number, startedAt: number, unchecked: string[] = [], session = 's1') => ({
    session, round: n, startedAt: iso(startedAt), endedAt: iso(startedAt + 50_000), periodMs: 60_000, checked: 3 - unchecked.length, unchecked, statusPublish: 'change',
  });
  const setup = () => {
    let now = T0;
    const f = memoryFleet({ now: () => now });
    f.send(t.agentState('gw-1'), birth());
    for (const id of ['c1', 'c2', 'c3']) f.send(t.cameraStatus('gw-1', id), status(id, { checkedAt: iso(T0 - 100_000) }));
    f.send(t.agentState('gw-2'), birth('s9'));
    f.send(t.cameraStatus('gw-2', 'other'), status('other', { checkedAt: iso(T0 - 100_000) }));
    return { f, at: (ms: number) => (now = ms), camera: (id: string) => f.fleet.cameras.get(id)! };
  };

  it('a round confirms every camera it does not name, without a status; a camera left unchecked keeps its last confirmation and turns stale after 3 rounds, then comes back', () => {
    const { f, at, camera } = setup();
    f.changes.clear();
    for (let r = 1; r <= 3; r++) {
      at(T0 + r * 60_000 - 5000);
      f.send(t.round('gw-1'), round(r, T0 + (r - 1) * 60_000));
    }
    // nothing stored for the rounds themselves: confirmation lives in memory, the history has no new mark
    expect(f.changes.changes).toEqual([]);
    expect(f.fleet.confirmedAt(camera('c1'))).toBe(T0 + 120_000);
    expect(f.fleet.stats.accepted['round']).toBe(3);
    // c2 from round 4 on is not checked in time: rounds 4 and 5 do not confirm it, round 6 is the third that does not
    for (let r = 4; r <= 5; r++) {
      at(T0 + r * 60_000 - 5000);
      f.send(t.round('gw-1'), round(r, T0 + (r - 1) * 60_000, ['c2']));
      f.fleet.sweepStale();
      expect(f.fleet.confirmedAt(camera('c2'))).toBe(T0 + 120_000);
      expect(f.fleet.confirmedAt(camera('c1'))).toBe(T0 + (r - 1) * 60_000);
    }
    expect(f.fleet.isStale(camera('c2'))).toBe(false);
    at(T0 + 6 * 60_000 - 5000);
    f.send(t.round('gw-1'), round(6, T0 + 5 * 60_000, ['c2']));
    expect(f.fleet.isStale(camera('c2'))).toBe(true);
    expect(f.fleet.counters.get('c2')?.state).toBe('unknown');
    expect(f.fleet.counters.get('c1')?.state).toBe('online');
    expect(f.changes.of('mark')).toEqual([{ kind: 'mark', cameraId: 'c2', at: T0 + 355_000, state: 'unknown' }]);
    // confirmed again by the next round
    at(T0 + 7 * 60_000 - 5000);
    f.send(t.round('gw-1'), round(7, T0 + 6 * 60_000));
    expect(f.fleet.isStale(camera('c2'))).toBe(false);
    expect(f.fleet.counters.get('c2')?.state).toBe('online');
    expect(f.changes.of('mark').at(-1)).toEqual({ kind: 'mark', cameraId: 'c2', at: T0 + 7 * 60_000 - 5000, state: 'online' });
  });

  it('an agent that stops sending rounds while connected has every camera stale once none came for 3 rounds and one more; its next round brings them back', () => {
    const { f, at, camera } = setup();
    at(T0 + 55_000);
    f.send(t.round('gw-1'), round(1, T0));
    at(T0 + 55_000 + 4 * 60_000);
    f.fleet.sweepStale();
    expect(['c1', 'c2', 'c3'].map((id) => f.fleet.counters.get(id)?.state)).toEqual(['online', 'online', 'online']);
    at(T0 + 55_000 + 4 * 60_000 + 1);
    f.fleet.sweepStale();
    expect(['c1', 'c2', 'c3'].map((id) => f.fleet.counters.get(id)?.state)).toEqual(['unknown', 'unknown', 'unknown']);
    expect(f.fleet.isStale(camera('c3'))).toBe(true);
    // another gateway's camera (no rounds: an agent before 1.3) is never stale
    expect(f.fleet.counters.get('other')?.state).toBe('online');
    at(T0 + 5 * 60_000);
    f.send(t.round('gw-1'), round(2, T0 + 4 * 60_000 + 30_000));
    expect(['c1', 'c2', 'c3'].map((id) => f.fleet.counters.get(id)?.state)).toEqual(['online', 'online', 'online']);
  });

  it('a round that counts more cameras than the centre holds, or names one it does not know, asks the gateway for every status, at most once in ten minutes', () => {
    const { f, at } = setup();
    const asked: string[] = [];
    f.fleet.events.on('statusesWanted', (agentId) => asked.push(agentId));
    at(T0 + 55_000);
    f.send(t.round('gw-1'), round(1, T0));
    expect(asked).toEqual([]);
    at(T0 + 115_000);
    f.send(t.round('gw-1'), { ...round(2, T0 + 60_000), checked: 4 });
    expect(asked).toEqual(['gw-1']);
    at(T0 + 175_000);
    f.send(t.round('gw-1'), round(3, T0 + 120_000, ['ghost']));
    expect(asked).toEqual(['gw-1']);
    at(T0 + 13 * 60_000);
    f.send(t.round('gw-1'), round(4, T0 + 12 * 60_000, ['ghost']));
    expect(asked).toEqual(['gw-1', 'gw-1']);
  });

  it('the alert pass walks only cameras that are offline, degraded or changed lately, and still raises for them', async () => {
    const { f, at } = setup();
    const notices: string[] = [];
    const alerts = new AlertEngine({ state: f.fleet, changes: f.changes, afterMs: 0, now: () => f.fleet.now(), log: pino({ level: 'silent' }), deliver: (n) => void (n.alert.subject.cameraId && notices.push(`${n.type} ${n.alert.kind} ${n.alert.subject.cameraId}`)) });
    at(T0 + 30 * 60_000); // every camera stable for longer than the flapping span
    await alerts.evaluate();
    expect([...f.fleet.notable]).toEqual([]);
    f.send(t.cameraStatus('gw-1', 'c2'), status('c2', { state: 'offline', since: iso(T0 + 30 * 60_000), checkedAt: iso(T0 + 30 * 60_000), rung: 'tcp', reason: 'unreachable' }));
    expect([...f.fleet.notable]).toEqual(['c2']);
    await alerts.evaluate();
    expect(notices).toEqual(['raised camera_offline c2']);
    f.send(t.cameraStatus('gw-1', 'c2'), status('c2', { checkedAt: iso(T0 + 31 * 60_000) }));
    await alerts.evaluate();
    expect(notices).toEqual(['raised camera_offline c2', 'cleared camera_offline c2']);
    at(T0 + 60 * 60_000);
    await alerts.evaluate();
    expect([...f.fleet.notable]).toEqual([]);
  });

  it('the retained copy of a status the centre holds (a resubscription brings every camera\'s again) stores nothing; a changed one does', () => {
    const { f } = setup();
    f.changes.clear();
    f.send(t.cameraStatus('gw-1', 'c1'), status('c1', { checkedAt: iso(T0 - 100_000) }));
    expect(f.changes.changes).toEqual([]);
    expect(f.fleet.stats.accepted['status_same']).toBe(1);
    f.send(t.cameraStatus('gw-1', 'c1'), status('c1', { checkedAt: iso(T0 - 100_000), faults: [{ fault: 'blur', value: 1, threshold: 2 }] }));
    expect(f.changes.changes.map((c) => c.kind)).toEqual(['camera']);
  });

  it('rounds replayed from a queue after the centre was away judge a camera in their own time, not the centre\'s: a gateway that sent them all is not stale', () => {
    const { f, at, camera } = setup();
    // an hour of rounds arrives at once, the last one current
    at(T0 + 3_600_000);
    for (let r = 1; r <= 60; r++) f.send(t.round('gw-1'), round(r, T0 + (r - 1) * 60_000, r === 30 ? ['c2'] : []));
    f.fleet.sweepStale();
    expect(['c1', 'c2', 'c3'].map((id) => f.fleet.isStale(camera(id)))).toEqual([false, false, false]);
    expect(f.changes.of('mark').filter((m) => m.state === 'unknown')).toEqual([]);
    expect(f.fleet.confirmedAt(camera('c2'))).toBe(T0 + 59 * 60_000);
  });

  it('bad rounds: another session\'s, one naming another gateway\'s camera, a retained copy again: refused or ignored, counted, nothing changes; unknown ids are skipped and counted', () => {
    const { f, at, camera } = setup();
    at(T0 + 55_000);
    f.send(t.round('gw-1'), round(1, T0));
    f.changes.clear();
    f.send(t.round('gw-1'), round(2, T0 + 60_000, [], 's-old'));
    expect(f.fleet.stats.rejected['round_other_session']).toBe(1);
    f.send(t.round('gw-1'), round(2, T0 + 60_000, ['other']));
    expect(f.fleet.stats.rejected['not_owner']).toBe(1);
    f.send(t.round('gw-1'), round(1, T0));
    expect(f.fleet.stats.accepted['round_older']).toBe(1);
    expect(f.fleet.confirmedAt(camera('c1'))).toBe(T0);
    // oversized: beyond maxPayloadBytes, and beyond the schema's 10,000 ids
    f.send(t.round('gw-1'), { ...round(2, T0 + 60_000), unchecked: Array.from({ length: 10_001 }, (_, i) => `x${i}`) });
    expect(f.fleet.stats.rejected['too_large']).toBe(1);
    f.send(t.round('gw-1'), { ...round(2, T0 + 60_000), unchecked: Array.from({ length: 10_001 }, () => 'c1') });
    expect(f.fleet.stats.rejected['schema']).toBe(1);
    f.send(t.round('gw-1'), round(2, T0 + 60_000, ['ghost-1', 'ghost-2']));
    expect(f.fleet.stats.accepted['round_unknown_camera']).toBe(2);
    expect(f.fleet.confirmedAt(camera('c1'))).toBe(T0 + 60_000);
    expect(f.changes.changes).toEqual([]);
  });
});
