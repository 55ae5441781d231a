import { createHash } from 'node:crypto';

/**
 * One record of the audit trail (安全审计, docs/security.md): who (the actor:
 * `token` for the bearer token, `anonymous`; user names once accounts come),
 * from where (address, user agent), when, what (an action and its target) and
 * a summary of it (JSON, never a secret). Each record carries the hash of the
 * one before and its own, so a record deleted or edited in the database is
 * found by `xueliang audit verify`.
 */
export interface AuditRecord {
  seq: number;
  at: number;
  actor: string;
  source: string;
  userAgent: string;
  action: string;
  target: string;
  /** JSON text of the summary */
  detail: string;
  prevHash: string;
  hash: string;
}

/** the hash before the first record */
export const GENESIS = '0'.repeat(64);

/** SHA-256 of a record's fields (its own hash aside), in a fixed order, as JSON: no field can slide into another. */
export function auditHash(r: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(JSON.stringify([r.seq, r.at, r.actor, r.source, r.userAgent, r.action, r.target, r.detail, r.prevHash]), 'utf8').digest('hex');
}

export type ChainCheck = { ok: true; records: number; lastSeq: number } | { ok: false; seq: number; reason: string };

/**
 * Checks records in seq order: each one's hash is its fields' hash, its
 * prevHash is the hash of the record before, and no seq is missing. The first
 * record read is taken as it is when its seq is not 1 (older ones were pruned
 * by retention), else it must follow the genesis hash.
 */
export class ChainVerifier {
  private prev: { seq: number; hash: string } | undefined;
  private count = 0;
  private failure: { seq: number; reason: string } | undefined;

  add(r: AuditRecord): void {
    if (this.failure) return;
    if (auditHash(r) !== r.hash) return void (this.failure = { seq: r.seq, reason: 'its content does not match its hash: the record was edited' });
    const want = this.prev ?? (r.seq === 1 ? { seq: 0, hash: GENESIS } : undefined);
    if (want && r.seq !== want.seq + 1) return void (this.failure = { seq: r.seq, reason: `records ${want.seq + 1}${r.seq - 1 > want.seq + 1 ? `..${r.seq - 1}` : ''} are missing: deleted` });
    if (want && r.prevHash !== want.hash) return void (this.failure = { seq: r.seq, reason: 'it does not follow the record before it (its prevHash differs): a record before it was edited or replaced' });
    this.prev = { seq: r.seq, hash: r.hash };
    this.count += 1;
  }

  result(): ChainCheck {
    return this.failure ? { ok: false, ...this.failure } : { ok: true, records: this.count, lastSeq: this.prev?.seq ?? 0 };
  }
}
