import { eachInSlices, pacer } from './slices.js';
import { byCode } from '../rates/order.js';
import { csvCell } from './csv.js';
import type { LossRecord } from '../store/records.js';
import type { DailyTotalsRow } from '../store/changes.js';
import { exportWords } from './report-words.js';
import type { z } from 'zod';
import { cameraStatusMessage, fromLocal, localParts, regionAncestors, regionLevel, regionWithin, regionName, STREAM_UP, type RegionNameOverrides, type TermLang, type CameraStatusMessage, type Interval, type StateMark } from '../../protocols/index.js';
import type { DailyPointView, reportResponse } from '../../protocols/http-api.js';
import type { AggregatorStore, RecordingCheckRow } from '../store/port.js';
import { cameraFact } from '../rates/bind.js';
import type { RegisterField } from '../rates/register.js';
import { windowSubject, type MaintenanceBook } from './maintenance.js';
import { flappingEpisodes, type FlappingRule } from '../rates/flapping.js';
import { ALL_REGIONS, CATEGORY_KEYS, type PlanPoint } from '../rates/model.js';
import { cameraPeriod, cameraSlices, childOf, ranking, repairTimes, ReportRows, type ReportCamera, type ReportRow } from '../rates/report-math.js';

export interface ReportPeriod {
  kind: 'day' | 'month' | 'range';
  label: string;
  from: number;
  to: number;
}

/**
 * ?month=YYYY-MM, ?day=YYYY-MM-DD (local days of `timeZone`) or ?from=&to=
 * (ISO). The end is capped at `now`: a period that has not closed reports
 * what happened so far, and says so.
 */
export function parsePeriod(q: URLSearchParams, timeZone: string): ReportPeriod | { error: string } {
  const month = q.get('month');
  const day = q.get('day');
  if (month) {
    const m = /^(\d{4})-(\d{2})$/.exec(month);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return { error: 'month is YYYY-MM' };
    const y = Number(m[1]);
    const mo = Number(m[2]);
    return { kind: 'month', label: month, from: fromLocal(y, mo, 1, timeZone), to: mo === 12 ? fromLocal(y + 1, 1, 1, timeZone) : fromLocal(y, mo + 1, 1, timeZone) };
  }
  if (day) {
    const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
    if (!d) return { error: 'day is YYYY-MM-DD' };
    const from = fromLocal(Number(d[1]), Number(d[2]), Number(d[3]), timeZone);
    const p = localParts(from + 36 * 3600_000, timeZone); // the next local day, DST or not
    const to = fromLocal(p.year, p.month, p.day, timeZone);
    if (localParts(from, timeZone).day !== Number(d[3])) return { error: 'no such day' };
    return { kind: 'day', label: day, from, to };
  }
  const f = Date.parse(q.get('from') ?? '');
  const t = Date.parse(q.get('to') ?? '');
  if (!Number.isFinite(f) || !Number.isFinite(t) || f >= t) return { error: 'give month=YYYY-MM, day=YYYY-MM-DD, or from and to (ISO, from < to)' };
  return { kind: 'range', label: `${new Date(f).toISOString()}/${new Date(t).toISOString()}`, from: f, to: t };
}

export type Report = z.infer<typeof reportResponse> & { rows: ReportRow[] };

/**
 * An assessment report (考核) of `region` over a period, computed from what
 * the store holds (state marks, cameras with their last status, the plan in
 * force at the period's end), not from the live state: a past period gives
 * the same numbers on any later day, cameras removed since included.
 */
export interface ReportDeps {
  store: AggregatorStore;
  agentRegion: (agentId: string) => string | null;
  timeZone: string;
  now: number;
  maintenance?: MaintenanceBook | undefined;
  flapping?: FlappingRule | undefined;
  /** the losses the gateways reported (the centre keeps the latest) */
  losses?: () => readonly LossRecord[];
  /** region names the plan gives, over the division data's */
  regionNames?: RegionNameOverrides | undefined;
  /** what makes a camera's record complete (建档率), as the live rates count it */
  registerFields?: readonly RegisterField[] | undefined;
  /** the plan in force in the running centre: a period that ends under the newest stored plan reads this one, not the stored JSON (a province's plan took seconds to parse) */
  livePlan?: (() => { plan: readonly PlanPoint[]; pointOf: (idOrGbId: string) => PlanPoint | undefined }) | undefined;
}

