import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKeyframes } from '../../agent/adapters/keyframe-decode.js';
import { encodeClip, startClipServer, type ClipServer } from '../../scripts/sim/rtsp-clip-server.js';

const run = promisify(execFile);

// The benchmarks' stand-in for many cameras: pre-encoded H.264 and H.265 clips served on many mounts, each
// session starting anywhere in its clip. Debian's ffprobe, and the agent's own decode rung, must read it as
// they read a camera.
describe('clip server: many camera streams from a few encoded clips', () => {
  let server: ClipServer;

  beforeAll(async () => {
    const clips = [encodeClip({ width: 640, height: 360, fps: 10, gopSeconds: 1, seconds: 3 }), encodeClip({ codec: 'h265', width: 480, height: 272, fps: 10, gopSeconds: 1, seconds: 3 })];
    server = await startClipServer(clips, 50);
  }, 60_000);
  afterAll(async () => server?.close());

  it('clip server: ffprobe decodes frames of the declared codec, size and rate on two mounts at once, a missing mount is 404', async () => {
    const probe = (mount: number) =>
      run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '5000000', '-select_streams', 'v:0', '-count_frames', '-read_intervals', '%+2', '-show_entries', 'stream=codec_name,width,height,avg_frame_rate,nb_read_frames', '-of', 'json', server.url(mount)], { timeout: 15_000 });
    const [a, b] = await Promise.all([probe(4), probe(49)]);
    const first = (r: { stdout: string }) => (JSON.parse(r.stdout) as { streams: Array<{ codec_name: string; width: number; height: number; nb_read_frames: string }> }).streams[0]!;
    expect(first(a)).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
    expect(first(b)).toMatchObject({ codec_name: 'hevc', width: 480, height: 272 });
    // two seconds at 10 fps, less the wait for the first keyframe (at most a GOP of 1 s)
    for (const s of [first(a), first(b)]) expect(Number(s.nb_read_frames)).toBeGreaterThanOrEqual(8);
    await expect(probe(50)).rejects.toThrow(/404|Server returned/);
  }, 30_000);

  it('clip server: the decode rung reads H.264 and H.265 mounts in one ffmpeg, codec and size from the stream', async () => {
    const rs = await decodeKeyframes([0, 1, 2, 3].map((m) => ({ url: server.url(m), secrets: [] })), 15_000);
    expect(rs.map((r) => (r.ok ? `${r.metrics.codec} ${r.metrics.width}x${r.metrics.height}` : r.detail))).toEqual(['h264 640x360', 'hevc 480x272', 'h264 640x360', 'hevc 480x272']);
  }, 30_000);
});
