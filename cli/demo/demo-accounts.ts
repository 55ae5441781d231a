import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { AccountAdmin, AccountStore, createStore, pendingAuditSink } from '../../aggregator/index.js';
import { aggregatorConfigSchema } from '../../config/aggregator.js';

export interface DemoAccount {
  name: string;
  role: string;
  regions: string[];
  password: string;
}

/**
 * The demo's accounts, one per role, with passwords made for this run (the
 * database lives in the demo's temp folder and goes with it), and a viewer
 * token for curl. Written before the aggregator starts, as `xueliang user add`
 * would on a server: the aggregator chains their audit records in at start.
 */
export async function demoAccounts(database: string): Promise<{ accounts: DemoAccount[]; token: string }> {
  const store = createStore(database, pino({ level: 'silent' }));
  await store.open();
  try {
    const accounts = new AccountStore(store.sql);
    const admin = new AccountAdmin({
      accounts,
      policy: aggregatorConfigSchema.parse({}).auth.password,
      now: Date.now,
      audit: pendingAuditSink(accounts),
    });
    const who = { actor: 'demo', source: 'xueliang demo', userAgent: 'xueliang demo' };
    const made: DemoAccount[] = [
      { name: 'admin', role: 'admin', regions: ['all'], password: '' },
      { name: 'xihu', role: 'operator', regions: ['330106'], password: '' },
      { name: 'security', role: 'security', regions: ['all'], password: '' },
      { name: 'auditor', role: 'auditor', regions: ['all'], password: '' },
    ];
    for (const a of made) {
      a.password = `Demo-${randomBytes(4).toString('hex')}-X9`;
      const r = await admin.addUser(who, a);
      if (!r.ok) throw new Error(`demo account ${a.name}: ${r.message}`);
    }
    const t = await admin.createToken(who, { name: 'demo curl', role: 'viewer', regions: ['all'], lifetimeMs: 86_400_000 });
    if (!t.ok) throw new Error(`demo token: ${t.message}`);
    return { accounts: made, token: t.value.token };
  } finally {
    await store.close();
  }
}
