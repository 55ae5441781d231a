import type { Logger } from 'pino';
import { regionLevel, topics, type RatesMessage } from '../../protocols/index.js';
import type { MqttConnection } from '../../platform/mqtt-client.js';
import { ALL_REGIONS, CATEGORY_KEYS, rateSet, type CategoryKey } from '../rates/model.js';
import { localWalk, ratesWalk } from './rates-walk.js';
import { MIN_WALK_MS } from './walk-cache.js';
import { startOfLocalDay } from '../../protocols/local-time.js';
import type { AggregatorState } from './state.js';

const DAY = 86_400_000;

/** Builds the retained rate message of every region, from the counters and the last 24 h of history. */
export function ratesMessages(state: AggregatorState, now: number, online = state.onlineRates(now - DAY, now, '24h')): RatesMessage[] {
  const out: RatesMessage[] = [];
  for (const [region, row] of state.ratesTable()) {
    const categories = Object.fromEntries(
      CATEGORY_KEYS.map((k: CategoryKey) => {
        const s = rateSet(row[k]);
        const o = online.get(region)?.[k];
        const c = s.counts;
        return [
          k,
          {
            coverage: s.coverage,
            networking: s.networking,
            intact: s.intact,
            register: s.register,
            online24h: { onlineMs: o?.onlineMs ?? 0, unknownMs: o?.unknownMs ?? 0, observedMs: o?.observedMs ?? 0, rate: o?.rate ?? null },
            cameras: { installed: c.installed, online: c.online, degraded: c.degraded, offline: c.offline, unknown: c.unknown, maintenance: c.maintenance, offlineBy: { camera: c.offlineCamera, device: c.offlineDevice, network: c.offlineNetwork } },
            points: { planned: c.points, covered: c.coveredPoints },
          },
        ];
      }),
    ) as RatesMessage['categories'];
    out.push({ region, level: region === ALL_REGIONS ? 'all' : regionLevel(region), ts: new Date(now).toISOString(), categories });
  }
  return out;
}

/**
 * Republishes `{root}/rates/{region}` (retained) at most once per interval,
 * and only the regions whose numbers changed. It also watches those topics:
 * a retained message it did not write (a forgery, or one left by an older
 * plan) is replaced by its own, or cleared where it publishes nothing.
 */
export class RatesPublisher {
  private timer: NodeJS.Timeout | undefined;
  private lastVersion = -1;
  private readonly last = new Map<string, string>();
  /** what we published last per region (the exact payload) */
  private readonly mine = new Map<string, string>();
  /** what the broker holds per region, as far as we have seen */
  private readonly onBroker = new Map<string, string>();
  private dirty = true;
  private lastAt = 0;
  /** the 24 h online rates of every region, and when they were worked out */
  private online: ReturnType<AggregatorState['onlineRates']> | undefined;
  /** a walk of the 24 h online time is under way (in slices), and one ended that was not published yet */
  private walking = false;
  private onlineFresh = false;
  private onlineAt = 0;
  private onlineWalkMs = 0;
  /** its walks were long once (a province): they are kept, and today's is walked with them */
  private longWalks = false;