/** What the store holds of the cameras that existed in [from, to): rows, parsed statuses, marks, recording checks. Loaded once, cut into periods. */
interface ReportBasis {
  rows: Array<{ cameraId: string; agentId: string; firstSeen: number; removedAt: number | null; status: CameraStatusMessage }>;
  marks: Map<string, StateMark[]>;
  recordingChecks: Map<string, RecordingCheckRow[]>;
  /** each camera's cause of outage in force at the period's end */
  causes: Map<string, string | null>;
}

/**
 * `checked`: each stored status is checked against the schema again (a
 * report); without it, only parsed (the daily series: every status in the
 * store was checked when it arrived, and 10⁵ checks cost a second).
 */
async function loadBasis(store: AggregatorStore, from: number, to: number, checked = true): Promise<ReportBasis> {
  const rows: ReportBasis['rows'] = [];
  const ids = new Set<string>();
  const pace = pacer();
  for (const r of await store.camerasInPeriod(from, to)) {
    // parsing 10⁵ statuses takes a while: let the ingest and other requests in between
    const turn = pace();
    if (turn) await turn;
    let status: CameraStatusMessage | undefined;
    try {
      const data: unknown = JSON.parse(r.statusJson);
      if (checked) {
        const parsed = cameraStatusMessage.safeParse(data);
        status = parsed.success ? parsed.data : undefined;
      } else if (data && typeof data === 'object' && typeof (data as { cameraId?: unknown }).cameraId === 'string') status = data as CameraStatusMessage;
    } catch {
      status = undefined;
    }
    if (!status) continue;
    rows.push({ cameraId: r.cameraId, agentId: r.agentId, firstSeen: r.firstSeen, removedAt: r.removedAt, status });
    ids.add(r.cameraId);
  }
  return { rows, marks: await store.marksBefore(to, ids), recordingChecks: await store.recordingChecksIn(from, to), causes: await store.causesBefore(to) };
}

/** a plan's points, and each found by its id or GB/T 28181 code */
type PointLookup = { get(idOrGbId: string): PlanPoint | undefined };
type PlanIndex = { plan: readonly PlanPoint[]; byId: PointLookup };
/** the plans read lately, by store and version: a plan of 10⁵ points takes a second to parse, and reports of a pass share one */
const plansRead = new WeakMap<AggregatorStore, Map<number, PlanIndex>>();

async function planIndex(store: AggregatorStore, at: number, live?: ReportDeps['livePlan']): Promise<PlanIndex> {
  const version = await store.planVersionAt(at);
  let cache = plansRead.get(store);
  if (!cache) plansRead.set(store, (cache = new Map()));
  const hit = cache.get(version);
  if (hit && version !== 0) return hit;
  let index: PlanIndex;
  if (live && version !== 0 && version === (await store.planVersionAt(Number.MAX_SAFE_INTEGER))) {
    // the newest stored plan is the one in force: read from memory, as it was stored
    const { plan, pointOf } = live();
    index = { plan, byId: { get: pointOf } };
  } else {
    const plan = JSON.parse((await store.planAt(at)) ?? '[]') as PlanPoint[];
    const byId = new Map<string, PlanPoint>();
    for (const p of plan) {
      byId.set(p.id, p);
      if (p.gbId) byId.set(p.gbId, p);
    }
    index = { plan, byId };
  }
  if (cache.size >= 2) cache.delete(cache.keys().next().value!);
  cache.set(version, index);
  return index;
}

/** What the reports of one period read from the store: read once for the reports of every region of a pass. */
export interface PeriodBasis {
  from: number;
  to: number;
  index: PlanIndex;
  basis: ReportBasis;
  /** every camera of the period with what it did, bound by the plan: worked out once for the reports of every region of a pass */
  cameras: ReportCamera[];
}

/** `background`: the publisher's pass, which nobody waits for (features/slices.ts). */
export async function periodBasis(deps: ReportDeps, period: ReportPeriod, background = false): Promise<PeriodBasis> {
  const to = Math.min(period.to, deps.now);
  const from = Math.min(period.from, to);
  const index = await planIndex(deps.store, to, deps.livePlan);
  const basis = await loadBasis(deps.store, from, to);
  return { from, to, index, basis, cameras: await periodCameras(deps, basis, index.byId, from, to, background) };
}

