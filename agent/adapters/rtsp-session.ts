import net from 'node:net';
import { authorizationHeader, parseChallenge, type AuthChallenge } from '../lib/digest-auth.js';

export interface RtspResponse {
  status: number;
  reason: string;
  headers: Map<string, string[]>;
  body: string;
}

export type SessionFailureReason = 'unreachable' | 'timeout' | 'auth_failed' | 'rtsp_error' | 'busy';

/**
 * Whether an RTSP status says the server is busy rather than the stream is
 * gone: 503 Service Unavailable and 453 Not Enough Bandwidth (a camera or NVR
 * at its session cap), and 454 Session Not Found in the middle of a session
 * (the server dropped ours to serve another). The request may work a moment later.
 */
export function isBusyStatus(status: number, inSession = false): boolean {
  return status === 503 || status === 453 || (inSession && status === 454);
}

/** Why an RTSP session ended early; `reason` in the ladder's terms. */
export class RtspSessionError extends Error {
  constructor(
    readonly reason: SessionFailureReason,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** RTSP messages and RTP data a server may send, at most, before its answer or between two frames. */
const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * One RTSP connection of ours (RFC 2326): requests answered in order,
 * Digest (or, when allowed, Basic) answered once per request on a 401, and
 * RTP/RTCP interleaved on the same connection (`$`, channel, length) handed
 * to `onData`. Requests a server sends us (some send GET_PARAMETER or
 * OPTIONS as keep-alives) are skipped. Everything is bounded: each answer by
 * `deadlineMs` of the session, each message by 64 KiB.
 */
export class RtspSession {
  private readonly socket: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  /** an interleaved frame that spans reads, filled as they come */
  private partial: { channel: number; data: Buffer; filled: number } | undefined;
  private cseq = 0;
  private nc = 0;
  private waiting: { resolve: (r: RtspResponse) => void; reject: (e: Error) => void } | undefined;
  private failed: RtspSessionError | undefined;
  /** closed by us: no error is made for it (an Error's stack costs more than a liveness exchange) */
  private ended = false;
  private connected = false;
  private readonly timer: NodeJS.Timeout;
  /** data on an interleaved channel: RTP or RTCP */
  onData: (channel: number, payload: Buffer) => void = () => undefined;
  /** the connection ended (closed, failed or past its deadline) */
  onEnd: (err: RtspSessionError) => void = () => undefined;

  private constructor(
    private readonly opts: {
      host: string;
      port: number;
      credentials: { username: string; password: string } | undefined;
      allowBasic: boolean;
      deadlineMs: number;
    },
    private challenge: AuthChallenge | undefined,
  ) {
    this.socket = net.connect({ host: opts.host, port: opts.port });
    this.socket.setNoDelay(true);
    this.timer = setTimeout(() => {
      const pending = this.connected ? '' : ' (TCP connect pending)';
      this.fail(new RtspSessionError('timeout', this.waiting ? `no RTSP answer within ${opts.deadlineMs} ms${pending}` : `the RTSP session took longer than ${opts.deadlineMs} ms${pending}`));
    }, opts.deadlineMs);
    this.socket.once('connect', () => {
      this.connected = true;
    });
    this.socket.on('error', (err: NodeJS.ErrnoException) => {
      const unreachable = !this.connected && err.code !== 'ECONNRESET' && err.code !== 'EPIPE';
      this.fail(new RtspSessionError(unreachable ? 'unreachable' : 'rtsp_error', unreachable ? `TCP connect to ${opts.host}:${opts.port} failed: ${err.code ?? err.message}` : `connection error: ${err.code ?? err.message}`));
    });
    this.socket.on('close', () => this.fail(new RtspSessionError('rtsp_error', this.waiting ? 'server closed the connection before a complete answer' : 'the server closed the connection')));
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
  }

  /** Opens a session to host:port; `challenge` is one remembered from an earlier exchange (saves a round trip). */
  static open(opts: { host: string; port: number; credentials?: { username: string; password: string } | undefined; allowBasic?: boolean | undefined; deadlineMs: number; challenge?: AuthChallenge | undefined }): RtspSession {
    const allowBasic = opts.allowBasic ?? false;
    // a remembered challenge is answered up front only when answering it is allowed at all
    const challenge = opts.challenge && (opts.challenge.scheme === 'digest' || allowBasic) ? opts.challenge : undefined;
    return new RtspSession({ host: opts.host, port: opts.port, credentials: opts.credentials, allowBasic, deadlineMs: opts.deadlineMs }, challenge);
  }

  /** One request; a 401 is answered once with the credentials. Rejects with RtspSessionError on a failure status. */
  async request(method: string, url: string, headers: string[] = []): Promise<RtspResponse> {
    let retried = false;
    for (;;) {
      const res = await this.exchange(method, url, headers);
      if (res.status === 401) {
        const fresh = parseChallenge(res.headers.get('www-authenticate'));
        if (!this.opts.credentials) throw new RtspSessionError('auth_failed', 'the server asks for credentials and none are configured', 401);
        if (!fresh) throw new RtspSessionError('auth_failed', 'the server sent 401 without a usable challenge', 401);
        if (fresh.scheme === 'basic' && !this.opts.allowBasic) {
          throw new RtspSessionError('auth_failed', 'the server asks for Basic authentication, which sends the password in clear to whoever asks: not answered (set allowBasicAuth on this camera, with its credential, to allow it)', 401);
        }
        if (retried) throw new RtspSessionError('auth_failed', 'credentials rejected (401 Unauthorized)', 401);
        retried = true;
        this.challenge = fresh;
        this.nc = 0;
        continue;
      }
      if (res.status < 200 || res.status >= 300) {
        const busy = isBusyStatus(res.status, method !== 'DESCRIBE' && method !== 'OPTIONS');
        throw new RtspSessionError(busy ? 'busy' : 'rtsp_error', `${method} answered ${res.status} ${res.reason}`.trim(), res.status);
      }
      return res;
    }
  }

  /** Ends the session: TEARDOWN sent without waiting, the socket closed. */
  close(url?: string, session?: string): void {
    clearTimeout(this.timer);
    const live = !this.failed && !this.ended;
    this.ended = true;
    if (live && url && session && this.connected) {
      this.socket.write(this.message('TEARDOWN', url, [`Session: ${session}`]));
      this.socket.end();
      // a server that keeps sending after TEARDOWN is cut off
      setTimeout(() => this.socket.destroy(), 1000).unref();
      return;
    }
    this.socket.destroy();
  }

  private message(method: string, url: string, headers: string[]): string {
    this.cseq += 1;
    const lines = [`${method} ${url} RTSP/1.0`, `CSeq: ${this.cseq}`, 'User-Agent: xueliang', ...headers];
    if (this.challenge && this.opts.credentials && (this.challenge.scheme === 'digest' || this.opts.allowBasic)) {
      this.nc += 1;
      lines.push(`Authorization: ${authorizationHeader(this.challenge, this.opts.credentials, method, url, this.nc)}`);
    }
    return `${lines.join('\r\n')}\r\n\r\n`;
  }

  private exchange(method: string, url: string, headers: string[]): Promise<RtspResponse> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.ended) return Promise.reject(new RtspSessionError('rtsp_error', 'the session is closed'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      const text = this.message(method, url, headers);
      if (this.connected) this.socket.write(text);
      else this.socket.once('connect', () => this.socket.write(text));
    });
  }

