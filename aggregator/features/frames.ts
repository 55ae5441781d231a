import type { FramesResponse } from '../../protocols/http-api.js';
import type { StoredFrame } from '../store/port.js';

/** What the store keeps with a frame besides the JPEG (camera-frame.ts writes it). */
interface FrameMeta {
  faults?: FramesResponse['frames'][number]['faults'];
  cleared?: string[];
  width?: number;
  height?: number;
  bytes?: number;
}

/** `GET /api/cameras/{id}/frames`: the camera's evidence frames kept, newest first, each with the address of its JPEG. */
export function framesView(cameraId: string, frames: readonly StoredFrame[]): FramesResponse {
  return {
    cameraId,
    frames: frames.map((f, i) => {
      let meta: FrameMeta = {};
      try {
        meta = JSON.parse(f.json) as FrameMeta;
      } catch {
        // written by this program: a row that does not parse is shown without its details
      }
      return {
        index: i,
        at: new Date(f.at).toISOString(),
        kind: f.kind as FramesResponse['frames'][number]['kind'],
        faults: meta.faults ?? [],
        cleared: meta.cleared ?? [],
        width: meta.width ?? null,
        height: meta.height ?? null,
        bytes: meta.bytes ?? null,
        url: `/api/cameras/${encodeURIComponent(cameraId)}/frames/${i}.jpg`,
      };
    }),
  };
}
