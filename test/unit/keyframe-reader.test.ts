import { describe, expect, it } from 'vitest';
import type { DecodeResult, KeyframeInput } from '../../agent/adapters/keyframe-decode.js';
import type { GrabResult } from '../../agent/adapters/keyframe-grab.js';
import { KeyframeReader } from '../../agent/features/keyframe-reader.js';

const slots = { add: <T>(job: () => Promise<T>) => job() };
const decoded: DecodeResult = { ok: true, ms: 5, metrics: { codec: 'h264', width: 640, height: 360, fps: 25, bitrate: null, frames: 1 } };

function setup(grab: GrabResult, enabled = true) {
  const calls: KeyframeInput[] = [];
  const reader = new KeyframeReader({ slots, grab: async () => grab, picture: () => ({ seconds: 10, keyframes: 2 }), enabled: () => enabled });
  const decode = reader.decoder(async (input) => {
    calls.push(input);
    return decoded;
  });
  return { calls, decode };
}

describe('KeyframeReader: what goes to ffmpeg', () => {
  it('keyframes read: ffmpeg gets them, the frame rate comes from the RTP timestamps', async () => {
    const { calls, decode } = setup({ ok: true, ms: 300, codec: 'h264', data: Buffer.from([0, 0, 0, 1, 0x65]), keyframes: 1, fps: 12.5 });
    let started = 0;
    const r = await decode({ url: 'rtsp://127.0.0.1:1/x', secrets: [] }, 5000, () => started++);
    expect(started).toBe(1);
    expect(calls[0]!.grabbed?.keyframes).toBe(1);
    expect(r).toMatchObject({ ok: true, metrics: { fps: 12.5, width: 640 } });
  });

  it('a stream the reader does not take goes to ffmpeg as it is', async () => {
    const { calls, decode } = setup({ ok: false, ms: 10, reason: 'unsupported', detail: 'video codec MP4V-ES' });
    expect(await decode({ url: 'rtsp://127.0.0.1:1/x', secrets: [] }, 5000, () => undefined)).toEqual(decoded);
    expect(calls).toEqual([{ url: 'rtsp://127.0.0.1:1/x', secrets: [] }]);
  });

  it('a failed read is the verdict: ffmpeg is not started, secrets are scrubbed', async () => {
    const { calls, decode } = setup({ ok: false, ms: 10, reason: 'auth_failed', detail: 'RTSP: rejected for pass-123' });
    expect(await decode({ url: 'rtsp://u:pass-123@127.0.0.1:1/x', secrets: ['pass-123'] }, 5000, () => undefined)).toMatchObject({ ok: false, reason: 'auth_failed', detail: expect.not.stringContaining('pass-123') });
    expect(calls).toEqual([]);
  });

  it('off (streamReader ffmpeg), or not RTSP: straight to ffmpeg', async () => {
    const off = setup({ ok: false, ms: 1, reason: 'timeout', detail: 'x' }, false);
    expect(await off.decode({ url: 'rtsp://127.0.0.1:1/x', secrets: [] }, 5000, () => undefined)).toEqual(decoded);
    const file = setup({ ok: false, ms: 1, reason: 'timeout', detail: 'x' });
    expect(await file.decode({ url: '/tmp/clip.mp4', secrets: [] }, 5000, () => undefined)).toEqual(decoded);
  });
});

describe('KeyframeReader: keyframes read do not pile up while ffmpeg is busy', () => {
  it('a reading slot is held until ffmpeg takes its keyframes', async () => {
    const { default: PQueue } = await import('p-queue');
    let grabs = 0;
    const reader = new KeyframeReader({
      slots: new PQueue({ concurrency: 2 }),
      grab: async () => {
        grabs += 1;
        return { ok: true, ms: 1, codec: 'h264', data: Buffer.alloc(100_000), keyframes: 1, fps: 25 };
      },
      picture: () => ({ seconds: 10, keyframes: 2 }),
      enabled: () => true,
    });
    // ffmpeg is busy: nothing starts until `free` is called, then one at a time
    const waiting: Array<() => void> = [];
    const decode = reader.decoder(
      (_input, _ms, started) =>
        new Promise<DecodeResult>((resolve) =>
          waiting.push(() => {
            started();
            resolve(decoded);
          }),
        ),
    );
    const checks = Array.from({ length: 6 }, () => decode({ url: 'rtsp://127.0.0.1:1/x', secrets: [] }, 5000, () => undefined));
    await new Promise((r) => setTimeout(r, 20));
    expect(grabs).toBe(2); // two slots: two streams read, their keyframes waiting for ffmpeg; the other four not read yet
    waiting.shift()!();
    await new Promise((r) => setTimeout(r, 20));
    expect(grabs).toBe(3);
    for (let k = 0; k < 10 && waiting.length > 0; k++) {
      waiting.shift()!();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await Promise.all(checks)).every((r) => r.ok)).toBe(true);
    expect(grabs).toBe(6);
  });
});
