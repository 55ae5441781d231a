import { applyWindow } from '../../features/maintenance.js';
import type { Handler } from '../handler.js';

/** `{root}/maintenance/{id}`: a retained window from an admin; an empty message ends it. */
export const maintenance: Handler<'maintenance'> = ({ fleet, log }, { topic: { windowId }, message: w }) => {
  if (w === null) {
    if (fleet.maintenance.end(windowId)) void fleet.tickMaintenance();
    return 'applied';
  }
  applyWindow(fleet, w);
  log.info({ id: w.id, scope: w.scope, target: w.target, from: w.from, to: w.to }, 'maintenance window declared');
  return 'applied';
};
