import { overlapMs, regionAncestors, STREAM_UP, type CameraState, type Interval, type StateMark } from '../../protocols/index.js';
import { ALL_REGIONS, ratio, type CategoryKey, type PlanPoint, type Ratio } from './model.js';

/** The national targets (docs/domain.md §1): coverage, networking and the register 100%, intact ≥ 98% / ≥ 95%. */
export const TARGETS: Record<CategoryKey, { coverage: number; networking: number; intact: number; register: number } | null> = {
  key_public_area: { coverage: 1, networking: 1, intact: 0.98, register: 1 },
  key_industry_part: { coverage: 1, networking: 1, intact: 0.95, register: 1 },
  other: null,
  unassigned: null,
  all: null,
};

/** The targets an assessment report row carries. */
function reportTarget(category: CategoryKey): { coverage: number; networking: number; intact: number; register: number } | null {
  return TARGETS[category];
}

/** What one camera did in [from, to), from its state marks. */
export interface CameraPeriod {
  onlineMs: number;
  /** online without picture faults (state online, not degraded) */
  intactMs: number;
  unknownMs: number;
  observedMs: number;
  offlineMs: number;
  /** time under maintenance windows: left out of everything above */
  maintenanceMs: number;
  /** offline spans that overlap the period */
  outages: number;
  /** offline spans that ended (back online or degraded) inside the period, each as long as it lasted */
  repairsMs: number[];
  /** the state in force at the end of the period; null when the camera had no mark before it */
  stateAtEnd: CameraState | null;
}

/**
 * A camera's period (pure): time-weighted online, intact, unknown and
 * offline time, outages and repair times. Marks in time order; a mark
 * repeating the state before it is no change.
 */
export function cameraPeriod(marks: readonly StateMark[], from: number, to: number, maintenance: readonly Interval[] = []): CameraPeriod {
  const p: CameraPeriod = { onlineMs: 0, intactMs: 0, unknownMs: 0, observedMs: 0, offlineMs: 0, maintenanceMs: 0, outages: 0, repairsMs: [], stateAtEnd: null };
  // merge repeated states into spans
  const spans: Array<{ state: CameraState; start: number; end: number }> = [];
  for (let i = 0; i < marks.length; i++) {
    const m = marks[i]!;
    const end = marks[i + 1]?.at ?? Number.POSITIVE_INFINITY;
    const last = spans.at(-1);
    if (last && last.state === m.state) last.end = end;
    else spans.push({ state: m.state, start: m.at, end });
  }
  for (const [i, s] of spans.entries()) {
    if (s.start < to) p.stateAtEnd = s.state;
    const start = Math.max(s.start, from);
    const end = Math.min(s.end, to);
    const cut = end > start ? overlapMs(start, end, maintenance) : 0;
    p.maintenanceMs += cut;
    if (end - start - cut > 0) {
      const d = end - start - cut;
      p.observedMs += d;
      if (STREAM_UP.has(s.state)) p.onlineMs += d;
      if (s.state === 'online') p.intactMs += d;
      if (s.state === 'unknown') p.unknownMs += d;
      if (s.state === 'offline') {
        p.offlineMs += d;
        p.outages += 1;
      }
    }
    // a repair: the span after an offline one is the stream back, and it began inside the period
    const next = spans[i + 1];
    if (s.state === 'offline' && next && STREAM_UP.has(next.state) && next.start >= from && next.start < to) p.repairsMs.push(next.start - s.start);
  }
  return p;
}

export interface ReportCamera {
  cameraId: string;
  agentId: string;
  region: string | null;
  category: Exclude<CategoryKey, 'all'>;
  pointId: string | null;
  /** it counts as installed at the end of the period */
  installedAtEnd: boolean;
  /** under a maintenance window at the end of the period */
  maintenanceAtEnd?: boolean;
  /** its recording checks made in the period, added up; undefined when none was made */
  recording?: { supported: boolean; recordedSec: number; scheduledSec: number } | undefined;
  /** its record (一机一档) is complete (建档率) */
  recorded?: boolean | undefined;
  /** why it was down at the period's end, as its gateway said (null or absent: not said, counted as the camera's own) */
  causeAtEnd?: 'camera' | 'device' | 'network' | null | undefined;
  period: CameraPeriod;
}

export interface ReportRow {
  region: string;
  category: CategoryKey;
  points: number;
  coveredPoints: number;
  installed: number;
  networked: number;
  intact: number;
  onlineMs: number;
  intactMs: number;
  unknownMs: number;
  observedMs: number;
  /** camera time under maintenance windows, left out of the online time and observed time */
  maintenanceMs: number;
  /** recording integrity from the daily checks made in the period: cameras with Profile G, without, and the seconds */
  recordingCameras: number;
  recordingUnsupported: number;
  recordedSec: number;
  scheduledSec: number;
  recordingRate: number | null;
  /** installed cameras at the end with a complete record (建档率) */
  recorded: number;
  /** installed cameras not networked at the end, by cause: offline by the camera, its device, its network; unknown (its gateway) */
  offlineCamera: number;
  offlineDevice: number;
  offlineNetwork: number;
  unknown: number;
  coverage: Ratio;
  networking: Ratio;
  intactRate: Ratio;
  register: Ratio;
  /** time online ÷ time observed */
  onlineRate: number | null;
  target: { coverage: number; networking: number; intact: number; register: number } | null;
}

