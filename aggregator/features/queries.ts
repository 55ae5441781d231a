import { CASCADE_WINDOWS, regionAncestors, regionLevel, regionName, regionParent, regionWithin, uptimeWithin, type CameraState, type FailureReason } from '../../protocols/index.js';
import { byCode, FirstK } from '../rates/order.js';
import type { CascadeWindow } from './tiers.js';
import { ALL_REGIONS, CATEGORY_KEYS, rateSet, type CategoryKey } from '../rates/model.js';
import { cellsOf, type CountTable } from '../rates/snapshot.js';
import type { CameraView, RatesResponse } from '../../protocols/http-api.js';
import type { Scope } from '../auth/roles.js';
import { startOfLocalDay } from '../../protocols/local-time.js';
import type { OnlineRate } from '../rates/online.js';
import { TARGETS } from '../rates/report-math.js';
import { recordGaps } from '../rates/register.js';
import { csvDocument } from './csv.js';
import { eachInSlices } from './slices.js';
import type { AggregatorState, CameraRecord } from './state.js';

const DAY = 86_400_000;

/** The window as the tiers below report it, when it is one of theirs. */
export function cascadeWindow(label: string): CascadeWindow | null {
  return (CASCADE_WINDOWS as readonly string[]).includes(label) ? (label as CascadeWindow) : null;
}

export interface Window {
  from: number;
  to: number;
  label: string;
}

/**
 * Parses ?window=today|24h|7d|30d or ?from=&to= (ISO) into a window ending no
 * later than now; `today` starts at local midnight in the configured time zone.
 */
export function parseWindow(q: URLSearchParams, now: number, timeZone: string): Window | { error: string } {
  const from = q.get('from');
  const to = q.get('to');
  if (from || to) {
    const f = from ? Date.parse(from) : NaN;
    const t = to ? Date.parse(to) : now;
    if (!Number.isFinite(f) || !Number.isFinite(t) || f >= t) return { error: 'from and to must be ISO times with from < to' };
    return { from: f, to: Math.min(t, now), label: `${new Date(f).toISOString()}/${new Date(t).toISOString()}` };
  }
  const w = q.get('window') ?? '24h';
  const spans: Record<string, number> = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY };
  if (w === 'today') return { from: startOfLocalDay(now, timeZone), to: now, label: 'today' };
  const span = spans[w];
  if (!span) return { error: 'window is one of today, 24h, 7d, 30d (or give from and to)' };
  return { from: now - span, to: now, label: w };
}

const pct = (r: number | null) => (r === null ? null : Math.round(r * 10_000) / 100);

export function ratesView(
  state: AggregatorState,
  opts: { region?: string | null; category?: string | null; window: Window },
  walked: { online: Map<string, Partial<Record<CategoryKey, OnlineRate>>>; recording: Map<string, Partial<Record<CategoryKey, RecordingTotals>>>; window?: Window } = {
    online: state.onlineRates(opts.window.from, opts.window.to, cascadeWindow(opts.window.label)),
    recording: recordingRates(state),
  },
): RatesResponse {
  return ratesViewOf(state.ratesTable(), state.regionNames, opts, walked);
}

