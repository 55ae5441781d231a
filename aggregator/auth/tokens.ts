import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API tokens for machine clients: `xlt_{id}_{secret}`, the id public (listed,
 * revoked by it), the secret 32 random bytes. The store keeps the SHA-256 of
 * the whole token, never the token: it is shown once.
 */
export function newToken(): { id: string; token: string; hash: string } {
  const id = randomBytes(6).toString('hex');
  const token = `xlt_${id}_${randomBytes(32).toString('base64url')}`;
  return { id, token, hash: tokenHash(token) };
}

export const tokenHash = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The id of a token as given, when it has a token's shape. */
export function tokenId(token: string): string | undefined {
  return /^xlt_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/.exec(token)?.[1];
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `90d`, `12h`, `never`: how long a new token lives; an error for anything else. */
export function parseLifetime(text: string): number | null | { error: string } {
  if (text === 'never') return null;
  const m = /^(\d{1,5})([hd])$/.exec(text);
  if (!m) return { error: 'expires is a number of days or hours (90d, 12h), or never' };
  const n = Number(m[1]);
  if (n < 1) return { error: 'expires is at least 1h' };
  return n * (m[2] === 'd' ? 86_400_000 : 3_600_000);
}
