import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import { rtspInput, type StreamInput } from './stream-input.js';
import { runMarker } from './child-reaper.js';
import { scrubSecrets } from '../../platform/redact.js';
import { classifyFfmpegError } from './ffmpeg-errors.js';
import { runFfmpeg } from './ffmpeg-run.js';

/** What the picture check measured over the frames it analysed (means over frames). */
export interface PictureMetrics {
  frames: number;
  /** mean luma, 0–255 */
  yavg: number;
  /** mean luma change between consecutive frames (motion and noise) */
  ydif: number;
  /** mean YHIGH − YLOW */
  contrast: number;
  uavg: number;
  vavg: number;
  satavg: number;
  /** mean percentage of black pixels */
  pblack: number;
  /** mean blurdetect value (higher is blurrier); null when not measurable (flat frames) */
  blur: number | null;
  /** mean normalised luma entropy, 0–1 */
  entropy: number;
  /** mean SSIM against the camera's reference frame; null without one */
  ssim: number | null;
}

export type PictureResult =
  | { ok: true; ms: number; metrics: PictureMetrics }
  | { ok: false; ms: number; reason: 'no_video' | 'timeout' | 'auth_failed' | 'unreachable'; detail: string };

export interface PictureOptions {
  /** RTSP URL with credentials, or a file (tests) */
  url: string;
  /** the longest stretch of stream read */
  seconds: number;
  /** keyframes analysed: the run ends when it has them (or after `seconds`) */
  keyframes: number;
  deadlineMs: number;
  secrets: string[];
  /** 320×180 reference frame to compare against (scene changed / camera moved) */
  referencePng?: string | undefined;
  /** write the first analysed frame here as the new reference */
  captureReferenceTo?: string | undefined;
  /** save a full-resolution frame as JPEG for the technician */
  snapshotJpeg?: string | undefined;
}

const W = 320;
const H = 180;

/** Parses `metadata=mode=print` output into per-frame key/value maps. */
export function parseFrameMetadata(text: string): Array<Map<string, number>> {
  const frames: Array<Map<string, number>> = [];
  let cur: Map<string, number> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('frame:')) {
      cur = new Map();
      frames.push(cur);
      continue;
    }
    const m = /^lavfi\.([\w.]+)=(\S+)$/.exec(line.trim());
    if (m && cur) {
      const v = Number(m[2]);
      if (Number.isFinite(v)) cur.set(m[1]!, v);
    }
  }
  return frames;
}

/** Means over frames (motion from the second frame on). Pure. */
export function summarise(frames: Array<Map<string, number>>): PictureMetrics {
  const mean = (key: string, from = 0) => {
    const xs = frames.slice(from).map((f) => f.get(key)).filter((x): x is number => x !== undefined);
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
  };
  const contrast = frames.map((f) => (f.get('signalstats.YHIGH') ?? 0) - (f.get('signalstats.YLOW') ?? 0));
  const round = (x: number | null, d = 3) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);
  return {
    frames: frames.length,
    yavg: round(mean('signalstats.YAVG')) ?? 0,
    ydif: round(mean('signalstats.YDIF', 1)) ?? 0,
    contrast: round(contrast.length ? contrast.reduce((a, b) => a + b, 0) / contrast.length : 0) ?? 0,
    uavg: round(mean('signalstats.UAVG')) ?? 128,
    vavg: round(mean('signalstats.VAVG')) ?? 128,
    satavg: round(mean('signalstats.SATAVG')) ?? 0,
    pblack: round(mean('blackframe.pblack')) ?? 0,
    blur: round(mean('blur')),
    entropy: round(mean('entropy.normalized_entropy.normal.Y')) ?? 0,
    ssim: round(mean('ssim.All')),
  };
}


/**
 * The picture check: one ffmpeg run (through fluent-ffmpeg) that decodes only
 * keyframes (the decoder skips every other frame), a few of them a GOP apart,
 * scales them down to 320×180 and measures every fault of docs/domain.md §4
 * in the same pass, reading the filters' frame metadata. A keyframe is coded
 * on its own, so each one carries the scene's sensor noise afresh while a
 * frozen picture's keyframes differ only by their quantisation; P-frames can
 * skip noise. Stream probing is cut short and one decoder thread is used:
 * most of what is left is ffmpeg's start-up. Ends at `keyframes` frames or
 * `seconds` of stream; killed with SIGKILL at the deadline.
 */
