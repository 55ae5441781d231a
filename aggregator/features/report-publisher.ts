import type { Logger } from 'pino';
import { localParts, regionLevel, topics } from '../../protocols/index.js';
import type { MqttConnection } from '../../platform/mqtt-client.js';
import { ALL_REGIONS } from '../rates/model.js';
import { parsePeriod, type PeriodBasis, type Report, type ReportPeriod } from './report.js';
import { nextTurn } from './slices.js';

/** a period already published is sent again no sooner than this many times the last pass over it took */
const REPUBLISH_PAUSE = 10;

/** The last closed local day and month before `now` (yesterday, last month), as report periods. */
export function closedPeriods(now: number, timeZone: string): Array<ReportPeriod & { kind: 'day' | 'month' }> {
  const today = localParts(now, timeZone);
  const yesterday = localParts(now - 24 * 3600_000, timeZone);
  const [y, m] = today.month === 1 ? [today.year - 1, 12] : [today.year, today.month - 1];
  const pad = (n: number) => String(n).padStart(2, '0');
  const out: Array<ReportPeriod & { kind: 'day' | 'month' }> = [];
  for (const q of [`day=${yesterday.year}-${pad(yesterday.month)}-${pad(yesterday.day)}`, `month=${y}-${pad(m)}`]) {
    const p = parsePeriod(new URLSearchParams(q), timeZone);
    if (!('error' in p) && p.kind !== 'range') out.push({ ...p, kind: p.kind });
  }
  return out;
}

/**
 * Publishes the reports of the previous day and month, once they close,
 * retained on `{root}/reports/{region}/day` and `/month`: for the whole and
 * every province and city that has numbers. Checks every `intervalMs`. A
 * published period is published again when events from inside it arrive
 * later (a gateway replaying its outbox after an outage), so the retained
 * report says what the API says.
 */
export class ReportPublisher {
  private timer: NodeJS.Timeout | undefined;
  /** published periods, and whether late events changed them since */
  private readonly published = new Map<string, { from: number; to: number; stale: boolean; at: number; tookMs: number }>();

  constructor(
    private readonly deps: {
      mqtt: MqttConnection;
      topicRoot: string;
      timeZone: string;
      intervalMs: number;
      now: () => number;
      regions: () => Iterable<string>;
      /** what every region's report of a period reads, read once a pass */
      read: (period: ReportPeriod) => Promise<PeriodBasis>;
      report: (region: string, period: ReportPeriod, read: PeriodBasis) => Promise<Report>;
      /** makes every write so far durable: a report reads the store, which sees only what was written */
      stored: () => Promise<void>;
      log: Logger;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.deps.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  private running: Promise<number> | undefined;

  /** Publishes what closed and was not published yet; resolves to how many messages it sent. One pass at a time. */
  tick(): Promise<number> {
    this.running ??= this.publishClosed()
      .catch((err: Error) => {
        this.deps.log.warn({ err: { message: err.message } }, 'reports of closed periods not computed: trying again at the next check');
        return 0;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async publishClosed(): Promise<number> {
    if (!this.deps.mqtt.connected) return 0;
    const t = topics(this.deps.topicRoot);
    let sent = 0;
    for (const period of closedPeriods(this.deps.now(), this.deps.timeZone)) {
      const key = `${period.kind}:${period.label}`;
      const before = this.published.get(key);
      if (before?.stale === false) continue;
      // a period already out is sent again after a pause ten times as long as its last pass took: a burst of
      // bindings or late events (a gateway's outbox, a thousand new cameras) costs the centre at most a tenth of
      // its time in reports, however many cameras each pass walks
      const now = this.deps.now();
      if (before && now - before.at < REPUBLISH_PAUSE * before.tookMs) continue;
      // marked before the reports are read, and what was applied so far is stored first: an event applied
      // meanwhile makes the period stale again, and none applied before is missing from what is read
      const entry = { from: period.from, to: period.to, stale: false, at: now, tookMs: 0 };
      this.published.set(key, entry);
      const regions = [ALL_REGIONS, ...[...this.deps.regions()].filter((r) => r !== ALL_REGIONS && (regionLevel(r) === 'province' || regionLevel(r) === 'city'))];
      try {
        await this.deps.stored();
        const read = await this.deps.read(period);
        for (const region of regions) {
          // the regions of a pass one after another, the loop free between them
          await nextTurn();
          const report = await this.deps.report(region, period, read);
          sent += 1;
          this.deps.mqtt.publish(t.report(region, period.kind), JSON.stringify(report), { qos: 1, retain: true }).catch((err: Error) => this.deps.log.warn({ err: { message: err.message }, region, period: key }, 'report not published'));
        }
      } catch (err) {
        this.published.set(key, { from: period.from, to: period.to, stale: true, at: 0, tookMs: 0 });
        throw err;
      }
      entry.tookMs = this.deps.now() - now;
      this.deps.log.info({ period: key, regions: regions.length, ms: entry.tookMs }, 'report of a closed period published');
    }
    return sent;
  }

  /**
   * A camera appeared or was bound to another point or category: where it
   * counts changes in every period it lived in, so each published period is
   * published again at the next tick (rare: statuses repeat their binding).
   */
  noteBindingChanged(): void {
    for (const p of this.published.values()) p.stale = true;
  }

  /** An event at `ts` was stored: a published period that holds it is published again at the next tick. */
  noteEvent(ts: number): void {
    for (const p of this.published.values()) if (ts >= p.from && ts < p.to) p.stale = true;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
