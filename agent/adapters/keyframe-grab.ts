import { annexB, orderedParameterSets, RtpDepacketiser, spropParameterSets, type VideoCodec } from '../lib/rtp-video.js';
import { retryWhenBusy } from './busy-retry.js';
import { parseRtspUrl } from './rtsp-url.js';
import { RtspSession, RtspSessionError, sdpVideoTrack } from './rtsp-session.js';

export interface GrabRequest {
  /** RTSP URL, with credentials when its server asks for them */
  url: string;
  /** key pictures wanted (each the next one the camera sends) */
  keyframes: number;
  /** the longest stretch of stream read after PLAY: fewer keyframes than wanted but at least one is still a result */
  maxStreamMs: number;
  deadlineMs: number;
  /** answer a Basic challenge with the URL's login (clear text): only for a camera whose config allows it */
  allowBasic?: boolean | undefined;
  /** a key picture larger than this is not kept (memory bound); default 8 MiB */
  maxUnitBytes?: number;
}

/** Keyframes read off a camera's stream, as an Annex B byte stream ffmpeg decodes from a file. */
export interface GrabbedKeyframes {
  codec: VideoCodec;
  data: Buffer;
  keyframes: number;
}

export type GrabResult =
  | ({ ok: true; ms: number; /** from the RTP timestamps of consecutive pictures */ fps: number | null } & GrabbedKeyframes)
  | {
      ok: false;
      ms: number;
      /** unsupported: a stream this reader does not take (RTSPS, a codec other than H.264/H.265, no RTP over TCP): ffmpeg reads it */
      reason: 'unsupported' | 'no_video' | 'timeout' | 'auth_failed' | 'unreachable' | 'busy';
      detail: string;
    };

const DEFAULT_MAX_UNIT = 8 * 1024 * 1024;
/** after the last keyframe wanted, how long to wait for one more picture to learn the frame rate */
const FPS_WAIT_MS = 500;

const codecOf = (name: string): VideoCodec | undefined => (name === 'H264' ? 'h264' : name === 'H265' || name === 'HEVC' ? 'h265' : undefined);

/**
 * Reads the next keyframes of a camera's stream over our own RTSP session
 * (DESCRIBE, SETUP with RTP interleaved on the connection, PLAY, TEARDOWN)
 * without a decoder: RTP is depacketised as it comes, every non-key slice
 * dropped, so waiting for a keyframe costs a socket and the picture being
 * assembled. The frame rate comes from the RTP timestamps. A server that says
 * it is busy is asked once more on a new session (busy-retry.ts). Never
 * throws; every outcome, the deadline included, is a result.
 */
export async function grabKeyframes(req: GrabRequest): Promise<GrabResult> {
  const t0 = performance.now();
  const r = await retryWhenBusy((deadlineMs) => grabOnce({ ...req, deadlineMs, maxStreamMs: Math.min(req.maxStreamMs, deadlineMs) }), req.deadlineMs);
  return { ...r, ms: performance.now() - t0 };
}

