import { describe, expect, it } from 'vitest';
import { cameraFact } from '../../aggregator/rates/bind.js';
import { RateCounters } from '../../aggregator/rates/counters.js';
import { rateSet, type CameraFact, type PlanPoint } from '../../aggregator/rates/model.js';
import { onlineRates } from '../../aggregator/rates/online.js';
import { computeCounts } from '../../aggregator/rates/snapshot.js';
import type { CameraState, PointCategory, StateMark } from '../../protocols/index.js';

const plan: PlanPoint[] = [
  { id: 'P1', name: 'Square', region: '330106', category: 'key_public_area', required: 1 },
  { id: 'P2', name: 'Station', region: '330106', category: 'key_public_area', required: 2 },
  { id: 'P3', name: 'Bank vault', region: '330102', category: 'key_industry_part', required: 1 },
  { id: 'P4', name: 'Lane', region: '330106', category: 'other', required: 1 },
  { id: 'P5', name: 'School gate', region: '330106', category: 'key_industry_part', required: 1 },
];
const fact = (id: string, pointId: string | null, region: string | null, category: PointCategory, state: CameraState, faults = 0): CameraFact => ({ id, agentId: 'gw', pointId, region, category, state, faults });
const cams: CameraFact[] = [
  fact('c1', 'P1', '330106', 'key_public_area', 'online'),
  fact('c2', 'P2', '330106', 'key_public_area', 'online'),
  fact('c3', 'P2', '330106', 'key_public_area', 'offline'),
  fact('c4', 'P3', '330102', 'key_industry_part', 'degraded', 1),
  fact('c5', null, '330105', 'other', 'online'),
  fact('c6', 'P4', '330106', 'other', 'unknown'),
];

describe('rates', () => {
  const t = computeCounts(plan, cams);
  const r = (region: string, k: 'key_public_area' | 'key_industry_part' | 'other' | 'all') => rateSet(t.get(region)![k]);

  it('rates: coverage counts points with their required installed cameras, whatever their state', () => {
    expect(r('330106', 'key_public_area').coverage).toEqual({ numerator: 2, denominator: 2, rate: 1 });
    expect(r('330106', 'other').coverage).toMatchObject({ numerator: 1, denominator: 1 }); // c6 is installed, its gateway gone
    expect(r('330106', 'key_industry_part').coverage).toEqual({ numerator: 0, denominator: 1, rate: 0 }); // P5: no camera
    expect(r('330100', 'all').coverage).toEqual({ numerator: 4, denominator: 5, rate: 0.8 });
  });

  it('rates: networking counts online and degraded installed cameras', () => {
    expect(r('330106', 'key_public_area').networking).toEqual({ numerator: 2, denominator: 3, rate: 2 / 3 });
    expect(r('330102', 'key_industry_part').networking).toEqual({ numerator: 1, denominator: 1, rate: 1 });
    expect(r('all', 'all').networking).toEqual({ numerator: 4, denominator: 6, rate: 4 / 6 });
  });

  it('rates: intact excludes degraded and faulty cameras', () => {
    expect(r('330102', 'key_industry_part').intact).toEqual({ numerator: 0, denominator: 1, rate: 0 });
    expect(r('all', 'all').intact).toEqual({ numerator: 3, denominator: 6, rate: 0.5 });
  });

  it('rates: a camera under a dead gateway is unknown, not offline', () => {
    expect(r('330106', 'all').counts).toMatchObject({ installed: 4, online: 2, offline: 1, unknown: 1 });
  });

  it('rates: an empty region or category has no rate rather than 0% or 100%', () => {
    expect(r('330102', 'key_public_area').networking).toEqual({ numerator: 0, denominator: 0, rate: null });
    expect(r('330105', 'key_public_area').coverage.rate).toBeNull();
  });

  it('rates: every level of the region tree rolls up', () => {
    expect([...t.keys()].sort()).toEqual(['330000', '330100', '330102', '330105', '330106', 'all']);
    expect(r('330000', 'all').counts.installed).toBe(6);
  });
});

