import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatorConfig, startAggregator, type AggregatorProcess } from '../support/aggregator-process.js';
import { addUser, login } from '../support/accounts.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { sshaHash, startSlapd, type DirectoryEntry, type Slapd } from '../support/slapd.js';
import { startPostgres, type PgServer } from '../../scripts/sim/postgres-server.js';

/*
 * Directory login (issue 24 §1): users not in the local accounts log in with
 * the organisation's LDAP directory (Debian's slapd here), their groups mapped
 * to roles and regions; a directory that hangs is bounded by a deadline and
 * local accounts keep working.
 */
const SUFFIX = 'dc=xueliang,dc=test';
const SERVICE_PW = 'Service-Acct-Pa55';
const PW = { wang: 'Wang-Directory-Pa55', zhao: 'Zhao-Directory-Pa55', li: 'Li-Directory-Pa55', admin: 'Local-Chief-Pa55' };

const entries: DirectoryEntry[] = [
  { dn: SUFFIX, attrs: { objectClass: ['dcObject', 'organization'], dc: 'xueliang', o: 'Xueliang test' } },
  ...['people', 'groups', 'services'].map((ou) => ({ dn: `ou=${ou},${SUFFIX}`, attrs: { objectClass: 'organizationalUnit', ou } })),
  { dn: `cn=xueliang,ou=services,${SUFFIX}`, attrs: { objectClass: ['organizationalRole', 'simpleSecurityObject'], cn: 'xueliang', userPassword: sshaHash(SERVICE_PW) } },
  ...(['wang', 'zhao', 'li'] as const).map((uid) => ({ dn: `uid=${uid},ou=people,${SUFFIX}`, attrs: { objectClass: 'inetOrgPerson', uid, cn: uid, sn: uid, userPassword: sshaHash(PW[uid]) } })),
  { dn: `cn=xihu-operators,ou=groups,${SUFFIX}`, attrs: { objectClass: 'groupOfNames', cn: 'xihu-operators', member: `uid=wang,ou=people,${SUFFIX}` } },
  { dn: `cn=auditors,ou=groups,${SUFFIX}`, attrs: { objectClass: 'groupOfNames', cn: 'auditors', member: `uid=zhao,ou=people,${SUFFIX}` } },
  { dn: `cn=canteen,ou=groups,${SUFFIX}`, attrs: { objectClass: 'groupOfNames', cn: 'canteen', member: `uid=li,ou=people,${SUFFIX}` } },
];

const ldapConfig = (url: string, passwordFile: string, timeoutMs = 5000) => ({
  url,
  bindDn: `cn=xueliang,ou=services,${SUFFIX}`,
  bindPasswordFile: passwordFile,
  baseDn: `ou=people,${SUFFIX}`,
  groupBaseDn: `ou=groups,${SUFFIX}`,
  groups: [
    { dn: `cn=xihu-operators,ou=groups,${SUFFIX}`, role: 'operator', regions: ['330106'] },
    { dn: `cn=auditors,ou=groups,${SUFFIX}`, role: 'auditor', regions: ['all'] },
  ],
  timeoutMs,
});

