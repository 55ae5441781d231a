import { maintenanceWindow, type Interval, type MaintenanceWindow } from '../../protocols/index.js';
import type { AggregatorStore } from '../store/port.js';

/** A maintenance window, times as ms epoch. */
export interface Window {
  id: string;
  scope: MaintenanceWindow['scope'];
  target: string;
  from: number;
  to: number;
  reason: string;
}

/** What a window can apply to: the camera, the point it is bound to (id or GB/T 28181 code), its gateway. */
export interface WindowSubject {
  cameraId: string;
  pointIds: readonly string[];
  agentId: string;
}

/** The subject of a camera bound to `point` (if any): a window may name the point by its id or its GB/T 28181 code. */
export function windowSubject(cameraId: string, agentId: string, point: { id: string; gbId?: string | undefined } | undefined): WindowSubject {
  return { cameraId, agentId, pointIds: point ? [point.id, ...(point.gbId ? [point.gbId] : [])] : [] };
}

const toWindow = (w: MaintenanceWindow): Window => ({ id: w.id, scope: w.scope, target: w.target, from: Date.parse(w.from), to: Date.parse(w.to), reason: w.reason });
export const windowJson = (w: Window) => ({ id: w.id, scope: w.scope, target: w.target, from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString(), reason: w.reason });

/**
 * The maintenance windows admins declared (API or MQTT), kept in the store
 * and past their end too: the reports of a period say how much time its
 * windows took out. A window begins and ends by itself.
 */
export class MaintenanceBook {
  private readonly windows = new Map<string, Window>();
  private active = new Set<string>();

  constructor(private readonly deps: { store: AggregatorStore; now: () => number }) {}

  /** The windows the store held at start. */
  load(stored: readonly string[]): void {
    for (const json of stored) {
      const r = maintenanceWindow.safeParse(JSON.parse(json));
      if (r.success) this.windows.set(r.data.id, toWindow(r.data));
    }
    this.active = this.activeIds(this.deps.now());
  }

  set(w: MaintenanceWindow): Window {
    const win = toWindow(w);
    this.windows.set(win.id, win);
    this.deps.store.saveWindow(win.id, JSON.stringify(windowJson(win)));
    return win;
  }

  /** Ends a window now (one that has not begun is dropped); false when there is none. */
  end(id: string): boolean {
    const w = this.windows.get(id);
    if (!w) return false;
    const now = this.deps.now();
    if (w.from >= now) {
      this.windows.delete(id);
      this.deps.store.deleteWindow(id);
    } else if (w.to > now) {
      this.set({ ...windowJson(w), to: new Date(now).toISOString() });
    }
    return true;
  }

  list(): Window[] {
    return [...this.windows.values()].sort((a, b) => a.from - b.from || a.id.localeCompare(b.id));
  }

  private applies(w: Window, s: WindowSubject): boolean {
    return (w.scope === 'camera' && w.target === s.cameraId) || (w.scope === 'agent' && w.target === s.agentId) || (w.scope === 'point' && s.pointIds.includes(w.target));
  }

  /** The window in force for `s` at `at`, if any. */
  activeFor(s: WindowSubject, at: number): Window | undefined {
    for (const w of this.windows.values()) if (w.from <= at && at < w.to && this.applies(w, s)) return w;
    return undefined;
  }

  /** Every window of `s`, as intervals to leave out of its time. */
  intervalsFor(s: WindowSubject): Interval[] {
    const out: Interval[] = [];
    for (const w of this.windows.values()) if (this.applies(w, s)) out.push({ from: w.from, to: w.to });
    return out;
  }

  /** True when a window began or ended since the last call (or was added or ended by hand). */
  changed(now: number): boolean {
    const next = this.activeIds(now);
    const same = next.size === this.active.size && [...next].every((id) => this.active.has(id));
    this.active = next;
    return !same;
  }

  private activeIds(now: number): Set<string> {
    return new Set([...this.windows.values()].filter((w) => w.from <= now && now < w.to).map((w) => w.id));
  }
}
