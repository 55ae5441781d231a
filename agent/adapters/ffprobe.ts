import { randomUUID } from 'node:crypto';
import ffmpeg from 'fluent-ffmpeg';
import { z } from 'zod';
import { scrubSecrets } from '../../platform/redact.js';
import { classifyFfmpegError } from './ffmpeg-errors.js';
import { killChildrenByMarker, runMarker } from './child-reaper.js';
import { rtspInput } from './stream-input.js';

export interface DecodeMetrics {
  codec: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  bitrate: number | null;
  frames: number;
}

export type DecodeResult =
  | { ok: true; ms: number; metrics: DecodeMetrics }
  | { ok: false; ms: number; reason: 'no_video' | 'timeout' | 'auth_failed' | 'unreachable'; detail: string };

export interface DecodeOptions {
  /** RTSP URL, with credentials when the server asked for them (they never reach ffprobe's command line) */
  url: string;
  deadlineMs: number;
  /** seconds of stream to read and count frames in */
  seconds: number;
  /** secrets to scrub from any message ffprobe prints */
  secrets: string[];
}

// What fluent-ffmpeg's parser hands back, checked before it travels inward.
const numberish = z.union([z.number(), z.string()]).optional();
const probeStream = z.looseObject({
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  width: numberish,
  height: numberish,
  r_frame_rate: numberish,
  avg_frame_rate: numberish,
  bit_rate: numberish,
  nb_read_frames: numberish,
});
const probeData = z.looseObject({
  streams: z.array(probeStream),
  format: z.looseObject({ bit_rate: numberish }).optional(),
});

const toNumber = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};

/** "25/1" → 25; "0/0" → null */
export function parseRate(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? v : null;
  if (typeof v !== 'string') return null;
  const [n, d] = v.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n)) return null;
  const r = d === undefined ? n : d > 0 ? n / d : NaN;
  return Number.isFinite(r) && r > 0 ? Math.round(r * 100) / 100 : null;
}


/**
 * The decode rung: ffprobe (through fluent-ffmpeg) reads `seconds` of the
 * stream over RTSP/TCP and counts decoded frames. fluent-ffmpeg gives no handle
 * on the ffprobe process, so the deadline is enforced here: the child is found
 * by a marker in its command line and killed with SIGKILL.
 */
export async function probeDecode(opts: DecodeOptions): Promise<DecodeResult> {
  const started = performance.now();
  const marker = runMarker('probe', randomUUID());
  const ioTimeoutUs = Math.max(500_000, Math.floor(opts.deadlineMs * 1000 * 0.8));
  const input = await rtspInput(opts.url, { timeoutUs: ioTimeoutUs, name: marker });
  const args = [
    '-v', 'error',
    ...input.options,
    '-user_agent', marker,
    '-select_streams', 'v:0',
    '-count_frames',
    '-read_intervals', `%+${opts.seconds}`,
  ];
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: DecodeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void input.cleanup().finally(() => resolve(r));
    };
    const timer = setTimeout(() => {
      killChildrenByMarker(marker);
      done({ ok: false, ms: performance.now() - started, reason: 'timeout', detail: `ffprobe gave no result within ${opts.deadlineMs} ms and was killed` });
    }, opts.deadlineMs);

    ffmpeg.ffprobe(input.input, args, (err: unknown, data: unknown) => {
      const ms = performance.now() - started;
      if (err) {
        const msg = scrubSecrets(err instanceof Error ? err.message : String(err), opts.secrets);
        const lastLine = msg.trim().split('\n').filter(Boolean).slice(-1)[0] ?? msg;
        done({ ok: false, ms, reason: classifyFfmpegError(msg), detail: `ffprobe: ${lastLine.slice(0, 300)}` });
        return;
      }
      const parsed = probeData.safeParse(data);
      if (!parsed.success) {
        done({ ok: false, ms, reason: 'no_video', detail: 'ffprobe output not understood' });
        return;
      }
      const video = parsed.data.streams.find((s) => s.codec_type === 'video') ?? parsed.data.streams[0];
      const frames = toNumber(video?.nb_read_frames) ?? 0;
      if (!video || frames <= 0) {
        done({ ok: false, ms, reason: 'no_video', detail: `no video frame decoded in ${opts.seconds} s` });
        return;
      }
      done({
        ok: true,
        ms,
        metrics: {
          codec: video.codec_name ?? null,
          width: toNumber(video.width),
          height: toNumber(video.height),
          fps: parseRate(video.avg_frame_rate) ?? parseRate(video.r_frame_rate),
          bitrate: toNumber(video.bit_rate) ?? toNumber(parsed.data.format?.bit_rate),
          frames,
        },
      });
    });
  });
}
