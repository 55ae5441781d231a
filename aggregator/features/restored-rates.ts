import { z } from 'zod';
import { countsView } from '../../protocols/http-api.js';
import type { RatesResponse } from '../../protocols/http-api.js';
import type { Scope } from '../auth/roles.js';
import { CATEGORY_KEYS, type CategoryKey } from '../rates/model.js';
import type { OnlineRate } from '../rates/online.js';
import type { CountTable } from '../rates/snapshot.js';
import { ratesViewOf, scopedView, type RecordingTotals } from './queries.js';

/**
 * The rates as they stood, kept in the store (meta `rates_restore`) for a
 * restart: every region's counts and the online time of the last 24 h,
 * tiers below included, as the overview showed them. A restarted centre
 * answers `GET /api/rates` (24 h) from it while it loads its store: at a
 * province's million cameras that load is half a minute, and the operator
 * sees the figures of a minute or two before the restart, said to be such
 * (`restored`), instead of nothing (issue 31).
 */

/** how old the kept figures may be and still be shown after a restart */
export const RESTORE_MAX_AGE_MS = 60 * 60_000;

const online = z.object({ cameras: z.number(), onlineMs: z.number(), unknownMs: z.number(), observedMs: z.number(), rate: z.number().nullable() });
const recording = z.object({ cameras: z.number(), unsupported: z.number(), recordedSec: z.number(), scheduledSec: z.number() });
const cells = <T extends z.ZodType>(cell: T) => z.array(z.tuple([z.string(), z.record(z.string(), cell)]));
/** a count table's row has every category (the view reads each) */
const countRow = z.object(Object.fromEntries(CATEGORY_KEYS.map((k) => [k, countsView])) as Record<CategoryKey, typeof countsView>);
const keptRates = z.object({
  v: z.literal(1),
  /** when the counts were taken (the end of the walk) */
  at: z.number(),
  from: z.number(),
  to: z.number(),
  counts: z.array(z.tuple([z.string(), countRow])),
  online: cells(online),
  recording: cells(recording),
  /** the plan's names of the regions counted (grassroots units the division data has not) */
  names: z.array(z.tuple([z.string(), z.string()])),
});

type Walked = {
  online: ReadonlyMap<string, Partial<Record<CategoryKey, OnlineRate>>>;
  recording: ReadonlyMap<string, Partial<Record<CategoryKey, RecordingTotals>>>;
};

/** The text kept: the counts of now and a 24 h walk over [from, to), tiers included. */
export function keptRatesText(table: CountTable, regionNames: ReadonlyMap<string, string>, walked: Walked & { from: number; to: number }, at: number): string {
  const names = [...table.keys()].flatMap((r) => {
    const n = regionNames.get(r);
    return n ? [[r, n]] : [];
  });
  return JSON.stringify({ v: 1, at, from: walked.from, to: walked.to, counts: [...table], online: [...walked.online], recording: [...walked.recording], names });
}

/** The kept rates, readable: null when absent, unreadable, or older than RESTORE_MAX_AGE_MS. */
export class RestoredRates {
  private constructor(
    private readonly kept: z.infer<typeof keptRates>,
    private readonly table: CountTable,
    private readonly names: ReadonlyMap<string, string>,
    private readonly walked: Walked,
  ) {}

  static parse(text: string | undefined, now: number): RestoredRates | null {
    if (!text) return null;
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return null;
    }
    const p = keptRates.safeParse(data);
    if (!p.success || now - p.data.at > RESTORE_MAX_AGE_MS || p.data.at > now) return null;
    const k = p.data;
    return new RestoredRates(k, new Map(k.counts) as unknown as CountTable, new Map(k.names), { online: new Map(k.online), recording: new Map(k.recording) });
  }

  /** When the figures were taken. */
  get at(): number {
    return this.kept.at;
  }

  /**
   * `GET /api/rates` of the 24 h window as it stood: what `scope` sees of
   * `region` (null: every region), marked `restored` with how far the load
   * has come.
   */
  view(scope: Scope, opts: { region: string | null; category: string | null }, loading: { phase: 'reading' | 'placing' | 'starting'; loaded?: number; of?: number }): RatesResponse | 'unknown' {
    const window = { label: '24h', from: this.kept.from, to: this.kept.to };
    const v = scopedView(scope, opts, (region) => ratesViewOf(this.table, this.names, { region, category: opts.category, window }, { ...this.walked, window }));
    if (v === 'unknown') return v;
    return { ...v, restored: { at: new Date(this.kept.at).toISOString(), ...loading } };
  }
}