/** The cameras of [from, to) with what each did in it, bound by the plan `byId`; walked in slices (the event loop free meanwhile). */
async function periodCameras(deps: ReportDeps, basis: ReportBasis, byId: PointLookup, from: number, to: number, background: boolean): Promise<ReportCamera[]> {
  const recordingOf = (id: string): ReportCamera['recording'] => {
    const checks = basis.recordingChecks.get(id);
    if (!checks?.length) return undefined;
    const measured = checks.filter((c) => c.supported && c.recordedSec !== null && c.scheduledSec !== null);
    if (measured.length === 0) return checks.some((c) => c.supported) ? undefined : { supported: false, recordedSec: 0, scheduledSec: 0 };
    return { supported: true, recordedSec: measured.reduce((s, c) => s + c.recordedSec!, 0), scheduledSec: measured.reduce((s, c) => s + c.scheduledSec!, 0) };
  };
  const cameras: ReportCamera[] = [];
  await eachInSlices(basis.rows, (r) => {
    if (r.firstSeen >= to || (r.removedAt !== null && r.removedAt <= from)) return;
    const fact = cameraFact(r.status, { id: r.agentId, online: true, region: deps.agentRegion(r.agentId) }, (k) => byId.get(k), deps.registerFields);
    const cause = basis.causes.get(r.cameraId) ?? null;
    const point = fact.pointId !== null ? byId.get(fact.pointId) : undefined;
    const subject = windowSubject(r.cameraId, r.agentId, point);
    const windows = deps.maintenance?.intervalsFor(subject) ?? [];
    cameras.push({
      cameraId: r.cameraId,
      agentId: r.agentId,
      region: fact.region,
      category: fact.category,
      pointId: fact.pointId,
      installedAtEnd: r.removedAt === null || r.removedAt >= to,
      maintenanceAtEnd: deps.maintenance?.activeFor(subject, to - 1) !== undefined,
      recording: recordingOf(r.cameraId),
      recorded: fact.recorded === true,
      causeAtEnd: cause === 'camera' || cause === 'device' || cause === 'network' ? cause : null,
      period: cameraPeriod(basis.marks.get(r.cameraId) ?? [], from, to, windows),
    });
  }, { background });
  return cameras;
}

/** One local day of the daily series (its schema: protocols/http-api.ts dailyPointView). */
export type DailyPoint = DailyPointView;


/** The local days that end at `now`: the last `days` starts (today last), their ends (today's is now). */
export function localDays(now: number, days: number, timeZone: string): Array<{ day: string; from: number; to: number; complete: boolean }> {
  const today = localParts(now, timeZone);
  const starts: number[] = [fromLocal(today.year, today.month, today.day, timeZone)];
  for (let i = 1; i < days; i++) {
    const p = localParts(starts[0]! - 12 * 3600_000, timeZone); // the local day before, DST or not
    starts.unshift(fromLocal(p.year, p.month, p.day, timeZone));
  }
  return starts.map((from, i) => {
    const p = localParts(from, timeZone);
    const end = starts[i + 1];
    return { day: `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`, from, to: Math.min(end ?? now, now), complete: end !== undefined && end <= now };
  });
}

/**
 * The totals of each of `days` for every region (each level of the tree,
 * and the whole) and category (each, and all): what the total row of that
 * day's report says (cameras of the day, the plan in force at its end,
 * maintenance left out), from one read of the store and one walk over each
 * camera's history (cameraSlices), not one report a day nor one walk a region.
 */
