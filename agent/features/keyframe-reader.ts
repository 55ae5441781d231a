import type { GroupResult } from '../adapters/ffmpeg-group.js';
import type { DecodeResult, KeyframeInput } from '../adapters/keyframe-decode.js';
import type { GrabbedKeyframes, GrabRequest, GrabResult } from '../adapters/keyframe-grab.js';
import type { PictureInput, PictureResult } from '../adapters/picture.js';
import { scrubSecrets } from '../../platform/redact.js';
import type { Slots } from './check-batch.js';

/**
 * The least time ffmpeg gets to decode keyframes already read, when reading
 * them took most of the check's deadline: decoding them from a file takes a
 * fraction of a second; a run past this is killed.
 */
const FILE_DECODE_MS = 3000;

/** What a check hands the reader: the stream, its secrets, whether Basic may be answered, and where the keyframes go. */
interface ReaderInput {
  url: string;
  secrets: string[];
  allowBasic?: boolean | undefined;
  grabbed?: GrabbedKeyframes | undefined;
}

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
    return (input, deadlineMs, started) =>
      this.check(decode, input, deadlineMs, started, { keyframes: 1, maxStreamMs: deadlineMs }, (r, g, ms) => {
        if (!r.ok) return { ...r, ms, reason: r.reason === 'timeout' ? 'timeout' : 'no_video', detail: `the keyframe read off the stream did not decode: ${r.detail}` };
        return { ok: true, ms, metrics: { ...r.metrics, codec: r.metrics.codec ?? (g.codec === 'h265' ? 'hevc' : 'h264'), fps: g.fps ?? r.metrics.fps } };
      });
  }

  /** The picture check through the reader: its keyframes, then `analyse` (ffmpeg, grouped) on them. */
  pictures(analyse: Stage<PictureInput, PictureResult>): Stage<PictureInput, PictureResult> {
    return (input, deadlineMs, started) => {
      const s = this.deps.picture();
      return this.check(analyse, input, deadlineMs, started, { keyframes: s.keyframes, maxStreamMs: Math.min(s.seconds * 1000, deadlineMs) }, (r, _g, ms) => ({ ...r, ms }));
    };
  }

  /**
   * One check through the reader: the keyframes read off the stream, then
   * `next` (ffmpeg) on them, its result finished by `done`. A failed read is
   * the check's result; a stream the reader does not take, or any stream
   * while the reader is off, goes to `next` as it is.
   */
  private check<I extends ReaderInput, M>(
    next: Stage<I, GroupResult<M>>,
    input: I,
    deadlineMs: number,
    started: () => void,
    read: { keyframes: number; maxStreamMs: number },
    done: (r: GroupResult<M>, g: Extract<GrabResult, { ok: true }>, ms: number) => GroupResult<M>,
  ): Promise<GroupResult<M>> {
    if (!this.deps.enabled() || !input.url.startsWith('rtsp://')) return next(input, deadlineMs, started);
    const t0 = performance.now();
    const left = () => Math.max(1, deadlineMs - (performance.now() - t0));
    const req: GrabRequest = { url: input.url, allowBasic: input.allowBasic, ...read, deadlineMs };
    return this.through(req, started, async (g, handedOver): Promise<GroupResult<M>> => {
      if (!g.ok) {
        if (g.reason === 'unsupported') return next(input, left(), handedOver);
        return { ok: false, ms: g.ms, reason: g.reason, detail: scrubSecrets(g.detail, input.secrets) };
      }
      const r = await next({ ...input, grabbed: g }, Math.max(left(), FILE_DECODE_MS), handedOver);
      return done(r, g, performance.now() - t0);
    });
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
