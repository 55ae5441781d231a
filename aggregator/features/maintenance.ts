import { randomUUID } from 'node:crypto';
import { maintenanceWindow, type Interval, type MaintenanceWindow } from '../../protocols/index.js';
import type { ChangeSink } from '../store/changes.js';
import type { AggregatorState } from './state.js';

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
  /** the windows by what they name (`scope\0target`), each list in the order of `windows`: a camera's lookup costs a few map reads, not a pass over every window */
  private bySubject = new Map<string, Window[]>();
  /** bumped whenever a window is added, changed or dropped: what reads the windows may tell its results are stale */
  version = 0;

  constructor(private readonly deps: { changes: ChangeSink; now: () => number }) {}

  /** The windows the store held at start. */
  load(stored: readonly MaintenanceWindow[]): void {
    for (const w of stored) this.windows.set(w.id, toWindow(w));
    this.reindex();
    this.active = this.activeIds(this.deps.now());
  }

  set(w: MaintenanceWindow): Window {
    const win = toWindow(w);
    this.windows.set(win.id, win);
    this.reindex();
    this.deps.changes.record({ kind: 'window', window: windowJson(win) });
    return win;
  }

  /** Ends a window now (one that has not begun is dropped); false when there is none. */
  end(id: string): boolean {
    const w = this.windows.get(id);
    if (!w) return false;
    const now = this.deps.now();
    if (w.from >= now) {
      this.windows.delete(id);
      this.reindex();
      this.deps.changes.record({ kind: 'windowDeleted', id });
    } else if (w.to > now) {
      this.set({ ...windowJson(w), to: new Date(now).toISOString() });
    }
    return true;
  }

  /** How many windows the book holds (ended ones included). */
  get size(): number {
    return this.windows.size;
  }

  list(): Window[] {
    return [...this.windows.values()].sort((a, b) => a.from - b.from || a.id.localeCompare(b.id));
  }

  private reindex(): void {
    this.version += 1;
    const index = new Map<string, Window[]>();
    for (const w of this.windows.values()) {
      const key = `${w.scope}\u0000${w.target}`;
      const list = index.get(key);
      if (list) list.push(w);
      else index.set(key, [w]);
    }
    this.bySubject = index;
  }

  /** The windows that name `s` (the camera, its gateway or its point), in the book's order. */
  private windowsOf(s: WindowSubject): Window[] {
    if (this.bySubject.size === 0) return [];
    const found: Window[] = [];
    const add = (key: string) => {
      const list = this.bySubject.get(key);
      if (list) for (const w of list) if (!found.includes(w)) found.push(w);
    };
    add(`camera\u0000${s.cameraId}`);
    add(`agent\u0000${s.agentId}`);
    for (const p of s.pointIds) add(`point\u0000${p}`);
    if (found.length > 1) {
      const order = [...this.windows.values()];
      found.sort((a, b) => order.indexOf(a) - order.indexOf(b));
    }
    return found;
  }

  /** The window in force for `s` at `at`, if any. */
  activeFor(s: WindowSubject, at: number): Window | undefined {
    for (const w of this.windowsOf(s)) if (w.from <= at && at < w.to) return w;
    return undefined;
  }

  /** Every window of `s`, as intervals to leave out of its time. */
  intervalsFor(s: WindowSubject): Interval[] {
    return this.windowsOf(s).map((w) => ({ from: w.from, to: w.to }));
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

/** A window from an admin (API body or MQTT payload), checked by its schema; the id from the topic or made here. */
export function parseMaintenanceWindow(data: unknown, id?: string): { ok: true; window: MaintenanceWindow } | { ok: false; errors: string[] } {
  const body = data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
  const r = maintenanceWindow.safeParse({ ...body, id: id ?? body['id'] ?? `mw-${randomUUID().slice(0, 8)}` });
  return r.success ? { ok: true, window: r.data } : { ok: false, errors: r.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`) };
}

/** Declares a window and sets the counts to follow (state.maintenanceSettled() resolves once they have). */
export function applyWindow(state: AggregatorState, w: MaintenanceWindow): Window {
  const win = state.maintenance.set(w);
  void state.tickMaintenance();
  return win;
}
