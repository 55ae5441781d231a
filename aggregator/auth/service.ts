import { createHash, randomBytes } from 'node:crypto';
import type { AccountStore } from './accounts.js';
import { Lockout } from './lockout.js';
import { RefusalCounter } from '../audit/refusals.js';
import { DECOY_HASH, MAX_PASSWORD, verifyPassword } from './password.js';
import { ALL, can, Scope, type Permission, type Role } from './roles.js';
import { sameHash, tokenHash, tokenId } from './tokens.js';
import type { AuthSettings } from '../../config/auth.js';
import type { Directory } from './directory.js';

/** Who a request acts as. */
export interface Principal {
  /** a console session, an API token, the deprecated http.token, or nobody (public reads) */
  kind: 'session' | 'token' | 'legacy' | 'anonymous';
  /** as the audit trail names it: the user, `token:{id}`, `token` (http.token), `anonymous` */
  name: string;
  role: Role | null;
  scope: Scope;
  session?: { idHash: string; csrf: string; idleUntil: number; endsAt: number };
}

export type Identified = { ok: true; principal: Principal } | { ok: false; code: 'UNAUTHORIZED' | 'SESSION_EXPIRED'; message: string; refusedCredential: boolean };

/** Who did it, where from, for the audit trail. */
export type AuthAudit = (who: { actor: string; source: string; userAgent: string }, action: string, target: string, detail: Record<string, unknown>) => void;

export const SESSION_COOKIE = 'xl_session';
/** how often a session's last use is written, at most (its idle time is measured to this, or a quarter of the idle time when shorter) */
const TOUCH_MS = 60_000;
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const ANONYMOUS = (publicReads: boolean): Principal => ({ kind: 'anonymous', name: 'anonymous', role: publicReads ? 'viewer' : null, scope: new Scope(publicReads ? [ALL] : []) });

export function allows(p: Principal, perm: Permission): boolean {
  return p.role !== null && can(p.role, perm);
}

/**
 * Logins, console sessions and bearer credentials (docs/security.md): a
 * session is an opaque id in an HttpOnly cookie, kept server-side as its hash
 * (with the user's CSRF token), ended by logout, by `sessionIdleMinutes`
 * unused, by `sessionMaxHours` after the login, and by a password change or
 * a disable of its user; a user's role and regions are read at each request,
 * so a change applies at once. Failed logins lock (lockout.ts).
 */
export class AuthService {
  private readonly lockout: Lockout;
  private readonly lockedTries = new RefusalCounter();

  constructor(
    private readonly deps: {
      accounts: AccountStore;
      settings: AuthSettings;
      now: () => number;
      publicReads: boolean;
      legacyToken: string | undefined;
      audit: AuthAudit;
      /** directory logins, where auth.ldap is configured */
      directory?: Directory | undefined;
    },
  ) {
    this.lockout = new Lockout({ attempts: deps.settings.lockout.attempts, windowMs: deps.settings.lockout.minutes * 60_000 });
  }

  private get idleMs(): number {
    return this.deps.settings.sessionIdleMinutes * 60_000;
  }
  private get maxMs(): number {
    return this.deps.settings.sessionMaxHours * 3_600_000;
  }

