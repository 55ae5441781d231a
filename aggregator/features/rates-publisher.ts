import type { Logger } from 'pino';
import { regionLevel, topics, type RatesMessage } from '../../protocols/index.js';
import type { MqttConnection } from '../../agent/adapters/mqtt-client.js';
import { ALL_REGIONS, CATEGORY_KEYS, rateSet, type CategoryKey } from '../rates/model.js';
import { onlineRates } from '../rates/online.js';
import type { AggregatorState } from './state.js';

const DAY = 86_400_000;

/** Builds the retained rate message of every region, from the counters and the last 24 h of history. */
export function ratesMessages(state: AggregatorState, now: number): RatesMessage[] {
  const online = onlineRates(state.counters.cameras(), (id) => state.cameras.get(id)?.marks ?? [], now - DAY, now);
  const out: RatesMessage[] = [];
  for (const [region, row] of state.counters.counts()) {
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
            online24h: { onlineMs: o?.onlineMs ?? 0, unknownMs: o?.unknownMs ?? 0, observedMs: o?.observedMs ?? 0, rate: o?.rate ?? null },
            cameras: { installed: c.installed, online: c.online, degraded: c.degraded, offline: c.offline, unknown: c.unknown },
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
 * and only the regions whose numbers changed.
 */
export class RatesPublisher {
  private timer: NodeJS.Timeout | undefined;
  private lastVersion = -1;
  private readonly last = new Map<string, string>();
  private dirty = true;
  private lastAt = 0;

  constructor(private readonly deps: { mqtt: MqttConnection; state: AggregatorState; topicRoot: string; intervalMs: number; now: () => number; log: Logger }) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.deps.intervalMs);
  }

  /** Something changed that the counters' version does not show (plan, time passing). */
  markDirty(): void {
    this.dirty = true;
  }

  tick(): number {
    const { state } = this.deps;
    const now = this.deps.now();
    // the 24 h online rate moves with time alone: refresh it once a minute even when nothing else changed
    if (!this.dirty && state.counters.version === this.lastVersion && now - this.lastAt < 60_000) return 0;
    this.lastVersion = state.counters.version;
    this.lastAt = now;
    this.dirty = false;
    const t = topics(this.deps.topicRoot);
    let sent = 0;
    for (const m of ratesMessages(state, now)) {
      // compare without the timestamp: only changed numbers are worth a message
      const key = JSON.stringify(m.categories);
      if (this.last.get(m.region) === key) continue;
      this.last.set(m.region, key);
      sent += 1;
      this.deps.mqtt.publish(t.rates(m.region), JSON.stringify(m), { qos: 1, retain: true }).catch((err: Error) => this.deps.log.warn({ err: { message: err.message }, region: m.region }, 'rates not published'));
    }
    return sent;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

