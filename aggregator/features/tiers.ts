import type { Logger } from 'pino';
import { CASCADE_WINDOWS, type CascadeRollupMessage, type CascadeStateMessage } from '../../protocols/index.js';
import { CATEGORY_KEYS, emptyCounts, type CategoryKey, type Counts } from '../rates/model.js';
import { addTotals, type OnlineRate } from '../rates/online.js';
import type { CountTable } from '../rates/snapshot.js';

export type CascadeWindow = (typeof CASCADE_WINDOWS)[number];

/** A lower aggregator as the one above sees it. */
export interface TierView {
  tier: string;
  /** connected to this broker (its birth, not its will or clean stop) */
  connected: boolean;
  /** not connected, or no rollup for three of its intervals: its cameras count as unknown here */
  stale: boolean;
  /** when the tier made its last rollup (its clock) and when it arrived (ours) */
  ts: string | null;
  receivedAt: string | null;
  regions: number;
  cameras: number;
}

interface Tier {
  rollup: CascadeRollupMessage | undefined;
  receivedAt: number;
  connected: boolean;
}

/** tiers a centre keeps track of; more are refused (and logged) */
const MAX_TIERS = 1000;

/**
 * The lower aggregators (county → city → province) that publish their
 * rollups on this aggregator's broker: their counts and online time add to
 * ours, region by region, so the tree shows each lower region as a child
 * without every camera event coming here. A tier that disconnected or went
 * quiet is stale: its cameras count as unknown (observed, not networked), not
 * offline, until it reports again.
 */
export class TierBook {
  private readonly tiers = new Map<string, Tier>();

  constructor(private readonly deps: { now: () => number; log: Logger }) {}

  get size(): number {
    return this.tiers.size;
  }

  /**
   * A tier's retained state or rollup, decoded (protocols/codec.ts); null: an
   * admin cleared the topic. A tier beyond MAX_TIERS is refused and logged.
   */
  apply(tier: string, m: { kind: 'state'; message: CascadeStateMessage | null } | { kind: 'rollup'; message: CascadeRollupMessage | null }): 'applied' | 'rejected' {
    if (m.message === null) {
      // an admin cleared the tier's retained topics: it is gone
      if (m.kind === 'rollup') this.tiers.delete(tier);
      return 'applied';
    }
    const known = this.tiers.get(tier);
    if (!known && this.tiers.size >= MAX_TIERS) return this.reject(`${tier}/${m.kind}`, `more than ${MAX_TIERS} tiers`);
    const t: Tier = known ?? { rollup: undefined, receivedAt: 0, connected: false };
    if (m.kind === 'state') {
      t.connected = m.message.state === 'online';
    } else {
      t.rollup = m.message;
      t.receivedAt = this.deps.now();
      // a rollup comes from a connected tier, whatever order the retained messages arrived in
      t.connected = true;
    }
    this.tiers.set(tier, t);
    return 'applied';
  }

  private reject(rest: string, why: string): 'rejected' {
    this.deps.log.warn({ topic: `cascade/${rest.slice(0, 200)}`, reason: why }, 'cascade message rejected');
    return 'rejected';
  }

  private isStale(t: Tier, now: number): boolean {
    return !t.connected || !t.rollup || now - t.receivedAt > 3 * t.rollup.intervalMs;
  }

  /** `local` with every tier's counts added (a new table; `local` itself when there is no tier). */
  addCounts(local: CountTable): CountTable {
    if (this.tiers.size === 0) return local;
    const now = this.deps.now();
    const out: CountTable = new Map();
    for (const [region, row] of local) out.set(region, Object.fromEntries(CATEGORY_KEYS.map((k) => [k, { ...row[k] }])) as Record<CategoryKey, Counts>);
    for (const t of this.tiers.values()) {
      if (!t.rollup) continue;
      const stale = this.isStale(t, now);
      for (const [region, cells] of Object.entries(t.rollup.regions)) {
        let row = out.get(region);
        if (!row) out.set(region, (row = Object.fromEntries(CATEGORY_KEYS.map((k) => [k, emptyCounts()])) as Record<CategoryKey, Counts>));
        for (const k of CATEGORY_KEYS) {
          const c = cells[k]?.counts;
          if (!c) continue;
          const into = row[k];
          // a stale tier still has its points and cameras; what they do now is unknown here
          // (records are what they are whatever the tier's liveness; a tier that predates the register sends none)
          const add: Partial<Counts> = stale ? { ...emptyCounts(), points: c.points, coveredPoints: c.coveredPoints, installed: c.installed, unknown: c.installed, maintenance: c.maintenance, recorded: c.recorded ?? 0 } : c;
          for (const f of Object.keys(into) as Array<keyof Counts>) into[f] += add[f] ?? 0;
        }
      }
    }
    return out;
  }

  /** `local` online totals with every tier's for the same window added; `window` null (a custom span): the tiers cannot say. */
  addOnline(local: Map<string, Partial<Record<CategoryKey, OnlineRate>>>, window: CascadeWindow | null): Map<string, Partial<Record<CategoryKey, OnlineRate>>> {
    if (this.tiers.size === 0 || window === null) return local;
    const out = new Map<string, Partial<Record<CategoryKey, OnlineRate>>>();
    for (const [region, row] of local) out.set(region, Object.fromEntries(Object.entries(row).map(([k, v]) => [k, { ...v }])));
    for (const t of this.tiers.values()) {
      if (!t.rollup) continue;
      for (const [region, cells] of Object.entries(t.rollup.regions)) {
        let row = out.get(region);
        if (!row) out.set(region, (row = {}));
        for (const k of CATEGORY_KEYS) {
          const o = cells[k]?.online[window];
          if (!o) continue;
          addTotals((row[k] ??= { cameras: 0, onlineMs: 0, unknownMs: 0, observedMs: 0, rate: null }), o);
        }
      }
    }
    for (const row of out.values()) for (const v of Object.values(row)) v.rate = v.observedMs === 0 ? null : v.onlineMs / v.observedMs;
    return out;
  }

  list(): TierView[] {
    const now = this.deps.now();
    return [...this.tiers.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([tier, t]) => ({
        tier,
        connected: t.connected,
        stale: this.isStale(t, now),
        ts: t.rollup?.ts ?? null,
        receivedAt: t.rollup ? new Date(t.receivedAt).toISOString() : null,
        regions: t.rollup ? Object.keys(t.rollup.regions).length : 0,
        cameras: t.rollup?.regions['all']?.all?.counts.installed ?? 0,
      }));
  }
}