const tryLogin = (api: string, user: string, password: string) => fetch(`${api}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user, password }) });

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`directory login (${engine}, slapd)`, () => {
    let broker: Broker;
    let slapd: Slapd;
    let pg: PgServer | undefined;
    let agg: AggregatorProcess;

    beforeAll(async () => {
      broker = await startMosquitto();
      slapd = await startSlapd(SUFFIX, entries);
      if (engine === 'postgres') pg = await startPostgres();
      const secret = path.join(mkdtempSync(path.join(os.tmpdir(), 'xl-ldap-')), 'bind.pw');
      writeFileSync(secret, `${SERVICE_PW}\n`, { mode: 0o600 });
      const setup = await aggregatorConfig({ mqtt: { url: broker.url }, http: { publicReads: false }, auth: { ldap: ldapConfig(slapd.url, secret) }, ...(pg ? { database: await pg.createDatabase('ldap') } : {}) });
      await addUser(setup.file, 'admin', 'admin', ['all'], PW.admin);
      agg = await startAggregator(setup);
    }, 60_000);

    afterAll(async () => {
      await agg?.stop();
      await slapd?.stop();
      await pg?.stop();
      await broker?.stop();
    });

    it('directory: a user of a mapped group logs in with the directory password and gets that group\'s role and regions', async () => {
      const wang = await login(agg.api, 'wang', PW.wang);
      const session = (await (await wang.fetch('/api/session')).json()) as { user: string; role: string; regions: string[] };
      expect(session).toMatchObject({ user: 'wang', role: 'operator', regions: ['330106'] });
      expect((await wang.fetch('/api/rates')).status).toBe(200);
      expect((await wang.fetch('/api/rates?region=330105')).status).toBe(404);
      expect((await wang.fetch('/api/users')).status).toBe(403);
      const zhao = await login(agg.api, 'zhao', PW.zhao);
      const trail = (await (await zhao.fetch('/api/audit?action=auth.login&limit=1000')).json()) as { records: Array<{ action: string; actor: string; detail: Record<string, unknown> }> };
      const wangLogin = trail.records.find((r) => r.action === 'auth.login' && r.actor === 'wang');
      expect(wangLogin?.detail).toMatchObject({ directory: true, dn: `uid=wang,ou=people,${SUFFIX}`, role: 'operator', regions: ['330106'] });
      expect(JSON.stringify(trail)).not.toContain(PW.wang);
      expect((await zhao.fetch('/api/rates')).status).toBe(403);
    });

    it('directory: a wrong password, a user in no mapped group, a name that is a filter, and one nobody has are refused alike', async () => {
      const answers = await Promise.all([tryLogin(agg.api, 'wang', 'not-his-password'), tryLogin(agg.api, 'li', PW.li), tryLogin(agg.api, '*', PW.wang), tryLogin(agg.api, 'nobody', PW.wang), tryLogin(agg.api, 'wang)(uid=*', PW.wang)]);
      expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
      expect(new Set(await Promise.all(answers.map((r) => r.text()))).size).toBe(1);
      // a local account logs in as before
      expect((await tryLogin(agg.api, 'admin', PW.admin)).status).toBe(200);
    });
  });
}

describe('directory login against a directory that hangs', () => {
  let broker: Broker;
  let agg: AggregatorProcess;
  let hung: net.Server;
  const held: net.Socket[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
    // accepts, reads, never answers
    hung = net.createServer((s) => {
      held.push(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', () => r()));
    const port = (hung.address() as net.AddressInfo).port;
    const secret = path.join(mkdtempSync(path.join(os.tmpdir(), 'xl-ldap-')), 'bind.pw');
    writeFileSync(secret, SERVICE_PW, { mode: 0o600 });
    const setup = await aggregatorConfig({ mqtt: { url: broker.url }, http: { publicReads: false }, auth: { ldap: ldapConfig(`ldap://127.0.0.1:${port}`, secret, 1000) } });
    await addUser(setup.file, 'admin', 'admin', ['all'], PW.admin);
    agg = await startAggregator(setup);
  }, 60_000);

  afterAll(async () => {
    await agg?.stop();
    for (const s of held) s.destroy();
    hung?.close();
    await broker?.stop();
  });

  it('directory: a hung directory answers 503 by its deadline; a local account logs in meanwhile; the centre keeps serving', async () => {
    const started = Date.now();
    const pending = Promise.all(Array.from({ length: 5 }, () => tryLogin(agg.api, 'wang', PW.wang)));
    const local = await tryLogin(agg.api, 'admin', PW.admin);
    expect(local.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(900);
    const answers = await pending;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(answers.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
    const body = (await answers[0]!.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('DIRECTORY_UNAVAILABLE');
    expect(body.error.message).toContain('did not answer within 1000 ms');
    expect((await fetch(`${agg.api}/healthz`)).status).toBe(200);
    expect(agg.lines.join('\n')).not.toContain(SERVICE_PW);
  }, 20_000);
});
