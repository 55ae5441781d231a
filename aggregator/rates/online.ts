import { uptimeWithin, type Interval, type StateMark } from '../../protocols/index.js';
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
  // each camera adds to the cell of its own region and category; the cells then roll up the region tree once
  // (a million cameras make a million map updates, not one per ancestor region and category)
  const leaves = new Map<string | null, Map<CategoryKey, OnlineTotals>>();
  for (const f of facts) {
    const u = uptimeWithin(marksOf(f.id), from, to, maintenanceOf ? maintenanceOf(f) : NONE);
    let row = leaves.get(f.region);
    if (!row) leaves.set(f.region, (row = new Map()));
    let t = row.get(f.category);
    if (!t) row.set(f.category, (t = { cameras: 0, onlineMs: 0, unknownMs: 0, observedMs: 0 }));
    t.cameras += 1;
    t.onlineMs += u.onlineMs;
    t.unknownMs += u.unknownMs;
    t.observedMs += u.observedMs;
  }
  const out = new Map<string, Partial<Record<CategoryKey, OnlineRate>>>();
  for (const [region, row] of leaves) {
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

const NONE: readonly Interval[] = [];

/** Adds `from` into `into` (cameras and times). */
export function addTotals(into: OnlineTotals, from: OnlineTotals): void {
  into.cameras += from.cameras;
  into.onlineMs += from.onlineMs;
  into.unknownMs += from.unknownMs;
  into.observedMs += from.observedMs;
}
