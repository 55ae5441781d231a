import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { EXIT, err, out, table, UsageError } from './output.js';
import { readSecret } from './secret-input.js';
import { VERSION } from '../platform/version.js';
import { AccountAdmin, AccountStore, createStore, parseLifetime, pendingAuditSink, tokenView, userView } from '../aggregator/index.js';
import type { AggregatorConfig } from '../config/aggregator.js';

export const userHelp = `xueliang user <add|passwd|disable|enable|role|list> --config FILE   (or --database URL)

Accounts of the aggregator's console and API, in its database (run on the
server; the running aggregator sees a change at once). The password is asked
at a prompt (twice, not echoed), or read from the first line of stdin; never
from the command line.
  user add NAME --role ROLE --region CODE [--region CODE …]
  user passwd NAME          a new password; the user's sessions end
  user disable NAME         the user cannot log in; its sessions end
  user enable NAME
  user role NAME --role ROLE --region CODE …
  user list
Roles: viewer, operator, admin (系统管理员), security (安全管理员: users and
tokens), auditor (审计管理员: the audit trail). Regions: GB/T 2260 codes (the
user sees those and everything below), or "all". Every change is in the audit trail.`;

export const tokenHelp = `xueliang token <create|list|revoke> --config FILE   (or --database URL)

API tokens for machine clients (Prometheus, scripts): sent as
"Authorization: Bearer TOKEN". The token is printed once; the database keeps
its hash.
  token create --name NAME --role ROLE --region CODE … [--expires 90d|12h|never]
  token create --name NAME --user USER [--expires …]   acts as the user; refused while the user is disabled
  token list
  token revoke ID`;

const options = {
  config: { type: 'string', short: 'c' },
  database: { type: 'string' },
  role: { type: 'string' },
  region: { type: 'string', multiple: true },
  name: { type: 'string' },
  user: { type: 'string' },
  expires: { type: 'string' },
} as const;

async function openAccounts(values: { config?: string | undefined; database?: string | undefined }) {
  let database = values.database;
  let config: AggregatorConfig | undefined;
  if (!database) {
    if (!values.config) throw new UsageError('give --config FILE or --database URL');
    config = await (await import('./cmd-aggregator.js')).loadAggregatorConfig(values.config);
    database = config.database;
  }
  const policy = config?.auth.password ?? (await import('../config/aggregator.js')).aggregatorConfigSchema.parse({}).auth.password;
  const store = createStore(database, pino({ level: 'warn' }, pino.destination(2)));
  await store.open();
  const accounts = new AccountStore(store.sql);
  const who = { actor: `cli:${safeUser()}`, source: 'server (xueliang CLI)', userAgent: `xueliang/${VERSION}` };
  // the CLI does not hold the audit chain: the aggregator chains these records in (audit_pending)
  const admin = new AccountAdmin({ accounts, policy, now: Date.now, audit: pendingAuditSink(accounts) });
  return { store, accounts, admin, who };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? '?');
  }
}

function done(r: { ok: true } | { ok: false; message: string }, said: string): number {
  if (!r.ok) {
    err(r.message);
    return EXIT.failed;
  }
  out(said);
  return EXIT.ok;
}

export async function runUser(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  const [sub, name, ...rest] = positionals;
  if (rest.length) throw new UsageError(`unexpected: ${rest.join(' ')}`);
  if (!sub || !['add', 'passwd', 'disable', 'enable', 'role', 'list'].includes(sub)) throw new UsageError('the subcommand is add, passwd, disable, enable, role or list');
  if (sub !== 'list' && !name) throw new UsageError(`user ${sub} NAME`);
  if ((sub === 'add' || sub === 'role') && (!values.role || !values.region?.length)) throw new UsageError(`user ${sub} NAME --role ROLE --region CODE (or --region all)`);
  const password = sub === 'add' || sub === 'passwd' ? await readSecret(`password for ${name}: `) : '';
  const { store, accounts, admin, who } = await openAccounts(values);
  try {
    switch (sub) {
      case 'add':
        return done(await admin.addUser(who, { name: name!, role: values.role!, regions: values.region!, password }), `user ${name} added (${values.role})`);
      case 'passwd':
        return done(await admin.setPassword(who, name!, password), `password of ${name} changed; its sessions ended`);
      case 'disable':
        return done(await admin.setDisabled(who, name!, true), `user ${name} disabled; its sessions ended`);
      case 'enable':
        return done(await admin.setDisabled(who, name!, false), `user ${name} enabled`);
      case 'role':
        return done(await admin.setRole(who, name!, values.role!, values.region!), `user ${name} is ${values.role} of ${values.region!.join(', ')}; its sessions ended`);
      default: {
        const users = (await accounts.users()).map(userView);
        out(users.length ? table(['NAME', 'ROLE', 'REGIONS', 'STATE', 'CHANGED'], users.map((u) => [u.name, u.role, u.regions.join(','), u.disabled ? 'disabled' : 'active', u.changedAt])) : 'no users yet: xueliang user add NAME --role admin --region all');
        return EXIT.ok;
      }
    }
  } finally {
    await store.close();
  }
}

export async function runToken(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  const [sub, id, ...rest] = positionals;
  if (rest.length) throw new UsageError(`unexpected: ${rest.join(' ')}`);
  if (!sub || !['create', 'list', 'revoke'].includes(sub)) throw new UsageError('the subcommand is create, list or revoke');
  if (sub === 'revoke' && !id) throw new UsageError('token revoke ID');
  let lifetime: number | null = 90 * 86_400_000;
  if (sub === 'create') {
    if (!values.name) throw new UsageError('token create --name NAME …');
    if (!values.user && (!values.role || !values.region?.length)) throw new UsageError('token create --name NAME --role ROLE --region CODE … (or --user USER)');
    const l = parseLifetime(values.expires ?? '90d');
    if (l !== null && typeof l === 'object') throw new UsageError(l.error);
    lifetime = l;
  }
  const { store, accounts, admin, who } = await openAccounts(values);
  try {
    if (sub === 'create') {
      const r = await admin.createToken(who, { name: values.name!, role: values.role ?? '', regions: values.region ?? [], lifetimeMs: lifetime, user: values.user });
      if (!r.ok) return done(r, '');
      err(`token ${r.value.id} created${r.value.expiresAt === null ? ', never expires' : `, expires ${new Date(r.value.expiresAt).toISOString()}`}; it is shown this once:`);
      out(r.value.token);
      return EXIT.ok;
    }
    if (sub === 'revoke') return done(await admin.revokeToken(who, id!), `token ${id} revoked`);
    const now = Date.now();
    const tokens = (await accounts.tokens()).map((t) => tokenView(t, now));
    out(tokens.length ? table(['ID', 'NAME', 'ROLE', 'REGIONS', 'USER', 'EXPIRES', 'STATE'], tokens.map((t) => [t.id, t.name, t.role, t.regions.join(','), t.user ?? '-', t.expiresAt ?? 'never', t.active ? 'active' : t.revokedAt ? 'revoked' : 'expired'])) : 'no tokens');
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
