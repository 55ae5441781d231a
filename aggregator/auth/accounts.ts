import type { AuditRecord } from '../audit/chain.js';
import type { Role } from './roles.js';
import type { SqlPort } from './sql-port.js';

export interface UserRow {
  name: string;
  role: Role;
  regions: string[];
  hash: string;
  disabled: boolean;
  createdAt: number;
  changedAt: number;
}

export interface SessionRow {
  idHash: string;
  userName: string;
  csrf: string;
  createdAt: number;
  seenAt: number;
  source: string;
  userAgent: string;
  /** a directory user's role and regions, as its groups gave them at the login; null for a local user (read from users) */
  grant: { role: Role; regions: string[] } | null;
}

export interface TokenRow {
  id: string;
  name: string;
  hash: string;
  role: Role;
  regions: string[];
  /** the user the token acts for (refused while that user is disabled); null for a machine's own token */
  userName: string | null;
  createdBy: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

/** A record for the audit trail written where the trail's chain is not held (the CLI): the centre numbers and chains it in. */
export type PendingAudit = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'> & { id: number };

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function userOf(r: Record<string, unknown>): UserRow {
  return { name: String(r.name), role: r.role as Role, regions: JSON.parse(String(r.regions)) as string[], hash: String(r.hash), disabled: num(r.disabled) !== 0, createdAt: num(r.created_at), changedAt: num(r.changed_at) };
}

function tokenOf(r: Record<string, unknown>): TokenRow {
  return {
    id: String(r.id),
    name: String(r.name),
    hash: String(r.hash),
    role: r.role as Role,
    regions: JSON.parse(String(r.regions)) as string[],
    userName: r.user_name === null ? null : String(r.user_name),
    createdBy: String(r.created_by),
    createdAt: num(r.created_at),
    expiresAt: numOrNull(r.expires_at),
    revokedAt: numOrNull(r.revoked_at),
  };
}

/** Users, sessions, API tokens and pending audit records in the store's database (migration 5), for both engines. */
export class AccountStore {
  constructor(private readonly sql: SqlPort) {}

  async user(name: string): Promise<UserRow | undefined> {
    const [r] = await this.sql.all('SELECT * FROM users WHERE name = ?', [name]);
    return r ? userOf(r) : undefined;
  }

  async users(): Promise<UserRow[]> {
    return (await this.sql.all('SELECT * FROM users ORDER BY name')).map(userOf);
  }

  /** Adds a user; false when the name is taken. */
  async addUser(u: Omit<UserRow, 'changedAt'>): Promise<boolean> {
    const n = await this.sql.run('INSERT INTO users (name, role, regions, hash, disabled, created_at, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING', [u.name, u.role, JSON.stringify(u.regions), u.hash, u.disabled ? 1 : 0, u.createdAt, u.createdAt]);
    return n === 1;
  }

  /** Changes what is given of a user and ends its sessions; false when there is no such user. */
  async updateUser(name: string, change: { hash?: string; disabled?: boolean; role?: Role; regions?: string[] }, at: number): Promise<boolean> {
    const sets: string[] = ['changed_at = ?'];
    const params: Array<string | number> = [at];
    if (change.hash !== undefined) sets.push('hash = ?'), params.push(change.hash);
    if (change.disabled !== undefined) sets.push('disabled = ?'), params.push(change.disabled ? 1 : 0);
    if (change.role !== undefined) sets.push('role = ?'), params.push(change.role);
    if (change.regions !== undefined) sets.push('regions = ?'), params.push(JSON.stringify(change.regions));
    const n = await this.sql.run(`UPDATE users SET ${sets.join(', ')} WHERE name = ?`, [...params, name]);
    if (n === 0) return false;
    await this.endSessionsOf(name);
    return true;
  }

  async addSession(s: SessionRow): Promise<void> {
    await this.sql.run('INSERT INTO sessions (id_hash, user_name, csrf, created_at, seen_at, source, user_agent, grant_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [s.idHash, s.userName, s.csrf, s.createdAt, s.seenAt, s.source, s.userAgent, s.grant ? JSON.stringify(s.grant) : null]);
  }

  async session(idHash: string): Promise<SessionRow | undefined> {
    const [r] = await this.sql.all('SELECT * FROM sessions WHERE id_hash = ?', [idHash]);
    return r
      ? {
          idHash: String(r.id_hash),
          userName: String(r.user_name),
          csrf: String(r.csrf),
          createdAt: num(r.created_at),
          seenAt: num(r.seen_at),
          source: String(r.source),
          userAgent: String(r.user_agent),
          grant: r.grant_json === null || r.grant_json === undefined ? null : (JSON.parse(String(r.grant_json)) as { role: Role; regions: string[] }),
        }
      : undefined;
  }

  async touchSession(idHash: string, at: number): Promise<void> {
    await this.sql.run('UPDATE sessions SET seen_at = ? WHERE id_hash = ?', [at, idHash]);
  }

  async endSession(idHash: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM sessions WHERE id_hash = ?', [idHash])) > 0;
  }

  async endSessionsOf(userName: string): Promise<number> {
    return this.sql.run('DELETE FROM sessions WHERE user_name = ?', [userName]);
  }

  /** Drops sessions idle since before `idleBefore` or begun before `createdBefore`. */
  async pruneSessions(idleBefore: number, createdBefore: number): Promise<number> {
    return this.sql.run('DELETE FROM sessions WHERE seen_at < ? OR created_at < ?', [idleBefore, createdBefore]);
  }

  async addToken(t: TokenRow): Promise<void> {
    await this.sql.run('INSERT INTO api_tokens (id, name, hash, role, regions, user_name, created_by, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      t.id,
      t.name,
      t.hash,
      t.role,
      JSON.stringify(t.regions),
      t.userName,
      t.createdBy,
      t.createdAt,
      t.expiresAt,
      t.revokedAt,
    ]);
  }

  async token(id: string): Promise<TokenRow | undefined> {
    const [r] = await this.sql.all('SELECT * FROM api_tokens WHERE id = ?', [id]);
    return r ? tokenOf(r) : undefined;
  }

  async tokens(): Promise<TokenRow[]> {
    return (await this.sql.all('SELECT * FROM api_tokens ORDER BY created_at, id')).map(tokenOf);
  }

  /** Revokes a token; false when there is no such token or it was revoked already. */
  async revokeToken(id: string, at: number): Promise<boolean> {
    return (await this.sql.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, id])) === 1;
  }

  async addPendingAudit(r: Omit<PendingAudit, 'id'>): Promise<void> {
    await this.sql.run('INSERT INTO audit_pending (at, actor, source, user_agent, action, target, detail) VALUES (?, ?, ?, ?, ?, ?, ?)', [r.at, r.actor, r.source, r.userAgent, r.action, r.target, r.detail]);
  }

  async pendingAudit(limit: number): Promise<PendingAudit[]> {
    return (await this.sql.all('SELECT * FROM audit_pending ORDER BY id LIMIT ?', [limit])).map((r) => ({
      id: num(r.id),
      at: num(r.at),
      actor: String(r.actor),
      source: String(r.source),
      userAgent: String(r.user_agent),
      action: String(r.action),
      target: String(r.target),
      detail: String(r.detail),
    }));
  }

  async dropPendingAudit(upToId: number): Promise<void> {
    await this.sql.run('DELETE FROM audit_pending WHERE id <= ?', [upToId]);
  }
}
