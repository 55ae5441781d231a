import { describe, expect, it } from 'vitest';
import { cameraPeriod, cameraSlices, childOf, ranking, repairTimes, reportRows, type ReportCamera } from '../../aggregator/rates/report-math.js';
import { changeTimes, flappingEpisodes, flappingNow } from '../../aggregator/rates/flapping.js';
import type { PlanPoint } from '../../aggregator/rates/model.js';

const H = 3600_000;
const DAY = 24 * H;

describe('report maths', () => {
  it('report maths: a camera\'s day, hour by hour: online, intact, unknown, offline, outages, repairs', () => {
    const p = cameraPeriod(
      [
        { at: 0, state: 'online' },
        { at: 5 * H, state: 'degraded' },
        { at: 6 * H, state: 'online' },
        { at: 10 * H, state: 'offline' },
        { at: 11 * H, state: 'offline' }, // a repeated state is no change
        { at: 12 * H, state: 'online' },
        { at: 20 * H, state: 'unknown' },
        { at: 22 * H, state: 'online' },
      ],
      0,
      DAY,
    );
    expect(p).toEqual({ onlineMs: 20 * H, intactMs: 19 * H, unknownMs: 2 * H, observedMs: DAY, offlineMs: 2 * H, maintenanceMs: 0, outages: 1, repairsMs: [2 * H], stateAtEnd: 'online' });
    // the same day with a maintenance window over the outage and an hour either side: left out
    const m = cameraPeriod([{ at: 0, state: 'online' }, { at: 10 * H, state: 'offline' }, { at: 12 * H, state: 'online' }], 0, DAY, [{ from: 9 * H, to: 13 * H }]);
    expect(m).toMatchObject({ onlineMs: 20 * H, observedMs: 20 * H, offlineMs: 0, outages: 0, maintenanceMs: 4 * H });
  });

  it('report maths: an outage that began before the period counts inside it, and its repair as long as it lasted', () => {
    const p = cameraPeriod([{ at: -5 * H, state: 'offline' }, { at: 3 * H, state: 'online' }], 0, DAY);
    expect(p).toMatchObject({ offlineMs: 3 * H, outages: 1, repairsMs: [8 * H], onlineMs: 21 * H, observedMs: DAY });
    // still offline at the end: no repair, state offline
    expect(cameraPeriod([{ at: 0, state: 'online' }, { at: 20 * H, state: 'offline' }], 0, DAY)).toMatchObject({ repairsMs: [], stateAtEnd: 'offline', outages: 1 });
    // installed after the period: nothing observed
    expect(cameraPeriod([{ at: 2 * DAY, state: 'online' }], 0, DAY)).toMatchObject({ observedMs: 0, stateAtEnd: null });
  });

  it('report maths: the child region of a city that holds a county or a unit', () => {
    expect(childOf('330100', '33010601')).toBe('330106');
    expect(childOf('330100', '330106')).toBe('330106');
    expect(childOf('330106', '330106')).toBe('330106');
    expect(childOf('330100', '330200')).toBeUndefined();
    expect(childOf('all', '330106')).toBe('330000');
  });

  it('report maths: rows per child and in total, rankings and repair times, hand-computed', () => {
    const plan: PlanPoint[] = [
      { id: 'P-A', name: '', region: '330106', category: 'key_public_area', required: 1 },
      { id: 'P-X', name: '', region: '330106', category: 'key_public_area', required: 1 },
      { id: 'P-B', name: '', region: '330102', category: 'key_industry_part', required: 1 },
      { id: 'P-far', name: '', region: '330200', category: 'other', required: 1 },
    ];
    const cam = (cameraId: string, region: string, category: ReportCamera['category'], pointId: string | null, marks: Array<[number, 'online' | 'offline' | 'degraded' | 'unknown']>, installedAtEnd = true): ReportCamera => ({
      cameraId, agentId: 'gw', region, category, pointId, installedAtEnd, period: cameraPeriod(marks.map(([at, state]) => ({ at, state })), 0, 10 * DAY),
    });
    const cameras = [
      cam('A', '330106', 'key_public_area', 'P-A', [[0, 'online'], [DAY, 'offline'], [DAY + 4 * H, 'online']]),
      cam('B', '330102', 'key_industry_part', 'P-B', [[0, 'online'], [2 * DAY, 'offline'], [3 * DAY, 'online'], [4 * DAY, 'offline'], [4 * DAY + H, 'online']]),
      cam('C', '33010601', 'unassigned', null, [[5 * DAY, 'online'], [8 * DAY, 'degraded']]),
      // removed before the end: its time counts, it is not installed
      cam('D', '330106', 'key_public_area', 'P-X', [[0, 'online'], [DAY, 'offline']], false),
    ];
    const rows = reportRows('330100', plan, cameras);
    const row = (region: string, category: string) => rows.find((r) => r.region === region && r.category === category)!;
    expect(rows[0]).toMatchObject({ region: '330100', category: 'key_public_area' }); // the total first
    expect(row('330106', 'key_public_area')).toMatchObject({ points: 2, coveredPoints: 1, installed: 1, networked: 1, intact: 1, observedMs: 20 * DAY, onlineMs: 10 * DAY - 4 * H + DAY });
    expect(row('330106', 'key_public_area').coverage).toMatchObject({ numerator: 1, denominator: 2, rate: 0.5 });
    expect(row('330106', 'key_public_area').target).toEqual({ coverage: 1, networking: 1, intact: 0.98, register: 1 });
    expect(row('330106', 'unassigned')).toMatchObject({ installed: 1, networked: 1, intact: 0, onlineMs: 5 * DAY, intactMs: 3 * DAY, observedMs: 5 * DAY });
    expect(row('330102', 'all')).toMatchObject({ points: 1, coveredPoints: 1, installed: 1, networked: 1, intact: 1, onlineMs: 10 * DAY - 25 * H });
    const total = row('330100', 'all');
    expect(total).toMatchObject({ points: 3, coveredPoints: 2, installed: 3, networked: 3, intact: 2 });
    expect(total.onlineRate).toBeCloseTo((10 * DAY - 4 * H + 10 * DAY - 25 * H + 5 * DAY + DAY) / (10 * DAY + 10 * DAY + 5 * DAY + 10 * DAY), 12);
    expect(rows.some((r) => r.region === '330200')).toBe(false); // another city's point stays out
    expect(ranking('330100', rows).map((r) => [r.rank, r.region])).toEqual([[1, '330102'], [2, '330106']]);
    expect(repairTimes('330100', cameras)).toEqual([
      { region: '330100', repairs: 3, meanMs: Math.round((4 * H + DAY + H) / 3) },
      { region: '330102', repairs: 2, meanMs: Math.round((DAY + H) / 2) },
      { region: '330106', repairs: 1, meanMs: 4 * H },
    ]);
  });
});

