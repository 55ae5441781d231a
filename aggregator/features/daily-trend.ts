import type { Logger } from 'pino';
import { startOfLocalDay } from '../../protocols/local-time.js';
import type { AggregatorStore, StoredDailyTotals } from '../store/port.js';
import type { DailyTotalsRow } from '../store/changes.js';
import { ALL_REGIONS, rateSet } from '../rates/model.js';
import { dailyPointOf, dayTotals, localDays, type DailyPoint, type ReportDeps } from './report.js';
import { localWalk } from './rates-walk.js';
import type { AggregatorState } from './state.js';

/** how long today's live point of a series is served again before it is worked out anew */
const TODAY_CACHE_MS = 30_000;
/** days the centre keeps totals for (the longest series it serves) */
export const DAILY_DAYS = 92;
/** the console's trend: the days worked out ahead, so that its first request finds them stored */
const TREND_DAYS = 31;

/**
 * The daily series (the console's 30-day trend, `/api/rates/daily`): closed
 * local days are read from the totals the store keeps (one row per day,
 * region and category, written once the day closed and again when a late
 * event changed it), today from the live model (the online rate of today
 * so far, the counts of now). A request never walks the cameras' history;
 * closing a day does, once, in the background, a slice at a time.
 */
export class DailyTrend {
  /** closed days whose totals a late event changed, to be worked out again */
  private readonly dirty = new Set<number>();
  private readonly today = new Map<string, { at: number; point: Omit<DailyTotalsRow, 'region' | 'category'> }>();

  constructor(
    private readonly deps: {
      store: AggregatorStore;
      state: AggregatorState;
      report: () => ReportDeps;
      now: () => number;
      timeZone: string;
      log: Logger;
    },
  ) {}

  /** History written at `ts` (a mark, a proven span, a removal): a day already closed is worked out again at the next turn. */
  historyAt(ts: number): void {
    // called for every mark the ingest writes: today's, nearly all of them, cost one comparison
    if (ts >= this.todayFrom && ts < this.tomorrowFrom) return;
    const now = this.deps.now();
    if (now >= this.tomorrowFrom || now < this.todayFrom) {
      this.todayFrom = startOfLocalDay(now, this.deps.timeZone);
      this.tomorrowFrom = startOfLocalDay(this.todayFrom + 36 * 3600_000, this.deps.timeZone);
      if (ts >= this.todayFrom) return;
    }
    if (ts >= this.todayFrom || ts < now - DAILY_DAYS * 86_400_000) return;
    if (this.dirty.size < DAILY_DAYS) this.dirty.add(startOfLocalDay(ts, this.deps.timeZone));
  }

  private todayFrom = 0;
  private tomorrowFrom = 0;

  async series(region: string, days: number, category: string): Promise<DailyPoint[]> {
    const list = localDays(this.deps.now(), days, this.deps.timeZone);
    const closed = list.filter((d) => d.complete);
    let stored = await this.stored(region, category, closed);
    // days closed before this centre kept totals (an upgrade, a first start): worked out once, then read
    const missing = closed.filter((d) => !stored.counted.has(d.day));
    if (missing.length > 0) {
      await this.work(missing, true);
      stored = await this.stored(region, category, closed);
    }
    const out: DailyPoint[] = [];
    for (const d of list) out.push(d.complete ? dailyPointOf(d, stored.rows.get(d.day)) : dailyPointOf(d, await this.todayOf(region, category, d.from)));
    return out;
  }

  /** Works out the days of the trend that closed without totals (the one that just closed; after an upgrade, the month before) and those late history changed. */
  async close(): Promise<void> {
    const now = this.deps.now();
    const recent = localDays(now, TREND_DAYS, this.deps.timeZone).filter((d) => d.complete);
    const counted = await this.deps.store.dailyTotals(ALL_REGIONS, 'all', recent[0]?.day ?? '', recent.at(-1)?.day ?? '');
    const due = recent.filter((d) => !counted.some((c) => c.day === d.day));
    const again = localDays(now, DAILY_DAYS, this.deps.timeZone).filter((d) => d.complete && this.dirty.has(d.from));
    for (const d of again) this.dirty.delete(d.from);
    await this.work(due, true);
    await this.work(again.filter((d) => !due.some((x) => x.day === d.day)));
  }

  /** Works the days out and stores them, one run at a time; `onlyMissing`: days another run stored meanwhile are left as they are. */
  private work(asked: ReadonlyArray<{ day: string; from: number; to: number }>, onlyMissing = false): Promise<void> {
    // a request and the timer asking for the same days share one walk: runs queue, each sees what the one before stored
    const run = this.queue.then(async () => {
      let days = asked;
      if (onlyMissing && days.length > 0) {
        const counted = new Set((await this.deps.store.dailyTotals(ALL_REGIONS, 'all', days[0]!.day, days.at(-1)!.day)).map((r) => r.day));
        days = days.filter((d) => !counted.has(d.day));
      }
      if (days.length === 0) return;
      const t0 = performance.now();
      const totals = await dayTotals(this.deps.report(), days);
      const computedAt = this.deps.now();
      days.forEach((d, i) => this.deps.store.record({ kind: 'dailyTotals', day: d.day, from: d.from, to: d.to, computedAt, rows: [...totals[i]!.values()] }));
      await this.deps.store.flush();
      this.deps.log.info({ days: days.map((d) => d.day), ms: Math.round(performance.now() - t0) }, 'totals of closed days worked out and stored');
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private queue: Promise<void> = Promise.resolve();

  private async stored(region: string, category: string, closed: ReadonlyArray<{ day: string }>): Promise<{ rows: Map<string, StoredDailyTotals>; counted: Set<string> }> {
    if (closed.length === 0) return { rows: new Map(), counted: new Set() };
    const from = closed[0]!.day;
    const to = closed.at(-1)!.day;
    const rows = new Map((await this.deps.store.dailyTotals(region, category, from, to)).map((r) => [r.day, r]));
    // the whole's row is written for every closed day, cameras or not: it says the day was counted
    const counted = region === ALL_REGIONS && category === 'all' ? new Set(rows.keys()) : new Set((await this.deps.store.dailyTotals(ALL_REGIONS, 'all', from, to)).map((r) => r.day));
    return { rows, counted };
  }

  /** Today so far, from the live model: the online time of today, the counts of now (what the overview's cards say). */
  private async todayOf(region: string, category: string, from: number): Promise<Omit<DailyTotalsRow, 'region' | 'category'>> {
    const now = this.deps.now();
    const key = `${region}\u0000${category}`;
    const hit = this.today.get(key);
    if (hit && now - hit.at < TODAY_CACHE_MS) return hit.point;
    const state = this.deps.state;
    // our own cameras, as the stored days count them (a tier below us is not in its rows)
    // the walk over every camera's day, in slices: the event loop stays free for other answers
    // (the walk the console's 'today' rates share: a province's drill-down does not walk its million cameras per region)
    const online = (await localWalk(state, { label: 'today', from, to: now })).value.online.get(region)?.[category as 'all'];
    const counts = state.counters.counts().get(region)?.[category as 'all'];
    const s = counts ? rateSet(counts) : undefined;
    const point = {
      onlineMs: online?.onlineMs ?? 0,
      unknownMs: online?.unknownMs ?? 0,
      observedMs: online?.observedMs ?? 0,
      installed: s?.intact.denominator ?? 0,
      networked: s?.networking.numerator ?? 0,
      intact: s?.intact.numerator ?? 0,
    };
    if (this.today.size > 256) this.today.clear();
    this.today.set(key, { at: now, point });
    return point;
  }
}
