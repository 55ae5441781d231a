import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** How ffmpeg or ffprobe is to open one stream: the input argument, the options before it, and what to remove after. */
export interface StreamInput {
  input: string;
  options: string[];
  cleanup(): Promise<void>;
}

/**
 * A directory only this user can enter, for the files that carry stream
 * credentials to ffmpeg (made 0700, refused when another user owns it).
 */
export function privateRunDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const dir = path.join(os.tmpdir(), `xueliang-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid) throw new Error(`${dir} is not a directory of this user: refusing to put credentials there`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return dir;
}

/**
 * The input for an RTSP URL, over TCP with an I/O timeout. A URL without
 * credentials is given as it is. A URL with credentials never goes on the
 * command line, where every local user reads it in `ps` for as long as the
 * process runs: it goes into a one-entry ffconcat list in a private
 * directory (0600), which ffmpeg reads with the concat demuxer, the RTSP
 * options passed per entry. `name` (unique per run) names that file.
 */
export async function rtspInput(url: string, opts: { timeoutUs: number; name: string; fastProbe?: boolean }): Promise<StreamInput> {
  // fastProbe: codec and size come from the SDP and the SPS; reading seconds of stream to measure more is skipped
  const probe = opts.fastProbe ? ['-probesize', '32', '-analyzeduration', '0'] : [];
  const rtspOptions = ['-rtsp_transport', 'tcp', '-timeout', String(opts.timeoutUs), ...probe];
  if (!hasCredentials(url)) return { input: url, options: rtspOptions, cleanup: async () => undefined };
  const file = path.join(privateRunDir(), `${opts.name}.ffconcat`);
  // ffconcat quotes with '...'; a quote inside is closed, escaped and reopened
  const quoted = `'${url.replace(/'/g, "'\\''")}'`;
  const probeLines = opts.fastProbe ? 'option probesize 32\noption analyzeduration 0\n' : '';
  await writeFile(file, `ffconcat version 1.0\nfile ${quoted}\noption rtsp_transport tcp\noption timeout ${opts.timeoutUs}\n${probeLines}`, { mode: 0o600 });
  return {
    input: file,
    options: ['-f', 'concat', '-safe', '0', '-protocol_whitelist', 'file,rtsp,rtsps,tcp,tls,udp,rtp,crypto', ...probe],
    cleanup: () => rm(file, { force: true }),
  };
}

function hasCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '';
  } catch {
    return false;
  }
}

/**
 * The input for keyframes our own reader took off a stream: an Annex B file
 * in the private directory, read by ffmpeg's raw demuxer. `name` (unique
 * per run) names the file; cleanup removes it.
 */
export async function keyframeFileInput(keyframes: { codec: 'h264' | 'h265'; data: Buffer }, name: string): Promise<StreamInput> {
  const format = keyframes.codec === 'h264' ? 'h264' : 'hevc';
  const file = path.join(privateRunDir(), `${name}.${format}`);
  await writeFile(file, keyframes.data, { mode: 0o600 });
  return { input: file, options: ['-f', format], cleanup: () => rm(file, { force: true }) };
}