describe('report maths: causes and the register at the end of the period', () => {
  it('report maths: what is not networked at the end is split by its cause (none said: the camera), unknown apart, and adds up; 建档率 counts complete records', () => {
    const cam = (cameraId: string, end: 'online' | 'offline' | 'unknown' | null, causeAtEnd: ReportCamera['causeAtEnd'], recorded: boolean): ReportCamera => ({
      cameraId,
      agentId: 'gw',
      region: '330106',
      category: 'key_public_area',
      pointId: null,
      installedAtEnd: true,
      recorded,
      causeAtEnd,
      period: cameraPeriod(end === null ? [] : [{ at: 0, state: end }], 0, DAY),
    });
    const rows = reportRows('330106', [], [
      cam('up', 'online', null, true),
      cam('own', 'offline', 'camera', true),
      cam('old-gateway', 'offline', null, false),
      cam('ch1', 'offline', 'device', true),
      cam('ch2', 'offline', 'device', false),
      cam('sw', 'offline', 'network', true),
      cam('gone', 'unknown', 'network', true),
      cam('new', null, null, false),
    ]);
    const all = rows.find((r) => r.region === '330106' && r.category === 'all')!;
    expect(all).toMatchObject({ installed: 8, networked: 1, offlineCamera: 2, offlineDevice: 2, offlineNetwork: 1, unknown: 2, recorded: 5 });
    expect(all.offlineCamera + all.offlineDevice + all.offlineNetwork + all.unknown).toBe(all.installed - all.networked);
    expect(all.register).toEqual({ numerator: 5, denominator: 8, rate: 5 / 8 });
  });
});

