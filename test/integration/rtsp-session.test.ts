import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { rtspDescribe } from '../../agent/adapters/rtsp-client.js';
import { RtspSession, sdpVideoTrack } from '../../agent/adapters/rtsp-session.js';

describe('RtspSession: RTSP answers and interleaved RTP on one connection', () => {
  it('frames split anywhere across reads, RTCP and a server keep-alive among them, come out whole and in order', async () => {
    const frames = Array.from({ length: 40 }, (_, i) => ({ channel: i % 5 === 4 ? 1 : 0, data: Buffer.alloc(1 + ((i * 977) % 3000), i) }));
    const wire = Buffer.concat([
      Buffer.from('RTSP/1.0 200 OK\r\nCSeq: 1\r\nSession: 7\r\n\r\n'),
      ...frames.slice(0, 20).map((f) => Buffer.concat([Buffer.from([0x24, f.channel, f.data.length >> 8, f.data.length & 0xff]), f.data])),
      // some servers ask the client for a keep-alive in the middle of the stream
      Buffer.from('GET_PARAMETER rtsp://127.0.0.1/x RTSP/1.0\r\nCSeq: 9\r\nContent-Length: 4\r\n\r\nping'),
      ...frames.slice(20).map((f) => Buffer.concat([Buffer.from([0x24, f.channel, f.data.length >> 8, f.data.length & 0xff]), f.data])),
    ]);
    const server = net.createServer((s) => {
      s.on('error', () => undefined);
      s.once('data', async () => {
        // 1 to 7 bytes at a time, each in a read of its own
        for (let o = 0, k = 0; o < wire.length; k++) {
          const n = 1 + (k % 7);
          s.write(wire.subarray(o, o + n));
          o += n;
          if (k % 50 === 0) await new Promise((r) => setTimeout(r, 1));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const session = RtspSession.open({ host: '127.0.0.1', port, deadlineMs: 10_000 });
    const got: Array<{ channel: number; data: Buffer }> = [];
    const all = new Promise<void>((resolve) => {
      session.onData = (channel, data) => {
        got.push({ channel, data: Buffer.from(data) });
        if (got.length === frames.length) resolve();
      };
    });
    try {
      const res = await session.request('PLAY', `rtsp://127.0.0.1:${port}/x`);
      expect(res.headers.get('session')).toEqual(['7']);
      await all;
      expect(got).toEqual(frames);
    } finally {
      session.close();
      await new Promise((r) => server.close(r));
    }
  });

  it('SDP: the video track, its codec, fmtp and control resolved as ffmpeg resolves it', () => {
    const sdp = 'v=0\r\ns=x\r\na=control:*\r\nm=audio 0 RTP/AVP 0\r\na=control:trackID=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H265/90000\r\na=fmtp:96 sprop-vps=QAE;sprop-sps=QgE\r\na=control:trackID=1\r\n';
    expect(sdpVideoTrack(sdp, 'rtsp://10.0.0.5/Streaming/101')).toEqual({ codec: 'H265', payloadType: 96, fmtp: 'sprop-vps=QAE;sprop-sps=QgE', control: 'rtsp://10.0.0.5/Streaming/101/trackID=1', aggregate: 'rtsp://10.0.0.5/Streaming/101' });
    const absolute = 'v=0\r\nm=video 0 RTP/AVP 97\r\na=rtpmap:97 H264/90000\r\na=control:rtsp://10.0.0.5:554/media/video1/track1\r\n';
    expect(sdpVideoTrack(absolute, 'rtsp://10.0.0.5/media/video1/')).toMatchObject({ codec: 'H264', payloadType: 97, control: 'rtsp://10.0.0.5:554/media/video1/track1', aggregate: 'rtsp://10.0.0.5/media/video1/' });
    expect(sdpVideoTrack('v=0\r\nm=audio 0 RTP/AVP 0\r\n', 'rtsp://x/')).toBeUndefined();
  });

  it('liveness DESCRIBE: a server briefly busy (503) is asked once more, on a new connection; busy twice is reason busy with its status', async () => {
    const sdp = 'v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n';
    const connections = new Map<net.Server, number>();
    const server = (busyTimes: number) => {
      let asked = 0;
      const srv = net.createServer((s) => {
        s.on('error', () => undefined);
        connections.set(srv, (connections.get(srv) ?? 0) + 1);
        let buf = '';
        s.on('data', (d) => {
          buf += d.toString('latin1');
          for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
            const cseq = /CSeq: (\d+)/.exec(buf.slice(0, end))?.[1];
            buf = buf.slice(end + 4);
            asked += 1;
            if (asked <= busyTimes) s.write(`RTSP/1.0 503 Service Unavailable\r\nCSeq: ${cseq}\r\nRetry-After: 0\r\n\r\n`);
            else s.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`);
          }
        });
      });
      return new Promise<net.Server>((r) => srv.listen(0, '127.0.0.1', () => r(srv)));
    };
    const once = await server(1);
    const twice = await server(2);
    try {
      const port = (s: net.Server) => (s.address() as net.AddressInfo).port;
      const ok = await rtspDescribe({ host: '127.0.0.1', port: port(once), url: `rtsp://127.0.0.1:${port(once)}/x`, deadlineMs: 3000 });
      expect(ok).toMatchObject({ ok: true, status: 200, sdp, authenticated: false });
      expect(connections.get(once)).toBe(2);
      const busy = await rtspDescribe({ host: '127.0.0.1', port: port(twice), url: `rtsp://127.0.0.1:${port(twice)}/x`, deadlineMs: 3000 });
      expect(busy).toMatchObject({ ok: false, reason: 'busy', status: 503, detail: expect.stringMatching(/^DESCRIBE answered 503 Service Unavailable \(busy again after \d+ ms\)$/) });
      expect(connections.get(twice)).toBe(2);
    } finally {
      await Promise.all([once, twice].map((s) => new Promise((r) => s.close(r))));
    }
  });
});