export async function dayTotals(deps: ReportDeps, days: ReadonlyArray<{ from: number; to: number }>): Promise<Array<Map<string, DailyTotalsRow>>> {
  const out = days.map(() => new Map<string, DailyTotalsRow>());
  if (days.length === 0) return out;
  const first = Math.min(...days.map((d) => d.from));
  const last = Math.max(...days.map((d) => d.to));
  const basis = await loadBasis(deps.store, first, last, false);
  // the plan in force at each day's end: most days share one, read once
  const plans = new Map<number, PointLookup>();
  const planOfDay: PointLookup[] = [];
  for (const d of days) {
    const version = await deps.store.planVersionAt(d.to);
    if (!plans.has(version)) plans.set(version, (await planIndex(deps.store, d.to, deps.livePlan)).byId);
    planOfDay.push(plans.get(version)!);
  }
  const bounds = [...days.map((d) => d.from), last];
  const add = (i: number, region: string, category: string) => {
    const k = `${region}\u0000${category}`;
    let t = out[i]!.get(k);
    if (!t) out[i]!.set(k, (t = { region, category, onlineMs: 0, unknownMs: 0, observedMs: 0, installed: 0, networked: 0, intact: 0 }));
    return t;
  };
  // the rows a camera of (region, category) adds to on day i: its region, every region above, the whole; its category and all
  const targets = new Map<string, DailyTotalsRow[]>();
  const targetsOf = (i: number, region: string | null, category: string): DailyTotalsRow[] => {
    const key = `${i}\u0000${region ?? ''}\u0000${category}`;
    let list = targets.get(key);
    if (!list) {
      const regions = region === null ? [ALL_REGIONS] : [ALL_REGIONS, ...regionAncestors(region)];
      list = regions.flatMap((reg) => [...new Set([category, 'all'])].map((cat) => add(i, reg, cat)));
      targets.set(key, list);
    }
    return list;
  };
  const pace = pacer();
  for (const r of basis.rows) {
    // 10⁵ cameras take seconds: let the ingest and other requests in between
    const turn = pace();
    if (turn) await turn;
    // where the camera counts under each plan (its region and category), and the maintenance windows naming it
    const placed = new Map<PointLookup, { region: string | null; category: string; windows: Interval[] }>();
    const where = (byId: PointLookup) => {
      let w = placed.get(byId);
      if (!w) {
        const fact = cameraFact(r.status, { id: r.agentId, online: true, region: deps.agentRegion(r.agentId) }, (k) => byId.get(k));
        const point = fact.pointId !== null ? byId.get(fact.pointId) : undefined;
        w = { region: fact.region, category: fact.category, windows: deps.maintenance?.intervalsFor(windowSubject(r.cameraId, r.agentId, point)) ?? [] };
        placed.set(byId, w);
      }
      return w;
    };
    const windows = where(planOfDay[0]!).windows;
    const slices = cameraSlices(basis.marks.get(r.cameraId) ?? [], bounds, windows);
    for (let i = 0; i < days.length; i++) {
      const { from, to } = days[i]!;
      if (r.firstSeen >= to || (r.removedAt !== null && r.removedAt <= from)) continue;
      const w = where(planOfDay[i]!);
      const s = slices[i]!;
      const installed = r.removedAt === null || r.removedAt >= to;
      const inMaintenance = w.windows.some((x) => x.from <= to - 1 && to - 1 < x.to);
      for (const t of targetsOf(i, w.region, w.category)) {
        t.onlineMs += s.onlineMs;
        t.unknownMs += s.unknownMs;
        t.observedMs += s.observedMs;
        if (!installed || inMaintenance) continue;
        t.installed += 1;
        if (s.stateAtEnd !== null && STREAM_UP.has(s.stateAtEnd)) t.networked += 1;
        if (s.stateAtEnd === 'online') t.intact += 1;
      }
    }
  }
  // a day with no camera still has its whole row: it says the day was closed and counted
  for (let i = 0; i < days.length; i++) for (const category of CATEGORY_KEYS) add(i, ALL_REGIONS, category);
  return out;
}

/** A stored (or live) row of a day as the daily series shows it. */
export function dailyPointOf(day: { day: string; from: number; to: number; complete: boolean }, t: Omit<DailyTotalsRow, 'region' | 'category'> | undefined): DailyPoint {
  const z = t ?? { onlineMs: 0, unknownMs: 0, observedMs: 0, installed: 0, networked: 0, intact: 0 };
  return {
    day: day.day,
    from: new Date(day.from).toISOString(),
    to: new Date(day.to).toISOString(),
    complete: day.complete,
    online: { onlineMs: z.onlineMs, unknownMs: z.unknownMs, observedMs: z.observedMs, rate: z.observedMs === 0 ? null : z.onlineMs / z.observedMs },
    intact: { numerator: z.intact, denominator: z.installed, rate: z.installed === 0 ? null : z.intact / z.installed },
    networking: { numerator: z.networked, denominator: z.installed, rate: z.installed === 0 ? null : z.networked / z.installed },
  };
}

/** Each read's cameras and points by their own region, grouped once (in slices) for the reports of all the regions of a pass. */
type Grouped = { cameras: Map<string | null, ReportCamera[]>; points: Map<string, PlanPoint[]> };
const byRegionOf = new WeakMap<PeriodBasis, Promise<Grouped>>();