  constructor(private readonly deps: { mqtt: MqttConnection; state: AggregatorState; topicRoot: string; intervalMs: number; now: () => number; log: Logger; timeZone?: string }) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.deps.intervalMs);
  }

  /** Something changed that the counters' version does not show (plan, time passing). */
  markDirty(): void {
    this.dirty = true;
  }

  /** What the broker holds on `{root}/rates/{region}` (our own echo, a forgery, a stale retained one); null: cleared. */
  observe(region: string, payload: Buffer | null): void {
    const text = payload === null ? '' : payload.toString('utf8');
    if (text === '') this.onBroker.delete(region);
    else this.onBroker.set(region, text.slice(0, 64 * 1024));
    if (this.mine.get(region) !== text) this.dirty = true;
  }

  tick(): number {
    const { state } = this.deps;
    const now = this.deps.now();
    const foreign = [...this.onBroker].some(([region, text]) => this.mine.get(region) !== text);
    // the 24 h online rate moves with time alone: refresh it once a minute even when nothing else changed
    if (!foreign && !this.dirty && !this.onlineFresh && state.counters.version === this.lastVersion && now - this.lastAt < Math.max(60_000, 30 * this.onlineWalkMs)) return 0;
    this.lastVersion = state.counters.version;
    this.lastAt = now;
    const t = topics(this.deps.topicRoot);
    let sent = 0;
    const current = new Set<string>();
    const publish = (region: string, payload: string) => {
      sent += 1;
      this.deps.mqtt.publish(t.rates(region), payload, { qos: 1, retain: true }).catch((err: Error) => this.deps.log.warn({ err: { message: err.message }, region }, 'rates not published'));
    };
    // the 24 h online rate walks every camera's history: worked out once a minute, or less often when the walk is
    // long (no sooner than 30 times what it took: a province's million cameras every two minutes or so), and when
    // something besides the counts changed; not at every tick a camera changed state, since a state change moves
    // a 24 h figure only with time
    if (this.online === undefined) {
      // the first figures wait for the first walk (in slices, at full pace): published the moment it ends
      this.walkOnline(now, false);
      return 0;
    } else if (this.dirty || foreign || now - this.onlineAt >= Math.max(60_000, 30 * this.onlineWalkMs)) this.walkOnline(now, true);
    this.dirty = false;
    this.onlineFresh = false;
    for (const m of ratesMessages(state, now, this.online)) {
      current.add(m.region);
      // compare without the timestamp: only changed numbers are worth a message, unless the broker holds something else
      const key = JSON.stringify(m.categories);
      const held = this.onBroker.get(m.region);
      const brokerHasOurs = held === undefined || held === this.mine.get(m.region);
      if (this.last.get(m.region) === key && brokerHasOurs) continue;
      if (!brokerHasOurs) this.deps.log.warn({ region: m.region }, 'a rates message we did not write was retained: replaced by ours');
      this.last.set(m.region, key);
      const payload = JSON.stringify(m);
      this.mine.set(m.region, payload);
      publish(m.region, payload);
    }
    // regions we no longer publish (a replaced plan) and ones we never did (forged): cleared
    const gone = new Set([...this.mine.keys(), ...this.onBroker.keys()].filter((r) => !current.has(r)));
    for (const region of gone) {
      this.mine.delete(region);
      this.last.delete(region);
      this.onBroker.delete(region);
      publish(region, '');
    }
    if (gone.size > 0) this.deps.log.info({ regions: gone.size }, 'retained rates of regions without numbers cleared');
    return sent;
  }

  /**
   * The 24 h online time again, walked in slices so that a province's
   * million cameras hold no answer up (issue 31): the figures published
   * meanwhile are the last walk's; the next tick after it ends publishes its
   * own (the first walk's, before anything was published, at once). The walk
   * is the one the console's 24 h rates share (a kept one while it is fresh).
   */
  private walkOnline(now: number, background: boolean): void {
    if (this.walking) return;
    this.walking = true;
    const first = this.online === undefined;
    const t0 = performance.now();
    ratesWalk(this.deps.state, { from: now - DAY, to: now, label: '24h' }, { background })
      .then(async (walked) => {
        this.online = walked.online;
        this.onlineAt = walked.window.to;
        this.onlineWalkMs = performance.now() - t0;
        this.onlineFresh = true;
        if (this.onlineWalkMs >= MIN_WALK_MS) this.longWalks = true;
        // today's walk after it (the trend's today point): where walks are long it is kept, and the first trend a
        // visitor asks for is drawn from it instead of waiting for a walk of its own
        const tz = this.deps.timeZone;
        if (tz && this.longWalks) {
          await localWalk(this.deps.state, { label: 'today', from: startOfLocalDay(now, tz), to: now }, { background }).catch((err: Error) =>
            this.deps.log.error({ err: { message: err.message } }, "today's online time was not worked out ahead: the trend walks it when asked"),
          );
        }
      })
      .catch((err: Error) => this.deps.log.error({ err: { message: err.message } }, 'the 24 h online time was not worked out: the last figures stand'))
      .finally(() => {
        this.walking = false;
        if (first && this.online !== undefined && !this.stopped) this.tick();
      });
  }

  private stopped = false;

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }
}

