import { z } from 'zod';
import type { CategoryKey } from '../rates/model.js';
import { addRecording, cascadeWindow, type RecordingTotals, type Window } from './queries.js';
import { eachInSlices } from './slices.js';
import { keptRatesText } from './restored-rates.js';
import type { AggregatorState } from './state.js';
import { MIN_WALK_MS, WalkCache, type WalkPace } from './walk-cache.js';

/**
 * The walks over every camera behind the rates of a window (online time,
 * recording checks): kept while young where they are long (walk-cache.ts),
 * the last long ones of 24h and today kept in the store across a restart.
 */

type OnlineMap = ReturnType<AggregatorState['onlineRates']>;
type RecordingMap = Map<string, Partial<Record<CategoryKey, RecordingTotals>>>;
export interface RatesWalked {
  online: OnlineMap;
  recording: RecordingMap;
  /** the span the online time was walked over: the asked one, or a kept walk's a moment older */
  window: Window;
}

const ROLLING = new Set(['24h', '7d', '30d', 'today']);
type LocalWalked = { online: OnlineMap; recording: RecordingMap };
const walkCaches = new WeakMap<AggregatorState, WalkCache<LocalWalked>>();

/** The walks kept in the store (meta `rates_walk_{window}`), so that a restarted centre answers its first overview (24h) and trend (today) from them. */
const STORED_WALKS = new Set(['24h', 'today']);
/** how often that walk is written at most */
const STORE_WALK_EVERY_MS = 2 * 60_000;
const storedWalk = z.object({
  v: z.literal(1),
  key: z.enum(['24h', 'today']),
  from: z.number(),
  to: z.number(),
  walkMs: z.number(),
  online: z.array(z.tuple([z.string(), z.record(z.string(), z.object({ cameras: z.number(), onlineMs: z.number(), unknownMs: z.number(), observedMs: z.number(), rate: z.number().nullable() }))])),
  recording: z.array(z.tuple([z.string(), z.record(z.string(), z.object({ cameras: z.number(), unsupported: z.number(), recordedSec: z.number(), scheduledSec: z.number() }))])),
});

function walkCache(state: AggregatorState): WalkCache<LocalWalked> {
  let cache = walkCaches.get(state);
  if (cache) return cache;
  const storedAt = new Map<string, number>();
  cache = new WalkCache<LocalWalked>({
    now: () => state.now(),
    onError: (err) => state.log.error({ err: { message: err.message } }, 'the rates walk failed: the last figures stand'),
    // a long walk of the last 24 h or of today is kept in the store too (every few minutes): after a restart the
    // first overview and trend are answered from it while the first walk of the new process runs (issue 31)
    onWalked: (key, w) => {
      if (!STORED_WALKS.has(key) || w.walkMs < MIN_WALK_MS || w.to - (storedAt.get(key) ?? 0) < STORE_WALK_EVERY_MS) return;
      storedAt.set(key, w.to);
      const value = JSON.stringify({ v: 1, key, from: w.from, to: w.to, walkMs: w.walkMs, online: [...w.value.online], recording: [...w.value.recording] });
      state.changes.record({ kind: 'meta', key: `rates_walk_${key}`, value });
      // and the overview as it stands, counts and tiers included: what a restarted centre shows while it loads
      if (key === '24h') state.changes.record({ kind: 'meta', key: 'rates_restore', value: keptRatesText(state.ratesTable(), state.regionNames, { online: state.tiers.addOnline(w.value.online, '24h'), recording: w.value.recording, from: w.from, to: w.to }, state.now()) });
    },
  });
  walkCaches.set(state, cache);
  return cache;
}

/** A walk the store kept (see STORED_WALKS), served first after a start; unreadable or absent: nothing. */
export function seedStoredWalk(state: AggregatorState, text: string | null | undefined): boolean {
  if (!text) return false;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return false;
  }
  const p = storedWalk.safeParse(data);
  if (!p.success) return false;
  const w = p.data;
  walkCache(state).seed(w.key, { value: { online: new Map(w.online) as OnlineMap, recording: new Map(w.recording) as RecordingMap }, from: w.from, to: w.to, walkMs: w.walkMs }, walkVersion(state));
  return true;
}

const walkVersion = (state: AggregatorState) => `${state.planVersion}/${state.maintenance.version}`;

/**
 * What the rates of a window walk (online time, recording checks), walked in
 * slices so the event loop stays free for other answers. The console's
 * windows (24h, 7d, 30d, today) are kept a while where the walk is long
 * (features/walk-cache.ts): a province's overview does not walk a million
 * cameras at every visit. `background`: a publisher's walk, which leaves
 * the larger share of the CPU to an operator's.
 */
export async function ratesWalk(state: AggregatorState, window: Window, opts: { background?: boolean } = {}): Promise<RatesWalked> {
  const kept = await localWalk(state, window, opts);
  // the tiers below report their own windows: added to ours as they stand now
  return { online: state.tiers.addOnline(kept.value.online, cascadeWindow(window.label)), recording: kept.value.recording, window: { label: window.label, from: kept.from, to: kept.to } };
}

/** ratesWalk of our own cameras only (no tier below us: what the stored days count), with the span walked. */
export async function localWalk(state: AggregatorState, window: Window, opts: { background?: boolean } = {}): Promise<{ value: { online: OnlineMap; recording: RecordingMap }; from: number; to: number }> {
  const walk = async (from: number, to: number, pace: WalkPace = { hurried: false }) => {
    // a publisher's walk rests between its slices until somebody comes to wait for it
    const background = () => opts.background === true && !pace.hurried;
    const online = await state.localOnlineRatesSliced(from, to, background);
    const recording: RecordingMap = new Map();
    await eachInSlices(state.counters.cameras(), (f) => addRecording(state, recording, f), { background });
    return { online, recording };
  };
  return ROLLING.has(window.label)
    ? walkCache(state).get(window.label, window, walk, { anchored: window.label === 'today', version: walkVersion(state) })
    : { value: await walk(window.from, window.to), from: window.from, to: window.to };
}
