import type { Socket } from 'node:net';

/** Parses one RTSP request from the front of `buf` (latin1 text); undefined until complete. */
export function parseRtspRequest(buf: string): { method: string; uri: string; headers: Map<string, string>; length: number } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = buf.slice(0, end).split('\r\n');
  const [method = '', uri = ''] = (lines[0] ?? '').split(' ');
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  const bodyLength = Number(headers.get('content-length') ?? 0) || 0;
  if (buf.length < end + 4 + bodyLength) return undefined;
  return { method, uri, headers, length: end + 4 + bodyLength };
}

export type RtspRequest = NonNullable<ReturnType<typeof parseRtspRequest>>;
export type RtspReply = (status: string, headers?: string[], body?: string) => void;

/** Reads RTSP requests off `sock` (at most 16 KiB unanswered) and hands each to `handle` with a reply that carries its CSeq. */
export function onRtspRequests(sock: Socket, handle: (req: RtspRequest, reply: RtspReply) => void): void {
  let buf = '';
  sock.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    if (buf.length > 16_384) return void sock.destroy();
    for (;;) {
      const req = parseRtspRequest(buf);
      if (!req) break;
      buf = buf.slice(req.length);
      const cseq = req.headers.get('cseq') ?? '0';
      handle(req, (status, headers = [], body = '') =>
        sock.write(`RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\n${headers.map((h) => `${h}\r\n`).join('')}${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`),
      );
    }
  });
}
