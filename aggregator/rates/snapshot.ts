import { regionAncestors } from '../../protocols/index.js';
import { ALL_REGIONS, CATEGORY_KEYS, emptyCounts, isIntact, isNetworked, type CameraFact, type CategoryKey, type Counts, type PlanPoint } from './model.js';

export type CountTable = Map<string, Record<CategoryKey, Counts>>;

const newRow = (): Record<CategoryKey, Counts> => Object.fromEntries(CATEGORY_KEYS.map((k) => [k, emptyCounts()])) as Record<CategoryKey, Counts>;

export type Cells = ReadonlyArray<readonly [string, CategoryKey]>;

// the cells of a (region, category), worked out once: a million cameras share a few thousand regions
const cellMemo = new Map<string, Cells>();
const MEMO_MAX = 100_000;

/** The cells a fact lands in: every ancestor of its region plus the whole, each under its category and `all` (a shared list: read it, do not change it). */
export function cellsOf(region: string | null, category: CategoryKey): Cells {
  const key = `${region ?? ''}/${category}`;
  const kept = cellMemo.get(key);
  if (kept) return kept;
  const regions = region ? [...regionAncestors(region), ALL_REGIONS] : [ALL_REGIONS];
  const out: Array<readonly [string, CategoryKey]> = [];
  for (const r of regions) {
    out.push([r, category]);
    if (category !== 'all') out.push([r, 'all']);
  }
  // region codes come from plans and gateways: the memo stays bounded whatever they send
  if (cellMemo.size >= MEMO_MAX) cellMemo.clear();
  cellMemo.set(key, Object.freeze(out));
  return out;
}

export function cell(table: CountTable, region: string, category: CategoryKey): Counts {
  let row = table.get(region);
  if (!row) {
    row = newRow();
    table.set(region, row);
  }
  return row[category];
}

/** How many installed cameras each point has bound to it. */
export function boundCounts(cameras: Iterable<CameraFact>): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of cameras) if (c.pointId !== null) m.set(c.pointId, (m.get(c.pointId) ?? 0) + 1);
  return m;
}

/**
 * The counts behind every rate (docs/domain.md §1), computed from scratch:
 * coverage from the plan and the cameras bound to its points, networking and
 * intact from the installed cameras' effective states. Pure.
 */
export function computeCounts(points: Iterable<PlanPoint>, cameras: Iterable<CameraFact>): CountTable {
  const table: CountTable = new Map();
  const cams = [...cameras];
  const bound = boundCounts(cams);
  for (const p of points) countPoint(table, p, bound);
  for (const f of cams) countCamera(table, f);
  return table;
}

/** computeCounts of one point: `bound`, the cameras bound to each point (boundCounts). */
export function countPoint(table: CountTable, p: PlanPoint, bound: ReadonlyMap<string, number>): void {
  const covered = (bound.get(p.id) ?? 0) >= p.required;
  for (const [r, k] of cellsOf(p.region, p.category)) {
    const c = cell(table, r, k);
    c.points += 1;
    if (covered) c.coveredPoints += 1;
  }
}

/** computeCounts of one installed camera. */
export function countCamera(table: CountTable, f: CameraFact): void {
  for (const [r, k] of cellsOf(f.region, f.category)) addCamera(cell(table, r, k), f, 1);
}

const OFFLINE_BY = { camera: 'offlineCamera', device: 'offlineDevice', network: 'offlineNetwork' } as const;

export function addCamera(c: Counts, f: Pick<CameraFact, 'state' | 'faults' | 'maintenance' | 'recorded' | 'cause'>, sign: 1 | -1): void {
  if (f.maintenance) {
    c.maintenance += sign;
    return;
  }
  c.installed += sign;
  c[f.state] += sign;
  if (isNetworked(f.state)) c.networked += sign;
  if (isIntact(f)) c.intact += sign;
  if (f.recorded) c.recorded += sign;
  // a camera offline without a cause (a gateway older than 1.6.0) is taken as its own fault
  if (f.state === 'offline') c[OFFLINE_BY[f.cause ?? 'camera']] += sign;
}
