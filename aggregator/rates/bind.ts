import { parseGbId, type CameraState, type CameraStatusMessage, type StateMark } from '../../protocols/index.js';
import type { CameraFact, PlanPoint } from './model.js';
import { DEFAULT_REGISTER_FIELDS, recordGaps, type RegisterField } from './register.js';

/**
 * Turns a camera's latest status into the fact the maths counts (docs/domain.md
 * §1): bound to the point its agent config names, else to the point whose id
 * or GB/T 28181 code equals the camera's id or GB/T 28181 id; region from the
 * point, else from the camera's GB/T 28181 id, else its agent's region;
 * category from the point, else the agent config's, else `unassigned`;
 * recorded when its record is complete (rates/register.ts).
 * `pointOf` finds a point by its id or its `gbId`. `live`: what the fleet
 * model knows beyond the status (its effective state, maintenance, marks).
 *
 * The fact is one object literal of a fixed shape: the model holds one per
 * camera, and a spread (`{ ...fact, state }`) made each of a province's
 * million its own hidden class and out-of-object property array, ~400 bytes
 * a camera more (scripts/bench/console.ts, the heap).
 */
function regionOfGbId(id: string): string | null {
  const gb = parseGbId(id);
  return 'error' in gb ? null : gb.region;
}

export function cameraFact(
  status: Pick<CameraStatusMessage, 'cameraId' | 'pointId' | 'category' | 'state' | 'faults' | 'deviceId'> & { gbId?: string | null | undefined; device?: CameraStatusMessage['device'] | undefined; cause?: CameraStatusMessage['cause'] },
  agent: { id: string; online: boolean; region: string | null },
  pointOf: (idOrGbId: string) => PlanPoint | undefined,
  register: readonly RegisterField[] = DEFAULT_REGISTER_FIELDS,
  live?: { state: CameraState; maintenance: boolean; marks: readonly StateMark[] },
): CameraFact {
  const gbId = status.gbId ?? null;
  const point = (status.pointId !== null ? pointOf(status.pointId) : undefined) ?? pointOf(status.cameraId) ?? (gbId !== null ? pointOf(gbId) : undefined);
  const region = point?.region ?? regionOfGbId(gbId ?? status.cameraId) ?? agent.region;
  const state: CameraState = live ? live.state : agent.online ? status.state : 'unknown';
  return {
    id: status.cameraId,
    agentId: agent.id,
    pointId: point?.id ?? null,
    region,
    category: point?.category ?? status.category ?? 'unassigned',
    state,
    deviceId: status.deviceId ?? null,
    faults: status.faults.length,
    recorded: recordGaps({ cameraId: status.cameraId, gbId, device: status.device ?? null }, point, register).length === 0,
    cause: status.cause ?? null,
    maintenance: live?.maintenance ?? false,
    marks: live?.marks,
  };
}
