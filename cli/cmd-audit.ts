import { parseArgs } from 'node:util';
import pino from 'pino';
import { EXIT, err, out, UsageError } from './output.js';
import { ChainVerifier, createStore } from '../aggregator/index.js';

export const auditHelp = `xueliang audit verify --config FILE   (or --database URL)

Checks the aggregator's audit trail (安全审计) in its database: every record's
content against its hash, every record chained to the one before, no record
missing. Exit 0 when the chain is intact; 1 naming the first record that is
not (edited, or records before it deleted or replaced).
  --config FILE     the aggregator's config: its database setting
  --database URL    a SQLite file or postgres://… instead (the password from PGPASSWORD or ~/.pgpass)`;

const PAGE = 1000;

export async function runAudit(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, database: { type: 'string' } }, allowPositionals: true, strict: true });
  if (positionals[0] !== 'verify' || positionals.length !== 1) throw new UsageError('the subcommand is verify');
  let database = values.database;
  if (!database) {
    if (!values.config) throw new UsageError('give --config FILE or --database URL');
    database = (await (await import('./cmd-aggregator.js')).loadAggregatorConfig(values.config)).database;
  }
  const store = createStore(database, pino({ level: 'warn' }, pino.destination(2)));
  await store.open();
  try {
    const v = new ChainVerifier();
    for (let from = 1; ; ) {
      const page = await store.auditRecords(from, PAGE);
      for (const r of page) v.add(r);
      if (page.length < PAGE) break;
      from = page.at(-1)!.seq + 1;
    }
    const r = v.result();
    if (r.ok) {
      out(`audit trail intact: ${r.records} record${r.records === 1 ? '' : 's'}${r.records ? `, the last #${r.lastSeq}` : ''}`);
      return EXIT.ok;
    }
    err(`audit trail broken at record #${r.seq}: ${r.reason}`);
    return EXIT.failed;
  } finally {
    await store.close();
  }
}