/** The direct child of `parent` (or `parent` itself) that holds `region`; undefined when it is not under `parent`. */
export function childOf(parent: string, region: string | null): string | undefined {
  if (region === null) return parent === ALL_REGIONS ? 'unknown-region' : undefined;
  const chain = regionAncestors(region);
  if (parent === ALL_REGIONS) return chain.at(-1);
  const i = chain.indexOf(parent);
  if (i < 0) return undefined;
  return i === 0 ? parent : chain[i - 1];
}

/**
 * The rows of an assessment report (pure): per child region of `parent` and
 * in total (region = parent), per category and all; coverage from the plan
 * and the cameras bound at the end of the period, networking and intact as
 * at its end, online time over the whole period.
 */
export function reportRows(parent: string, plan: readonly PlanPoint[], cameras: readonly ReportCamera[]): ReportRow[] {
  const rows = new ReportRows(parent);
  for (const c of cameras) rows.bind(c);
  for (const p of plan) rows.point(p);
  for (const c of cameras) rows.camera(c);
  return rows.result();
}

type RowAcc = Omit<ReportRow, 'coverage' | 'networking' | 'intactRate' | 'register' | 'onlineRate' | 'recordingRate' | 'target'>;

/**
 * The rows of reportRows one item at a time, so that a caller may give the
 * event loop back between them (a province's report walks a million
 * cameras): every camera's binding first (bind), then the points, then the
 * cameras again.
 */
export class ReportRows {
  private readonly acc = new Map<string, RowAcc>();
  // cameras and points share a few hundred regions: where each (region, category) adds up is worked out once,
  // found without building a key string per camera (that was most of a province's report)
  private readonly placed = new Map<string | null, Map<CategoryKey, RowAcc[]>>();
  private readonly bound = new Map<string, number>();

  constructor(private readonly parent: string) {}

  private get(region: string, category: CategoryKey): RowAcc {
    const k = `${region}\u0000${category}`;
    let a = this.acc.get(k);
    if (!a) this.acc.set(k, (a = { region, category, points: 0, coveredPoints: 0, installed: 0, networked: 0, intact: 0, onlineMs: 0, intactMs: 0, unknownMs: 0, observedMs: 0, maintenanceMs: 0, recordingCameras: 0, recordingUnsupported: 0, recordedSec: 0, scheduledSec: 0, recorded: 0, offlineCamera: 0, offlineDevice: 0, offlineNetwork: 0, unknown: 0 }));
    return a;
  }

  private cells(region: string | null, category: Exclude<CategoryKey, 'all'>): RowAcc[] {
    let byCategory = this.placed.get(region);
    if (!byCategory) this.placed.set(region, (byCategory = new Map()));
    let out = byCategory.get(category);
    if (!out) {
      const child = childOf(this.parent, region);
      const regions = child === undefined ? [] : child === this.parent ? [this.parent] : [child, this.parent];
      out = regions.flatMap((r) => [this.get(r, category), this.get(r, 'all')]);
      byCategory.set(category, out);
    }
    return out;
  }

  /** A camera's binding to its point (before the points are added). */
  bind(c: ReportCamera): void {
    if (c.installedAtEnd && c.pointId !== null) this.bound.set(c.pointId, (this.bound.get(c.pointId) ?? 0) + 1);
  }

  point(p: PlanPoint): void {
    for (const a of this.cells(p.region, p.category)) {
      a.points += 1;
      if ((this.bound.get(p.id) ?? 0) >= p.required) a.coveredPoints += 1;
    }
  }

  camera(c: ReportCamera): void {
    for (const a of this.cells(c.region, c.category)) {
      a.onlineMs += c.period.onlineMs;
      a.intactMs += c.period.intactMs;
      a.unknownMs += c.period.unknownMs;
      a.observedMs += c.period.observedMs;
      a.maintenanceMs += c.period.maintenanceMs;
      if (c.recording && !c.recording.supported) a.recordingUnsupported += 1;
      else if (c.recording && c.recording.scheduledSec > 0) {
        a.recordingCameras += 1;
        a.recordedSec += c.recording.recordedSec;
        a.scheduledSec += c.recording.scheduledSec;
      }
      // under maintenance at the end: counted apart, like the live rates
      if (!c.installedAtEnd || c.maintenanceAtEnd) continue;
      a.installed += 1;
      const end = c.period.stateAtEnd;
      if (end !== null && STREAM_UP.has(end)) a.networked += 1;
      if (end === 'online') a.intact += 1;
      if (c.recorded) a.recorded += 1;
      // not networked at the end: offline by its cause (none said: the camera's own), else unknown (never reported, or its gateway gone)
      if (end === 'offline') a[c.causeAtEnd === 'device' ? 'offlineDevice' : c.causeAtEnd === 'network' ? 'offlineNetwork' : 'offlineCamera'] += 1;
      else if (end === null || end === 'unknown') a.unknown += 1;
    }
  }

