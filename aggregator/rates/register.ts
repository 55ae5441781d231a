import { isGbId, type CameraStatusMessage, type RegisterField } from '../../protocols/index.js';
import type { PlanPoint } from './model.js';

export { REGISTER_FIELDS, DEFAULT_REGISTER_FIELDS, type RegisterField } from '../../protocols/index.js';

/** What a record lacks: a point, one of the required point fields, or the device's own (manufacturer, model, serial). */
export type RecordGap = 'point' | RegisterField | 'manufacturer' | 'model' | 'serial';

const filled = (v: unknown) => v !== undefined && v !== null && (typeof v !== 'string' || v.trim() !== '');

/**
 * What a camera's record (前端摄像机基础信息档案) lacks, in the order the
 * console lists them; empty when complete (docs/domain.md §1, 建档率): it is
 * bound to a point that has every required field, and its device reported
 * manufacturer, model and serial. A point's GB/T 28181 code may also come
 * from the camera itself (its configured gbId, or an id that is one).
 */
export function recordGaps(
  camera: Pick<CameraStatusMessage, 'cameraId' | 'device'> & { gbId?: string | null | undefined },
  point: PlanPoint | undefined,
  required: readonly RegisterField[],
): RecordGap[] {
  const gaps: RecordGap[] = [];
  if (!point) gaps.push('point');
  for (const f of required) {
    if (!point) continue;
    if (f === 'gbId') {
      const own = camera.gbId ?? (isGbId(camera.cameraId) ? camera.cameraId : undefined);
      if (!filled(point.gbId) && !filled(own)) gaps.push('gbId');
    } else if (!filled(point[f])) gaps.push(f);
  }
  const d = camera.device;
  if (!filled(d?.manufacturer)) gaps.push('manufacturer');
  if (!filled(d?.model)) gaps.push('model');
  if (!filled(d?.serial)) gaps.push('serial');
  return gaps;
}