async function groupByRegion(read: PeriodBasis): Promise<Grouped> {
  const grouped: Grouped = { cameras: new Map(), points: new Map() };
  await eachInSlices(read.cameras, (c) => {
    let list = grouped.cameras.get(c.region);
    if (!list) grouped.cameras.set(c.region, (list = []));
    list.push(c);
  });
  await eachInSlices(read.index.plan, (p) => {
    let list = grouped.points.get(p.region);
    if (!list) grouped.points.set(p.region, (list = []));
    list.push(p);
  });
  return grouped;
}

/** The cameras and points of `region` and below (all of them for the whole). */
async function regionPart(read: PeriodBasis, region: string): Promise<{ cameras: readonly ReportCamera[]; plan: readonly PlanPoint[] }> {
  if (region === ALL_REGIONS) return { cameras: read.cameras, plan: read.index.plan };
  let grouping = byRegionOf.get(read);
  if (!grouping) byRegionOf.set(read, (grouping = groupByRegion(read)));
  const grouped = await grouping;
  const cameras: ReportCamera[] = [];
  for (const [r, list] of grouped.cameras) if (r !== null && regionWithin(r, region)) for (const c of list) cameras.push(c);
  const plan: PlanPoint[] = [];
  for (const [r, list] of grouped.points) if (regionWithin(r, region)) for (const p of list) plan.push(p);
  return { cameras, plan };
}

export async function buildReport(deps: ReportDeps, region: string, period: ReportPeriod, read?: PeriodBasis): Promise<Report> {
  const basisRead = read ?? (await periodBasis(deps, period));
  const { from, to, basis } = basisRead;
  const marks = basis.marks;
  // a city's report walks its own cameras, not the province's; every walk in slices (a province's is a million)
  const { cameras, plan } = await regionPart(basisRead, region);
  const rows = new ReportRows(region);
  await eachInSlices(cameras, (c) => rows.bind(c));
  await eachInSlices(plan, (p) => rows.point(p));
  await eachInSlices(cameras, (c) => rows.camera(c));
  const reportRowsOf = rows.result();
  const rule = deps.flapping ?? { changes: 5, withinMs: 10 * 60_000 };
  const flappingAll: Report['flapping'] = [];
  const offlineAll: ReportCamera[] = [];
  const degradedAll: ReportCamera[] = [];
  await eachInSlices(cameras, (c) => {
    const episodes = flappingEpisodes(marks.get(c.cameraId) ?? [], rule, to).filter((e) => (e.until ?? to) > from);
    if (episodes.length > 0) flappingAll.push({ cameraId: c.cameraId, agentId: c.agentId, region: c.region, episodes: episodes.length, changes: episodes.reduce((sum, e) => sum + e.changes, 0) });
    if (c.period.offlineMs > 0) offlineAll.push(c);
    if (c.installedAtEnd && !c.maintenanceAtEnd && c.period.stateAtEnd === 'degraded') degradedAll.push(c);
  });
  const flapping = flappingAll.sort((a, b) => b.changes - a.changes || byCode(a.cameraId, b.cameraId)).slice(0, 50);
  const longestOffline = offlineAll
    .sort((a, b) => b.period.offlineMs - a.period.offlineMs || byCode(a.cameraId, b.cameraId))
    .slice(0, 50)
    .map((c) => ({ cameraId: c.cameraId, agentId: c.agentId, region: c.region, category: c.category, offlineMs: c.period.offlineMs, outages: c.period.outages }));
  const degraded = degradedAll
    .sort((a, b) => byCode(a.region ?? '', b.region ?? '') || byCode(a.cameraId, b.cameraId))
    .slice(0, 1000)
    .map((c) => ({ cameraId: c.cameraId, agentId: c.agentId, region: c.region, category: c.category }));
  const repairs = repairTimes(region, cameras);
  const named = new Set<string>([region, ...reportRowsOf.map((r) => r.region), ...flapping.map((f) => f.region), ...longestOffline.map((c) => c.region), ...repairs.map((r) => r.region)].filter((r): r is string => r !== null && r !== ALL_REGIONS));
  if (region !== ALL_REGIONS) for (const a of regionAncestors(region)) named.add(a);
  const names: Record<string, string> = {};
  for (const r of named) {
    const n = regionName(r, deps.regionNames);
    if (n) names[r] = n;
  }
  return {
    region,
    level: region === ALL_REGIONS ? ('all' as const) : regionLevel(region),
    period: { kind: period.kind, label: period.label, from: new Date(from).toISOString(), to: new Date(to).toISOString(), timeZone: deps.timeZone, complete: period.to <= deps.now },
    generatedAt: new Date(deps.now).toISOString(),
    rows: reportRowsOf,
    ranking: ranking(region, reportRowsOf),
    flapping,
    longestOffline,
    degraded,
    repairs,
    losses: lossesIn(deps, region, from, to),
    names,
  };
}

