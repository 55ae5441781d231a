import { dailySeries, type DailyPoint, type ReportDeps } from './report.js';

/** how long a daily series (the console's trend) is served again before it is computed anew */
const DAILY_CACHE_MS = 60_000;
/** series kept at once (region × days × category) */
const MAX_SERIES = 64;

/**
 * The console's trend: a daily series is read by every console that opens
 * the overview, so it is computed at most once a minute per region, and
 * consoles asking while it is computed share that computation.
 */
export class DailyTrend {
  private readonly cache = new Map<string, { at: number; days: Promise<DailyPoint[]> }>();

  constructor(private readonly deps: { report: () => ReportDeps; now: () => number }) {}

  series(region: string, days: number, category: string): Promise<DailyPoint[]> {
    const key = `${region}|${days}|${category}`;
    const t = this.deps.now();
    const hit = this.cache.get(key);
    if (hit && t - hit.at < DAILY_CACHE_MS) return hit.days;
    const series = dailySeries(this.deps.report(), region, days, category);
    if (this.cache.size >= MAX_SERIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { at: t, days: series });
    series.catch(() => this.cache.delete(key));
    return series;
  }
}
