import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKeyframe, decodeKeyframes } from '../../agent/adapters/keyframe-decode.js';
import { rtspDescribe, sdpVideoCodec } from '../../agent/adapters/rtsp-client.js';
import { startRtspServer, type RtspServer } from '../../cli/demo/rtsp-server.js';
import { grabKeyframes } from '../../agent/adapters/keyframe-grab.js';
import { startBusyRtspProxy } from '../support/busy-rtsp-proxy.js';
import { spawnSync } from 'node:child_process';
import { CLI } from '../support/agent-process.js';

const CREDS = { username: 'op', password: 'Rtsp-Secret-9' };

describe('rtsp checks against a real RTSP server', () => {
  let open: RtspServer;
  let locked: RtspServer;
  beforeAll(async () => {
    [open, locked] = await Promise.all([startRtspServer({ mounts: { '/live': 'smpte' } }), startRtspServer({ mounts: { '/live': 'ball' }, auth: CREDS })]);
  });
  afterAll(async () => {
    await Promise.all([open?.close(), locked?.close()]);
  });

  const describeAt = (s: RtspServer, path: string, credentials?: { username: string; password: string }) =>
    rtspDescribe({ host: '127.0.0.1', port: s.port, url: s.url(path), credentials, deadlineMs: 3000 });

  it('rtsp checks: DESCRIBE without auth returns an H.264 SDP', async () => {
    const r = await describeAt(open, '/live');
    expect(r.ok).toBe(true);
    if (r.ok) expect(sdpVideoCodec(r.sdp)).toBe('H264');
  });

  it('rtsp checks: an unknown path is an rtsp_error with the status', async () => {
    expect(await describeAt(open, '/nope')).toMatchObject({ ok: false, reason: 'rtsp_error', status: 404 });
  });

  it('rtsp checks: Digest auth passes with the right password and fails with a wrong or missing one', async () => {
    const good = await describeAt(locked, '/live', CREDS);
    expect(good.ok).toBe(true);
    expect(await describeAt(locked, '/live', { username: 'op', password: 'wrong' })).toMatchObject({ ok: false, reason: 'auth_failed' });
    expect(await describeAt(locked, '/live')).toMatchObject({ ok: false, reason: 'auth_failed' });
  });

  it('rtsp checks: a remembered challenge saves the 401 round trip and still works', async () => {
    const first = await describeAt(locked, '/live', CREDS);
    expect(first.ok, JSON.stringify(first)).toBe(true);
    const again = await rtspDescribe({ host: '127.0.0.1', port: locked.port, url: locked.url('/live'), credentials: CREDS, deadlineMs: 3000, challenge: first.ok ? first.challenge : undefined });
    expect(again.ok, JSON.stringify(again)).toBe(true);
  });

  it('rtsp checks: ffmpeg decodes a keyframe and reads codec, size and rate, with and without auth', async () => {
    for (const url of [open.url('/live'), locked.url('/live', CREDS)]) {
      const r = await decodeKeyframe({ url, secrets: [CREDS.password] }, 15_000);
      expect(r.ok, JSON.stringify(r)).toBe(true);
      if (r.ok) expect(r.metrics).toMatchObject({ codec: 'h264', width: 320, height: 240, fps: 10, frames: 1 });
    }
  });

  it('rtsp checks: one ffmpeg decodes a group; a missing mount and a wrong password are pinned on their own input, the rest decode', async () => {
    const wrong = { username: 'op', password: 'Wrong-Pass-2' };
    const rs = await decodeKeyframes(
      [
        { url: open.url('/live'), secrets: [] },
        { url: open.url('/nothing-here'), secrets: [] },
        { url: locked.url('/live', CREDS), secrets: [CREDS.password] },
        { url: locked.url('/live', wrong), secrets: [wrong.password] },
        { url: open.url('/live'), secrets: [] },
      ],
      20_000,
    );
    expect(rs.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['ok', 'no_video', 'ok', 'auth_failed', 'ok']);
    expect(rs[1]).toMatchObject({ detail: expect.stringMatching(/404/) });
    expect(JSON.stringify(rs)).not.toContain(wrong.password);
    expect(JSON.stringify(rs)).not.toContain(CREDS.password);
    for (const r of rs) if (r.ok) expect(r.metrics).toMatchObject({ codec: 'h264', width: 320, height: 240 });
  }, 60_000);

  it('rtsp checks: ffmpeg with a wrong password is auth_failed, and the password is not in the message', async () => {
    const r = await decodeKeyframe({ url: locked.url('/live', { username: 'op', password: 'Wrong-Pass-1' }), secrets: ['Wrong-Pass-1'] }, 15_000);
    expect(r).toMatchObject({ ok: false, reason: 'auth_failed' });
    expect(JSON.stringify(r)).not.toContain('Wrong-Pass-1');
  });

  it('rtsp checks: a busy server (503, 453) is asked once more on a new connection; busy twice is reason busy with its status line, for DESCRIBE, our reader and ffmpeg', async () => {
    const always = await startBusyRtspProxy({ targetPort: open.port, busy: () => true });
    const bandwidth = await startBusyRtspProxy({ targetPort: open.port, busy: () => true, status: '453 Not Enough Bandwidth' });
    const firstOnly = await startBusyRtspProxy({ targetPort: open.port, busy: (n) => n === 1 });
    try {
      const url = (p: typeof always) => p.url(open.url('/live'));
      const d = await rtspDescribe({ host: '127.0.0.1', port: always.port, url: url(always), deadlineMs: 3000 });
      expect(d).toMatchObject({ ok: false, reason: 'busy', status: 503 });
      if (!d.ok) expect(d.detail).toMatch(/^DESCRIBE answered 503 Service Unavailable \(busy again after \d+ ms\)$/);
      expect(always.connections).toHaveLength(2);
      expect(await rtspDescribe({ host: '127.0.0.1', port: bandwidth.port, url: url(bandwidth), deadlineMs: 3000 })).toMatchObject({ ok: false, reason: 'busy', status: 453 });
      // refused once, then served: the check passes
      expect(await rtspDescribe({ host: '127.0.0.1', port: firstOnly.port, url: url(firstOnly), deadlineMs: 3000 })).toMatchObject({ ok: true });
      expect(firstOnly.connections.map((c) => c.busy)).toEqual([true, false]);

      const g = await grabKeyframes({ url: url(always), keyframes: 1, maxStreamMs: 3000, deadlineMs: 5000 });
      expect(g).toMatchObject({ ok: false, reason: 'busy', detail: expect.stringContaining('DESCRIBE answered 503 Service Unavailable') });
      const f = await decodeKeyframe({ url: url(bandwidth), secrets: [] }, 10_000);
      expect(f).toMatchObject({ ok: false, reason: 'busy', detail: expect.stringContaining('453 Not Enough Bandwidth') });
    } finally {
      await Promise.all([always.close(), bandwidth.close(), firstOnly.close()]);
    }
  }, 40_000);

  it('rtsp checks: probe --lang zh-CN says the rung and the reason in Chinese, what the server said as it said it, and never the password', () => {
    const wrong = 'Wrong-Pass-3';
    const run = (lang: string) => spawnSync(process.execPath, [CLI, 'probe', '--lang', lang, '--deadline', '3000', locked.url('/live', { username: 'op', password: wrong })], { encoding: 'utf8' });
    const zh = run('zh-CN');
    expect(zh.status).toBe(1);
    expect(zh.stdout).toMatch(/RTSP\s+失败 认证失败\s+\d+ ms\s+credentials rejected \(401 Unauthorized\)/);
    expect(zh.stdout).toContain('结论：在RTSP层失败（认证失败）');
    const en = run('en');
    expect(en.stdout).toMatch(/RTSP\s+FAIL login refused/);
    for (const r of [zh, en]) expect(r.stdout + r.stderr).not.toContain(wrong);
    expect(spawnSync(process.execPath, [CLI, 'probe', '--lang', 'fr', locked.url('/live')], { encoding: 'utf8' }).status).toBe(2);
  }, 30_000);
});
