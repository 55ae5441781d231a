import { readFile } from 'node:fs/promises';
import { Client, Filter, InvalidCredentialsError } from 'ldapts';
import type { LdapSettings } from '../../config/auth.js';
import type { DirectoryAnswer } from '../auth/directory.js';

const normalDn = (dn: string) => dn.replace(/\s*,\s*/g, ',').toLowerCase();

/**
 * Logins through an LDAP directory (ldapts; simple bind over ldap:// or
 * ldaps://): the service account (or an anonymous bind) finds the user's DN
 * with `userFilter`, a bind as that DN checks the password, and the user's
 * groups (`groupFilter`) decide the role and regions by the first mapped
 * group. Everything within `timeoutMs`; whatever the server does, the answer
 * comes by then and the connections are closed.
 */
export class LdapDirectory {
  private password: string | undefined;

  constructor(private readonly settings: LdapSettings) {}

  async authenticate(name: string, password: string): Promise<DirectoryAnswer> {
    // an empty password is an unauthenticated bind, which a directory accepts: never a login
    if (password.length === 0 || name.length === 0) return { ok: false, kind: 'refused', why: 'empty name or password' };
    const clients: Client[] = [];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<DirectoryAnswer>((resolve) => (timer = setTimeout(() => resolve({ ok: false, kind: 'unavailable', why: `the directory did not answer within ${this.settings.timeoutMs} ms` }), this.settings.timeoutMs)));
    try {
      return await Promise.race([this.ask(name, password, clients), deadline]);
    } finally {
      clearTimeout(timer);
      // a hung server must not hold the login, nor a socket: unbind is not waited for
      for (const c of clients) void c.unbind().catch(() => undefined);
    }
  }

  private async client(clients: Client[]): Promise<Client> {
    const s = this.settings;
    const ca = s.ca ? await readFile(s.ca) : undefined;
    const c = new Client({ url: s.url, timeout: s.timeoutMs, connectTimeout: s.timeoutMs, ...(ca ? { tlsOptions: { ca, minVersion: 'TLSv1.2' } } : {}) });
    clients.push(c);
    return c;
  }

  private async ask(name: string, password: string, clients: Client[]): Promise<DirectoryAnswer> {
    const s = this.settings;
    try {
      const search = await this.client(clients);
      if (s.bindDn) await search.bind(s.bindDn, await this.servicePassword());
      const found = await search.search(s.baseDn, { scope: 'sub', filter: s.userFilter.replaceAll('{user}', Filter.escape(name)), attributes: ['dn'], sizeLimit: 2 });
      if (found.searchEntries.length !== 1) return { ok: false, kind: 'refused', why: found.searchEntries.length === 0 ? 'no such user in the directory' : 'the user filter finds several entries' };
      const dn = found.searchEntries[0]!.dn;
      try {
        await (await this.client(clients)).bind(dn, password);
      } catch (err) {
        if (err instanceof InvalidCredentialsError) return { ok: false, kind: 'refused', why: 'wrong password' };
        throw err;
      }
      const groups = await search.search(s.groupBaseDn ?? s.baseDn, { scope: 'sub', filter: s.groupFilter.replaceAll('{dn}', Filter.escape(dn)), attributes: ['dn'], sizeLimit: 1000 });
      const mine = new Set(groups.searchEntries.map((g) => normalDn(g.dn)));
      const mapped = s.groups.find((g) => mine.has(normalDn(g.dn)));
      if (!mapped) return { ok: false, kind: 'refused', why: 'in no group the centre maps to a role' };
      return { ok: true, dn, role: mapped.role, regions: [...mapped.regions], group: mapped.dn };
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return { ok: false, kind: 'unavailable', why: "the directory refused the service account's password (auth.ldap.bindDn)" };
      return { ok: false, kind: 'unavailable', why: `the directory failed: ${(err as Error).message.slice(0, 200)}` };
    }
  }

  private async servicePassword(): Promise<string> {
    if (this.password !== undefined) return this.password;
    const s = this.settings;
    const p = s.bindPasswordFile ? (await readFile(s.bindPasswordFile, 'utf8')).replace(/\r?\n$/, '') : s.bindPasswordEnv ? process.env[s.bindPasswordEnv] : undefined;
    if (!p) throw new Error(`no password for auth.ldap.bindDn (${s.bindPasswordFile ? `the file ${s.bindPasswordFile} is empty` : `the environment variable ${s.bindPasswordEnv ?? '?'} is not set`})`);
    this.password = p;
    return p;
  }
}
