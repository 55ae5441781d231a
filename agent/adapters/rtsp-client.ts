import net from 'node:net';
import { authorizationHeader, parseChallenge, type AuthChallenge } from '../lib/digest-auth.js';
import { retryWhenBusy } from './busy-retry.js';
import { isBusyStatus, parseRtspResponse, sdpVideoTrack, type RtspResponse } from './rtsp-session.js';

export type RtspFailure = 'unreachable' | 'timeout' | 'auth_failed' | 'rtsp_error' | 'busy';

export type DescribeResult =
  | { ok: true; status: number; /** connect + exchange(s) */ rttMs: number; connectMs: number; sdp: string; challenge: AuthChallenge | undefined; /** credentials were sent and accepted */ authenticated: boolean }
  | { ok: false; reason: RtspFailure; detail: string; status?: number; connectMs?: number; challenge?: AuthChallenge | undefined; /** a Basic challenge was left unanswered by policy */ basicRefused?: boolean };

export interface DescribeOptions {
  host: string;
  port: number;
  /** request URL, without credentials */
  url: string;
  credentials?: { username: string; password: string } | undefined;
  deadlineMs: number;
  /** a challenge remembered from an earlier exchange: answered up front to save a round trip */
  challenge?: AuthChallenge | undefined;
  /**
   * answer a Basic challenge (the password goes in clear to whoever asks):
   * only for a camera whose config allows it; Digest is always answered
   */
  allowBasic?: boolean | undefined;
  /** send OPTIONS instead of DESCRIBE (the bare round trip) */
  method?: 'DESCRIBE' | 'OPTIONS';
  userAgent?: string;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * One RTSP liveness exchange over our own socket: connect, DESCRIBE (answering
 * a Digest or Basic challenge once), close. No decoder, no child process. A
 * server that says it is busy (503, 453) is asked once more on a new
 * connection after a short jittered pause (busy-retry.ts); busy twice is
 * reason `busy`. Never throws; every outcome, including a deadline, is a result.
 */
export function rtspDescribe(opts: DescribeOptions): Promise<DescribeResult> {
  return retryWhenBusy((deadlineMs) => describeOnce({ ...opts, deadlineMs }), opts.deadlineMs);
}

function describeOnce(opts: DescribeOptions): Promise<DescribeResult> {
  const method = opts.method ?? 'DESCRIBE';
  return new Promise((resolve) => {
    const started = performance.now();
    let connectMs: number | undefined;
    let cseq = 0;
    let buf: Buffer = Buffer.alloc(0);
    let triedAuth = false;
    // a remembered challenge is answered up front only when answering it is allowed at all
    let challenge = opts.challenge && (opts.challenge.scheme === 'digest' || opts.allowBasic) ? opts.challenge : undefined;
    let settled = false;
    let sentAuth = false;

    const socket = net.connect({ host: opts.host, port: opts.port });
    socket.setNoDelay(true);
    const timer = setTimeout(
      () => finish({ ok: false, reason: 'timeout', detail: `no RTSP answer within ${opts.deadlineMs} ms${connectMs === undefined ? ' (TCP connect pending)' : ''}`, connectMs }),
      opts.deadlineMs,
    );

    function finish(r: DescribeResult) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    }

    function send() {
      cseq += 1;
      const lines = [`${method} ${opts.url} RTSP/1.0`, `CSeq: ${cseq}`, `User-Agent: ${opts.userAgent ?? 'xueliang'}`];
      if (method === 'DESCRIBE') lines.push('Accept: application/sdp');
      if (challenge && opts.credentials) {
        sentAuth = true;
        lines.push(`Authorization: ${authorizationHeader(challenge, opts.credentials, method, opts.url)}`);
      }
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    }

    socket.once('connect', () => {
      connectMs = performance.now() - started;
      send();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // a reset proves a listener answered, even when it came before node saw the connect
      if (connectMs === undefined && err.code !== 'ECONNRESET' && err.code !== 'EPIPE') {
        finish({ ok: false, reason: 'unreachable', detail: `TCP connect to ${opts.host}:${opts.port} failed: ${err.code ?? err.message}` });
      } else {
        finish({ ok: false, reason: 'rtsp_error', detail: `connection error: ${err.code ?? err.message}`, connectMs });
      }
    });
    socket.on('close', () => finish({ ok: false, reason: 'rtsp_error', detail: 'server closed the connection before a complete answer', connectMs }));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > MAX_RESPONSE_BYTES) {
        finish({ ok: false, reason: 'rtsp_error', detail: `answer larger than ${MAX_RESPONSE_BYTES} bytes`, connectMs });
        return;
      }
      let parsed: { response: RtspResponse; rest: Buffer } | 'incomplete';
      try {
        parsed = parseRtspResponse(buf);
      } catch (err) {
        finish({ ok: false, reason: 'rtsp_error', detail: (err as Error).message, connectMs });
        return;
      }
      if (parsed === 'incomplete') return;
      buf = parsed.rest;
      const res = parsed.response;
      if (res.status === 401) {
        const fresh = parseChallenge(res.headers.get('www-authenticate'));
        if (!opts.credentials) {
          finish({ ok: false, reason: 'auth_failed', status: 401, detail: 'the server asks for credentials and none are configured', connectMs });
        } else if (!fresh) {
          finish({ ok: false, reason: 'auth_failed', status: 401, detail: 'the server sent 401 without a usable challenge', connectMs });
        } else if (fresh.scheme === 'basic' && !opts.allowBasic) {
          finish({ ok: false, reason: 'auth_failed', status: 401, detail: 'the server asks for Basic authentication, which sends the password in clear to whoever asks: not answered (set allowBasicAuth on this camera, with its credential, to allow it)', connectMs, basicRefused: true });
        } else if (triedAuth) {
          finish({ ok: false, reason: 'auth_failed', status: 401, detail: 'credentials rejected (401 Unauthorized)', connectMs, challenge: undefined });
        } else {
          triedAuth = true;
          challenge = fresh;
          send();
        }
        return;
      }
      if (res.status >= 200 && res.status < 300) {
        finish({ ok: true, status: res.status, rttMs: performance.now() - started, connectMs: connectMs ?? 0, sdp: res.body, challenge, authenticated: sentAuth });
        return;
      }
      finish({ ok: false, reason: isBusyStatus(res.status) ? 'busy' : 'rtsp_error', status: res.status, detail: `${method} answered ${res.status} ${res.reason}`.trim(), connectMs });
    });
  });
}

/** The video codec an SDP names for its first video track (sdpVideoTrack), e.g. "H264"; null when unnamed. */
export function sdpVideoCodec(sdp: string): string | null {
  return sdpVideoTrack(sdp, '')?.codec || null;
}