/** ratesView of a count table and the walks behind it (the live ones, or those kept for a restart: restored-rates.ts). */
export function ratesViewOf(
  table: CountTable,
  regionNames: ReadonlyMap<string, string>,
  opts: { region?: string | null; category?: string | null; window: Window },
  walked: { online: ReadonlyMap<string, Partial<Record<CategoryKey, OnlineRate>>>; recording: ReadonlyMap<string, Partial<Record<CategoryKey, RecordingTotals>>>; window?: Window },
): RatesResponse {
  // the online time says the span it was walked over
  const w = walked.window ?? opts.window;
  const { online, recording } = walked;
  const regions = [...table.keys()]
    .filter((r) => !opts.region || r === opts.region || (r !== ALL_REGIONS && (regionParent(r) ?? ALL_REGIONS) === opts.region))
    .sort((a, b) => (a === ALL_REGIONS ? -1 : b === ALL_REGIONS ? 1 : a.localeCompare(b)));
  const cats = CATEGORY_KEYS.filter((k) => !opts.category || k === opts.category);
  return {
    window: { label: w.label, from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString() },
    names: Object.fromEntries((opts.region && opts.region !== ALL_REGIONS ? regionAncestors(opts.region) : []).flatMap((r) => {
      const n = regionName(r, regionNames);
      return n ? [[r, n]] : [];
    })),
    regions: regions.map((region) => ({
      region,
      name: region === ALL_REGIONS ? null : (regionName(region, regionNames) ?? null),
      level: region === ALL_REGIONS ? ('all' as const) : regionLevel(region),
      parent: region === ALL_REGIONS ? null : (regionParent(region) ?? ALL_REGIONS),
      categories: Object.fromEntries(
        cats.map((k) => {
          const s = rateSet(table.get(region)![k]);
          const o: OnlineRate | undefined = online.get(region)?.[k];
          return [
            k,
            {
              coverage: { ...s.coverage, percent: pct(s.coverage.rate) },
              networking: { ...s.networking, percent: pct(s.networking.rate) },
              intact: { ...s.intact, percent: pct(s.intact.rate) },
              register: { ...s.register, percent: pct(s.register.rate) },
              recording: recordingCell(recording.get(region)?.[k]),
              online: o ? { onlineMs: o.onlineMs, unknownMs: o.unknownMs, observedMs: o.observedMs, cameras: o.cameras, rate: o.rate, percent: pct(o.rate) } : { onlineMs: 0, unknownMs: 0, observedMs: 0, cameras: 0, rate: null, percent: null },
              counts: s.counts,
              target: TARGETS[k],
            },
          ];
        }),
      ) as RatesResponse['regions'][number]['categories'],
    })),
  };
}

/** What of the rates a scope sees, from a view of one region (and its children; null: every region). */
export function scopedView(scope: Scope, opts: { region: string | null }, view: (region: string | null) => RatesResponse): RatesResponse | 'unknown' {
  const asked = opts.region && opts.region !== 'all' ? opts.region : null;
  if (asked && !scope.covers(asked)) return 'unknown';
  // region=all: the whole and its children, as for any other region (a province's every unit is megabytes);
  // without a region: every region
  if (asked || scope.all) return view(asked ?? (opts.region === 'all' ? 'all' : null));
  const views = scope.roots().map((region) => view(region));
  const first = views[0] ?? view('-');
  const seen = new Set<string>();
  return {
    window: first.window,
    names: Object.assign({}, ...views.map((v) => v.names)) as RatesResponse['names'],
    regions: views.flatMap((v) => v.regions).filter((r) => !seen.has(r.region) && seen.add(r.region)),
  };
}

export type RecordingTotals = { cameras: number; unsupported: number; recordedSec: number; scheduledSec: number };

/** Recording integrity per region and category from the cameras' last recording checks. */
export function recordingRates(state: AggregatorState): Map<string, Partial<Record<CategoryKey, RecordingTotals>>> {
  const out = new Map<string, Partial<Record<CategoryKey, RecordingTotals>>>();
  for (const f of state.counters.cameras()) addRecording(state, out, f);
  return out;
}

export function addRecording(state: AggregatorState, out: Map<string, Partial<Record<CategoryKey, RecordingTotals>>>, f: { id: string; region: string | null; category: CategoryKey }): void {
  const r = state.cameras.get(f.id)?.status.recording;
  if (!r) return;
  for (const [region, k] of cellsOf(f.region, f.category)) {
    let row = out.get(region);
    if (!row) out.set(region, (row = {}));
    const t = (row[k] ??= { cameras: 0, unsupported: 0, recordedSec: 0, scheduledSec: 0 });
    if (!r.supported) t.unsupported += 1;
    else if (r.recordedSec !== null && r.scheduledSec !== null) {
      t.cameras += 1;
      t.recordedSec += r.recordedSec;
      t.scheduledSec += r.scheduledSec;
    }
  }
}

function recordingCell(t: RecordingTotals | undefined) {
  const x = t ?? { cameras: 0, unsupported: 0, recordedSec: 0, scheduledSec: 0 };
  const rate = x.scheduledSec === 0 ? null : Math.min(1, x.recordedSec / x.scheduledSec);
  return { ...x, rate, percent: pct(rate) };
}

