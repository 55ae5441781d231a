/**
 * Many cameras' streams without many encoders: one RTSP server on loopback
 * serves a pre-encoded H.264 clip, looped, on any number of mounts
 * (/cam0 … /camN), over RTP interleaved on the RTSP connection (RFC 2326
 * §10.12, RFC 6184 single NAL units and FU-A). What it costs is packetising,
 * not encoding, so a benchmark measures the gateway, not the cameras.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { onRtspRequests } from './rtsp-request.js';

export interface ClipOptions {
  width: number;
  height: number;
  fps: number;
  /** keyframe interval in seconds */
  gopSeconds: number;
  seconds: number;
}

/** A clip encoded once with Debian's ffmpeg (testsrc2, x264, Annex B, no B-frames), cut into access units. */
export function encodeClip(o: ClipOptions): { frames: Buffer[][]; sps: Buffer; pps: Buffer; fps: number } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-clip-'));
  const file = path.join(dir, 'clip.h264');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`, '-t', String(o.seconds), '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-bf', '0', '-g', String(Math.round(o.fps * o.gopSeconds)), '-x264-params', 'aud=1:repeat-headers=1', '-pix_fmt', 'yuv420p', '-f', 'h264', file]);
  const data = readFileSync(file);
  const nals: Buffer[] = [];
  // split at start codes (00 00 01 or 00 00 00 01)
  let start = -1;
  for (let i = 0; i + 3 <= data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) nals.push(trimZeros(data.subarray(start, i)));
      start = i + 3;
      i += 2;
    }
  }
  if (start >= 0) nals.push(data.subarray(start));
  const frames: Buffer[][] = [];
  let sps: Buffer | undefined;
  let pps: Buffer | undefined;
  for (const nal of nals) {
    const type = nal[0]! & 0x1f;
    if (type === 9) {
      frames.push([]); // an access unit delimiter starts a frame
      continue;
    }
    if (type === 7) sps ??= nal;
    if (type === 8) pps ??= nal;
    (frames.at(-1) ?? (frames.push([]), frames.at(-1)!)).push(nal);
  }
  if (!sps || !pps) throw new Error('the clip has no SPS/PPS');
  return { frames: frames.filter((f) => f.length > 0), sps, pps, fps: o.fps };
}

function trimZeros(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return b.subarray(0, end);
}

const MTU = 1400;

/** The RTP packets of one frame (marker on the last), RFC 6184. */
function packetise(frame: Buffer[], seq: () => number, ts: number, ssrc: number): Buffer[] {
  const out: Buffer[] = [];
  const header = (marker: boolean) => {
    const h = Buffer.alloc(12);
    h[0] = 0x80;
    h[1] = (marker ? 0x80 : 0) | 96;
    h.writeUInt16BE(seq() & 0xffff, 2);
    h.writeUInt32BE(ts >>> 0, 4);
    h.writeUInt32BE(ssrc, 8);
    return h;
  };
  frame.forEach((nal, n) => {
    const last = n === frame.length - 1;
    if (nal.length <= MTU) {
      out.push(Buffer.concat([header(last), nal]));
      return;
    }
    const indicator = (nal[0]! & 0xe0) | 28;
    const type = nal[0]! & 0x1f;
    for (let off = 1; off < nal.length; off += MTU) {
      const end = Math.min(off + MTU, nal.length);
      const fuHeader = (off === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
      out.push(Buffer.concat([header(last && end === nal.length), Buffer.from([indicator, fuHeader]), nal.subarray(off, end)]));
    }
  });
  return out;
}

export interface ClipServer {
  port: number;
  url(mount: number): string;
  /** mounts whose stream is gone: DESCRIBE answers 404, playing sessions end */
  down: Set<number>;
  /** sessions playing now */
  playing(): number;
  close(): Promise<void>;
}

/** Serves `clip` on /cam0 … /cam{mounts-1} of one port on 127.0.0.1. */
export async function startClipServer(clip: ReturnType<typeof encodeClip>, mounts: number): Promise<ClipServer> {
  const down = new Set<number>();
  const sockets = new Set<net.Socket>();
  let playing = 0;
  const b64 = (b: Buffer) => b.toString('base64');
  const profile = clip.sps.subarray(1, 4).toString('hex');
  const server = net.createServer((sock) => {
    sockets.add(sock);
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      if (timer) {
        clearInterval(timer);
        timer = undefined;
        playing -= 1;
      }
    };
    sock.on('close', () => {
      stop();
      sockets.delete(sock);
    });
    sock.on('error', () => undefined);
    onRtspRequests(sock, (req, reply) => {
      const mount = Number(/\/cam(\d+)/.exec(req.uri)?.[1] ?? NaN);
      const known = Number.isInteger(mount) && mount >= 0 && mount < mounts && !down.has(mount);
      if (req.method === 'OPTIONS') reply('200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN']);
      else if (!known) reply('404 Not Found');
      else if (req.method === 'DESCRIBE') {
        const sdp = `v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=clip\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1;profile-level-id=${profile};sprop-parameter-sets=${b64(clip.sps)},${b64(clip.pps)}\r\na=framerate:${clip.fps}\r\na=control:track0\r\n`;
        reply('200 OK', ['Content-Type: application/sdp', `Content-Base: ${req.uri.replace(/\/?$/, '/')}`], sdp);
      } else if (req.method === 'SETUP') {
        if (!/RTP\/AVP\/TCP/i.test(req.headers.get('transport') ?? '')) reply('461 Unsupported Transport');
        else reply('200 OK', ['Transport: RTP/AVP/TCP;unicast;interleaved=0-1', `Session: ${mount}-${Date.now()};timeout=60`]);
      } else if (req.method === 'PLAY') {
        reply('200 OK', [`Session: ${req.headers.get('session') ?? ''}`, 'Range: npt=0.000-']);
        if (timer) return;
        playing += 1;
        // every session starts at a keyframe of its own phase, as cameras do not share a clock
        let n = 0;
        let seq = Math.floor(Math.random() * 65536);
        const ssrc = Math.floor(Math.random() * 2 ** 32);
        const step = 90_000 / clip.fps;
        timer = setInterval(() => {
          if (down.has(mount)) return void sock.destroy();
          const frame = clip.frames[n % clip.frames.length]!;
          for (const p of packetise(frame, () => seq++, Math.round(n * step), ssrc)) {
            const head = Buffer.from([0x24, 0, (p.length >> 8) & 0xff, p.length & 0xff]);
            sock.write(Buffer.concat([head, p]));
          }
          n += 1;
        }, 1000 / clip.fps);
      } else if (req.method === 'TEARDOWN') {
        stop();
        reply('200 OK');
      } else reply('405 Method Not Allowed');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: (m) => `rtsp://127.0.0.1:${port}/cam${m}`,
    down,
    playing: () => playing,
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => server.close(r));
    },
  };
}