export async function analysePicture(opts: PictureOptions): Promise<PictureResult> {
  const started = performance.now();
  const name = runMarker('picture', randomUUID());
  const metaFile = path.join(os.tmpdir(), `${name}.txt`);
  const input: StreamInput = opts.url.startsWith('rtsp://') ? await rtspInput(opts.url, { timeoutUs: Math.floor(opts.deadlineMs * 800), name, fastProbe: true }) : { input: opts.url, options: [], cleanup: async () => undefined };
  const cmd = ffmpeg(input.input).inputOptions([...input.options, '-threads', '1', '-skip_frame', 'nokey', '-t', String(opts.seconds)]);
  const ref = opts.referencePng;
  if (ref) cmd.input(ref).inputOptions(['-loop', '1']);
  const snap = opts.snapshotJpeg;
  const capture = opts.captureReferenceTo;
  const ssimFile = `${metaFile}.ssim`;
  const labels = ['[m]', ...(capture ? ['[cap]'] : []), ...(ref ? ['[cmp]'] : [])];
  const graph: string[] = [];
  graph.push(`[0:v]${snap ? 'split=2[full][raw];[raw]' : ''}scale=${W}:${H},format=yuv420p${labels.length > 1 ? `,split=${labels.length}${labels.join('')}` : '[m]'}`);
  // the scene is compared in grey at 160×90 (docs/domain.md §4): sensor noise averages out, a moved camera does not
  if (ref) graph.push(`[1:v]scale=160:90,format=gray[refg]`, `[cmp]scale=160:90,format=gray[cmpg]`, `[cmpg][refg]ssim=shortest=1,metadata=mode=print:file=${ssimFile},nullsink`);
  graph.push(`[m]signalstats,blackframe=amount=0:threshold=32,blurdetect,entropy,metadata=mode=print:file=${metaFile}[out]`);
  if (capture) graph.push('[cap]trim=end_frame=1[capout]');
  if (snap) graph.push('[full]trim=end_frame=1[snapout]');
  cmd.complexFilter(graph.join(';'));
  cmd.output('-').outputOptions(['-map', '[out]', '-frames:v', String(opts.keyframes), '-an', '-f', 'null']);
  if (capture) cmd.output(capture).outputOptions(['-map', '[capout]', '-frames:v', '1', '-update', '1']);
  if (snap) cmd.output(snap).outputOptions(['-map', '[snapout]', '-frames:v', '1', '-update', '1', '-q:v', '3']);

  const run = await runFfmpeg(cmd, opts.deadlineMs);
  const result = await (async (): Promise<PictureResult> => {
    const ms = () => performance.now() - started;
    if (run.timedOut) return { ok: false, ms: ms(), reason: 'timeout', detail: `picture check gave no result within ${opts.deadlineMs} ms and ffmpeg was killed` };
    if (run.error !== undefined) {
      const msg = scrubSecrets(run.error, opts.secrets);
      const last = msg.trim().split('\n').filter(Boolean).slice(-1)[0] ?? msg;
      return { ok: false, ms: ms(), reason: classifyFfmpegError(msg), detail: `ffmpeg: ${last.slice(0, 300)}` };
    }
    // no file: no frame reached the filters
    const frames = parseFrameMetadata(await readFile(metaFile, 'utf8').catch(() => ''));
    if (frames.length === 0) return { ok: false, ms: ms(), reason: 'no_video', detail: `no keyframe decoded in ${opts.seconds} s` };
    const metrics = summarise(frames);
    if (ref) metrics.ssim = summarise(parseFrameMetadata(await readFile(ssimFile, 'utf8').catch(() => ''))).ssim;
    return { ok: true, ms: ms(), metrics };
  })();
  await rm(metaFile, { force: true });
  await rm(ssimFile, { force: true });
  await input.cleanup();
  return result;
}