  private fail(err: RtspSessionError): void {
    if (this.failed || this.ended) return;
    this.failed = err;
    clearTimeout(this.timer);
    this.socket.destroy();
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(err);
    this.onEnd(err);
  }

  private read(chunk: Buffer): void {
    if (this.failed || this.ended) return;
    let rest = chunk;
    const p = this.partial;
    if (p) {
      // the rest of a frame that spans reads is copied once into its own buffer, not the reads joined
      const n = Math.min(p.data.length - p.filled, rest.length);
      rest.copy(p.data, p.filled, 0, n);
      p.filled += n;
      rest = rest.subarray(n);
      if (p.filled < p.data.length) return;
      this.partial = undefined;
      this.onData(p.channel, p.data);
      if (this.failed || this.ended) return;
    }
    this.buf = this.buf.length === 0 ? rest : Buffer.concat([this.buf, rest]);
    // bounded: each round consumes a message or waits for more
    for (let guard = 0; guard < 100_000 && this.buf.length > 0 && !this.failed && !this.ended; guard++) {
      const b = this.buf;
      if (b[0] === 0x24) {
        if (b.length < 4) return;
        const len = b.readUInt16BE(2);
        if (b.length < 4 + len) {
          const data = Buffer.allocUnsafe(len);
          b.copy(data, 0, 4);
          this.partial = { channel: b[1]!, data, filled: b.length - 4 };
          this.buf = Buffer.alloc(0);
          return;
        }
        this.buf = b.subarray(4 + len);
        this.onData(b[1]!, b.subarray(4, 4 + len));
        continue;
      }
      if (b.length >= 5 && b.subarray(0, 5).toString('latin1') === 'RTSP/') {
        let parsed: ReturnType<typeof parseRtspResponse>;
        try {
          parsed = parseRtspResponse(b);
        } catch (err) {
          return this.fail(new RtspSessionError('rtsp_error', (err as Error).message));
        }
        if (parsed === 'incomplete') return this.tooLong(b);
        this.buf = parsed.rest;
        const w = this.waiting;
        this.waiting = undefined;
        w?.resolve(parsed.response);
        continue;
      }
      // a request from the server (a keep-alive): skipped, head and body; anything else is not RTSP
      const head = b.subarray(0, Math.min(b.length, 256)).toString('latin1');
      const lineEnd = head.indexOf('\r\n');
      const notRtsp = () => this.fail(new RtspSessionError('rtsp_error', `not an RTSP answer nor interleaved RTP (starts with ${JSON.stringify(head.slice(0, 16))})`));
      if (lineEnd < 0) return head.length >= 256 || !/^[A-Z_]+$/.test(head.split(' ')[0] ?? '') ? notRtsp() : undefined;
      if (!/^[A-Z_]+ \S+ RTSP\/1\.\d$/.test(head.slice(0, lineEnd))) return notRtsp();
      const end = b.indexOf('\r\n\r\n');
      if (end < 0) return this.tooLong(b);
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(b.subarray(0, end).toString('latin1'))?.[1] ?? 0);
      if (b.length < end + 4 + length) return this.tooLong(b);
      this.buf = b.subarray(end + 4 + length);
    }
  }

  private tooLong(b: Buffer): void {
    if (b.length > MAX_MESSAGE_BYTES) this.fail(new RtspSessionError('rtsp_error', `answer larger than ${MAX_MESSAGE_BYTES} bytes`));
  }
}

