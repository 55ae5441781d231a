import { FRAME_LIMITS, jpegSize } from '../../../protocols/index.js';
import type { Handler } from '../handler.js';

/**
 * `{root}/agents/{id}/cameras/{cam}/frame`: an evidence frame of a camera the
 * gateway owns and the centre holds. What the contract allows (a JPEG of at
 * most 320×180 and 30 KB, its size as it says) is kept with the camera's
 * reference and last few frames; anything else is refused with the reason,
 * logged and counted. A frame never changes a camera's state: the status does.
 */
export const cameraFrame: Handler<'cameraFrame'> = ({ fleet, log }, { topic: { agentId, cameraId }, message }) => {
  if (!message) return 'applied';
  if (!fleet.owns(agentId, cameraId)) return fleet.refuse(agentId, cameraId);
  const refused = (reason: string, why: string) => {
    fleet.ingest.reject(reason);
    log.warn({ agent: agentId, camera: cameraId, why }, 'evidence frame refused');
    return 'applied' as const;
  };
  // frames only of cameras the centre holds: a gateway cannot fill the store with frames of cameras that do not exist
  if (!fleet.cameras.has(cameraId)) return refused('frame_unknown_camera', 'no status of this camera was received');
  const jpeg = Buffer.from(message.jpeg, 'base64');
  const size = jpegSize(jpeg);
  if (!size) return refused('frame_not_jpeg', 'the frame is not a JPEG');
  if (jpeg.length > FRAME_LIMITS.bytes) return refused('frame_too_large', `${jpeg.length} bytes, more than ${FRAME_LIMITS.bytes}`);
  if (size.width > FRAME_LIMITS.width || size.height > FRAME_LIMITS.height) return refused('frame_too_large', `${size.width}×${size.height}, larger than ${FRAME_LIMITS.width}×${FRAME_LIMITS.height}`);
  if (size.width !== message.width || size.height !== message.height) return refused('frame_not_jpeg', `the JPEG is ${size.width}×${size.height}, the message says ${message.width}×${message.height}`);
  const at = Math.min(Date.parse(message.at), fleet.now() + 60_000);
  const meta = { faults: message.faults, cleared: message.cleared, width: size.width, height: size.height, bytes: jpeg.length };
  fleet.changes.record({ kind: 'frame', cameraId, at, frameKind: message.kind, json: JSON.stringify(meta), jpeg: message.jpeg });
  fleet.ingest.accept('frame');
  return 'applied';
};
