import type { AccountStore } from '../auth/accounts.js';
import type { AuditTrail } from './trail.js';

/**
 * Chains into the audit trail what was recorded where the chain is not held:
 * `xueliang user …` and `xueliang token …` on the server write to
 * audit_pending, and the one aggregator (or the leader) takes those records
 * in, in order, each with its own time; the rows leave audit_pending in the
 * same transaction that stores them in the chain.
 */
export class PendingAuditDrain {
  private running = false;

  constructor(private readonly deps: { accounts: AccountStore; trail: AuditTrail; stored: () => Promise<void> }) {}

  async drain(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let n = 0;
    try {
      // bounded: 10 pages of 100 a turn; the rest at the next
      for (let page = 0; page < 10; page++) {
        const rows = await this.deps.accounts.pendingAudit(100);
        if (rows.length === 0) break;
        for (const r of rows) this.deps.trail.append(r);
        this.deps.trail.pendingChained(rows.at(-1)!.id);
        await this.deps.stored();
        n += rows.length;
        if (rows.length < 100) break;
      }
    } finally {
      this.running = false;
    }
    return n;
  }
}