/** The video track an SDP offers: codec as named in its rtpmap, payload type, fmtp parameters and control URL (resolved). */
export interface SdpVideoTrack {
  codec: string;
  payloadType: number;
  fmtp: string;
  /** where SETUP goes */
  control: string;
  /** where PLAY and TEARDOWN go (the session's aggregate control) */
  aggregate: string;
}

/**
 * The first video track of an SDP, its control resolved against `base`
 * (Content-Base, else the request URL) as ffmpeg and live555 do: an absolute
 * URL as it is, a relative one appended after a slash. Pure.
 */
export function sdpVideoTrack(sdp: string, base: string): SdpVideoTrack | undefined {
  const lines = sdp.split(/\r?\n/);
  const firstMedia = lines.findIndex((l) => l.startsWith('m='));
  const sessionControl = (firstMedia < 0 ? lines : lines.slice(0, firstMedia)).find((l) => l.startsWith('a=control:'))?.slice(10).trim();
  const start = lines.findIndex((l) => l.startsWith('m=video'));
  if (start < 0) return undefined;
  const payloadType = Number(lines[start]!.split(/\s+/)[3]);
  let codec = '';
  let fmtp = '';
  let control: string | undefined;
  for (const l of lines.slice(start + 1)) {
    if (l.startsWith('m=')) break;
    const rtpmap = /^a=rtpmap:(\d+) ([^/]+)\//.exec(l);
    if (rtpmap && Number(rtpmap[1]) === payloadType) codec = rtpmap[2]!.toUpperCase();
    const f = /^a=fmtp:(\d+) (.*)$/.exec(l);
    if (f && Number(f[1]) === payloadType) fmtp = f[2]!.trim();
    if (l.startsWith('a=control:')) control = l.slice(10).trim();
  }
  if (!Number.isInteger(payloadType)) return undefined;
  return { codec, payloadType, fmtp, control: resolveControl(base, control), aggregate: resolveControl(base, sessionControl) };
}

function resolveControl(base: string, control: string | undefined): string {
  if (!control || control === '*') return base;
  if (/^rtsps?:\/\//i.test(control)) return control;
  return `${base.replace(/\/?$/, '/')}${control.replace(/^\//, '')}`;
}

/** Parses one RTSP response from the front of `buf`. Throws on anything that is not RTSP. */
export function parseRtspResponse(buf: Buffer): { response: RtspResponse; rest: Buffer } | 'incomplete' {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) {
    if (buf.length >= 9 && !buf.subarray(0, 9).toString('latin1').startsWith('RTSP/1.')) {
      throw new Error(`not an RTSP answer (starts with ${JSON.stringify(buf.subarray(0, 16).toString('latin1'))})`);
    }
    return 'incomplete';
  }
  const head = buf.subarray(0, end).toString('latin1').split('\r\n');
  const statusLine = head[0] ?? '';
  const m = /^RTSP\/1\.\d (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m) throw new Error(`not an RTSP status line: ${JSON.stringify(statusLine.slice(0, 60))}`);
  const headers = new Map<string, string[]>();
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    const list = headers.get(k) ?? [];
    list.push(line.slice(i + 1).trim());
    headers.set(k, list);
  }
  const length = Number(headers.get('content-length')?.[0] ?? 0);
  if (!Number.isFinite(length) || length < 0) throw new Error('invalid Content-Length');
  const bodyStart = end + 4;
  if (buf.length < bodyStart + length) return 'incomplete';
  return {
    response: { status: Number(m[1]), reason: m[2] ?? '', headers, body: buf.subarray(bodyStart, bodyStart + length).toString('utf8') },
    rest: buf.subarray(bodyStart + length),
  };
}