const isoOrNull = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** When a camera's present state began: the start of the last run of equal states in its history. */
function sinceOf(c: CameraRecord): number {
  let i = c.marks.length - 1;
  while (i > 0 && c.marks[i - 1]!.state === c.marks[i]!.state) i--;
  return c.marks[i]?.at ?? c.firstSeen;
}

export function cameraView(state: AggregatorState, c: CameraRecord, now: number): CameraView {
  const fact = state.counters.get(c.cameraId);
  const eff = state.effectiveState(c);
  const since = sinceOf(c);
  const why = unknownReason(state, c, eff);
  const inMaintenance = state.maintenance.activeFor(state.subjectOf(c), now);
  const flapping = state.flappingOf(c, now);
  return {
    cameraId: c.cameraId,
    name: c.status.name,
    agentId: c.agentId,
    state: eff,
    reportedState: c.status.state,
    since: new Date(since).toISOString(),
    forMs: Math.max(0, now - since),
    rung: why ? null : c.status.rung,
    reason: why ? why.reason : c.status.reason,
    detail: why ? why.detail : c.status.detail,
    pointId: fact?.pointId ?? null,
    region: fact?.region ?? null,
    regionName: fact?.region ? (regionName(fact.region, state.regionNames) ?? null) : null,
    category: fact?.category ?? null,
    faults: c.status.faults,
    device: c.status.device,
    deviceId: c.status.deviceId ?? null,
    // offline: as its gateway judged it (a gateway before 1.6.0 says nothing: its own fault); unknown: the gateway does not vouch for it
    cause: eff === 'offline' ? (c.status.cause ?? 'camera') : eff === 'unknown' ? 'gateway' : null,
    channel: c.status.channel ?? null,
    streamUri: c.status.streamUri,
    checkedAt: c.status.checkedAt,
    confirmedAt: isoOrNull(state.confirmedAt(c)),
    stale: state.isStale(c),
    firstSeen: new Date(c.firstSeen).toISOString(),
    maintenance: inMaintenance ? { id: inMaintenance.id, reason: inMaintenance.reason, until: new Date(inMaintenance.to).toISOString() } : null,
    flapping: flapping ? { since: new Date(flapping.since).toISOString(), changes: flapping.changes } : null,
  };
}

/**
 * Why the centre does not know a camera's state although its agent reported
 * one: its gateway is gone (`gateway_offline`), or its gateway came back and
 * has not checked it yet. The rung and reason of the last report are then
 * history, not the present. Undefined when the reported state stands.
 */
function unknownReason(state: AggregatorState, c: CameraRecord, eff: CameraState): { reason: FailureReason | null; detail: string } | undefined {
  if (eff !== 'unknown' || c.status.state === 'unknown') return undefined;
  const a = state.agents.get(c.agentId);
  if (!a?.online) return { reason: 'gateway_offline', detail: `gateway ${c.agentId} offline${a ? ` since ${new Date(a.since).toISOString()}` : ''}: last reported ${c.status.state}` };
  if (state.isStale(c)) {
    const confirmed = state.confirmedAt(c);
    return { reason: null, detail: `gateway ${c.agentId} is online but has not confirmed this camera for several liveness rounds${confirmed === null ? '' : ` (last confirmed ${new Date(confirmed).toISOString()})`}: last reported ${c.status.state}` };
  }
  return { reason: null, detail: `gateway ${c.agentId} restarted and has not checked this camera yet: last reported ${c.status.state}` };
}

/** The most cameras one page of `GET /api/cameras` holds. */
export const MAX_PAGE = 1000;

export interface CamerasPage {
  cameras: CameraView[];
  /** cameras that pass the filters, on every page together */
  total: number;
  offset: number;
  limit: number | null;
}

/**
 * Cameras that pass the filters of `q`, longest in their state first, one
 * page of them: `state` (one state or several, comma-separated), `region`
 * (this region and below), `category`, `agent`, `point`, `device` (the
 * channels of an NVR or encoder), `cause` (camera, device, network, gateway), `fault`,
 * `maintenance`, `flapping`, `q` (a part of the id or name), `limit` (at most
 * MAX_PAGE; without it every camera) and `offset`. The cheap filters run
 * before a camera's view is built, so a problem list of a province costs its
 * problems, not its cameras.
 */