describe('rates binding', () => {
  const pointOf = (id: string) => [...plan, { id: '33010600001320000009', name: 'GB point', region: '33010601', category: 'key_public_area' as const, required: 1 }].find((p) => p.id === id);
  const status = (cameraId: string, pointId: string | null, state: CameraState = 'online') => ({ cameraId, pointId, category: null, state, faults: [] });

  it('rates binding: through the agent config point id, or the GB/T 28181 id as point id', () => {
    expect(cameraFact(status('x', 'P3'), { id: 'gw', online: true, region: '110101' }, pointOf)).toMatchObject({ pointId: 'P3', region: '330102', category: 'key_industry_part' });
    expect(cameraFact(status('33010600001320000009', null), { id: 'gw', online: true, region: null }, pointOf)).toMatchObject({ pointId: '33010600001320000009', region: '33010601' });
  });

  it('rates binding: a camera whose id or configured gbId is a point\'s GB/T 28181 code binds to that point', () => {
    const points = [{ id: 'XH-7', name: 'Gate', region: '330106', gbId: '33010600001320000077', category: 'key_public_area' as const, required: 1 }];
    const byIdOrGb = (k: string) => points.find((p) => p.id === k || p.gbId === k);
    expect(cameraFact(status('33010600001320000077', null), { id: 'gw', online: true, region: null }, byIdOrGb)).toMatchObject({ pointId: 'XH-7', category: 'key_public_area' });
    expect(cameraFact({ ...status('cam-gate', null), gbId: '33010600001320000077' }, { id: 'gw', online: true, region: null }, byIdOrGb)).toMatchObject({ pointId: 'XH-7', region: '330106' });
    // its own GB/T 28181 id gives the region when no point claims it
    expect(cameraFact({ ...status('cam-x', null), gbId: '33010200001320000001' }, { id: 'gw', online: true, region: '110101' }, byIdOrGb)).toMatchObject({ pointId: null, region: '330102', category: 'unassigned' });
  });

  it('rates binding: region from the GB/T 28181 id, else the agent; state unknown when the agent is gone', () => {
    expect(cameraFact(status('33010500001320000001', null), { id: 'gw', online: true, region: '110101' }, pointOf)).toMatchObject({ pointId: null, region: '330105', category: 'unassigned' });
    expect(cameraFact(status('cam-7', null, 'offline'), { id: 'gw', online: false, region: '110101' }, pointOf)).toMatchObject({ region: '110101', state: 'unknown' });
  });
});

describe('online rate', () => {
  const H = 3600_000;
  it('online rate: time-weighted, an outage across the window start counts only inside the window', () => {
    // window [10h, 20h); c1 offline from 8h to 12h, online after; c2 online from 15h (installed then)
    const marks: Record<string, StateMark[]> = {
      c1: [{ at: 0, state: 'online' }, { at: 8 * H, state: 'offline' }, { at: 12 * H, state: 'online' }],
      c2: [{ at: 15 * H, state: 'online' }],
    };
    const facts = [fact('c1', null, '330106', 'other', 'online'), fact('c2', null, '330106', 'other', 'online')];
    const o = onlineRates(facts, (id) => marks[id]!, 10 * H, 20 * H).get('330106')!.all!;
    expect(o).toEqual({ cameras: 2, onlineMs: 8 * H + 5 * H, unknownMs: 0, observedMs: 10 * H + 5 * H, rate: 13 / 15 });
  });

  it('online rate: gateway-down time is unknown, shown apart and not online', () => {
    const marks: StateMark[] = [{ at: 0, state: 'online' }, { at: 4 * H, state: 'unknown' }, { at: 6 * H, state: 'online' }];
    const o = onlineRates([fact('c1', null, '330106', 'other', 'online')], () => marks, 0, 10 * H).get('all')!.other!;
    expect(o).toMatchObject({ onlineMs: 8 * H, unknownMs: 2 * H, observedMs: 10 * H, rate: 0.8 });
  });
});

