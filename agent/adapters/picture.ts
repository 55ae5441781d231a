import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import type { GrabbedKeyframes } from './keyframe-grab.js';
import { keyframeFileInput, privateRunDir, rtspInput, type StreamInput } from './stream-input.js';
import { runMarker } from './child-reaper.js';
import { runGrouped, type GroupResult, type GroupRun } from './ffmpeg-group.js';
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

export type PictureResult = GroupResult<PictureMetrics>;

export interface PictureOptions extends PictureInput {
  /** the longest stretch of stream read */
  seconds: number;
  /** keyframes analysed: the run ends when it has them (or after `seconds`) */
  keyframes: number;
  deadlineMs: number;
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


/** One camera's picture check in a group. */
export interface PictureInput {
  /** RTSP URL with credentials, or a file (tests) */
  url: string;
  secrets: string[];
  /** the keyframes already read off the stream by the agent (keyframe-grab): ffmpeg decodes them from a file instead of opening `url` */
  grabbed?: GrabbedKeyframes | undefined;
  /** the agent's reader may answer a Basic challenge with the URL's login (the camera's config allows it) */
  allowBasic?: boolean | undefined;
  /** 320×180 reference frame to compare against (scene changed / camera moved) */
  referencePng?: string | undefined;
  /** write the first analysed frame here as the new reference */
  captureReferenceTo?: string | undefined;
  /** save a full-resolution frame as JPEG for the technician */
  snapshotJpeg?: string | undefined;
  /** write the first analysed frame here as a small JPEG (320×180): the evidence a fault is shown with at the centre */
  evidenceJpeg?: string | undefined;
}

/** stderr lines kept per run: a few per input and the errors; a peer that floods stderr is cut off */
const MAX_LINES = 2000;

/**
 * One ffmpeg run for the picture checks of several cameras: each input
 * decodes only keyframes (the decoder skips every other frame), a few of them
 * a GOP apart, scaled down to 320×180, and every fault of docs/domain.md §4
 * is measured in the same pass from the filters' frame metadata, written per
 * camera and per frame (`direct`), so a run killed at its deadline still
 * tells which cameras were done. A keyframe is coded on its own, so each one
 * carries the scene's sensor noise afresh while a frozen picture's keyframes
 * differ only by their quantisation; P-frames can skip noise. Stream probing
 * is cut short and one decoder thread is used per input: most of what is
 * left is ffmpeg's start-up, which the cameras of a group share. Each input
 * ends at `keyframes` frames or `seconds` of stream; the run is killed with
 * SIGKILL at the deadline.
 */
async function runOnce(inputs: PictureInput[], opts: { seconds: number; keyframes: number }, deadlineMs: number): Promise<GroupRun<PictureMetrics>> {
  const marker = runMarker('picture', randomUUID());
  const dir = privateRunDir();
  const metaFile = (i: number) => path.join(dir, `${marker}-${i}.txt`);
  const ssimFile = (i: number) => path.join(dir, `${marker}-${i}.ssim`);
  const ioTimeoutUs = Math.max(500_000, Math.floor(deadlineMs * 800));
  const streams: StreamInput[] = [];
  try {
    for (const [i, input] of inputs.entries()) {
      const kf = input.grabbed;
      streams.push(kf ? await keyframeFileInput(kf, `${marker}-${i}`) : input.url.startsWith('rtsp://') ? await rtspInput(input.url, { timeoutUs: ioTimeoutUs, name: `${marker}-${i}`, fastProbe: true }) : { input: input.url, options: [], cleanup: async () => undefined });
    }
  } catch (err) {
    await Promise.all(streams.map((s) => s.cleanup()));
    throw err;
  }
  const cmd = ffmpeg();
  for (const s of streams) cmd.input(s.input).inputOptions([...s.options, '-threads', '1', '-skip_frame', 'nokey', '-t', String(opts.seconds)]);
  // reference frames come after the cameras' inputs
  let nextInput = inputs.length;
  const graph: string[] = [];
  const outputs: Array<() => void> = [];
  inputs.forEach((input, i) => {
    const ref = input.referencePng;
    const refIndex = ref ? nextInput++ : -1;
    if (ref) cmd.input(ref).inputOptions(['-loop', '1']);
    const snap = input.snapshotJpeg;
    const capture = input.captureReferenceTo;
    const evidence = input.evidenceJpeg;
    const labels = [`[m${i}]`, ...(capture ? [`[cap${i}]`] : []), ...(ref ? [`[cmp${i}]`] : []), ...(evidence ? [`[ev${i}]`] : [])];
    graph.push(`[${i}:v]${snap ? `split=2[full${i}][raw${i}];[raw${i}]` : ''}scale=${W}:${H},format=yuv420p${labels.length > 1 ? `,split=${labels.length}${labels.join('')}` : `[m${i}]`}`);
    // the scene is compared in grey at 160×90 (docs/domain.md §4): sensor noise averages out, a moved camera does not
    if (ref) graph.push(`[${refIndex}:v]scale=160:90,format=gray[refg${i}]`, `[cmp${i}]scale=160:90,format=gray[cmpg${i}]`, `[cmpg${i}][refg${i}]ssim=shortest=1,metadata=mode=print:direct=1:file=${ssimFile(i)},nullsink`);
    graph.push(`[m${i}]signalstats,blackframe=amount=0:threshold=32,blurdetect,entropy,metadata=mode=print:direct=1:file=${metaFile(i)}[out${i}]`);
    outputs.push(() => cmd.output('-').outputOptions(['-map', `[out${i}]`, '-frames:v', String(opts.keyframes), '-an', '-f', 'null']));
    if (capture) {
      graph.push(`[cap${i}]trim=end_frame=1[capout${i}]`);
      outputs.push(() => cmd.output(capture).outputOptions(['-map', `[capout${i}]`, '-frames:v', '1', '-update', '1']));
    }
    if (evidence) {
      // quality 8 of 31 keeps a noisy 320×180 scene well under 30 KB; the first analysed frame, as the reference is
      graph.push(`[ev${i}]trim=end_frame=1[evout${i}]`);
      outputs.push(() => cmd.output(evidence).outputOptions(['-map', `[evout${i}]`, '-frames:v', '1', '-update', '1', '-q:v', '8']));
    }
    if (snap) {
      graph.push(`[full${i}]trim=end_frame=1[snapout${i}]`);
      outputs.push(() => cmd.output(snap).outputOptions(['-map', `[snapout${i}]`, '-frames:v', '1', '-update', '1', '-q:v', '3']));
    }
  });
  cmd.complexFilter(graph.join(';'));
  for (const add of outputs) add();
  cmd.addOption('-nostdin').addOption('-hide_banner').addOption('-nostats').addOption('-v', 'info');
  const lines: string[] = [];
  cmd.on('stderr', (line: string) => {
    if (lines.length < MAX_LINES) lines.push(line);
  });
  const outcome = await runFfmpeg(cmd, deadlineMs);
  const finished = !outcome.timedOut && outcome.error === undefined;
  const metrics = await Promise.all(
    inputs.map(async (input, i): Promise<PictureMetrics | undefined> => {
      // no file: no frame reached the filters
      const frames = parseFrameMetadata(await readFile(metaFile(i), 'utf8').catch(() => ''));
      // a run cut short is done with a camera only when it has all its keyframes
      if (frames.length === 0 || (!finished && frames.length < opts.keyframes)) return undefined;
      const m = summarise(frames);
      if (input.referencePng) m.ssim = summarise(parseFrameMetadata(await readFile(ssimFile(i), 'utf8').catch(() => ''))).ssim;
      return m;
    }),
  );
  await Promise.all([...inputs.flatMap((_, i) => [rm(metaFile(i), { force: true }), rm(ssimFile(i), { force: true })]), ...streams.map((s) => s.cleanup())]);
  return { metrics, ...outcome, lines, shownAs: streams.map((s) => s.input) };
}

/**
 * The picture checks of a group of cameras in one ffmpeg (runGrouped: a
 * camera that fails is pinned, the rest run again without it). Every result
 * comes within `deadlineMs` of the call, and no ffmpeg outlives it.
 */
export function analysePictures(inputs: PictureInput[], opts: { seconds: number; keyframes: number }, deadlineMs: number): Promise<PictureResult[]> {
  return runGrouped(inputs, deadlineMs, 'picture', (group, left) => runOnce(group, opts, left));
}

/** The picture check of one camera, in an ffmpeg of its own. */
export async function analysePicture(opts: PictureOptions): Promise<PictureResult> {
  return (await analysePictures([opts], opts, opts.deadlineMs))[0]!;
}
