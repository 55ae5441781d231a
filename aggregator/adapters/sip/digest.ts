import { createHash, randomBytes } from 'node:crypto';

/**
 * HTTP Digest as SIP uses it (RFC 2617, RFC 3261 §22.4): MD5, with qop=auth
 * when the server offers it. GB/T 28181 platforms (WVP among them) challenge
 * a REGISTER with `WWW-Authenticate: Digest realm=…, nonce=…, qop="auth",
 * algorithm=MD5`; the username is the registering platform's 20-digit id.
 */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  qop: string | undefined;
  opaque: string | undefined;
  algorithm: string;
  stale: boolean;
}

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** `Digest a="b", c=d` → {a: 'b', c: 'd'} (names lower-cased); quoted values may hold commas. */
export function digestParams(value: string): Map<string, string> {
  const out = new Map<string, string>();
  const body = value.replace(/^\s*Digest\s+/i, '');
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  let m: RegExpExecArray | null;
  let guard = 0;
  while ((m = re.exec(body)) && guard++ < 32) out.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? ''));
  return out;
}

/** Reads a WWW-Authenticate (or Proxy-Authenticate) value; undefined when it is no usable Digest challenge. */
export function parseChallenge(value: string): DigestChallenge | undefined {
  if (!/^\s*Digest\s/i.test(value)) return undefined;
  const p = digestParams(value);
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  if (realm === undefined || nonce === undefined) return undefined;
  const algorithm = p.get('algorithm') ?? 'MD5';
  if (algorithm.toUpperCase() !== 'MD5') return undefined;
  // the server may offer several: auth is what GB/T 28181 uses (auth-int is not)
  const offered = p.get('qop')?.split(',').map((q) => q.trim().toLowerCase());
  return { realm, nonce, qop: offered?.includes('auth') ? 'auth' : undefined, opaque: p.get('opaque'), algorithm, stale: (p.get('stale') ?? '').toLowerCase() === 'true' };
}

/** The response hash (RFC 2617 §3.2.2.1). */
export function digestResponse(a: { username: string; realm: string; password: string; method: string; uri: string; nonce: string; qop?: string | undefined; nc?: string; cnonce?: string }): string {
  const ha1 = md5(`${a.username}:${a.realm}:${a.password}`);
  const ha2 = md5(`${a.method}:${a.uri}`);
  return a.qop ? md5(`${ha1}:${a.nonce}:${a.nc}:${a.cnonce}:${a.qop}:${ha2}`) : md5(`${ha1}:${a.nonce}:${ha2}`);
}

/** The Authorization header value answering `challenge` (nc counts the uses of one nonce). */
export function authorization(c: DigestChallenge, a: { username: string; password: string; method: string; uri: string; nc: number }): string {
  const nc = a.nc.toString(16).padStart(8, '0');
  const cnonce = randomBytes(8).toString('hex');
  const response = digestResponse({ ...a, realm: c.realm, nonce: c.nonce, qop: c.qop, nc, cnonce });
  const parts = [`username="${a.username}"`, `realm="${c.realm}"`, `nonce="${c.nonce}"`, `uri="${a.uri}"`, `response="${response}"`, `algorithm=MD5`];
  if (c.qop) parts.push(`qop=${c.qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  if (c.opaque !== undefined) parts.push(`opaque="${c.opaque}"`);
  return `Digest ${parts.join(', ')}`;
}

/** A server's check of an Authorization value (the upper-platform simulator's side). */
export function verifyAuthorization(value: string, expect: { realm: string; nonce: string; method: string; password: string }): { ok: boolean; username: string | undefined } {
  const p = digestParams(value);
  const username = p.get('username');
  if (!username || p.get('realm') !== expect.realm || p.get('nonce') !== expect.nonce) return { ok: false, username };
  const want = digestResponse({ username, realm: expect.realm, password: expect.password, method: expect.method, uri: p.get('uri') ?? '', nonce: expect.nonce, qop: p.get('qop'), nc: p.get('nc') ?? '', cnonce: p.get('cnonce') ?? '' });
  return { ok: want === p.get('response'), username };
}