describe('rate counters', () => {
  // deterministic pseudo-random, so a failure can be replayed
  const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

  it('rate counters: incremental updates equal a full recompute after every change (the per-gateway tally too), and the plan set in slices too', async () => {
    const rand = rng(42);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const regions = ['330106', '330102', '33010601', '110101', null];
    const states: CameraState[] = ['online', 'degraded', 'offline', 'unknown'];
    const cats: PointCategory[] = ['key_public_area', 'key_industry_part', 'other'];
    const points: PlanPoint[] = Array.from({ length: 30 }, (_, i) => ({ id: `P${i}`, name: '', region: pick(['330106', '330102', '33010601', '110101']), category: pick(cats), required: 1 + Math.floor(rand() * 3) }));
    const counters = new RateCounters();
    counters.setPlan(points);
    const current = new Map<string, CameraFact>();
    for (let step = 0; step < 600; step++) {
      const id = `c${Math.floor(rand() * 80)}`;
      if (rand() < 0.15) {
        counters.set(id, undefined);
        current.delete(id);
      } else {
        const p = rand() < 0.7 ? pick(points) : undefined;
        const f: CameraFact = { id, agentId: pick(['gw-a', 'gw-b', 'gw-c']), deviceId: pick([null, 'nvr-1', 'nvr-2']), pointId: p?.id ?? null, region: p?.region ?? pick(regions), category: p?.category ?? pick(cats), state: pick(states), faults: rand() < 0.2 ? 1 : 0 };
        counters.set(id, f);
        current.set(id, f);
      }
      if (step % 50 === 49) {
        const full = computeCounts(points, current.values());
        for (const [region, row] of full) expect(counters.counts().get(region), `region ${region} at step ${step}`).toEqual(row);
        // the index a problem list walks: exactly the cameras in those states now
        const inState = (xs: CameraState[]) => [...current.values()].filter((f) => xs.includes(f.state)).map((f) => f.id).sort();
        expect([...counters.inStates(['offline', 'degraded', 'unknown'])].sort(), `step ${step}`).toEqual(inState(['offline', 'degraded', 'unknown']));
        expect([...counters.inStates(['offline', 'offline'])].sort()).toEqual(inState(['offline']));
        // each gateway's cameras by state and its devices' channels: as a recount of the facts says
        for (const gw of ['gw-a', 'gw-b', 'gw-c', 'gw-none']) {
          const mine = [...current.values()].filter((f) => f.agentId === gw);
          const states = { online: 0, degraded: 0, offline: 0, unknown: 0 };
          for (const f of mine) states[f.state] += 1;
          expect(counters.gateways.states(gw), `${gw} at step ${step}`).toEqual(states);
          const devices = ['nvr-1', 'nvr-2']
            .map((deviceId) => {
              const ch = mine.filter((f) => f.deviceId === deviceId);
              return { deviceId, channels: ch.length, offline: ch.filter((f) => f.state === 'offline').length, unknown: ch.filter((f) => f.state === 'unknown').length };
            })
            .filter((d) => d.channels > 0);
          expect(counters.gateways.devices(gw), `${gw} at step ${step}`).toEqual(devices);
        }
        expect([...counters.gateways.agents()].sort()).toEqual([...new Set([...current.values()].map((f) => f.agentId))].sort());
      }
    }
    // the plan set again in slices (a start's load): the same counts, the same bindings after
    const sliced = new RateCounters();
    for (const f of current.values()) sliced.set(f.id, f);
    const walked: number[] = [];
    const slicedEach = async <T>(items: Iterable<T>, fn: (item: T) => void) => {
      let n = 0;
      for (const x of items) {
        fn(x);
        n += 1;
      }
      walked.push(n);
      await new Promise((r) => setImmediate(r));
    };
    await sliced.setPlanWith(points, slicedEach);
    expect(walked).toEqual([points.length, current.size, points.length]);
    expect([...sliced.counts()].sort()).toEqual([...computeCounts(points, current.values())].sort());
    expect([...sliced.counts()].sort()).toEqual([...counters.counts()].sort());

    // and a new plan set in slices while cameras come, go and change (an upload while the gateways report): the
    // counts at the end are those of the new plan and the cameras as they are then, whichever way the walks met them
    const other: PlanPoint[] = [...points.slice(10), ...Array.from({ length: 8 }, (_, i) => ({ id: `Q${i}`, name: '', region: pick(['330106', '330102', '110101']), category: pick(cats), required: 1 + Math.floor(rand() * 2) }))];
    const changeSome = () => {
      for (let k = 0; k < 12; k++) {
        const id = `c${Math.floor(rand() * 100)}`;
        if (rand() < 0.2) {
          sliced.set(id, undefined);
          current.delete(id);
        } else {
          const p = rand() < 0.7 ? pick(rand() < 0.5 ? points : other) : undefined;
          const f: CameraFact = { id, agentId: pick(['gw-a', 'gw-b']), deviceId: null, pointId: p?.id ?? null, region: p?.region ?? pick(regions), category: p?.category ?? pick(cats), state: pick(states), faults: rand() < 0.2 ? 1 : 0 };
          sliced.set(id, f);
          current.set(id, f);
        }
      }
    };
    for (let run = 0; run < 20; run++) {
      let swapped = 0;
      // changes between the walks and in the middle of each (before and after the walk meets a camera)
      await sliced.setPlanWith(run % 2 === 0 ? other : points, async <T>(items: Iterable<T>, fn: (item: T) => void) => {
        const all = [...items];
        all.slice(0, all.length >> 1).forEach(fn);
        changeSome();
        all.slice(all.length >> 1).forEach(fn);
        await new Promise((r) => setImmediate(r));
        changeSome();
      }, () => (swapped += 1));
      expect(swapped).toBe(1);
      const plan = run % 2 === 0 ? other : points;
      expect([...sliced.counts()].sort(), `run ${run}`).toEqual([...computeCounts(plan, current.values())].sort());
      // and it goes on counting incrementally after
      changeSome();
      expect([...sliced.counts()].sort(), `run ${run}, after`).toEqual([...computeCounts(plan, current.values())].sort());
    }
  });
});

