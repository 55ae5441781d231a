import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { decodeKeyframe } from '../../agent/adapters/keyframe-decode.js';
import { analysePicture } from '../../agent/adapters/picture.js';

/** pids of our children whose command line holds `needle` */
function childPids(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue;
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(needle)) out.push(Number(name));
    } catch {
      // ended while we looked
    }
  }
  return out;
}

// In a fresh process fluent-ffmpeg first asks ffmpeg for its formats (each run that starts before the answer
// is cached asks too), and spawns the real run only then: a deadline can come before the process exists (seen
// in CI under load). Killing it then is a no-op; it must be killed as it starts, not live on.
describe('ffmpeg deadline before the process exists', () => {
  it('ffmpeg deadline: decode and picture checks that gave up before ffmpeg started leave no ffmpeg running on', async () => {
    const srv = net.createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `rtsp://127.0.0.1:${(srv.address() as net.AddressInfo).port}/x`;
    try {
      const results = await Promise.all([
        ...[1, 2, 3].map(() => decodeKeyframe({ url, secrets: [] }, 30)),
        ...[1, 2].map(() => analysePicture({ url, seconds: 5, keyframes: 2, deadlineMs: 30, secrets: [] })),
      ]);
      for (const r of results) expect(r).toMatchObject({ ok: false, reason: 'timeout' });
      // each run against this server (not fluent-ffmpeg's own `ffmpeg -formats`): when first and last seen
      const seen = new Map<number, { first: number; last: number }>();
      const end = Date.now() + 2500;
      while (Date.now() < end) {
        const t = Date.now();
        for (const pid of childPids(url)) seen.set(pid, { first: seen.get(pid)?.first ?? t, last: t });
        await new Promise((r) => setTimeout(r, 50));
      }
      // one killed as it starts may still be seen going away; none runs on (their own I/O timeout is 500 ms)
      const lived = [...seen.values()].map((s) => s.last - s.first);
      expect(lived.filter((ms) => ms >= 250)).toEqual([]);
    } finally {
      srv.close();
    }
  }, 20_000);
});
