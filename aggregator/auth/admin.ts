import type { AccountStore, TokenRow, UserRow } from './accounts.js';
import { hashPassword, policyErrors, type PasswordPolicy } from './password.js';
import type { Role } from './roles.js';
import { newToken } from './tokens.js';
import { regionsError, roleError, scopeOfRole, userNameError } from './users.js';

/** Who manages accounts, as the audit trail names them, and how a change is recorded there. */
export interface AdminActor {
  actor: string;
  source: string;
  userAgent: string;
}
export type AuditSink = (who: AdminActor, action: string, target: string, detail: Record<string, unknown>) => Promise<void> | void;

/** The audit sink of a process that does not hold the trail's chain (the CLI, the demo before the centre starts): audit_pending, which the centre chains in. */
export function pendingAuditSink(accounts: AccountStore, now: () => number = Date.now): AuditSink {
  return (w, action, target, detail) => accounts.addPendingAudit({ at: now(), actor: w.actor, source: w.source, userAgent: w.userAgent, action, target, detail: JSON.stringify(detail) });
}

export type AdminResult<T = undefined> = { ok: true; value: T } | { ok: false; code: 'INVALID' | 'EXISTS' | 'UNKNOWN'; message: string };

const invalid = (message: string): AdminResult<never> => ({ ok: false, code: 'INVALID', message });

/** A user as it may be shown: never its hash. */
export const userView = (u: UserRow) => ({ name: u.name, role: u.role, regions: u.regions, disabled: u.disabled, createdAt: new Date(u.createdAt).toISOString(), changedAt: new Date(u.changedAt).toISOString() });
/** A token as it may be listed: never the token nor its hash. */
export const tokenView = (t: TokenRow, now: number) => ({
  id: t.id,
  name: t.name,
  role: t.role,
  regions: t.regions,
  user: t.userName,
  createdBy: t.createdBy,
  createdAt: new Date(t.createdAt).toISOString(),
  expiresAt: t.expiresAt === null ? null : new Date(t.expiresAt).toISOString(),
  revokedAt: t.revokedAt === null ? null : new Date(t.revokedAt).toISOString(),
  active: t.revokedAt === null && (t.expiresAt === null || t.expiresAt > now),
});

/**
 * Adding users, changing their passwords, roles and regions, disabling them,
 * making and revoking API tokens: one set of rules for the CLI on the server
 * and the security administrator's console. Every change goes to the audit
 * trail with who made it; a password or token never does.
 */
export class AccountAdmin {
  constructor(private readonly deps: { accounts: AccountStore; policy: PasswordPolicy; now: () => number; audit: AuditSink }) {}

  async addUser(who: AdminActor, u: { name: string; role: string; regions: readonly string[]; password: string }): Promise<AdminResult> {
    const e = userNameError(u.name) ?? roleError(u.role) ?? regionsError(u.regions);
    if (e) return invalid(e);
    const weak = policyErrors(u.password, this.deps.policy, u.name);
    if (weak.length) return invalid(`the password ${weak.join('; ')}`);
    const role = u.role as Role;
    const regions = scopeOfRole(role, u.regions);
    const added = await this.deps.accounts.addUser({ name: u.name, role, regions, hash: await hashPassword(u.password), disabled: false, createdAt: this.deps.now() });
    if (!added) return { ok: false, code: 'EXISTS', message: `a user named ${u.name} exists` };
    await this.deps.audit(who, 'user.add', u.name, { role, regions });
    return { ok: true, value: undefined };
  }

  async setPassword(who: AdminActor, name: string, password: string): Promise<AdminResult> {
    const weak = policyErrors(password, this.deps.policy, name);
    if (weak.length) return invalid(`the password ${weak.join('; ')}`);
    if (!(await this.deps.accounts.updateUser(name, { hash: await hashPassword(password) }, this.deps.now()))) return { ok: false, code: 'UNKNOWN', message: `no user named ${name}` };
    await this.deps.audit(who, 'user.passwd', name, { sessionsEnded: true });
    return { ok: true, value: undefined };
  }

  async setDisabled(who: AdminActor, name: string, disabled: boolean): Promise<AdminResult> {
    if (!(await this.deps.accounts.updateUser(name, { disabled }, this.deps.now()))) return { ok: false, code: 'UNKNOWN', message: `no user named ${name}` };
    await this.deps.audit(who, disabled ? 'user.disable' : 'user.enable', name, {});
    return { ok: true, value: undefined };
  }

  async setRole(who: AdminActor, name: string, role: string, regions: readonly string[]): Promise<AdminResult> {
    const e = roleError(role) ?? regionsError(regions);
    if (e) return invalid(e);
    const before = await this.deps.accounts.user(name);
    if (!before) return { ok: false, code: 'UNKNOWN', message: `no user named ${name}` };
    const scope = scopeOfRole(role as Role, regions);
    await this.deps.accounts.updateUser(name, { role: role as Role, regions: scope }, this.deps.now());
    await this.deps.audit(who, 'user.role', name, { before: { role: before.role, regions: before.regions }, after: { role, regions: scope } });
    return { ok: true, value: undefined };
  }

  /** A new token: the token itself is in the answer, once. */
  async createToken(who: AdminActor, t: { name: string; role: string; regions: readonly string[]; lifetimeMs: number | null; user?: string | undefined }): Promise<AdminResult<{ id: string; token: string; expiresAt: number | null }>> {
    if (!/^[\p{L}\p{N} ._@:-]{1,64}$/u.test(t.name)) return invalid('a token name is 1 to 64 letters, digits, spaces, ".", "_", ":", "-" or "@"');
    let role = t.role;
    let regions: readonly string[] = t.regions;
    if (t.user !== undefined) {
      // a user's token acts for the user: its role and regions, refused while the user is disabled
      const u = await this.deps.accounts.user(t.user);
      if (!u) return { ok: false, code: 'UNKNOWN', message: `no user named ${t.user}` };
      role = u.role;
      regions = u.regions;
    }
    const e = roleError(role) ?? regionsError(regions);
    if (e) return invalid(e);
    const now = this.deps.now();
    const made = newToken();
    const expiresAt = t.lifetimeMs === null ? null : now + t.lifetimeMs;
    const scope = scopeOfRole(role as Role, regions);
    await this.deps.accounts.addToken({ id: made.id, name: t.name, hash: made.hash, role: role as Role, regions: scope, userName: t.user ?? null, createdBy: who.actor, createdAt: now, expiresAt, revokedAt: null });
    await this.deps.audit(who, 'token.create', made.id, { name: t.name, role, regions: scope, user: t.user ?? null, expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString() });
    return { ok: true, value: { id: made.id, token: made.token, expiresAt } };
  }

  async revokeToken(who: AdminActor, id: string): Promise<AdminResult> {
    if (!(await this.deps.accounts.revokeToken(id, this.deps.now()))) return { ok: false, code: 'UNKNOWN', message: `no active token ${id.slice(0, 20)}` };
    await this.deps.audit(who, 'token.revoke', id, {});
    return { ok: true, value: undefined };
  }
}
