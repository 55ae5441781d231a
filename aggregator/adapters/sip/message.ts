/**
 * SIP messages (RFC 3261 §7) for the subset GB/T 28181 uses: parsed from and
 * written to bytes, bodies kept as bytes (GB2312 is decoded by whoever reads
 * the body, not here). Parsing is bounded: a message, a header count and a
 * line have limits, and whatever breaks them is an error, never a throw.
 */

/** the largest message read or written, a little under 64 KiB (GB/T 28181 bodies are a few KB; a NOTIFY body is at most 60,000 bytes) */
export const MAX_SIP_BYTES = 64_000;
const MAX_HEADERS = 80;
const MAX_LINE = 4096;

/** RFC 3261 §7.3.3 compact forms → the full names we use */
const COMPACT: Record<string, string> = { i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type', f: 'from', s: 'subject', k: 'supported', t: 'to', v: 'via', o: 'event' };

/** Headers in their order, looked up by name whatever its case or compact form. */
export class SipHeaders {
  private readonly list: Array<[name: string, value: string]> = [];

  static key(name: string): string {
    const lower = name.toLowerCase();
    return COMPACT[lower] ?? lower;
  }

  get(name: string): string | undefined {
    const k = SipHeaders.key(name);
    return this.list.find(([n]) => SipHeaders.key(n) === k)?.[1];
  }

  getAll(name: string): string[] {
    const k = SipHeaders.key(name);
    return this.list.filter(([n]) => SipHeaders.key(n) === k).map(([, v]) => v);
  }

  add(name: string, value: string): this {
    this.list.push([name, value]);
    return this;
  }

  set(name: string, value: string): this {
    const k = SipHeaders.key(name);
    const i = this.list.findIndex(([n]) => SipHeaders.key(n) === k);
    if (i < 0) this.list.push([name, value]);
    else {
      this.list[i] = [name, value];
      for (let j = this.list.length - 1; j > i; j--) if (SipHeaders.key(this.list[j]![0]) === k) this.list.splice(j, 1);
    }
    return this;
  }

  delete(name: string): this {
    const k = SipHeaders.key(name);
    for (let j = this.list.length - 1; j >= 0; j--) if (SipHeaders.key(this.list[j]![0]) === k) this.list.splice(j, 1);
    return this;
  }

  entries(): ReadonlyArray<readonly [string, string]> {
    return this.list;
  }
}

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export class SipParseError extends Error {
  readonly code = 'SIP_MALFORMED';
}

const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;

/** Where the head of a message ends (after its blank line), or -1 when it has not arrived yet. */
export function headEnd(buf: Buffer): number {
  const i = buf.indexOf('\r\n\r\n');
  return i < 0 ? -1 : i + 4;
}

/** Parses the head (start line and headers) of a message. */
function parseHead(head: string): { start: SipRequest | SipResponse } {
  const lines = head.split('\r\n');
  if (lines.length > MAX_HEADERS + 1) throw new SipParseError(`more than ${MAX_HEADERS} header lines`);
  const first = lines[0] ?? '';
  if (first.length > MAX_LINE) throw new SipParseError('start line too long');
  const headers = new SipHeaders();
  let last: [string, string] | undefined;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (line.length > MAX_LINE) throw new SipParseError('header line too long');
    if (/^[ \t]/.test(line)) {
      // a folded header line continues the one before (RFC 3261 §7.3.1)
      if (!last) throw new SipParseError('continuation line without a header');
      last[1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError(`not a header line: ${line.slice(0, 40)}`);
    const name = line.slice(0, colon).trim();
    if (!TOKEN.test(name)) throw new SipParseError(`bad header name: ${name.slice(0, 40)}`);
    headers.add(name, line.slice(colon + 1).trim());
    last = headers.entries().at(-1) as [string, string];
  }
  const res = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(first);
  if (res) return { start: { kind: 'response', status: Number(res[1]), reason: res[2] ?? '', headers, body: Buffer.alloc(0) } };
  const req = /^([A-Za-z]+) (\S+) SIP\/2\.0$/.exec(first);
  if (req) return { start: { kind: 'request', method: req[1]!.toUpperCase(), uri: req[2]!, headers, body: Buffer.alloc(0) } };
  throw new SipParseError(`not a SIP start line: ${first.slice(0, 60)}`);
}

/** The Content-Length a head declares, or undefined without one. */
export function contentLength(headers: SipHeaders): number | undefined {
  const v = headers.get('content-length');
  if (v === undefined) return undefined;
  if (!/^\d{1,6}$/.test(v.trim())) throw new SipParseError(`bad Content-Length: ${v.slice(0, 20)}`);
  return Number(v.trim());
}

/** Parses one whole message (a UDP datagram): the body is the rest, cut at Content-Length when it is given. */
export function parseSipMessage(buf: Buffer): SipMessage {
  if (buf.length > MAX_SIP_BYTES) throw new SipParseError(`message of ${buf.length} bytes (at most ${MAX_SIP_BYTES})`);
  const end = headEnd(buf);
  const headText = (end < 0 ? buf : buf.subarray(0, end - 4)).toString('utf8');
  const { start } = parseHead(headText);
  const rest = end < 0 ? Buffer.alloc(0) : buf.subarray(end);
  const len = contentLength(start.headers);
  if (len !== undefined && len > rest.length) throw new SipParseError(`Content-Length ${len} but ${rest.length} bytes follow`);
  start.body = Buffer.from(len === undefined ? rest : rest.subarray(0, len));
  checkMandatory(start);
  return start;
}

/** Parses a head already split from its body (the TCP framer). */
export function parseSipHead(head: Buffer): SipMessage {
  return parseHead(head.subarray(0, head.length - 4).toString('utf8')).start;
}

/** RFC 3261 §8.1.1: every message carries these; without them it cannot be answered or matched. */
export function checkMandatory(m: SipMessage): void {
  for (const h of ['via', 'from', 'to', 'call-id', 'cseq']) if (m.headers.get(h) === undefined) throw new SipParseError(`no ${h} header`);
  if (!cseqOf(m)) throw new SipParseError('bad CSeq');
}

/** Writes a message; Content-Length always, from the body. */
export function serializeSip(m: SipMessage): Buffer {
  const start = m.kind === 'request' ? `${m.method} ${m.uri} SIP/2.0` : `SIP/2.0 ${m.status} ${m.reason}`;
  const lines = [start];
  for (const [n, v] of m.headers.entries()) if (SipHeaders.key(n) !== 'content-length') lines.push(`${n}: ${v}`);
  lines.push(`Content-Length: ${m.body.length}`, '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'utf8'), m.body]);
}

/** `1 REGISTER` → {seq: 1, method: 'REGISTER'} */
export function cseqOf(m: SipMessage): { seq: number; method: string } | undefined {
  const r = /^(\d{1,10})\s+([A-Za-z]+)$/.exec(m.headers.get('cseq') ?? '');
  return r ? { seq: Number(r[1]), method: r[2]!.toUpperCase() } : undefined;
}

/** The parameters of a header value after its first `;` (`<sip:a@b>;tag=x` → {tag: 'x'}), names lower-cased. */
export function headerParams(value: string): Map<string, string> {
  const out = new Map<string, string>();
  // parameters follow the URI, which may itself carry some inside <…>
  const gt = value.lastIndexOf('>');
  const tail = gt >= 0 ? value.slice(gt + 1) : value.slice(value.indexOf(';') < 0 ? value.length : value.indexOf(';'));
  for (const part of tail.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) out.set(p.toLowerCase(), '');
    else out.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

/** The user part of the URI in a From, To or Contact value (`<sip:34020000002000000001@3402000000>;tag=1` → the 20 digits). */
export function uriUser(value: string): string | undefined {
  return /sips?:([^@;>\s]+)@/i.exec(value)?.[1];
}

/** The tag of a From or To value. */
export function tagOf(value: string | undefined): string | undefined {
  return value === undefined ? undefined : headerParams(value).get('tag');
}

/** The branch of the top Via. */
export function branchOf(m: SipMessage): string | undefined {
  const via = m.headers.get('via');
  return via === undefined ? undefined : headerParams(via.split(',')[0]!).get('branch');
}

/** A response to a request: Via, From, To (with our tag when given), Call-ID and CSeq copied (RFC 3261 §8.2.6.2). */
export function responseTo(req: SipRequest, status: number, reason: string, opts: { toTag?: string; body?: Buffer; headers?: Array<[string, string]> } = {}): SipResponse {
  const h = new SipHeaders();
  for (const v of req.headers.getAll('via')) h.add('Via', v);
  h.add('From', req.headers.get('from')!);
  const to = req.headers.get('to')!;
  h.add('To', opts.toTag !== undefined && tagOf(to) === undefined ? `${to};tag=${opts.toTag}` : to);
  h.add('Call-ID', req.headers.get('call-id')!);
  h.add('CSeq', req.headers.get('cseq')!);
  for (const [n, v] of opts.headers ?? []) h.add(n, v);
  return { kind: 'response', status, reason, headers: h, body: opts.body ?? Buffer.alloc(0) };
}
