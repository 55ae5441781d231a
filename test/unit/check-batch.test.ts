import PQueue from 'p-queue';
import { describe, expect, it } from 'vitest';
import type { DecodeResult, KeyframeInput } from '../../agent/adapters/keyframe-decode.js';
import { CheckBatcher } from '../../agent/features/check-batch.js';

const ok = (frames: number): DecodeResult => ({ ok: true, ms: 1, metrics: { codec: 'h264', width: 1, height: 1, fps: null, bitrate: null, frames } });

describe('check batcher', () => {
  it('check batcher: checks waiting while the slots are busy share one process when a slot frees, each gets its own result', async () => {
    const queue = new PQueue({ concurrency: 1 });
    const groups: string[][] = [];
    const batcher = new CheckBatcher<KeyframeInput, DecodeResult>({
      queue,
      groupSize: () => 3,
      gatherMs: 0,
      failed: (detail) => ({ ok: false, ms: 0, reason: 'no_video', detail }),
      run: async (inputs: KeyframeInput[]) => {
        groups.push(inputs.map((i) => i.url));
        return inputs.map((i) => (i.url === 'rtsp://b' ? { ok: false, ms: 1, reason: 'no_video', detail: 'b failed' } : ok(Number(i.url.slice(-1)))));
      },
    });
    let release!: () => void;
    const blocker = queue.add(() => new Promise<void>((r) => (release = r)));
    const started: string[] = [];
    const urls = ['rtsp://1', 'rtsp://b', 'rtsp://3', 'rtsp://4', 'rtsp://5'];
    const results = urls.map((url) => batcher.check({ url, secrets: [] }, 5000, () => started.push(url)));
    await new Promise((r) => setTimeout(r, 20));
    expect(batcher.queued).toBe(5);
    expect(started).toEqual([]);
    release();
    await blocker;
    const rs = await Promise.all(results);
    expect(groups).toEqual([
      ['rtsp://1', 'rtsp://b', 'rtsp://3'],
      ['rtsp://4', 'rtsp://5'],
    ]);
    expect(started).toEqual(urls);
    expect(rs.map((r) => (r.ok ? r.metrics.frames : r.detail))).toEqual([1, 'b failed', 3, 4, 5]);
    expect(batcher.queued).toBe(0);
  });

  it('check batcher: a decode that throws answers its group with a failure, and the next group still runs', async () => {
    const queue = new PQueue({ concurrency: 1 });
    let calls = 0;
    const batcher = new CheckBatcher<KeyframeInput, DecodeResult>({
      queue,
      groupSize: () => 1,
      gatherMs: 0,
      failed: (detail) => ({ ok: false, ms: 0, reason: 'no_video', detail }),
      run: async (inputs) => {
        calls += 1;
        if (calls === 1) throw new Error('no private directory');
        return inputs.map(() => ok(1));
      },
    });
    const [a, b] = await Promise.all([batcher.check({ url: 'rtsp://a', secrets: [] }, 1000), batcher.check({ url: 'rtsp://b', secrets: [] }, 1000)]);
    expect(a).toMatchObject({ ok: false, reason: 'no_video', detail: 'check failed: no private directory' });
    expect(b).toMatchObject({ ok: true });
  });
});
