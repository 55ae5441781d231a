import { addCamera, boundCounts, cell, cellsOf, computeCounts, countCamera, countPoint, type CountTable } from './snapshot.js';
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

  /**
   * setPlan, each loop run by `each` (features/slices.ts eachInSlices: a
   * province's million points at start, the event loop given back); the
   * counts read as before until it resolves, and no camera may change
   * meanwhile (the model's load).
   */
  async setPlanWith(points: Iterable<PlanPoint>, each: <T>(items: Iterable<T>, fn: (item: T) => void) => Promise<void>): Promise<void> {
    const kept = new Map<string, PlanPoint>();
    await each(points, (p) => kept.set(p.id, p));
    const table: CountTable = new Map();
    const bound = boundCounts(this.facts.values());
    await each(kept.values(), (p) => countPoint(table, p, bound));
    await each(this.facts.values(), (f) => countCamera(table, f));
    this.points = kept;
    this.table = table;
    this.version += 1;
  }

  get(cameraId: string): CameraFact | undefined {
    return this.facts.get(cameraId);
  }

  /** Adds, replaces or (with undefined) removes one camera. */
  set(cameraId: string, next: CameraFact | undefined): void {
    const prev = this.facts.get(cameraId);
    if (prev && next && sameFact(prev, next)) return;
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
