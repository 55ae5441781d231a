import type { Role } from './roles.js';

/** What a directory (auth.ldap) said of a login: adapters/ldap-directory.ts asks it. */
export type DirectoryAnswer =
  | { ok: true; dn: string; role: Role; regions: string[]; group: string }
  /** the name or password is wrong, or the user is in no mapped group: refused as any wrong login */
  | { ok: false; kind: 'refused'; why: string }
  /** the directory did not answer in time, or failed: said as such, never as a wrong password */
  | { ok: false; kind: 'unavailable'; why: string };

export interface Directory {
  authenticate(name: string, password: string): Promise<DirectoryAnswer>;
}