describe('flapping', () => {
  const MIN = 60_000;
  const rule = { changes: 5, withinMs: 10 * MIN };
  const alternating = (start: number, n: number, step: number) => Array.from({ length: n + 1 }, (_, i) => ({ at: start + i * step, state: i % 2 === 0 ? ('online' as const) : ('offline' as const) }));

  it('flapping: one episode from the change that exceeds the rule until the camera is stable for the span', () => {
    // 8 changes a minute apart from minute 1: the 6th (minute 6) exceeds 5
    const marks = alternating(0, 8, MIN);
    expect(flappingEpisodes(marks, rule, 60 * MIN)).toEqual([{ since: 6 * MIN, until: 8 * MIN + 10 * MIN, changes: 8 }]);
    expect(flappingNow(marks, rule, 15 * MIN)).toMatchObject({ since: 6 * MIN });
    expect(flappingNow(marks, rule, 19 * MIN)).toBeUndefined();
  });

  it('flapping: five changes are not flapping; changes into and out of unknown are the gateway\'s', () => {
    expect(flappingEpisodes(alternating(0, 5, MIN), rule, 60 * MIN)).toEqual([]);
    const withGateway = alternating(0, 4, MIN).flatMap((m) => [m, { at: m.at + 1000, state: 'unknown' as const }, { at: m.at + 2000, state: m.state }]);
    expect(changeTimes(withGateway)).toHaveLength(4);
    expect(flappingEpisodes(withGateway, rule, 60 * MIN)).toEqual([]);
  });
});

describe('cameraSlices', () => {
  // a small deterministic generator: the same histories on every run
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const STATES = ['online', 'degraded', 'offline', 'unknown'] as const;

  it('gives for every period exactly what cameraPeriod gives for it alone, maintenance and marks before the first period included', () => {
    const H = 3_600_000;
    const bounds = [0, 23 * H, 48 * H, 72 * H, 73 * H, 100 * H];
    for (let run = 0; run < 300; run++) {
      const marks: Array<{ at: number; state: (typeof STATES)[number] }> = [];
      let at = -10 * H + Math.floor(rnd() * 20 * H);
      const count = Math.floor(rnd() * 12);
      for (let i = 0; i < count; i++) {
        marks.push({ at, state: STATES[Math.floor(rnd() * 4)]! });
        at += Math.floor(rnd() * 20 * H);
      }
      const windows = rnd() < 0.4 ? [{ from: Math.floor(rnd() * 90 * H), to: Math.floor(rnd() * 90 * H) + 5 * H }].map((w) => ({ from: w.from, to: Math.max(w.to, w.from + 1) })) : [];
      const slices = cameraSlices(marks, bounds, windows);
      for (let i = 0; i + 1 < bounds.length; i++) {
        const p = cameraPeriod(marks, bounds[i]!, bounds[i + 1]!, windows);
        expect(slices[i], `run ${run} period ${i}`).toEqual({ onlineMs: p.onlineMs, intactMs: p.intactMs, unknownMs: p.unknownMs, observedMs: p.observedMs, stateAtEnd: p.stateAtEnd });
      }
    }
  });
});