export async function camerasView(state: AggregatorState, q: URLSearchParams, now: number, scope?: { covers(region: string | null): boolean }): Promise<CamerasPage | { error: string }> {
  const states = q.get('state')?.split(',').filter(Boolean);
  const want = {
    region: q.get('region') || null,
    category: q.get('category'),
    agent: q.get('agent'),
    point: q.get('point'),
    device: q.get('device'),
    cause: q.get('cause'),
    fault: q.get('fault'),
    maintenance: q.get('maintenance'),
    flapping: q.get('flapping'),
    text: q.get('q')?.trim().toLowerCase() || null,
  };
  const limitText = q.get('limit');
  const offsetText = q.get('offset');
  const limit = limitText === null ? null : Number(limitText);
  const offset = offsetText === null ? 0 : Number(offsetText);
  if (limit !== null && (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)) return { error: `limit is a whole number from 1 to ${MAX_PAGE}` };
  if (!Number.isInteger(offset) || offset < 0) return { error: 'offset is a whole number from 0' };
  // the page's cameras are kept as they are found (FirstK), the longest down first; the whole list only when no limit is asked
  const keep = limit === null ? Infinity : offset + limit;
  const out = new FirstK<CameraView>(keep, (a, b) => b.forMs - a.forMs || byCode(a.cameraId, b.cameraId));
  const found = new FirstK<{ c: CameraRecord; forMs: number }>(keep, (a, b) => b.forMs - a.forMs || byCode(a.c.cameraId, b.c.cameraId));
  let total = 0;
  const viewFilters = want.fault !== null || want.cause !== null || want.maintenance !== null || want.flapping !== null;
  // a list of problems (no online camera asked for) looks at the cameras counted in those states, not at the fleet;
  // otherwise every camera is looked at. In slices either way, so that a province's list holds no other answer up
  // (the ids are taken first: a camera that changes state meanwhile is not met twice)
  const candidates: Iterable<CameraRecord> = states && !states.includes('online') ? recordsOf(state, [...state.counters.inStates(states as CameraState[])]) : state.cameras.values();
  await eachInSlices(candidates, (c) => {
    if (states && !states.includes(state.effectiveState(c))) return;
    if (want.agent && c.agentId !== want.agent) return;
    if (want.device && c.status.deviceId !== want.device) return;
    const fact = state.counters.get(c.cameraId);
    if (want.point && (fact?.pointId ?? null) !== want.point) return;
    if (want.region !== null && want.region !== ALL_REGIONS && !(fact?.region && regionWithin(fact.region, want.region))) return;
    if (scope && !scope.covers(fact?.region ?? null)) return;
    if (want.category && (fact?.category ?? null) !== want.category) return;
    if (want.text && !c.cameraId.toLowerCase().includes(want.text) && !(c.status.name ?? '').toLowerCase().includes(want.text)) return;
    if (!viewFilters) {
      // nothing left to ask of the whole view: it is built for the page alone (a province's problem list holds tens of thousands)
      found.push({ c, forMs: Math.max(0, now - sinceOf(c)) });
      total += 1;
      return;
    }
    const v = cameraView(state, c, now);
    if (want.fault && !v.faults.some((f) => f.fault === want.fault)) return;
    if (want.cause && v.cause !== want.cause) return;
    if (want.maintenance !== null && (v.maintenance !== null) !== (want.maintenance === 'true')) return;
    if (want.flapping !== null && (v.flapping !== null) !== (want.flapping === 'true')) return;
    out.push(v);
    total += 1;
  });
  if (!viewFilters) return { cameras: found.sorted().slice(offset).map((x) => cameraView(state, x.c, now)), total, offset, limit };
  return { cameras: out.sorted().slice(offset), total, offset, limit };
}

/** The camera records of these ids (those still held), one at a time: a walk in slices takes them as it goes. */
function* recordsOf(state: AggregatorState, ids: readonly string[]): IterableIterator<CameraRecord> {
  for (const id of ids) {
    const c = state.cameras.get(id);
    if (c) yield c;
  }
}

