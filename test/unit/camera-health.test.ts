import { describe, expect, it } from 'vitest';
import { applyVerdict, initialHealth, type CameraHealth } from '../../agent/features/camera-health.js';
import { pruneMarks, uptimeWithin } from '../../protocols/index.js';

const fail = { ok: false as const, rung: 'rtsp' as const, reason: 'rtsp_error' as const, detail: 'DESCRIBE answered 404 Not Found' };

describe('camera health', () => {
  it('camera health: first success turns an unknown camera online', () => {
    const r = applyVerdict(initialHealth(0), { ok: true }, 10, 3);
    expect(r.health).toMatchObject({ state: 'online', since: 10, consecutiveFailures: 0 });
    expect(r.transition).toEqual({ from: 'unknown', to: 'online', rung: null, reason: null, detail: null });
  });

  it('camera health: offline only after N consecutive failures, with exactly one transition', () => {
    let h: CameraHealth = applyVerdict(initialHealth(0), { ok: true }, 0, 3).health;
    const transitions = [];
    for (let t = 1; t <= 5; t++) {
      const r = applyVerdict(h, fail, t, 3);
      h = r.health;
      if (r.transition) transitions.push({ t, ...r.transition });
    }
    expect(transitions).toEqual([{ t: 3, from: 'online', to: 'offline', rung: 'rtsp', reason: 'rtsp_error', detail: fail.detail }]);
    expect(h).toMatchObject({ state: 'offline', since: 3, consecutiveFailures: 5, rung: 'rtsp' });
  });

  it('camera health: a success between failures resets the count', () => {
    let h = applyVerdict(initialHealth(0), { ok: true }, 0, 3).health;
    h = applyVerdict(h, fail, 1, 3).health;
    h = applyVerdict(h, fail, 2, 3).health;
    h = applyVerdict(h, { ok: true }, 3, 3).health;
    h = applyVerdict(h, fail, 4, 3).health;
    expect(h.state).toBe('online');
    expect(h.consecutiveFailures).toBe(1);
    expect(h.since).toBe(0);
  });

  it('camera health: one failed result counts once, however many checks see it; a new result of the same rung counts again', () => {
    const results = new Map<string, object>();
    const resultAt = (at: string) => results.get(at) ?? results.set(at, { rung: 'decode', at }).get(at)!;
    const refused = (at: string) => ({ ok: false as const, rung: 'decode' as const, reason: 'busy' as const, detail: 'DESCRIBE answered 503 Service Unavailable', result: resultAt(at) });
    let h = applyVerdict(initialHealth(0), { ok: true }, 0, 3).health;
    // one refused decode, then four liveness checks that pass their own rungs while that decode waits to run again
    for (let t = 1; t <= 5; t++) {
      const r = applyVerdict(h, refused('2026-12-04T10:00:01.000Z'), t, 3);
      expect(r.transition).toBeUndefined();
      h = r.health;
    }
    expect(h).toMatchObject({ state: 'online', consecutiveFailures: 1, reason: 'busy' });
    h = applyVerdict(h, refused('2026-12-04T10:00:06.000Z'), 6, 3).health;
    const third = applyVerdict(h, refused('2026-12-04T10:00:11.000Z'), 7, 3);
    expect(third.transition).toMatchObject({ from: 'online', to: 'offline', rung: 'decode', reason: 'busy' });
    // after a success the same result (were it seen again) is a new failure
    h = applyVerdict(third.health, { ok: true }, 8, 3).health;
    expect(applyVerdict(h, refused('2026-12-04T10:00:11.000Z'), 9, 3).health.consecutiveFailures).toBe(1);
  });

  it('camera health: back online on the first success after offline', () => {
    let h = initialHealth(0);
    for (let t = 1; t <= 3; t++) h = applyVerdict(h, fail, t, 3).health;
    expect(h.state).toBe('offline');
    const r = applyVerdict(h, { ok: true }, 9, 3);
    expect(r.transition).toMatchObject({ from: 'offline', to: 'online' });
  });
});

describe('uptime', () => {
  it('uptime: time-weighted over the window, with the span before the window clipped', () => {
    const marks = [
      { at: 0, state: 'online' as const },
      { at: 100, state: 'offline' as const },
      { at: 130, state: 'online' as const },
      { at: 190, state: 'unknown' as const },
    ];
    expect(uptimeWithin(marks, 50, 200)).toEqual({ onlineMs: 50 + 60, unknownMs: 10, observedMs: 150, excludedMs: 0 });
    // a maintenance window is left out of the window: neither observed nor online
    expect(uptimeWithin(marks, 50, 200, [{ from: 60, to: 80 }, { from: 70, to: 90 }])).toEqual({ onlineMs: 50 + 60 - 30, unknownMs: 10, observedMs: 150 - 30, excludedMs: 30 });
  });

  it('uptime: nothing observed before the first mark', () => {
    expect(uptimeWithin([{ at: 100, state: 'online' }], 0, 200)).toEqual({ onlineMs: 100, unknownMs: 0, observedMs: 100, excludedMs: 0 });
  });

  it('uptime: pruning keeps the mark in force at the window start', () => {
    const marks = [
      { at: 0, state: 'online' as const },
      { at: 10, state: 'offline' as const },
      { at: 20, state: 'online' as const },
    ];
    expect(pruneMarks(marks, 15)).toEqual(marks.slice(1));
    expect(uptimeWithin(pruneMarks(marks, 15), 15, 30)).toEqual(uptimeWithin(marks, 15, 30));
  });
});

describe('verdict', () => {
  it('verdict: a picture check that could not finish does not count against a camera whose stream decodes', async () => {
    const { newProbeState, verdictOf } = await import('../../agent/features/ladder.js');
    const st = newProbeState({ id: 'c', name: null, xaddr: undefined, endpoint: undefined, rtspUrl: 'rtsp://h/p', credentialName: undefined, pointId: null, category: null, origin: 'config' });
    st.liveness = [{ rung: 'tcp', ok: true, ms: 1, reason: null, detail: null }, { rung: 'rtsp', ok: true, ms: 1, reason: null, detail: null }];
    st.decode = { rung: 'decode', ok: true, ms: 1, reason: null, detail: null };
    st.picture = { rung: 'picture', ok: false, ms: 20000, reason: 'timeout', detail: 'killed' };
    expect(verdictOf(st)).toEqual({ ok: true, degraded: false });
    st.faults = [{ fault: 'frozen', value: 0, threshold: 0.05 }];
    expect(verdictOf(st)).toEqual({ ok: true, degraded: true });
    st.decode = { rung: 'decode', ok: false, ms: 1, reason: 'no_video', detail: 'no frame' };
    expect(verdictOf(st)).toMatchObject({ ok: false, rung: 'decode', reason: 'no_video' });
  });
});
