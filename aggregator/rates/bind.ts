import { parseGbId, type CameraState, type CameraStatusMessage } from '../../protocols/index.js';
import type { CameraFact, PlanPoint } from './model.js';

/**
 * Turns a camera's latest status into the fact the maths counts (docs/domain.md
 * §1): bound to the point its agent config names, else to the point whose id
 * or GB/T 28181 code equals the camera's id or GB/T 28181 id; region from the
 * point, else from the camera's GB/T 28181 id, else its agent's region;
 * category from the point, else the agent config's, else `unassigned`.
 * `pointOf` finds a point by its id or its `gbId`.
 */
export function cameraFact(
  status: Pick<CameraStatusMessage, 'cameraId' | 'pointId' | 'category' | 'state' | 'faults'> & { gbId?: string | null | undefined },
  agent: { id: string; online: boolean; region: string | null },
  pointOf: (idOrGbId: string) => PlanPoint | undefined,
): CameraFact {
  const gbId = status.gbId ?? null;
  const point = (status.pointId !== null ? pointOf(status.pointId) : undefined) ?? pointOf(status.cameraId) ?? (gbId !== null ? pointOf(gbId) : undefined);
  const gb = parseGbId(gbId ?? status.cameraId);
  const region = point?.region ?? ('error' in gb ? null : gb.region) ?? agent.region;
  const state: CameraState = agent.online ? status.state : 'unknown';
  return {
    id: status.cameraId,
    agentId: agent.id,
    pointId: point?.id ?? null,
    region,
    category: point?.category ?? status.category ?? 'unassigned',
    state,
    faults: status.faults.length,
  };
}
