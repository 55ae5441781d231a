import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { countChildren } from '../../agent/adapters/child-reaper.js';
import { decodeKeyframe } from '../../agent/adapters/keyframe-decode.js';
import { analysePicture } from '../../agent/adapters/picture.js';

// In a fresh process fluent-ffmpeg first asks ffmpeg for its formats (each run that starts before the answer
// is cached asks too), and spawns the real run only then: a deadline can come before the process exists (seen
// in CI under load). Killing it then is a no-op; it must be killed as it starts, not live on.
describe('ffmpeg deadline before the process exists', () => {
  it('ffmpeg deadline: decode and picture checks that gave up before ffmpeg started leave no ffmpeg behind', async () => {
    const srv = net.createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `rtsp://127.0.0.1:${(srv.address() as net.AddressInfo).port}/x`;
    // the runs against this server (not fluent-ffmpeg's own `ffmpeg -formats`)
    const runs = () => countChildren(url);
    try {
      const before = runs();
      const results = await Promise.all([
        ...[1, 2, 3].map(() => decodeKeyframe({ url, secrets: [] }, 30)),
        ...[1, 2].map(() => analysePicture({ url, seconds: 5, keyframes: 2, deadlineMs: 30, secrets: [] })),
      ]);
      for (const r of results) expect(r).toMatchObject({ ok: false, reason: 'timeout' });
      // long enough for fluent-ffmpeg to have spawned what it was preparing
      const end = Date.now() + 2500;
      let seen = 0;
      while (Date.now() < end) {
        seen = Math.max(seen, runs() - before);
        await new Promise((r) => setTimeout(r, 50));
      }
      // none started after its check gave up and lived on (each is killed as it starts)
      expect(seen).toBe(0);
    } finally {
      srv.close();
    }
  }, 20_000);
});
