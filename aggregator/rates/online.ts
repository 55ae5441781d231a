import { STREAM_UP, uptimeWithin, type Interval, type StateMark } from '../../protocols/index.js';
import { cellsOf } from './snapshot.js';
import type { CameraFact, CategoryKey } from './model.js';

export interface OnlineTotals {
  cameras: number;
  onlineMs: number;
  /** time the camera's gateway was gone: not online, shown apart */
  unknownMs: number;
  observedMs: number;
}

export interface OnlineRate extends OnlineTotals {
  /** onlineMs / observedMs; null when nothing was observed */
  rate: number | null;
}

/**
 * Time-weighted online rate (在线率) over [from, to) per region and category,
 * from each camera's state marks (docs/domain.md §1). A camera counts from its
 * first mark on; `unknown` time counts as not online. Pure.
 */
export function onlineRates(
  facts: Iterable<CameraFact>,
  marksOf: (cameraId: string) => readonly StateMark[],
  from: number,
  to: number,
  /** intervals to leave out of a camera's time; omitted: none for any camera */
  maintenanceOf?: (f: CameraFact) => readonly Interval[],
): Map<string, Partial<Record<CategoryKey, OnlineRate>>> {
  const walk = new OnlineWalk(marksOf, from, to, maintenanceOf);
  for (const f of facts) walk.add(f);
  return walk.result();
}

/**
 * The walk of onlineRates one camera at a time, so that a caller may give the
 * event loop back between cameras (features/slices.ts). Each camera adds to
 * the cell of its own region and category; result() rolls the cells up the
 * region tree once (a million cameras make a million map updates, not one per
 * ancestor region and category).
 */
export class OnlineWalk {
  private readonly leaves = new Map<string | null, Map<CategoryKey, OnlineTotals>>();
  private readonly span: number;
  // cameras of one gateway come one after another, mostly of one region and category: the cell of the last one first
  private lastRegion: string | null | undefined;
  private lastCategory: CategoryKey | undefined;
  private t: OnlineTotals = { cameras: 0, onlineMs: 0, unknownMs: 0, observedMs: 0 };

  constructor(
    private readonly marksOf: (cameraId: string) => readonly StateMark[],
    private readonly from: number,
    private readonly to: number,
    private readonly maintenanceOf?: (f: CameraFact) => readonly Interval[],
  ) {
    this.span = to - from;
  }

  add(f: CameraFact): void {
    if (f.region !== this.lastRegion || f.category !== this.lastCategory || this.lastCategory === undefined) {
      let row = this.leaves.get(f.region);
      if (!row) this.leaves.set(f.region, (row = new Map()));
      let cell = row.get(f.category);
      if (!cell) row.set(f.category, (cell = { cameras: 0, onlineMs: 0, unknownMs: 0, observedMs: 0 }));
      this.t = cell;
      this.lastRegion = f.region;
      this.lastCategory = f.category;
    }
    const t = this.t;
    t.cameras += 1;
    // a million lookups in a million-entry map were most of the walk: the fact holds its marks where the model gave them
    const marks = f.marks ?? this.marksOf(f.id);
    const excluded = this.maintenanceOf ? this.maintenanceOf(f) : NONE;
    const last = marks.length > 0 ? marks[marks.length - 1]! : undefined;
    // most cameras of a steady fleet: one state over the whole window, nothing left out (what uptimeWithin would say, without its search)
    if (last !== undefined && last.at <= this.from && excluded.length === 0) {
      t.observedMs += this.span;
      if (STREAM_UP.has(last.state)) t.onlineMs += this.span;
      else if (last.state === 'unknown') t.unknownMs += this.span;
      return;
    }
    const u = uptimeWithin(marks, this.from, this.to, excluded);
    t.onlineMs += u.onlineMs;
    t.unknownMs += u.unknownMs;
    t.observedMs += u.observedMs;
  }

  result(): Map<string, Partial<Record<CategoryKey, OnlineRate>>> {
    const out = new Map<string, Partial<Record<CategoryKey, OnlineRate>>>();
    for (const [region, row] of this.leaves) {
      for (const [category, leaf] of row) {
        for (const [r, k] of cellsOf(region, category)) {
          let cells = out.get(r);
          if (!cells) out.set(r, (cells = {}));
          addTotals((cells[k] ??= { cameras: 0, onlineMs: 0, unknownMs: 0, observedMs: 0, rate: null }), leaf);
        }
      }
    }
    for (const row of out.values()) for (const t of Object.values(row)) t.rate = t.observedMs === 0 ? null : t.onlineMs / t.observedMs;
    return out;
  }
}

const NONE: readonly Interval[] = [];

/** Adds `from` into `into` (cameras and times). */
export function addTotals(into: OnlineTotals, from: OnlineTotals): void {
  into.cameras += from.cameras;
  into.onlineMs += from.onlineMs;
  into.unknownMs += from.unknownMs;
  into.observedMs += from.observedMs;
}
