import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Account passwords, hashed with scrypt (node:crypto): a salt of its own per
 * password and the cost parameters stored with the hash, so they can be raised
 * later without breaking the hashes already stored:
 * `scrypt$N$r$p$salt$hash` (salt and hash in base64).
 */
const DEFAULT = { N: 32_768, r: 8, p: 1 };
const KEY_BYTES = 32;
/** the most a hash's stored parameters may ask for (a row edited to N = 2^30 must not take the server down) */
const MAX_N = 1 << 20;
/** a longer password is refused before it is hashed (hashing costs the same, but nobody types 1 KB) */
export const MAX_PASSWORD = 1024;

function derive(password: string, salt: Buffer, o: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...o, maxmem: 256 * o.N * o.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, DEFAULT);
  return `scrypt$${DEFAULT.N}$${DEFAULT.r}$${DEFAULT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when `password` is the one hashed; false for another password or a hash this program cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m || password.length > MAX_PASSWORD) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (N < 2 || N > MAX_N || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const want = Buffer.from(m[5]!, 'base64');
  const got = await derive(password, Buffer.from(m[4]!, 'base64'), { N, r, p });
  return want.length === got.length && timingSafeEqual(want, got);
}

/** A hash no password matches, with today's parameters: a login for a name that does not exist costs what a real one does. */
export const DECOY_HASH = `scrypt$${DEFAULT.N}$${DEFAULT.r}$${DEFAULT.p}$${randomBytes(16).toString('base64')}$${randomBytes(KEY_BYTES).toString('base64')}`;

export interface PasswordPolicy {
  minLength: number;
  /** how many of the four classes (lower case, upper case, digits, others) it must mix */
  classes: number;
}

/** What is wrong with a new password under the policy; empty when nothing is. */
export function policyErrors(password: string, policy: PasswordPolicy, userName?: string): string[] {
  const errors: string[] = [];
  const length = [...password].length;
  if (length < policy.minLength) errors.push(`needs at least ${policy.minLength} characters`);
  if (password.length > MAX_PASSWORD) errors.push(`needs at most ${MAX_PASSWORD} characters`);
  const classes = [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{Ll}\p{Lu}\p{Nd}]/u].filter((re) => re.test(password)).length;
  if (classes < policy.classes) errors.push(`needs ${policy.classes} of: lower case, upper case, digits, other characters`);
  if (userName && userName.length >= 3 && password.toLowerCase().includes(userName.toLowerCase())) errors.push('must not contain the user name');
  return errors;
}
