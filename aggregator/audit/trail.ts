import type { ChangeSink } from '../store/changes.js';
import { auditHash, GENESIS, type AuditRecord } from './chain.js';

/** Who did something and from where: what an HTTP request (or a command) says of itself. */
export interface AuditActor {
  actor: string;
  source: string;
  userAgent: string;
}

const MAX_FIELD = 200;
const MAX_DETAIL = 4000;
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * Appends records to the audit trail: numbered, each chained to the one
 * before (chain.ts), written through the store's batch with the change it
 * records. The head (last seq and hash) is restored from the store at start.
 * Only the one aggregator or the leader of replicas writes it.
 */
export class AuditTrail {
  private head: { seq: number; hash: string } = { seq: 0, hash: GENESIS };

  constructor(private readonly deps: { changes: ChangeSink; now: () => number }) {}

  /** The last record the store holds (from its snapshot). */
  restore(head: { seq: number; hash: string } | null): void {
    this.head = head ?? { seq: 0, hash: GENESIS };
  }

  /** Chains in a record written where the chain is not held (the CLI's audit_pending), with its own time and summary. */
  append(r: { at: number; actor: string; source: string; userAgent: string; action: string; target: string; detail: string }): AuditRecord {
    const base = { seq: this.head.seq + 1, at: r.at, actor: clip(r.actor, MAX_FIELD), source: clip(r.source, MAX_FIELD), userAgent: clip(r.userAgent, MAX_FIELD), action: clip(r.action, MAX_FIELD), target: clip(r.target, MAX_FIELD), detail: clip(r.detail, MAX_DETAIL), prevHash: this.head.hash };
    const rec: AuditRecord = { ...base, hash: auditHash(base) };
    this.head = { seq: rec.seq, hash: rec.hash };
    this.deps.changes.record({ kind: 'audit', record: rec });
    return rec;
  }

  /** The records of audit_pending up to `id` are chained: they leave it with the batch that stores them. */
  pendingChained(id: number): void {
    this.deps.changes.record({ kind: 'auditPendingChained', upToId: id });
  }

  /** Records an action; `detail` is a summary (counts, ids, the before and after of a setting), never a secret. */
  record(who: AuditActor, action: string, target: string, detail: Record<string, unknown> = {}): AuditRecord {
    const base = {
      seq: this.head.seq + 1,
      at: this.deps.now(),
      actor: clip(who.actor, MAX_FIELD),
      source: clip(who.source, MAX_FIELD),
      userAgent: clip(who.userAgent, MAX_FIELD),
      action,
      target: clip(target, MAX_FIELD),
      detail: clip(JSON.stringify(detail), MAX_DETAIL),
      prevHash: this.head.hash,
    };
    const rec: AuditRecord = { ...base, hash: auditHash(base) };
    this.head = { seq: rec.seq, hash: rec.hash };
    this.deps.changes.record({ kind: 'audit', record: rec });
    return rec;
  }
}