  result(): ReportRow[] {
    const parent = this.parent;
    const order = (r: ReportRow) => `${r.region === parent ? '0' : '1'}${r.region}\u0000${['key_public_area', 'key_industry_part', 'other', 'unassigned', 'all'].indexOf(r.category)}`;
    return [...this.acc.values()]
      .map((a) => ({
        ...a,
        coverage: ratio(a.coveredPoints, a.points),
        networking: ratio(a.networked, a.installed),
        intactRate: ratio(a.intact, a.installed),
        register: ratio(a.recorded, a.installed),
        onlineRate: a.observedMs === 0 ? null : a.onlineMs / a.observedMs,
        recordingRate: a.scheduledSec === 0 ? null : Math.min(1, a.recordedSec / a.scheduledSec),
        target: reportTarget(a.category),
      }))
      .sort((x, y) => order(x).localeCompare(order(y)));
  }
}

/** Child regions ranked: by intact rate (scored first in assessments), then online rate; no rate ranks last. */
export function ranking(parent: string, rows: readonly ReportRow[]): Array<{ rank: number; region: string; intactRate: number | null; onlineRate: number | null; installed: number }> {
  const children = rows.filter((r) => r.region !== parent && r.category === 'all');
  const key = (v: number | null) => (v === null ? -1 : v);
  return children
    .map((r) => ({ region: r.region, intactRate: r.intactRate.rate, onlineRate: r.onlineRate, installed: r.installed }))
    .sort((a, b) => key(b.intactRate) - key(a.intactRate) || key(b.onlineRate) - key(a.onlineRate) || a.region.localeCompare(b.region))
    .map((r, i) => ({ rank: i + 1, ...r }));
}

/** Mean time to repair per child region and in total: from offline to back online, over the repairs that ended in the period. */
export function repairTimes(parent: string, cameras: readonly ReportCamera[]): Array<{ region: string; repairs: number; meanMs: number | null }> {
  const by = new Map<string, number[]>();
  for (const c of cameras) {
    const child = childOf(parent, c.region);
    if (child === undefined) continue;
    for (const r of new Set([child, parent])) {
      const list = by.get(r) ?? [];
      list.push(...c.period.repairsMs);
      by.set(r, list);
    }
  }
  return [...by.entries()]
    .map(([region, list]) => ({ region, repairs: list.length, meanMs: list.length === 0 ? null : Math.round(list.reduce((s, x) => s + x, 0) / list.length) }))
    .sort((a, b) => (a.region === parent ? -1 : b.region === parent ? 1 : a.region.localeCompare(b.region)));
}

/** What one camera did in each of consecutive periods: cameraPeriod's time figures and end state, for every period in one walk. */
export interface PeriodSlice {
  onlineMs: number;
  intactMs: number;
  unknownMs: number;
  observedMs: number;
  stateAtEnd: CameraState | null;
}

/**
 * cameraPeriod cut at every bound (pure): slice i is [bounds[i], bounds[i+1]).
 * The same numbers as cameraPeriod(marks, bounds[i], bounds[i+1], maintenance)
 * for each i, in O(marks + periods) instead of O(marks × periods): a daily
 * series of a province's cameras is read in one pass over their histories.
 */
export function cameraSlices(marks: readonly StateMark[], bounds: readonly number[], maintenance: readonly Interval[] = []): PeriodSlice[] {
  const n = Math.max(0, bounds.length - 1);
  const out: PeriodSlice[] = Array.from({ length: n }, () => ({ onlineMs: 0, intactMs: 0, unknownMs: 0, observedMs: 0, stateAtEnd: null }));
  if (n === 0) return out;
  // merged spans, as cameraPeriod makes them
  const spans: Array<{ state: CameraState; start: number; end: number }> = [];
  for (let i = 0; i < marks.length; i++) {
    const m = marks[i]!;
    const end = marks[i + 1]?.at ?? Number.POSITIVE_INFINITY;
    const last = spans.at(-1);
    if (last && last.state === m.state) last.end = end;
    else spans.push({ state: m.state, start: m.at, end });
  }
  let day = 0;
  for (const s of spans) {
    // the state in force at each period's end: the last span that began before it
    for (let i = day; i < n; i++) if (s.start < bounds[i + 1]!) out[i]!.stateAtEnd = s.state;
    while (day < n && bounds[day + 1]! <= s.start) day++;
    for (let i = day; i < n && bounds[i]! < s.end; i++) {
      const start = Math.max(s.start, bounds[i]!);
      const end = Math.min(s.end, bounds[i + 1]!);
      if (end <= start) continue;
      const d = end - start - overlapMs(start, end, maintenance);
      if (d <= 0) continue;
      const p = out[i]!;
      p.observedMs += d;
      if (STREAM_UP.has(s.state)) p.onlineMs += d;
      if (s.state === 'online') p.intactMs += d;
      if (s.state === 'unknown') p.unknownMs += d;
    }
  }
  return out;
}