describe('online rate over many cameras', () => {
  it('online: the roll-up from each camera\'s own cell equals adding every camera to every ancestor cell (random fleet, random histories and windows)', async () => {
    const { cellsOf } = await import('../../aggregator/rates/snapshot.js');
    const { uptimeWithin } = await import('../../protocols/index.js');
    let seed = 3;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const regions = ['330106', '330102', '33010601', '330205', '110101', null];
    const cats = ['key_public_area', 'key_industry_part', 'other', 'unassigned'] as const;
    const states: CameraState[] = ['online', 'degraded', 'offline', 'unknown'];
    const facts: CameraFact[] = [];
    const marks = new Map<string, StateMark[]>();
    for (let i = 0; i < 400; i++) {
      facts.push({ id: `c${i}`, agentId: 'gw', pointId: null, region: regions[i % regions.length]!, category: cats[Math.floor(rand() * cats.length)]!, state: 'online', faults: 0 });
      const m: StateMark[] = [];
      let at = Math.floor(rand() * 1000);
      for (let k = Math.floor(rand() * 12); k >= 0; k--) {
        m.push({ at, state: states[Math.floor(rand() * states.length)]! });
        at += Math.floor(rand() * 300);
      }
      marks.set(`c${i}`, m);
    }
    const windows = (f: CameraFact) => (Number(f.id.slice(1)) % 7 === 0 ? [{ from: 900, to: 1400 }] : []);
    for (let w = 0; w < 20; w++) {
      const from = Math.floor(rand() * 3000);
      const to = from + 1 + Math.floor(rand() * 3000);
      // the plain way: every camera into every cell it belongs to, its whole history walked
      const naive = new Map<string, Record<string, { cameras: number; onlineMs: number; unknownMs: number; observedMs: number }>>();
      for (const f of facts) {
        const u = uptimeWithin(marks.get(f.id)!.map((m) => ({ ...m })), from, to, windows(f));
        for (const [r, k] of cellsOf(f.region, f.category)) {
          const row = naive.get(r) ?? {};
          naive.set(r, row);
          const t = (row[k] ??= { cameras: 0, onlineMs: 0, unknownMs: 0, observedMs: 0 });
          t.cameras += 1;
          t.onlineMs += u.onlineMs;
          t.unknownMs += u.unknownMs;
          t.observedMs += u.observedMs;
        }
      }
      const fast = onlineRates(facts, (id) => marks.get(id)!, from, to, windows);
      expect([...fast.keys()].sort()).toEqual([...naive.keys()].sort());
      for (const [r, row] of naive) for (const [k, t] of Object.entries(row)) expect(fast.get(r)![k as 'all'], `${r} ${k} [${from}, ${to})`).toMatchObject(t);
      // the facts holding their marks (as the fleet model gives them) walk to the same totals, with and without windows
      const held = facts.map((f) => ({ ...f, marks: marks.get(f.id)! }));
      expect(onlineRates(held, () => [], from, to, windows)).toEqual(fast);
      expect(onlineRates(held, () => [], from, to)).toEqual(onlineRates(facts, (id) => marks.get(id)!, from, to));
    }
  });

  it('online: a window late in a long history starts at the mark in force (binary search), as a walk from the first mark would', async () => {
    const { uptimeWithin } = await import('../../protocols/index.js');
    const marks: StateMark[] = Array.from({ length: 1000 }, (_, i) => ({ at: i * 10, state: i % 3 === 0 ? 'offline' : i % 3 === 1 ? 'online' : 'unknown' }));
    // [5005, 7003): 5 ms of mark 500 (500 % 3 = 2: unknown), marks 501..699 whole (66 online, 66 unknown, 67 offline,
    // 10 ms each), 3 ms of mark 700 (online)
    expect(uptimeWithin(marks, 5005, 7003)).toEqual({ onlineMs: 663, unknownMs: 665, observedMs: 1998, excludedMs: 0 });
    expect(uptimeWithin(marks, -50, 5)).toEqual({ onlineMs: 0, unknownMs: 0, observedMs: 5, excludedMs: 0 });
    expect(uptimeWithin(marks, 10_000, 10_100)).toEqual({ onlineMs: 0, unknownMs: 0, observedMs: 100, excludedMs: 0 });
  });
});
