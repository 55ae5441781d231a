import type { DecodeResult, KeyframeInput } from '../adapters/keyframe-decode.js';
import type { GrabRequest, GrabResult } from '../adapters/keyframe-grab.js';
import type { PictureInput, PictureResult } from '../adapters/picture.js';
import { scrubSecrets } from '../../platform/redact.js';
import type { Slots } from './check-batch.js';

/**
 * The least time ffmpeg gets to decode keyframes already read, when reading
 * them took most of the check's deadline: decoding them from a file takes a
 * fraction of a second; a run past this is killed.
 */
const FILE_DECODE_MS = 3000;

/** A check of one camera that calls `started` when its work begins. */
export type Stage<I, R> = (input: I, deadlineMs: number, started: () => void) => Promise<R>;

/**
 * The agent reads the keyframes itself, and ffmpeg only decodes them. A
 * decoder that waits on a live stream for its keyframe holds 10–15 MB of
 * frames for up to a GOP; our RTSP reader holds a socket and the picture
 * being assembled, so many cameras can wait at once (`slots`), and ffmpeg
 * decodes the keyframes of several cameras from files in a run that lasts a
 * fraction of a second. A stream the reader does not take (RTSPS, a codec
 * other than H.264/H.265, a server that will not send RTP over TCP) goes to
 * ffmpeg as before.
 */
export class KeyframeReader {
  constructor(
    private readonly deps: {
      /** streams read at once */
      slots: Slots;
      grab: (req: GrabRequest) => Promise<GrabResult>;
      /** the picture check's keyframes and the longest stretch of stream it reads */
      picture: () => { seconds: number; keyframes: number };
      /** off: every check goes to ffmpeg as it is */
      enabled: () => boolean;
    },
  ) {}

  /** The decode rung through the reader: its first keyframe, then `decode` (ffmpeg, grouped) on it. */
  decoder(decode: Stage<KeyframeInput, DecodeResult>): Stage<KeyframeInput, DecodeResult> {
    return async (input, deadlineMs, started) => {
      if (!this.deps.enabled() || !input.url.startsWith('rtsp://')) return decode(input, deadlineMs, started);
      const t0 = performance.now();
      const left = () => Math.max(1, deadlineMs - (performance.now() - t0));
      const req = { url: input.url, allowBasic: input.allowBasic, keyframes: 1, maxStreamMs: deadlineMs, deadlineMs };
      return this.through(req, started, async (g, handedOver): Promise<DecodeResult> => {
        if (!g.ok) {
          if (g.reason === 'unsupported') return decode(input, left(), handedOver);
          return { ok: false, ms: g.ms, reason: g.reason, detail: scrubSecrets(g.detail, input.secrets) };
        }
        const r = await decode({ ...input, grabbed: g }, Math.max(left(), FILE_DECODE_MS), handedOver);
        const ms = performance.now() - t0;
        if (!r.ok) return { ...r, ms, reason: r.reason === 'timeout' ? 'timeout' : 'no_video', detail: `the keyframe read off the stream did not decode: ${r.detail}` };
        return { ok: true, ms, metrics: { ...r.metrics, codec: r.metrics.codec ?? (g.codec === 'h265' ? 'hevc' : 'h264'), fps: g.fps ?? r.metrics.fps } };
      });
    };
  }

  /** The picture check through the reader: its keyframes, then `analyse` (ffmpeg, grouped) on them. */
  pictures(analyse: Stage<PictureInput, PictureResult>): Stage<PictureInput, PictureResult> {
    return async (input, deadlineMs, started) => {
      if (!this.deps.enabled() || !input.url.startsWith('rtsp://')) return analyse(input, deadlineMs, started);
      const t0 = performance.now();
      const left = () => Math.max(1, deadlineMs - (performance.now() - t0));
      const s = this.deps.picture();
      const req = { url: input.url, allowBasic: input.allowBasic, keyframes: s.keyframes, maxStreamMs: Math.min(s.seconds * 1000, deadlineMs), deadlineMs };
      return this.through(req, started, async (g, handedOver): Promise<PictureResult> => {
        if (!g.ok) {
          if (g.reason === 'unsupported') return analyse(input, left(), handedOver);
          return { ok: false, ms: g.ms, reason: g.reason, detail: scrubSecrets(g.detail, input.secrets) };
        }
        const r = await analyse({ ...input, grabbed: g }, Math.max(left(), FILE_DECODE_MS), handedOver);
        return { ...r, ms: performance.now() - t0 };
      });
    };
  }

  /**
   * Reads in a slot and hands the result to `next` in the same slot, which
   * is held until `next` starts its ffmpeg (`handedOver`) or ends: keyframes
   * read wait for ffmpeg in at most as many places as there are slots, so
   * reading faster than ffmpeg decodes cannot pile keyframes up in memory.
   */
  private through<R>(req: GrabRequest, started: () => void, next: (g: GrabResult, handedOver: () => void) => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.deps.slots
        .add(async () => {
          started();
          const g = await this.deps.grab(req);
          await new Promise<void>((handedOver) => {
            next(g, handedOver).then(resolve, reject).finally(handedOver);
          });
        })
        .catch(reject);
    });
  }
}
