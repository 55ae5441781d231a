/**
 * Many cameras' streams without many encoders: one RTSP server on loopback
 * serves pre-encoded H.264 or H.265 clips, looped, on any number of mounts
 * (/cam0 … /camN, mount i plays clip i mod the number of clips), over RTP
 * interleaved on the RTSP connection (RFC 2326 §10.12; RFC 6184 single NAL
 * units and FU-A, RFC 7798 single NAL units and FUs). A session starts
 * anywhere in the clip, as a camera's stream does: a client waits for its
 * first keyframe. What it costs is packetising, not encoding, so a benchmark
 * measures the gateway, not the cameras.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { onRtspRequests } from './rtsp-request.js';

export interface ClipOptions {
  codec?: 'h264' | 'h265';
  width: number;
  height: number;
  fps: number;
  /** keyframe interval in seconds */
  gopSeconds: number;
  seconds: number;
}

export interface Clip {
  codec: 'h264' | 'h265';
  /** access units, each a list of NAL units without start codes */
  frames: Buffer[][];
  /** parameter sets for the SDP: SPS and PPS, and the VPS of H.265 */
  sps: Buffer;
  pps: Buffer;
  vps: Buffer | undefined;
  fps: number;
  width: number;
  height: number;
}

const nalType = (codec: Clip['codec'], nal: Buffer) => (codec === 'h264' ? nal[0]! & 0x1f : (nal[0]! >> 1) & 0x3f);
// access unit delimiter, VPS, SPS, PPS
const NAL = { h264: { aud: 9, vps: -1, sps: 7, pps: 8 }, h265: { aud: 35, vps: 32, sps: 33, pps: 34 } } as const;

/** A clip encoded once with Debian's ffmpeg (testsrc2, x264 or x265, Annex B, no B-frames), cut into access units. */
export function encodeClip(o: ClipOptions): Clip {
  const codec = o.codec ?? 'h264';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-clip-'));
  const file = path.join(dir, `clip.${codec}`);
  const gop = String(Math.round(o.fps * o.gopSeconds));
  const enc =
    codec === 'h264'
      ? ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-bf', '0', '-g', gop, '-x264-params', 'aud=1:repeat-headers=1', '-f', 'h264']
      : ['-c:v', 'libx265', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', gop, '-x265-params', `aud=1:repeat-headers=1:bframes=0:keyint=${gop}:min-keyint=${gop}:scenecut=0:log-level=error`, '-f', 'hevc'];
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`, '-t', String(o.seconds), ...enc, '-pix_fmt', 'yuv420p', file]);
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
  let vps: Buffer | undefined;
  const t = NAL[codec];
  for (const nal of nals) {
    const type = nalType(codec, nal);
    if (type === t.aud) {
      frames.push([]); // an access unit delimiter starts a frame
      continue;
    }
    if (type === t.sps) sps ??= nal;
    if (type === t.pps) pps ??= nal;
    if (type === t.vps) vps ??= nal;
    (frames.at(-1) ?? (frames.push([]), frames.at(-1)!)).push(nal);
  }
  if (!sps || !pps || (codec === 'h265' && !vps)) throw new Error('the clip has no parameter sets');
  return { codec, frames: frames.filter((f) => f.length > 0), sps, pps, vps, fps: o.fps, width: o.width, height: o.height };
}

function trimZeros(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return b.subarray(0, end);
}

const MTU = 1400;

/** The RTP packets of one frame (marker on the last), RFC 6184 (H.264) or RFC 7798 (H.265). */
export function packetise(codec: Clip['codec'], frame: Buffer[], seq: () => number, ts: number, ssrc: number): Buffer[] {
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
    // a fragmentation unit: H.264 FU-A (type 28, one-byte NAL header), H.265 FU (type 49, two-byte header)
    const headerLen = codec === 'h264' ? 1 : 2;
    const type = nalType(codec, nal);
    const fuIndicator = codec === 'h264' ? Buffer.from([(nal[0]! & 0xe0) | 28]) : Buffer.from([(nal[0]! & 0x81) | (49 << 1), nal[1]!]);
    const typeBits = codec === 'h264' ? 0x1f : 0x3f;
    for (let off = headerLen; off < nal.length; off += MTU) {
      const end = Math.min(off + MTU, nal.length);
      const fuHeader = (off === headerLen ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | (type & typeBits);
      out.push(Buffer.concat([header(last && end === nal.length), fuIndicator, Buffer.from([fuHeader]), nal.subarray(off, end)]));
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

function sdpOf(clip: Clip): string {
  const b64 = (b: Buffer) => b.toString('base64');
  const fmtp =
    clip.codec === 'h264'
      ? `a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1;profile-level-id=${clip.sps.subarray(1, 4).toString('hex')};sprop-parameter-sets=${b64(clip.sps)},${b64(clip.pps)}`
      : `a=rtpmap:96 H265/90000\r\na=fmtp:96 sprop-vps=${b64(clip.vps!)};sprop-sps=${b64(clip.sps)};sprop-pps=${b64(clip.pps)}`;
  return `v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=clip\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\n${fmtp}\r\na=framerate:${clip.fps}\r\na=control:track0\r\n`;
}

/**
 * Serves the clips on /cam0 … /cam{mounts-1} of one port on 127.0.0.1: mount
 * i plays clip i mod the number of clips, from a random frame on
 * (`startAnywhere`, the default) or from its first keyframe.
 */
export async function startClipServer(clips: Clip | Clip[], mounts: number, opts: { startAnywhere?: boolean } = {}): Promise<ClipServer> {
  const list = Array.isArray(clips) ? clips : [clips];
  const sdps = list.map(sdpOf);
  const startAnywhere = opts.startAnywhere ?? true;
  const down = new Set<number>();
  const sockets = new Set<net.Socket>();
  let playing = 0;
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
        const sdp = sdps[mount % list.length]!;
        reply('200 OK', ['Content-Type: application/sdp', `Content-Base: ${req.uri.replace(/\/?$/, '/')}`], sdp);
      } else if (req.method === 'SETUP') {
        if (!/RTP\/AVP\/TCP/i.test(req.headers.get('transport') ?? '')) reply('461 Unsupported Transport');
        else reply('200 OK', ['Transport: RTP/AVP/TCP;unicast;interleaved=0-1', `Session: ${mount}-${Date.now()};timeout=60`]);
      } else if (req.method === 'PLAY') {
        reply('200 OK', [`Session: ${req.headers.get('session') ?? ''}`, 'Range: npt=0.000-']);
        if (timer) return;
        playing += 1;
        const clip = list[mount % list.length]!;
        // a session starts anywhere in the clip (cameras share no clock): the client waits for a keyframe
        let n = startAnywhere ? Math.floor(Math.random() * clip.frames.length) : 0;
        const first = n;
        let seq = Math.floor(Math.random() * 65536);
        const ssrc = Math.floor(Math.random() * 2 ** 32);
        const step = 90_000 / clip.fps;
        timer = setInterval(() => {
          if (down.has(mount)) return void sock.destroy();
          const frame = clip.frames[n % clip.frames.length]!;
          for (const p of packetise(clip.codec, frame, () => seq++, Math.round((n - first) * step), ssrc)) {
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
