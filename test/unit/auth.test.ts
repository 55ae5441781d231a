import { describe, expect, it } from 'vitest';
import { hashPassword, policyErrors, verifyPassword } from '../../aggregator/auth/password.js';
import { Lockout } from '../../aggregator/auth/lockout.js';
import { can, ROLES, Scope, type Permission } from '../../aggregator/auth/roles.js';
import { newToken, parseLifetime, tokenHash, tokenId } from '../../aggregator/auth/tokens.js';
import { sessionIdOf } from '../../aggregator/auth/service.js';
import { regionsError, scopeOfRole, userNameError } from '../../aggregator/auth/users.js';
import { numbered } from '../../aggregator/auth/sql-port.js';

describe('passwords', () => {
  it('auth: scrypt hashes carry their own salt and parameters; the right password verifies, a wrong one or a tampered hash does not', async () => {
    const a = await hashPassword('Correct-Horse-9');
    const b = await hashPassword('Correct-Horse-9');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('Correct-Horse-9', a)).toBe(true);
    expect(await verifyPassword('correct-horse-9', a)).toBe(false);
    // a row edited to ask for an absurd cost is refused without being tried
    expect(await verifyPassword('Correct-Horse-9', a.replace('scrypt$32768', 'scrypt$1073741824'))).toBe(false);
    expect(await verifyPassword('Correct-Horse-9', 'plain-text')).toBe(false);
    expect(await verifyPassword('x'.repeat(5000), a)).toBe(false);
  });

  it('auth: the policy asks for length, a mix of character classes, and no user name in it', () => {
    const policy = { minLength: 12, classes: 3 };
    expect(policyErrors('Str0ng-enough', policy)).toEqual([]);
    expect(policyErrors('short1A', policy)).toEqual(['needs at least 12 characters']);
    expect(policyErrors('alllowercaseletters', policy)).toEqual(['needs 3 of: lower case, upper case, digits, other characters']);
    expect(policyErrors('Wangwei-2026-pass', policy, 'wangwei')).toEqual(['must not contain the user name']);
    // characters, not UTF-16 units: twelve Chinese characters and a digit and a letter
    expect(policyErrors('雪亮工程视频联网监测平台A1', policy)).toEqual([]);
  });
});

describe('lockout', () => {
  it('auth: the fifth failure within the window locks the name until the window after the last failure; a success clears it', () => {
    const l = new Lockout({ attempts: 5, windowMs: 15 * 60_000 });
    const t0 = 1_000_000;
    for (let i = 0; i < 4; i++) expect(l.fail('Wang', '10.0.0.1', t0 + i)).toBe(false);
    expect(l.lockedUntil('wang', '10.0.0.1', t0 + 10)).toBeUndefined();
    expect(l.fail('wang', '10.0.0.2', t0 + 10)).toBe(true);
    expect(l.lockedUntil('WANG', '10.0.0.9', t0 + 11)).toBe(t0 + 10 + 15 * 60_000);
    expect(l.lockedUntil('wang', '10.0.0.9', t0 + 10 + 15 * 60_000)).toBeUndefined();
    const k = new Lockout({ attempts: 5, windowMs: 60_000 });
    for (let i = 0; i < 4; i++) k.fail('li', 'a', i);
    k.succeed('li');
    expect(k.fail('li', 'a', 10)).toBe(false);
  });

  it('auth: an address is locked after four times the attempts, whatever names it tries; memory stays bounded', () => {
    const l = new Lockout({ attempts: 5, windowMs: 60_000, max: 100 });
    for (let i = 0; i < 19; i++) l.fail(`user${i}`, '10.9.9.9', i);
    expect(l.lockedUntil('someone-else', '10.9.9.9', 20)).toBeUndefined();
    l.fail('user-20', '10.9.9.9', 20);
    expect(l.lockedUntil('someone-else', '10.9.9.9', 21)).toBe(20 + 60_000);
    for (let i = 0; i < 10_000; i++) l.fail(`n${i}`, `s${i}`, 100);
    expect((l as unknown as { failures: Map<string, number[]> }).failures.size).toBeLessThanOrEqual(100);
  });
});

describe('roles and regions', () => {
  it('auth: three administrators never share a power (三权分立): the security admin reads no camera data, the auditor only the trail', () => {
    const perms: Permission[] = ['read', 'maintain', 'acknowledge', 'export', 'administer', 'accounts', 'audit'];
    const grid = Object.fromEntries(ROLES.map((r) => [r, perms.filter((p) => can(r, p))]));
    expect(grid).toEqual({
      viewer: ['read'],
      operator: ['read', 'maintain', 'acknowledge', 'export'],
      admin: ['read', 'maintain', 'acknowledge', 'export', 'administer'],
      security: ['accounts'],
      auditor: ['audit'],
    });
    expect(scopeOfRole('security', ['330106'])).toEqual(['all']);
    expect(scopeOfRole('operator', ['330106', '330106'])).toEqual(['330106']);
  });

  it('auth: a scope covers its regions and everything below; its roots are what is not under another of its regions', () => {
    const s = new Scope(['330100', '330106', '320500']);
    expect(s.covers('330106')).toBe(true);
    expect(s.covers('33010601')).toBe(true);
    expect(s.covers('330100')).toBe(true);
    expect(s.covers('330000')).toBe(false);
    expect(s.covers('330205')).toBe(false);
    expect(s.covers(null)).toBe(false);
    expect(s.roots()).toEqual(['320500', '330100']);
    expect(new Scope(['all']).covers(null)).toBe(true);
    expect(regionsError([])).toMatch(/at least one/);
    expect(regionsError(['330106', '33'])).toMatch(/^33: /);
    expect(regionsError(['all', '330106'])).toBeUndefined();
    expect(userNameError('王伟')).toBeUndefined();
    expect(userNameError('a b')).toBeDefined();
    expect(userNameError('x'.repeat(65))).toBeDefined();
  });
});

describe('tokens and cookies', () => {
  it('auth: a token is xlt_{id}_{secret}; only its hash is kept; lifetimes are days or hours', () => {
    const t = newToken();
    expect(tokenId(t.token)).toBe(t.id);
    expect(t.hash).toBe(tokenHash(t.token));
    expect(t.hash).not.toContain(t.token.slice(17));
    expect(tokenId('xlt_zz_abc')).toBeUndefined();
    expect(parseLifetime('90d')).toBe(90 * 86_400_000);
    expect(parseLifetime('12h')).toBe(12 * 3_600_000);
    expect(parseLifetime('never')).toBeNull();
    expect(parseLifetime('0d')).toMatchObject({ error: expect.any(String) });
    expect(parseLifetime('1y')).toMatchObject({ error: expect.any(String) });
  });

  it('auth: the session cookie is read only in its own shape; anything else is no session', () => {
    const id = 'A'.repeat(43);
    expect(sessionIdOf(`theme=dark; xl_session=${id}; x=1`)).toBe(id);
    expect(sessionIdOf(`xl_session=${id}x`)).toBeUndefined();
    expect(sessionIdOf('xl_session=../../etc')).toBeUndefined();
    expect(sessionIdOf(`a=${'b'.repeat(9000)}; xl_session=${id}`)).toBeUndefined();
    expect(sessionIdOf(undefined)).toBeUndefined();
  });

  it('auth: the accounts SQL numbers its placeholders for PostgreSQL', () => {
    expect(numbered('UPDATE users SET a = ?, b = ? WHERE name = ?')).toBe('UPDATE users SET a = $1, b = $2 WHERE name = $3');
  });
});