async function grabOnce(req: GrabRequest): Promise<GrabResult> {
  const t0 = performance.now();
  const ms = () => performance.now() - t0;
  const fail = (reason: Exclude<GrabResult, { ok: true }>['reason'], detail: string): GrabResult => ({ ok: false, ms: ms(), reason, detail });
  if (!req.url.startsWith('rtsp://')) return fail('unsupported', 'not an rtsp:// URL');
  let target: ReturnType<typeof parseRtspUrl>;
  try {
    target = parseRtspUrl(req.url);
  } catch (err) {
    return fail('no_video', `stream URI unusable: ${(err as Error).message}`);
  }
  const credentials = target.username !== undefined ? { username: target.username, password: target.password ?? '' } : undefined;
  const session = RtspSession.open({ host: target.host, port: target.port, credentials, allowBasic: req.allowBasic === true, deadlineMs: req.deadlineMs });
  let aggregate: string | undefined;
  let sessionId: string | undefined;
  try {
    const described = await session.request('DESCRIBE', target.url, ['Accept: application/sdp']);
    const base = described.headers.get('content-base')?.[0] ?? described.headers.get('content-location')?.[0] ?? target.url;
    const track = sdpVideoTrack(described.body, base);
    if (!track) return fail('no_video', 'the stream offers no video track (SDP)');
    const codec = codecOf(track.codec);
    if (!codec) return fail('unsupported', `video codec ${track.codec || 'unnamed'}`);
    let setup;
    try {
      setup = await session.request('SETUP', track.control, ['Transport: RTP/AVP/TCP;unicast;interleaved=0-1']);
    } catch (err) {
      // a server that will not send RTP over the RTSP connection: ffmpeg's own client tries what it offers
      if (err instanceof RtspSessionError && (err.status === 461 || err.status === 400)) return fail('unsupported', `SETUP over TCP refused: ${err.message}`);
      throw err;
    }
    const transport = setup.headers.get('transport')?.[0] ?? '';
    const channel = Number(/interleaved=(\d+)/i.exec(transport)?.[1] ?? 0);
    if (!/TCP/i.test(transport) && transport !== '') return fail('unsupported', `the server chose ${transport.split(';')[0]} instead of RTP over TCP`);
    sessionId = setup.headers.get('session')?.[0]?.split(';')[0]?.trim();
    aggregate = track.aggregate;
    const depacketiser = new RtpDepacketiser(codec, { maxUnitBytes: req.maxUnitBytes ?? DEFAULT_MAX_UNIT, sprop: spropParameterSets(codec, track.fmtp) });
    const units: Array<{ nals: Buffer[]; parameterSets: Buffer[] }> = [];
    const deltas: number[] = [];
    let lastTs: number | undefined;
    let packets = 0;
    const outcome = await new Promise<'done' | 'stream_time' | RtspSessionError>((resolve) => {
      let fpsTimer: NodeJS.Timeout | undefined;
      const streamTimer = setTimeout(() => resolve('stream_time'), Math.max(0, req.maxStreamMs));
      const end = (r: 'done' | 'stream_time' | RtspSessionError) => {
        clearTimeout(streamTimer);
        if (fpsTimer) clearTimeout(fpsTimer);
        session.onData = () => undefined;
        resolve(r);
      };
      session.onEnd = (err) => end(err);
      session.onData = (ch, payload) => {
        if (ch !== channel) return;
        packets += 1;
        for (const u of depacketiser.push(payload)) {
          if (lastTs !== undefined) {
            const d = (u.timestamp - lastTs) >>> 0;
            if (d > 0 && d < 90_000) deltas.push(d);
          }
          lastTs = u.timestamp;
          if (units.length < req.keyframes && u.key && !u.damaged && u.nals.length > 0) {
            units.push({ nals: u.nals, parameterSets: orderedParameterSets(codec, depacketiser.parameterSets) });
          }
          if (units.length >= req.keyframes) {
            if (deltas.length > 0) return end('done');
            fpsTimer ??= setTimeout(() => end('done'), FPS_WAIT_MS);
          }
        }
      };
      session
        .request('PLAY', aggregate!, [`Session: ${sessionId ?? ''}`, 'Range: npt=0.000-'])
        .catch((err: unknown) => end(err instanceof RtspSessionError ? err : new RtspSessionError('rtsp_error', String(err))));
    });
    if (units.length === 0) {
      // 'done' comes only with keyframes: without any, the stream time ran out or the session ended
      if (!(outcome instanceof RtspSessionError)) return fail('timeout', `no keyframe within ${req.maxStreamMs} ms of stream (${packets} RTP packets read)`);
      if (outcome.reason === 'rtsp_error' && packets > 0) return fail('no_video', `the stream ended before a keyframe (${packets} RTP packets read): ${outcome.message}`);
      throw outcome;
    }
    deltas.sort((a, b) => a - b);
    const median = deltas[Math.floor(deltas.length / 2)];
    return { ok: true, ms: ms(), codec, data: annexB(codec, units), keyframes: units.length, fps: median ? Math.round((90_000 / median) * 100) / 100 : null };
  } catch (err) {
    if (!(err instanceof RtspSessionError)) return fail('no_video', `RTSP: ${(err as Error).message}`);
    if (err.reason === 'rtsp_error') return fail('no_video', `RTSP: ${err.message}`);
    return fail(err.reason, err.reason === 'timeout' ? `${err.message}` : `RTSP: ${err.message}`);
  } finally {
    session.close(aggregate, sessionId);
  }
}
