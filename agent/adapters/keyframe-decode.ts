import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import { runMarker } from './child-reaper.js';
import { runGrouped, type GroupResult, type GroupRun } from './ffmpeg-group.js';
import { runFfmpeg } from './ffmpeg-run.js';
import type { GrabbedKeyframes } from './keyframe-grab.js';
import { keyframeFileInput, privateRunDir, rtspInput, type StreamInput } from './stream-input.js';
import { parseStreamLines } from './ffmpeg-stream-info.js';

export interface DecodeMetrics {
  codec: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  bitrate: number | null;
  frames: number;
}

export type DecodeResult = GroupResult<DecodeMetrics>;

export interface KeyframeInput {
  /** RTSP URL, with credentials when the server asked for them (they never reach ffmpeg's command line) */
  url: string;
  /** secrets to scrub from any message ffmpeg prints */
  secrets: string[];
  /** the keyframe already read off the stream by the agent (keyframe-grab): ffmpeg decodes it from a file instead of opening `url` */
  grabbed?: GrabbedKeyframes | undefined;
  /** the agent's reader may answer a Basic challenge with the URL's login (the camera's config allows it) */
  allowBasic?: boolean | undefined;
}

/** stderr lines kept per run: a few per input and the errors; a peer that floods stderr is cut off */
const MAX_LINES = 2000;

/**
 * One ffmpeg process decodes the first keyframe of each input: non-key
 * frames are skipped by the decoder, stream probing is cut to the minimum
 * (the SDP and the SPS already say codec and size), one decoder thread, and
 * the run ends as soon as every input gave one frame. Several cameras share
 * the process start-up (about 0.12 CPU-s for Debian's ffmpeg), which costs
 * more than decoding a 1080p keyframe. Each output writes a frame checksum
 * file (flushed per frame) so a run killed at its deadline still tells which
 * inputs decoded. Killed with SIGKILL at `deadlineMs`.
 */
async function runOnce(inputs: KeyframeInput[], deadlineMs: number): Promise<GroupRun<DecodeMetrics>> {
  const marker = runMarker('probe', randomUUID());
  const dir = privateRunDir();
  const outFiles = inputs.map((_, i) => path.join(dir, `${marker}-${i}.crc`));
  const ioTimeoutUs = Math.max(500_000, Math.floor(deadlineMs * 1000 * 0.8));
  const streams: StreamInput[] = [];
  try {
    for (const [i, input] of inputs.entries()) {
      const name = `${marker}-${i}`;
      streams.push(input.grabbed ? await keyframeFileInput(input.grabbed, name) : await rtspInput(input.url, { timeoutUs: ioTimeoutUs, name, fastProbe: true }));
    }
  } catch (err) {
    await Promise.all(streams.map((s) => s.cleanup()));
    throw err;
  }
  const cmd = ffmpeg();
  for (const s of streams) cmd.input(s.input).inputOptions([...s.options, '-threads', '1', '-skip_frame', 'nokey']);
  outFiles.forEach((file, i) => cmd.output(file).outputOptions(['-map', `${i}:v:0`, '-frames:v', '1', '-flush_packets', '1', '-f', 'framecrc']));
  // input stream lines (codec, size, rate) are printed at info level; -nostats keeps progress lines out
  cmd.addOption('-nostdin').addOption('-hide_banner').addOption('-nostats').addOption('-v', 'info');
  const lines: string[] = [];
  cmd.on('stderr', (line: string) => {
    if (lines.length < MAX_LINES) lines.push(line);
  });
  const outcome = await runFfmpeg(cmd, deadlineMs);
  const texts = await Promise.all(outFiles.map((f) => readFile(f, 'utf8').catch(() => '')));
  // a frame line is "stream, dts, pts, duration, size, checksum"; the header says "#dimensions 0: 1920x1080"
  const decoded = texts.map((text) => text.split('\n').some((l) => /^\d+,/.test(l)));
  const sizes = texts.map((text) => {
    const m = /^#dimensions \d+: (\d+)x(\d+)$/m.exec(text);
    return m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
  });
  await Promise.all([...outFiles.map((f) => rm(f, { force: true })), ...streams.map((s) => s.cleanup())]);
  const info = parseStreamLines(lines);
  const metrics = inputs.map((_, k): DecodeMetrics | undefined => {
    if (!decoded[k]) return undefined;
    const s = info.get(k);
    // the size of the picture decoded; the stream line may not know it when the stream starts between keyframes
    const size = sizes[k] ?? (s?.width && s.height ? { width: s.width, height: s.height } : undefined);
    return { codec: s?.codec ?? null, width: size?.width ?? null, height: size?.height ?? null, fps: s?.fps ?? null, bitrate: null, frames: 1 };
  });
  return { metrics, ...outcome, lines, shownAs: streams.map((s) => s.input) };
}

/**
 * The decode rung for a group of cameras, one keyframe each, in one ffmpeg
 * (runGrouped: a camera that fails is pinned, the rest run again without it).
 * Every result comes within `deadlineMs` of the call, and no ffmpeg outlives it.
 */
export function decodeKeyframes(inputs: KeyframeInput[], deadlineMs: number): Promise<DecodeResult[]> {
  return runGrouped(inputs, deadlineMs, 'keyframe', runOnce);
}

/** The decode rung of one camera: its first keyframe, decoded by an ffmpeg of its own. */
export async function decodeKeyframe(input: KeyframeInput, deadlineMs: number): Promise<DecodeResult> {
  return (await decodeKeyframes([input], deadlineMs))[0]!;
}
