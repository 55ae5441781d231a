import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeClip, startClipServer, type ClipServer } from '../../scripts/sim/rtsp-clip-server.js';

const run = promisify(execFile);

// The benchmarks' stand-in for many cameras: one pre-encoded clip served on many mounts. Debian's
// ffprobe, the agent's own decoder, must read it as it reads a camera.
describe('clip server: many camera streams from one encoded clip', () => {
  let server: ClipServer;

  beforeAll(async () => {
    server = await startClipServer(encodeClip({ width: 640, height: 360, fps: 10, gopSeconds: 1, seconds: 3 }), 50);
  }, 60_000);
  afterAll(async () => server?.close());

  it('clip server: ffprobe decodes frames of the declared size and rate on two mounts at once, a missing mount is 404', async () => {
    const probe = (mount: number) =>
      run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '5000000', '-select_streams', 'v:0', '-count_frames', '-read_intervals', '%+2', '-show_entries', 'stream=codec_name,width,height,avg_frame_rate,nb_read_frames', '-of', 'json', server.url(mount)], { timeout: 15_000 });
    const [a, b] = await Promise.all([probe(3), probe(49)]);
    for (const r of [a, b]) {
      const s = (JSON.parse(r.stdout) as { streams: Array<{ codec_name: string; width: number; height: number; nb_read_frames: string }> }).streams[0]!;
      expect(s).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
      // two seconds at 10 fps, give or take the start
      expect(Number(s.nb_read_frames)).toBeGreaterThanOrEqual(10);
    }
    await expect(probe(50)).rejects.toThrow(/404|Server returned/);
  }, 30_000);
});
