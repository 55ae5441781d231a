import type { Logger } from 'pino';
import { CASCADE_WINDOWS, topics, type CascadeRollupMessage } from '../../protocols/index.js';
import type { MqttConnection } from '../../platform/mqtt-client.js';
import { startOfLocalDay } from '../../protocols/local-time.js';
import { CATEGORY_KEYS } from '../rates/model.js';
import type { AggregatorState } from './state.js';

const DAY = 86_400_000;

/** The rollup of everything this aggregator counts (its own cameras and its tiers'), for the aggregator above. */
export function cascadeRollup(state: AggregatorState, tier: string, intervalMs: number, now: number, timeZone: string): CascadeRollupMessage {
  const table = state.ratesTable();
  const spans: Record<(typeof CASCADE_WINDOWS)[number], number> = { today: startOfLocalDay(now, timeZone), '24h': now - DAY, '7d': now - 7 * DAY, '30d': now - 30 * DAY };
  const online = Object.fromEntries(CASCADE_WINDOWS.map((w) => [w, state.onlineRates(spans[w], now, w)]));
  const regions: CascadeRollupMessage['regions'] = {};
  for (const [region, row] of table) {
    const cells: CascadeRollupMessage['regions'][string] = {};
    for (const k of CATEGORY_KEYS) {
      const totals = (w: (typeof CASCADE_WINDOWS)[number]) => {
        const o = online[w]!.get(region)?.[k];
        return { cameras: o?.cameras ?? 0, onlineMs: o?.onlineMs ?? 0, unknownMs: o?.unknownMs ?? 0, observedMs: o?.observedMs ?? 0 };
      };
      cells[k] = { counts: { ...row[k] }, online: { today: totals('today'), '24h': totals('24h'), '7d': totals('7d'), '30d': totals('30d') } };
    }
    regions[region] = cells;
  }
  return { tier, ts: new Date(now).toISOString(), intervalMs, regions };
}

/**
 * A county (or city) aggregator's link to the aggregator above: its own
 * connection to that broker, `online` retained at connect and `offline` as its
 * last will and at a clean stop, and the rollup, retained, every `intervalMs`.
 */
export class CascadePublisher {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: { upstream: MqttConnection; state: AggregatorState; tier: string; topicRoot: string; intervalMs: number; timeZone: string; now: () => number; log: Logger },
  ) {}

  start(): void {
    this.deps.upstream.onConnect(() => this.publish());
    this.deps.upstream.start();
    this.timer = setInterval(() => this.publish(), this.deps.intervalMs);
  }

  private publish(): void {
    const { upstream, tier, log } = this.deps;
    if (!upstream.connected) return;
    const message = cascadeRollup(this.deps.state, tier, this.deps.intervalMs, this.deps.now(), this.deps.timeZone);
    upstream.publish(topics(this.deps.topicRoot).cascadeRollup(tier), JSON.stringify(message), { qos: 1, retain: true }).catch((err: Error) => log.warn({ err: { message: err.message } }, 'rollup not published to the tier above'));
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const { upstream, tier } = this.deps;
    // a clean stop says so: the tier above counts our cameras unknown from now on, not after a keepalive
    await upstream.stop({ topic: topics(this.deps.topicRoot).cascadeState(tier), payload: JSON.stringify({ state: 'offline', tier, ts: new Date(this.deps.now()).toISOString() }), retain: true });
  }
}
