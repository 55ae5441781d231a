import { parseGbId, type CameraState, type CameraStatusMessage } from '../../protocols/index.js';
import type { CameraFact, PlanPoint } from './model.js';

/**
 * Turns a camera's latest status into the fact the maths counts: bound to the
 * point its agent config names, or to the point whose id is its GB/T 28181 id;
 * region from the point, else from its GB/T 28181 id, else its agent's region.
 */
export function cameraFact(
  status: Pick<CameraStatusMessage, 'cameraId' | 'pointId' | 'category' | 'state' | 'faults'>,
  agent: { id: string; online: boolean; region: string | null },
  pointOf: (id: string) => PlanPoint | undefined,
): CameraFact {
  const point = (status.pointId !== null ? pointOf(status.pointId) : undefined) ?? pointOf(status.cameraId);
  const gb = parseGbId(status.cameraId);
  const region = point?.region ?? ('error' in gb ? null : gb.region) ?? agent.region;
  const state: CameraState = agent.online ? status.state : 'unknown';
  return {
    id: status.cameraId,
    agentId: agent.id,
    pointId: point?.id ?? null,
    region,
    category: point?.category ?? status.category ?? 'other',
    state,
    faults: status.faults.length,
  };
}