const pct = (r: number | null) => (r === null ? '' : (Math.round(r * 10_000) / 100).toFixed(2));

/**
 * The rows as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese).
 * Chinese headers, region names and categories by default; `en` keeps the
 * machine headers scripts read, the region name added as the last column.
 */
export function reportCsv(r: Report, lang: TermLang = 'zh'): string {
  const x = exportWords(lang);
  const h = (ms: number) => (ms / 3600_000).toFixed(2);
  const cells = (row: Report['rows'][number]) => [row.points, row.coveredPoints, pct(row.coverage.rate), row.installed, row.networked, pct(row.networking.rate), row.intact, pct(row.intactRate.rate), row.target ? pct(row.target.intact) : '', h(row.onlineMs), h(row.unknownMs), h(row.observedMs), pct(row.onlineRate), h(row.maintenanceMs), pct(row.recordingRate), row.recordingCameras, row.recordingUnsupported, row.recorded, pct(row.register.rate), row.offlineCamera, row.offlineDevice, row.offlineNetwork, row.unknown];
  // a text cell a spreadsheet would run as a formula (a name from an uploaded plan) is kept as text
  const quote = csvCell;
  let head: string[];
  let lines: string[];
  if (lang === 'en') {
    head = ['region', 'category', 'points', 'covered_points', 'coverage_%', 'installed', 'networked', 'networking_%', 'intact', 'intact_%', 'intact_target_%', 'online_hours', 'unknown_hours', 'observed_hours', 'online_%', 'maintenance_hours', 'recording_%', 'recording_cameras', 'recording_unsupported', 'recorded', 'register_%', 'offline_camera', 'offline_device', 'offline_network', 'unknown_gateway', 'region_name'];
    lines = r.rows.map((row) => [row.region, row.category, ...cells(row), x.regionName(r, row.region)].map(quote).join(','));
  } else {
    const w = x.w;
    head = [w('region'), w('regionName'), w('category'), w('points'), w('covered'), `${w('coverage')}%`, w('installed'), w('networked'), `${w('networking')}%`, w('intact'), `${w('intactRate')}%`, `${w('target')}%`, w('onlineH'), w('unknownH'), w('observedH'), `${w('online')}%`, w('maintenanceH'), `${w('recording')}%`, w('recordingCameras'), w('recordingUnsupported'), w('recorded'), `${w('register')}%`, w('offlineCamera'), w('offlineDevice'), w('offlineNetwork'), w('unknownGateway')];
    lines = r.rows.map((row) => [row.region, x.regionName(r, row.region), w(row.category), ...cells(row)].map(quote).join(','));
  }
  const title = `# ${x.regionName(r, r.region)}${r.region === 'all' ? '' : ` (${r.region})`} ${r.period.label} (${r.period.timeZone}${r.period.complete ? '' : `, ${x.w('notClosed')}`})`;
  return `\uFEFF${[title, head.map(quote).join(','), ...lines].join('\r\n')}\r\n`;
}

/**
 * The losses of the region's gateways in [from, to): by the time of the
 * first lost event when it is known, else by when the loss was reported.
 */
function lossesIn(deps: ReportDeps, region: string, from: number, to: number): LossRecord[] {
  const timeOf = (l: LossRecord) => {
    const first = l.from as { ts?: unknown } | null | undefined;
    const ts = typeof first?.ts === 'string' ? Date.parse(first.ts) : NaN;
    return Number.isFinite(ts) ? ts : Date.parse(l.reportedAt);
  };
  return (deps.losses?.() ?? []).filter((l) => {
    const at = timeOf(l);
    if (!(at >= from && at < to)) return false;
    if (region === ALL_REGIONS) return true;
    const r = deps.agentRegion(l.agentId);
    return r !== null && regionWithin(r, region);
  });
}