  /**
   * A login with a name and password: the new session's id (for the cookie)
   * and CSRF token, or a refusal that never says whether the name exists.
   */
  async login(name: string, password: string, from: { source: string; userAgent: string }): Promise<{ ok: true; sessionId: string; csrf: string; user: { name: string; role: Role; regions: string[] } } | { ok: false; locked: boolean; message: string; until?: number; unavailable?: boolean }> {
    const now = this.deps.now();
    const who = { actor: name.slice(0, 64), ...from };
    const locked = this.lockout.lockedUntil(name, from.source, now);
    if (locked !== undefined) {
      // tries against a lock are one record per address every 10 s, with how many it stands for: a flood must not fill the trail
      const repeats = this.lockedTries.note(from.source, now);
      if (repeats !== undefined) this.deps.audit(who, 'auth.login.locked', name.slice(0, 64), { until: new Date(locked).toISOString(), ...(repeats > 0 ? { refusedSinceLastRecord: repeats } : {}) });
      return { ok: false, locked: true, until: locked, message: `too many failed logins: try again after ${new Date(locked).toISOString()}` };
    }
    const user = name.length <= 64 ? await this.deps.accounts.user(name) : undefined;
    const refuse = (detail: Record<string, unknown> = {}) => {
      const nowLocked = this.lockout.fail(name, from.source, now);
      this.deps.audit(who, 'auth.login.failed', name.slice(0, 64), { ...detail, ...(nowLocked ? { locked: true, minutes: this.deps.settings.lockout.minutes } : {}) });
      return { ok: false as const, locked: false, message: 'wrong user name or password, or the account is disabled' };
    };
    // a name the local accounts do not hold is the directory's, where there is one
    if (!user && this.deps.directory && name.length <= 64) {
      const d = await this.deps.directory.authenticate(name, password.slice(0, MAX_PASSWORD + 1));
      if (!d.ok && d.kind === 'unavailable') {
        this.deps.audit(who, 'auth.login.unavailable', name.slice(0, 64), { why: d.why });
        return { ok: false, locked: false, unavailable: true, message: `the directory cannot check this login now (${d.why}); local accounts can log in` };
      }
      if (!d.ok) return refuse({ directory: true, why: d.why });
      return this.open({ name, role: d.role, regions: d.regions }, { role: d.role, regions: d.regions }, who, now, { directory: true, dn: d.dn, group: d.group });
    }
    // a name that does not exist costs the same scrypt as one that does
    const good = (await verifyPassword(password.slice(0, MAX_PASSWORD + 1), user?.hash ?? DECOY_HASH)) && user !== undefined && !user.disabled;
    if (!good || !user) return refuse();
    return this.open(user, null, who, now, {});
  }

  /** A new session for a login that succeeded. */
  private async open(user: { name: string; role: Role; regions: string[] }, grant: { role: Role; regions: string[] } | null, who: { actor: string; source: string; userAgent: string }, now: number, detail: Record<string, unknown>) {
    this.lockout.succeed(user.name);
    const sessionId = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    await this.deps.accounts.addSession({ idHash: sha(sessionId), userName: user.name, csrf, createdAt: now, seenAt: now, source: who.source.slice(0, 200), userAgent: who.userAgent.slice(0, 200), grant });
    this.deps.audit({ ...who, actor: user.name }, 'auth.login', user.name, { role: user.role, regions: user.regions, ...detail });
    return { ok: true as const, sessionId, csrf, user: { name: user.name, role: user.role, regions: user.regions } };
  }

  /** Ends the request's session. */
  async logout(p: Principal, from: { source: string; userAgent: string }): Promise<void> {
    if (!p.session) return;
    if (await this.deps.accounts.endSession(p.session.idHash)) this.deps.audit({ actor: p.name, ...from }, 'auth.logout', p.name, {});
  }

  /**
   * Who a request acts as, from its `Authorization: Bearer` (an API token, or
   * the deprecated http.token) or its session cookie; anonymous without
   * either. A credential given and refused is a refusal, never anonymous.
   */
  async identify(authorization: string | undefined, cookie: string | undefined, from: { source: string; userAgent: string }): Promise<Identified> {
    const bearer = authorization === undefined ? undefined : /^Bearer ([\x21-\x7e]{1,200})$/.exec(authorization)?.[1];
    if (authorization !== undefined) return bearer === undefined ? refused('the Authorization header is not "Bearer" and a token') : this.bearer(bearer);
    const sid = sessionIdOf(cookie);
    if (sid === undefined) return { ok: true, principal: ANONYMOUS(this.deps.publicReads) };
    return this.session(sid, from);
  }

