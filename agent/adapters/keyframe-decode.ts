import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import { scrubSecrets } from '../../platform/redact.js';
import { runMarker } from './child-reaper.js';
import { classifyFfmpegError } from './ffmpeg-errors.js';
import { runFfmpeg } from './ffmpeg-run.js';
import { privateRunDir, rtspInput, type StreamInput } from './stream-input.js';
import { parseStreamLines } from './ffmpeg-stream-info.js';

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

export interface KeyframeInput {
  /** RTSP URL, with credentials when the server asked for them (they never reach ffmpeg's command line) */
  url: string;
  /** secrets to scrub from any message ffmpeg prints */
  secrets: string[];
}

/** stderr lines kept per run: a few per input and the errors; a peer that floods stderr is cut off */
const MAX_LINES = 2000;

interface RunOutcome {
  /** per input: a frame was decoded */
  decoded: boolean[];
  /** per input: the decoded picture's size, from the checksum file's header */
  sizes: Array<{ width: number; height: number } | undefined>;
  /** the run was killed at its deadline */
  timedOut: boolean;
  /** the run failed: its last lines */
  error: string | undefined;
  lines: string[];
  /** each input as ffmpeg names it in its messages (the URL, or the list file that carries its credentials) */
  shownAs: string[];
}

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
async function runOnce(inputs: KeyframeInput[], deadlineMs: number): Promise<RunOutcome> {
  const marker = runMarker('probe', randomUUID());
  const dir = privateRunDir();
  const outFiles = inputs.map((_, i) => path.join(dir, `${marker}-${i}.crc`));
  const ioTimeoutUs = Math.max(500_000, Math.floor(deadlineMs * 1000 * 0.8));
  const streams: StreamInput[] = [];
  try {
    for (const [i, input] of inputs.entries()) streams.push(await rtspInput(input.url, { timeoutUs: ioTimeoutUs, name: `${marker}-${i}`, fastProbe: true }));
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
  return { decoded, sizes, ...outcome, lines, shownAs: streams.map((s) => s.input) };
}

/**
 * The decode rung for a group of cameras, one keyframe each. When ffmpeg
 * stops at an input it cannot open (404, a refused login, a dead host), that
 * input gets the reason and the others run again without it, within what is
 * left of their deadline; a run that cannot be pinned on one input is taken
 * apart and every undecided input runs alone. Every result comes within
 * `deadlineMs` of the call, and no ffmpeg outlives it.
 */
export async function decodeKeyframes(inputs: KeyframeInput[], deadlineMs: number): Promise<DecodeResult[]> {
  const started = performance.now();
  const left = () => deadlineMs - (performance.now() - started);
  const results: Array<DecodeResult | undefined> = inputs.map(() => undefined);
  const fail = (i: number, reason: Exclude<DecodeResult, { ok: true }>['reason'], detail: string) => {
    results[i] = { ok: false, ms: performance.now() - started, reason, detail };
  };
  // groups to run, as indices into inputs; bounded: every round decides at least one input or splits a group
  const queue: number[][] = inputs.length > 0 ? [inputs.map((_, i) => i)] : [];
  for (let round = 0; queue.length > 0 && round < inputs.length * 2 + 2; round += 1) {
    const group = queue.shift()!;
    if (left() < 200) {
      for (const i of group) fail(i, 'timeout', `ffmpeg gave no keyframe within ${deadlineMs} ms`);
      continue;
    }
    const secrets = group.flatMap((i) => inputs[i]!.secrets);
    const run = await runOnce(
      group.map((i) => inputs[i]!),
      left(),
    );
    const info = parseStreamLines(run.lines);
    const undecided: number[] = [];
    group.forEach((i, k) => {
      if (run.decoded[k]) {
        const s = info.get(k);
        // the size of the picture decoded; the stream line may not know it when the stream starts between keyframes
        const size = run.sizes[k] ?? (s?.width && s.height ? { width: s.width, height: s.height } : undefined);
        results[i] = { ok: true, ms: performance.now() - started, metrics: { codec: s?.codec ?? null, width: size?.width ?? null, height: size?.height ?? null, fps: s?.fps ?? null, bitrate: null, frames: 1 } };
      } else undecided.push(k);
    });
    if (undecided.length === 0) continue;
    if (run.timedOut) {
      if (group.length === 1) fail(group[0]!, 'timeout', `ffmpeg gave no keyframe within ${deadlineMs} ms and was killed`);
      else queue.push(...undecided.map((k) => [group[k]!]));
      continue;
    }
    // which input did ffmpeg stop at? it names the input it failed to open: "<input>: <reason>"
    const blamed = undecided.filter((k) => run.lines.some((l) => l.startsWith(`${run.shownAs[k]}: `)));
    for (const k of blamed) {
      const line = run.lines.find((l) => l.startsWith(`${run.shownAs[k]}: `))!;
      const msg = scrubSecrets(line.slice(run.shownAs[k]!.length + 2), secrets);
      fail(group[k]!, classifyFfmpegError(msg), `ffmpeg: ${msg.slice(0, 300)}`);
    }
    const rest = undecided.filter((k) => !blamed.includes(k)).map((k) => group[k]!);
    if (rest.length === 0) continue;
    if (group.length === 1 || (blamed.length === 0 && rest.length === 1)) {
      const msg = scrubSecrets(lastErrorLine(run), secrets);
      fail(rest[0]!, run.error ? classifyFfmpegError(msg) : 'no_video', run.error ? `ffmpeg: ${msg.slice(0, 300)}` : 'the stream ended before a keyframe');
      continue;
    }
    // the others ran with a failing neighbour: again without it (or alone when the failure names nobody)
    if (blamed.length > 0) queue.push(rest);
    else queue.push(...rest.map((i) => [i]));
  }
  return results.map((r) => r ?? { ok: false, ms: performance.now() - started, reason: 'timeout', detail: `ffmpeg gave no keyframe within ${deadlineMs} ms` });
}

function lastErrorLine(run: RunOutcome): string {
  const text = run.error ?? run.lines.join('\n');
  return text.trim().split('\n').filter(Boolean).slice(-1)[0] ?? 'ffmpeg failed';
}

/** The decode rung of one camera: its first keyframe, decoded by an ffmpeg of its own. */
export async function decodeKeyframe(input: KeyframeInput, deadlineMs: number): Promise<DecodeResult> {
  return (await decodeKeyframes([input], deadlineMs))[0]!;
}
