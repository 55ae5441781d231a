import type { AlertMessage } from '../../protocols/index.js';
import type { RatesResponse } from '../../protocols/http-api.js';
import type { Scope } from '../auth/roles.js';
import { ratesView, scopedView, type Window } from './queries.js';
import { ratesWalk } from './rates-walk.js';
import type { AggregatorState, CameraRecord } from './state.js';

/**
 * What a user's regions (auth/roles.ts Scope) let them see of the centre's
 * views: a camera by its region (its point's, else its GB/T 28181 id's, else
 * its gateway's), a gateway by its region or a camera of it in scope, a
 * maintenance window and an alert by what they are about. Out of scope is
 * answered as not existing (404), never as forbidden.
 */
export function cameraRegion(state: AggregatorState, cameraId: string): string | null {
  return state.counters.get(cameraId)?.region ?? null;
}

export function visibleCamera(state: AggregatorState, scope: Scope, cameraId: string): CameraRecord | undefined {
  const c = state.cameras.get(cameraId);
  return c && scope.covers(cameraRegion(state, cameraId)) ? c : undefined;
}

/** The gateways a scope sees: by their own region, or by a camera of theirs within it. */
export function visibleAgentIds(state: AggregatorState, scope: Scope): Set<string> {
  const out = new Set<string>();
  for (const a of state.agents.values()) if (scope.covers(a.region)) out.add(a.agentId);
  if (scope.all) return out;
  for (const f of state.counters.cameras()) if (!out.has(f.agentId) && scope.covers(f.region)) out.add(f.agentId);
  return out;
}

/** `agents`: the gateways the scope sees, when the caller worked them out already (a list of windows or alerts walks them once). */
export function visibleWindow(state: AggregatorState, scope: Scope, w: { scope: 'camera' | 'point' | 'agent'; target: string }, agents?: ReadonlySet<string>): boolean {
  if (scope.all) return true;
  if (w.scope === 'camera') return scope.covers(cameraRegion(state, w.target));
  if (w.scope === 'point') return scope.covers(state.pointOf(w.target)?.region);
  return (agents ?? visibleAgentIds(state, scope)).has(w.target);
}

export function visibleAlert(state: AggregatorState, scope: Scope, a: AlertMessage, agents?: ReadonlySet<string>): boolean {
  if (scope.all) return true;
  if (a.subject.cameraId !== undefined) return scope.covers(cameraRegion(state, a.subject.cameraId));
  if (a.subject.region !== undefined) return scope.covers(a.subject.region);
  if (a.subject.agentId !== undefined) return (agents ?? visibleAgentIds(state, scope)).has(a.subject.agentId);
  return false;
}

/**
 * The region a scoped request is about: the one asked for when the scope
 * covers it; without one (or `all`), the scope's own region when it has one.
 * `unknown` when asked for a region out of scope; `several` when the scope
 * has several roots and none was asked for.
 */
export function scopedRegion(scope: Scope, asked: string | null): { region: string } | 'unknown' | 'several' {
  if (asked && asked !== 'all') return scope.covers(asked) ? { region: asked } : 'unknown';
  if (scope.all) return { region: 'all' };
  const roots = scope.roots();
  return roots.length === 1 ? { region: roots[0]! } : 'several';
}

/** The rates a scope sees: of the region asked for, or of each of its own regions (and their children). */
export async function scopedRates(state: AggregatorState, scope: Scope, opts: { region: string | null; category: string | null; window: Window }): Promise<RatesResponse | 'unknown'> {
  const asked = opts.region && opts.region !== 'all' ? opts.region : null;
  if (asked && !scope.covers(asked)) return 'unknown';
  // the walks over every camera, in slices: the event loop stays free for other answers
  const walked = await ratesWalk(state, opts.window);
  return scopedView(scope, opts, (region) => ratesView(state, { region, category: opts.category, window: opts.window }, walked));
}