  private async bearer(given: string): Promise<Identified> {
    const now = this.deps.now();
    const id = tokenId(given);
    if (id !== undefined) {
      const t = await this.deps.accounts.token(id);
      if (!t || !sameHash(t.hash, tokenHash(given))) return refused('unknown API token');
      if (t.revokedAt !== null) return refused('the API token was revoked');
      if (t.expiresAt !== null && t.expiresAt <= now) return refused('the API token expired');
      if (t.userName !== null) {
        const u = await this.deps.accounts.user(t.userName);
        if (!u || u.disabled) return refused('the API token belongs to a disabled user');
        return { ok: true, principal: { kind: 'token', name: `token:${t.id}`, role: u.role, scope: new Scope(u.regions) } };
      }
      return { ok: true, principal: { kind: 'token', name: `token:${t.id}`, role: t.role, scope: new Scope(t.regions) } };
    }
    const legacy = this.deps.legacyToken;
    if (legacy !== undefined && sameHash(given, legacy)) return { ok: true, principal: { kind: 'legacy', name: 'token', role: 'admin', scope: new Scope([ALL]) } };
    return refused('unknown bearer token');
  }

  private async session(sid: string, from: { source: string; userAgent: string }): Promise<Identified> {
    const now = this.deps.now();
    const idHash = sha(sid);
    const s = await this.deps.accounts.session(idHash);
    if (!s) return { ok: false, code: 'SESSION_EXPIRED', message: 'the session has ended: log in again', refusedCredential: false };
    const idleUntil = s.seenAt + this.idleMs;
    const endsAt = s.createdAt + this.maxMs;
    if (now >= idleUntil || now >= endsAt) {
      if (await this.deps.accounts.endSession(idHash)) this.deps.audit({ actor: s.userName, ...from }, 'auth.expired', s.userName, { reason: now >= endsAt ? 'lifetime' : 'idle', loginAt: new Date(s.createdAt).toISOString() });
      return { ok: false, code: 'SESSION_EXPIRED', message: 'the session has ended: log in again', refusedCredential: false };
    }
    const local = await this.deps.accounts.user(s.userName);
    // a directory user's session carries its grant; a local user's role and regions are read now (a change applies at once)
    const u = local ?? (s.grant ? { name: s.userName, role: s.grant.role, regions: s.grant.regions, disabled: false } : undefined);
    if (!u || u.disabled) {
      await this.deps.accounts.endSession(idHash);
      return { ok: false, code: 'SESSION_EXPIRED', message: 'the session has ended: log in again', refusedCredential: false };
    }
    const touch = Math.min(TOUCH_MS, this.idleMs / 4);
    if (now - s.seenAt >= touch) await this.deps.accounts.touchSession(idHash, now);
    const seen = now - s.seenAt >= touch ? now : s.seenAt;
    return { ok: true, principal: { kind: 'session', name: u.name, role: u.role, scope: new Scope(u.regions), session: { idHash, csrf: s.csrf, idleUntil: Math.min(seen + this.idleMs, endsAt), endsAt } } };
  }

  async userCount(): Promise<number> {
    return (await this.deps.accounts.users()).length;
  }

  /** Sessions past their time, dropped (called now and then). */
  async prune(): Promise<number> {
    const now = this.deps.now();
    return this.deps.accounts.pruneSessions(now - this.idleMs, now - this.maxMs);
  }
}

function refused(message: string): Identified {
  return { ok: false, code: 'UNAUTHORIZED', message, refusedCredential: true };
}

/** The session id of a Cookie header, when it holds one of the right shape (malformed or oversized ones are no session). */
export function sessionIdOf(cookie: string | undefined): string | undefined {
  if (!cookie || cookie.length > 8192) return undefined;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const v = part.slice(eq + 1).trim();
    return /^[A-Za-z0-9_-]{43}$/.test(v) ? v : undefined;
  }
  return undefined;
}
