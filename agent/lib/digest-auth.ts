import { createHash, randomBytes } from 'node:crypto';

/** A parsed `WWW-Authenticate` challenge (RFC 7616 / RFC 2617, and Basic). */
export interface AuthChallenge {
  scheme: 'digest' | 'basic';
  realm: string;
  nonce: string;
  opaque: string | undefined;
  algorithm: string;
  qop: string | undefined;
}

/**
 * Parses the first usable challenge out of one or more WWW-Authenticate values.
 * Digest is preferred to Basic. Quoted values may contain `=` and `,`.
 */
export function parseChallenge(headers: string | string[] | undefined): AuthChallenge | undefined {
  const values = headers === undefined ? [] : Array.isArray(headers) ? headers : [headers];
  let basic: AuthChallenge | undefined;
  for (const value of values) {
    const m = /^\s*(\w+)\s*(.*)$/s.exec(value);
    if (!m) continue;
    const scheme = m[1]!.toLowerCase();
    const params = parseParams(m[2] ?? '');
    if (scheme === 'digest' && params.get('nonce')) {
      return {
        scheme: 'digest',
        realm: params.get('realm') ?? '',
        nonce: params.get('nonce')!,
        opaque: params.get('opaque'),
        algorithm: (params.get('algorithm') ?? 'MD5').toUpperCase(),
        qop: params.get('qop'),
      };
    }
    if (scheme === 'basic') basic = { scheme: 'basic', realm: params.get('realm') ?? '', nonce: '', opaque: undefined, algorithm: '', qop: undefined };
  }
  return basic;
}

function parseParams(s: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    out.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? ''));
  }
  return out;
}

function hashHex(algorithm: string, data: string): string {
  const algo = algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
  return createHash(algo).update(data, 'utf8').digest('hex');
}

const quote = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`;

/**
 * The Authorization header value answering `challenge` for `method uri`.
 * `nc` counts uses of the same nonce (starting at 1).
 */
export function authorizationHeader(
  challenge: AuthChallenge,
  creds: { username: string; password: string },
  method: string,
  uri: string,
  nc = 1,
): string {
  if (challenge.scheme === 'basic') {
    return `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
  }
  const algo = challenge.algorithm;
  const sess = algo.endsWith('-SESS');
  const cnonce = randomBytes(8).toString('hex');
  let ha1 = hashHex(algo, `${creds.username}:${challenge.realm}:${creds.password}`);
  if (sess) ha1 = hashHex(algo, `${ha1}:${challenge.nonce}:${cnonce}`);
  const ha2 = hashHex(algo, `${method}:${uri}`);
  const qop = challenge.qop
    ?.split(',')
    .map((q) => q.trim())
    .find((q) => q === 'auth');
  const ncHex = nc.toString(16).padStart(8, '0');
  const response = qop
    ? hashHex(algo, `${ha1}:${challenge.nonce}:${ncHex}:${cnonce}:${qop}:${ha2}`)
    : hashHex(algo, `${ha1}:${challenge.nonce}:${ha2}`);
  const parts = [
    `username=${quote(creds.username)}`,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(uri)}`,
    `response=${quote(response)}`,
  ];
  if (challenge.algorithm && challenge.algorithm !== 'MD5') parts.push(`algorithm=${challenge.algorithm}`);
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${ncHex}`, `cnonce=${quote(cnonce)}`);
  return `Digest ${parts.join(', ')}`;
}

/** Server side: checks a Digest Authorization header (used by our simulators). */
export function verifyDigest(
  header: string | undefined,
  method: string,
  lookup: (username: string) => string | undefined,
  realm: string,
): boolean {
  if (!header || !/^digest\s/i.test(header)) return false;
  const p = parseParams(header.replace(/^digest\s+/i, ''));
  const username = p.get('username');
  const nonce = p.get('nonce');
  const uri = p.get('uri');
  if (username === undefined || nonce === undefined || uri === undefined || p.get('realm') !== realm) return false;
  const password = lookup(username);
  if (password === undefined) return false;
  const algo = (p.get('algorithm') ?? 'MD5').toUpperCase();
  const ha1 = hashHex(algo, `${username}:${realm}:${password}`);
  const ha2 = hashHex(algo, `${method}:${uri}`);
  const qop = p.get('qop');
  const expected = qop
    ? hashHex(algo, `${ha1}:${nonce}:${p.get('nc') ?? ''}:${p.get('cnonce') ?? ''}:${qop}:${ha2}`)
    : hashHex(algo, `${ha1}:${nonce}:${ha2}`);
  return expected === p.get('response');
}
