import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import PQueue from 'p-queue';
import { decodeKeyframes, type DecodeResult, type KeyframeInput } from '../../agent/adapters/keyframe-decode.js';
import { KeyframeReader } from '../../agent/features/keyframe-reader.js';
import { grabKeyframes } from '../../agent/adapters/keyframe-grab.js';
import { analysePictures } from '../../agent/adapters/picture.js';
import { encodeClip, startClipServer, type ClipServer } from '../../scripts/sim/rtsp-clip-server.js';
import { startRtspServer, type RtspServer } from '../../cli/demo/rtsp-server.js';

const CREDS = { username: 'op', password: 'Grab-Secret-7' };

/** A TCP server on loopback that runs `onSocket` for every connection. */
async function tcpServer(onSocket: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => server.close(r));
    },
  };
}

describe('keyframe reader: our RTSP session reads keyframes, ffmpeg decodes them from a file', () => {
  let gst: RtspServer;
  let codecs: RtspServer;
  let clips: ClipServer;
  beforeAll(async () => {
    const encoded = [
      encodeClip({ width: 640, height: 360, fps: 10, gopSeconds: 1, seconds: 3 }),
      encodeClip({ codec: 'h265', width: 480, height: 272, fps: 10, gopSeconds: 1, seconds: 3 }),
      // a 1080p keyframe is larger than any RTP packet: FU-A / FU reassembly of big pictures
      encodeClip({ codec: 'h265', width: 1920, height: 1080, fps: 5, gopSeconds: 1, seconds: 2 }),
      encodeClip({ width: 1920, height: 1080, fps: 5, gopSeconds: 1, seconds: 2 }),
    ];
    [gst, codecs, clips] = await Promise.all([startRtspServer({ mounts: { '/live': 'smpte' }, auth: CREDS }), startRtspServer({ mounts: { '/h265': 'h265', '/mjpeg': 'mjpeg' } }), startClipServer(encoded, 8)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([gst?.close(), codecs?.close(), clips?.close()]);
  });

  it('H.264 and H.265 streams joined mid-GOP: the next keyframe, its frame rate, and ffmpeg decodes it at the stream size', async () => {
    const want = [
      { codec: 'h264', width: 640, height: 360, fps: 10 },
      { codec: 'h265', width: 480, height: 272, fps: 10 },
      { codec: 'h265', width: 1920, height: 1080, fps: 5 },
      { codec: 'h264', width: 1920, height: 1080, fps: 5 },
    ];
    const grabs = await Promise.all(want.map((_, m) => grabKeyframes({ url: clips.url(m), keyframes: 1, maxStreamMs: 5000, deadlineMs: 8000 })));
    for (const [m, g] of grabs.entries()) {
      expect(g.ok, JSON.stringify(g)).toBe(true);
      if (g.ok) expect({ codec: g.codec, fps: g.fps, keyframes: g.keyframes }).toEqual({ codec: want[m]!.codec, fps: want[m]!.fps, keyframes: 1 });
    }
    const decoded = await decodeKeyframes(
      grabs.map((g, m) => ({ url: clips.url(m), secrets: [], grabbed: g.ok ? g : undefined })),
      10_000,
    );
    expect(decoded.map((d) => (d.ok ? { width: d.metrics.width, height: d.metrics.height } : d.detail))).toEqual(want.map(({ width, height }) => ({ width, height })));
    // the sessions were torn down
    await expect.poll(() => clips.playing(), { timeout: 5000 }).toBe(0);
  }, 60_000);

  it('two keyframes a GOP apart for the picture check, analysed like a stream', async () => {
    const g = await grabKeyframes({ url: clips.url(0), keyframes: 2, maxStreamMs: 5000, deadlineMs: 8000 });
    expect(g.ok, JSON.stringify(g)).toBe(true);
    if (!g.ok) return;
    expect(g.keyframes).toBe(2);
    expect(g.ms).toBeGreaterThan(900); // the second keyframe comes one GOP (1 s) after the first
    const [p] = await analysePictures([{ url: clips.url(0), secrets: [], grabbed: g }], { seconds: 10, keyframes: 2 }, 10_000);
    expect(p!.ok, JSON.stringify(p)).toBe(true);
    if (p!.ok) {
      expect(p!.metrics.frames).toBe(2);
      // testsrc2 moves: two keyframes a second apart differ
      expect(p!.metrics.ydif).toBeGreaterThan(1);
    }
  }, 30_000);

  it('a real RTSP server with Digest: the right login reads a keyframe, a wrong or missing one is auth_failed without the password', async () => {
    const good = await grabKeyframes({ url: gst.url('/live', CREDS), keyframes: 1, maxStreamMs: 8000, deadlineMs: 10_000 });
    expect(good.ok, JSON.stringify(good)).toBe(true);
    if (good.ok) expect({ codec: good.codec, fps: good.fps }).toEqual({ codec: 'h264', fps: 10 });
    const [d] = await decodeKeyframes([{ url: gst.url('/live'), secrets: [], grabbed: good.ok ? good : undefined }], 10_000);
    expect(d).toMatchObject({ ok: true, metrics: { width: 320, height: 240 } });
    const wrong = await grabKeyframes({ url: gst.url('/live', { username: 'op', password: 'Wrong-Grab-1' }), keyframes: 1, maxStreamMs: 5000, deadlineMs: 5000 });
    expect(wrong).toMatchObject({ ok: false, reason: 'auth_failed' });
    expect(JSON.stringify(wrong)).not.toContain('Wrong-Grab-1');
    expect(await grabKeyframes({ url: gst.url('/live'), keyframes: 1, maxStreamMs: 5000, deadlineMs: 5000 })).toMatchObject({ ok: false, reason: 'auth_failed' });
  }, 40_000);

  it('GStreamer\'s H.265 packetiser is read like ours; a Motion JPEG stream is left to ffmpeg, which decodes it', async () => {
    const h265 = await grabKeyframes({ url: codecs.url('/h265'), keyframes: 1, maxStreamMs: 8000, deadlineMs: 10_000 });
    expect(h265.ok, JSON.stringify(h265)).toBe(true);
    if (h265.ok) expect({ codec: h265.codec, fps: h265.fps }).toEqual({ codec: 'h265', fps: 10 });
    expect(await grabKeyframes({ url: codecs.url('/mjpeg'), keyframes: 1, maxStreamMs: 5000, deadlineMs: 5000 })).toMatchObject({ ok: false, reason: 'unsupported', detail: 'video codec JPEG' });
    // the decode rung as the agent runs it: the reader, then one ffmpeg for the group
    const reader = new KeyframeReader({ slots: new PQueue({ concurrency: 8 }), grab: grabKeyframes, picture: () => ({ seconds: 10, keyframes: 2 }), enabled: () => true });
    const pending: Array<{ input: KeyframeInput; started: () => void; resolve: (r: DecodeResult) => void }> = [];
    const decode = reader.decoder((input, _ms, started) => new Promise((resolve) => pending.push({ input, started, resolve })));
    const checks = [codecs.url('/h265'), codecs.url('/mjpeg')].map((url) => decode({ url, secrets: [] }, 15_000, () => undefined));
    await expect.poll(() => pending.length, { timeout: 10_000 }).toBe(2);
    const group = pending.splice(0);
    group.forEach((p) => p.started());
    const results = await decodeKeyframes(
      group.map((p) => p.input),
      15_000,
    );
    group.forEach((p, i) => p.resolve(results[i]!));
    const byUrl = new Map(group.map((p, i) => [p.input.url, p.input.grabbed !== undefined] as const));
    expect(byUrl).toEqual(new Map([[codecs.url('/h265'), true], [codecs.url('/mjpeg'), false]]));
    const [h, m] = await Promise.all(checks);
    expect(h).toMatchObject({ ok: true, metrics: { codec: 'hevc', width: 320, height: 240, fps: 10 } });
    expect(m).toMatchObject({ ok: true, metrics: { codec: 'mjpeg', width: 320, height: 240 } });
  }, 60_000);

  it('a missing mount names its status; a closed port is unreachable', async () => {
    const missing = await grabKeyframes({ url: `${clips.url(0).replace(/cam0$/, 'nothing')}`, keyframes: 1, maxStreamMs: 3000, deadlineMs: 3000 });
    expect(missing).toMatchObject({ ok: false, reason: 'no_video', detail: expect.stringMatching(/404/) });
    const closed = await tcpServer(() => undefined);
    const port = closed.port;
    await closed.close();
    expect(await grabKeyframes({ url: `rtsp://127.0.0.1:${port}/x`, keyframes: 1, maxStreamMs: 3000, deadlineMs: 3000 })).toMatchObject({ ok: false, reason: 'unreachable' });
  });

  it('hostile servers: silence ends at the deadline, garbage and a stream without keyframes are clear failures', async () => {
    const silent = await tcpServer(() => undefined);
    const garbage = await tcpServer((s) => s.once('data', () => s.write('HTTP/1.1 200 OK\r\n\r\n<html>not rtsp</html>')));
    // answers like a camera, then plays RTP that never holds a keyframe (P-slices only, type 1)
    const noKey = await tcpServer((s) => {
      let buf = '';
      let timer: NodeJS.Timeout | undefined;
      s.on('close', () => clearInterval(timer));
      s.on('data', (d) => {
        buf += d.toString('latin1');
        for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
          const head = buf.slice(0, end);
          buf = buf.slice(end + 4);
          const cseq = /CSeq: (\d+)/i.exec(head)?.[1] ?? '0';
          const method = head.split(' ')[0];
          const sdp = 'v=0\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:t0\r\n';
          if (method === 'DESCRIBE') s.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`);
          else if (method === 'SETUP') s.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\nSession: 42\r\n\r\n`);
          else if (method === 'PLAY') {
            s.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nSession: 42\r\n\r\n`);
            let seq = 0;
            timer = setInterval(() => {
              const rtp = Buffer.alloc(12 + 200);
              rtp[0] = 0x80;
              rtp[1] = 0x80 | 96;
              rtp.writeUInt16BE(seq & 0xffff, 2);
              rtp.writeUInt32BE(seq * 9000, 4);
              seq += 1;
              rtp[12] = 0x41; // a non-IDR slice
              s.write(Buffer.concat([Buffer.from([0x24, 0, rtp.length >> 8, rtp.length & 0xff]), rtp]));
            }, 100);
          }
        }
      });
    });
    try {
      const t0 = performance.now();
      const quiet = await grabKeyframes({ url: `rtsp://127.0.0.1:${silent.port}/x`, keyframes: 1, maxStreamMs: 1500, deadlineMs: 1500 });
      expect(quiet).toMatchObject({ ok: false, reason: 'timeout' });
      expect(performance.now() - t0).toBeLessThan(3000);
      const junk = await grabKeyframes({ url: `rtsp://127.0.0.1:${garbage.port}/x`, keyframes: 1, maxStreamMs: 2000, deadlineMs: 2000 });
      expect(junk).toMatchObject({ ok: false, reason: 'no_video', detail: expect.stringMatching(/not an RTSP answer/) });
      const never = await grabKeyframes({ url: `rtsp://127.0.0.1:${noKey.port}/x`, keyframes: 1, maxStreamMs: 1500, deadlineMs: 3000 });
      expect(never).toMatchObject({ ok: false, reason: 'timeout', detail: expect.stringMatching(/no keyframe within 1500 ms of stream \(\d+ RTP packets/) });
    } finally {
      await Promise.all([silent.close(), garbage.close(), noKey.close()]);
    }
  }, 20_000);
});
