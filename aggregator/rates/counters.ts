import { addCamera, cell, cellsOf, computeCounts, countCamera, countPoint, type CountTable } from './snapshot.js';
import type { CameraFact, PlanPoint } from './model.js';
import { GatewayTally } from './gateways.js';

/**
 * The same counts as computeCounts, kept up to date one camera change at a
 * time: O(region depth) per change instead of O(cameras), so a million
 * cameras' rates are read in the time it takes to walk the region tree.
 */
export class RateCounters {
  private table: CountTable = new Map();
  private readonly facts = new Map<string, CameraFact>();
  private points = new Map<string, PlanPoint>();
  private readonly bound = new Map<string, number>();
  /** the cameras in each state but online (a province's problem list walks these, not the fleet) */
  private readonly notOnline = new Map<CameraFact['state'], Set<string>>();
  /** each gateway's cameras by state and its devices' channels (the gateway list) */
  readonly gateways = new GatewayTally();
  /** bumped on every change, so publishers can tell whether anything moved */
  version = 0;
  /** told of every camera whose fact changed (state, faults, binding…); null state: the camera left */
  onChange: ((cameraId: string, state: CameraFact['state'] | null) => void) | undefined;

  /** Replaces the plan; recomputes everything (plans change rarely). */
  setPlan(points: Iterable<PlanPoint>): void {
    this.points.clear();
    for (const p of points) this.points.set(p.id, p);
    this.table = computeCounts(this.points.values(), this.facts.values());
    this.version += 1;
  }

  /** while a plan is set in slices: the fact each camera that changed since it began had then (undefined: it was not there) */
  private before: Map<string, CameraFact | undefined> | undefined;

  /**
   * setPlan, each loop run by `each` (features/slices.ts eachInSlices: a
   * province's million points and cameras, the event loop given back). The
   * counts read as before until it resolves. Cameras may change meanwhile (a
   * plan uploaded while the gateways report): the new counts are made from
   * each camera as it was when this began, and the ones that changed since
   * are moved to what they are now at the end, in one synchronous step with
   * `swap` (the plan index that binds cameras to points changes with them).
   */
  async setPlanWith(points: Iterable<PlanPoint>, each: <T>(items: Iterable<T>, fn: (item: T) => void) => Promise<void>, swap?: () => void): Promise<void> {
    if (this.before) throw new Error('setPlanWith: a plan is already being set');
    const before = new Map<string, CameraFact | undefined>();
    this.before = before;
    try {
      const ids = [...this.facts.keys()];
      const kept = new Map<string, PlanPoint>();
      await each(points, (p) => kept.set(p.id, p));
      const table: CountTable = new Map();
      const bound = new Map<string, number>();
      await each(ids, (id) => {
        const f = before.has(id) ? before.get(id) : this.facts.get(id);
        if (!f) return;
        countCamera(table, f);
        if (f.pointId !== null) bound.set(f.pointId, (bound.get(f.pointId) ?? 0) + 1);
      });
      await each(kept.values(), (p) => countPoint(table, p, bound));
      // from what the cameras that changed meanwhile were to what they are
      const touched = new Set<string>();
      for (const [id, was] of before) {
        if (was) {
          for (const [r, k] of cellsOf(was.region, was.category)) addCamera(cell(table, r, k), was, -1);
          if (was.pointId !== null) touched.add(was.pointId);
        }
        const now = this.facts.get(id);
        if (now) {
          countCamera(table, now);
          if (now.pointId !== null) touched.add(now.pointId);
        }
      }
      for (const id of touched) {
        const p = kept.get(id);
        if (!p) continue;
        const was = (bound.get(id) ?? 0) >= p.required;
        const is = (this.bound.get(id) ?? 0) >= p.required;
        if (was !== is) for (const [r, k] of cellsOf(p.region, p.category)) cell(table, r, k).coveredPoints += is ? 1 : -1;
      }
      this.points = kept;
      this.table = table;
      this.version += 1;
      swap?.();
    } finally {
      this.before = undefined;
    }
  }

  get(cameraId: string): CameraFact | undefined {
    return this.facts.get(cameraId);
  }

  /** Adds, replaces or (with undefined) removes one camera. */
  set(cameraId: string, next: CameraFact | undefined): void {
    const prev = this.facts.get(cameraId);
    if (prev && next && sameFact(prev, next)) return;
    if (this.before && !this.before.has(cameraId)) this.before.set(cameraId, prev);
    if (prev) {
      if (prev.state !== 'online') this.notOnline.get(prev.state)?.delete(cameraId);
      this.gateways.add(prev, -1);
      for (const [r, k] of cellsOf(prev.region, prev.category)) addCamera(cell(this.table, r, k), prev, -1);
      if (prev.pointId !== null) this.rebind(prev.pointId, -1);
    }
    if (next) {
      this.facts.set(cameraId, next);
      this.gateways.add(next, 1);
      if (next.state !== 'online') {
        let ids = this.notOnline.get(next.state);
        if (!ids) this.notOnline.set(next.state, (ids = new Set()));
        ids.add(cameraId);
      }
      for (const [r, k] of cellsOf(next.region, next.category)) addCamera(cell(this.table, r, k), next, 1);
      if (next.pointId !== null) this.rebind(next.pointId, 1);
    } else {
      this.facts.delete(cameraId);
    }
    this.version += 1;
    this.onChange?.(cameraId, next?.state ?? null);
  }

  private rebind(pointId: string, delta: 1 | -1): void {
    const before = this.bound.get(pointId) ?? 0;
    const after = before + delta;
    if (after === 0) this.bound.delete(pointId);
    else this.bound.set(pointId, after);
    const p = this.points.get(pointId);
    if (!p) return;
    const was = before >= p.required;
    const is = after >= p.required;
    if (was === is) return;
    for (const [r, k] of cellsOf(p.region, p.category)) cell(this.table, r, k).coveredPoints += is ? 1 : -1;
  }

  counts(): CountTable {
    return this.table;
  }

  /** The cameras whose counted state is one of `states` (none of them online), whatever their maintenance. */
  *inStates(states: ReadonlyArray<CameraFact['state']>): IterableIterator<string> {
    for (const s of new Set(states)) {
      if (s === 'online') throw new Error('inStates: online cameras are not indexed');
      yield* this.notOnline.get(s) ?? [];
    }
  }

  cameras(): IterableIterator<CameraFact> {
    return this.facts.values();
  }

  plan(): IterableIterator<PlanPoint> {
    return this.points.values();
  }

  boundTo(pointId: string): number {
    return this.bound.get(pointId) ?? 0;
  }
}

function sameFact(a: CameraFact, b: CameraFact): boolean {
  return a.state === b.state && a.faults === b.faults && a.maintenance === b.maintenance && a.pointId === b.pointId && a.region === b.region && a.category === b.category && a.agentId === b.agentId && (a.deviceId ?? null) === (b.deviceId ?? null) && !a.recorded === !b.recorded && a.marks === b.marks && (a.cause ?? null) === (b.cause ?? null);
}