const CSV_COLUMNS = ['cameraId', 'name', 'state', 'since', 'forMs', 'agentId', 'pointId', 'region', 'category', 'rung', 'reason', 'detail', 'faults', 'confirmedAt'] as const;

/** A page of cameras as CSV (UTF-8 with BOM for spreadsheet programs); a cell that a spreadsheet would run as a formula is quoted as text. */
export function camerasCsv(cameras: readonly CameraView[]): string {
  return csvDocument(CSV_COLUMNS, cameras.map((c) => CSV_COLUMNS.map((k) => (k === 'faults' ? c.faults.map((f) => f.fault).join(' ') : c[k]))));
}

export function uptimeView(c: CameraRecord, now: number) {
  const windows = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY };
  return Object.fromEntries(
    Object.entries(windows).map(([k, span]) => {
      const u = uptimeWithin(c.marks, now - span, now);
      return [k, { ...u, rate: u.observedMs ? u.onlineMs / u.observedMs : null }];
    }),
  );
}

export function historyView(c: CameraRecord, w: Window) {
  const inWindow: Array<{ at: string; state: CameraState }> = [];
  let before: CameraState | null = null;
  for (const m of c.marks) {
    if (m.at < w.from) before = m.state;
    else if (m.at < w.to) inWindow.push({ at: new Date(m.at).toISOString(), state: m.state });
  }
  return { cameraId: c.cameraId, window: w.label, stateAtStart: before, changes: inWindow, uptime: uptimeWithin(c.marks, w.from, w.to) };
}

/** The gateways, online or not, with their cameras by effective state and their last config report (the centre's own bookkeeping left out): from the counts the rate counters keep per gateway, not a walk of every camera. */
export function agentsView(state: AggregatorState) {
  const tally = state.counters.gateways;
  return [...state.agents.values()].map((a) => {
    const n = tally.states(a.agentId);
    return {
      agentId: a.agentId,
      online: a.online,
      session: a.session,
      startedAt: a.startedAt === null ? null : new Date(a.startedAt).toISOString(),
      since: new Date(a.since).toISOString(),
      site: a.site,
      region: a.region,
      agentVersion: a.agentVersion,
      cameras: n.online + n.degraded + n.offline + n.unknown,
      camerasByState: n,
      devices: tally.devices(a.agentId),
      config: a.config ?? null,
    };
  });
}

/** Cameras that no point claims, and points with fewer cameras than they need. */
export function bindingView(state: AggregatorState) {
  const unclaimed = [...state.counters.cameras()].filter((f) => f.pointId === null).map((f) => ({ cameraId: f.id, agentId: f.agentId, region: f.region }));
  const uncovered = state.plan().filter((p) => state.counters.boundTo(p.id) < p.required).map((p) => ({ ...p, installed: state.counters.boundTo(p.id) }));
  return { unclaimedCameras: unclaimed, uncoveredPoints: uncovered };
}

/** Installed cameras whose record is incomplete, with what each lacks, in a region (and below) and category; one page. */
export function registerView(state: AggregatorState, q: { region?: string | null; category?: string | null; limit: number; offset: number }) {
  const out: Array<{ cameraId: string; agentId: string; name: string | null; region: string | null; pointId: string | null; missing: string[] }> = [];
  let total = 0;
  for (const f of state.counters.cameras()) {
    if (f.recorded || f.maintenance) continue;
    if (q.category && f.category !== q.category) continue;
    if (q.region && q.region !== ALL_REGIONS && (f.region === null || !regionAncestors(f.region).includes(q.region))) continue;
    total += 1;
    if (total <= q.offset || out.length >= q.limit) continue;
    const c = state.cameras.get(f.id);
    const point = f.pointId !== null ? state.pointOf(f.pointId) : undefined;
    const missing = c ? recordGaps(c.status, point, state.registerFields) : ['point'];
    out.push({ cameraId: f.id, agentId: f.agentId, name: c?.status.name ?? null, region: f.region, pointId: f.pointId, missing });
  }
  return { requiredFields: [...state.registerFields], total, cameras: out };
}
