import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { maintenanceWindow, type MaintenanceWindow } from '../../protocols/index.js';
import type { AggregatorState } from './state.js';
import type { Window } from './maintenance.js';

/** A window from an admin (API body or MQTT payload), checked by its schema; the id from the topic or made here. */
export function parseMaintenanceWindow(data: unknown, id?: string): { ok: true; window: MaintenanceWindow } | { ok: false; errors: string[] } {
  const body = data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
  const r = maintenanceWindow.safeParse({ ...body, id: id ?? body['id'] ?? `mw-${randomUUID().slice(0, 8)}` });
  return r.success ? { ok: true, window: r.data } : { ok: false, errors: r.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`) };
}

/** Declares or ends a window and lets the counts follow at once. */
export function applyWindow(state: AggregatorState, w: MaintenanceWindow): Window {
  const win = state.maintenance.set(w);
  state.tickMaintenance();
  return win;
}

/**
 * `{root}/maintenance/{id}`: a retained window from an admin; an empty
 * message ends it. Bad ones are logged and counted, never applied.
 */
export function createMaintenanceIngest(deps: { state: AggregatorState; log: Logger }) {
  return (id: string, payload: Buffer): void => {
    const { state, log } = deps;
    if (payload.length === 0) {
      if (state.maintenance.end(id)) state.tickMaintenance();
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(payload.toString('utf8'));
    } catch {
      state.reject('maintenance_not_json');
      return;
    }
    const r = parseMaintenanceWindow(data, id);
    if (!r.ok) {
      state.reject('maintenance_invalid');
      log.warn({ id: id.slice(0, 128), errors: r.errors }, 'maintenance window refused');
      return;
    }
    applyWindow(state, r.window);
    log.info({ id, scope: r.window.scope, target: r.window.target, from: r.window.from, to: r.window.to }, 'maintenance window declared');
  };
}
