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
  maintenanceOf: (f: CameraFact) => readonly Interval[] = () => [],
): Map<string, Partial<Record<CategoryKey, OnlineRate>>> {
  const out = new Map<string, Partial<Record<CategoryKey, OnlineRate>>>();
  for (const f of facts) {
    const u = uptimeWithin(marksOf(f.id), from, to, maintenanceOf(f));
    for (const [r, k] of cellsOf(f.region, f.category)) {
      let row = out.get(r);
      if (!row) out.set(r, (row = {}));
      const t = (row[k] ??= { cameras: 0, onlineMs: 0, unknownMs: 0, observedMs: 0, rate: null });
      t.cameras += 1;
      t.onlineMs += u.onlineMs;
      t.unknownMs += u.unknownMs;
      t.observedMs += u.observedMs;
    }
  }
  for (const row of out.values()) for (const t of Object.values(row)) t.rate = t.observedMs === 0 ? null : t.onlineMs / t.observedMs;
  return out;
}
