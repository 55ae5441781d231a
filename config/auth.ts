import { z } from 'zod';
import { role } from '../protocols/http-api.js';

/** Directory logins (LDAP simple bind), groups mapped to roles and regions. */
export const ldapSettings = z
  .object({
    url: z.string().regex(/^ldaps?:\/\/[^/\s]+\/?$/, 'ldap://host:389 or ldaps://host:636').describe('the directory server'),
    ca: z.string().min(1).optional().describe('a CA file (PEM) to trust for ldaps:// besides the system\'s'),
    bindDn: z.string().min(1).optional().describe('a service account that searches for users and their groups (anonymous search without)'),
    bindPasswordFile: z.string().min(1).optional().describe("a file holding the service account's password (readable by the aggregator only)"),
    bindPasswordEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional().describe("or the environment variable that holds it"),
    baseDn: z.string().min(1).describe('where users are searched (subtree)'),
    userFilter: z.string().default('(uid={user})').describe('the filter that finds a user; {user} is the name typed at login, escaped'),
    groupBaseDn: z.string().min(1).optional().describe('where groups are searched (default baseDn)'),
    groupFilter: z.string().default('(&(objectClass=groupOfNames)(member={dn}))').describe("the filter of a user's groups; {dn} is the user's DN, escaped"),
    groups: z
      .array(z.object({ dn: z.string().min(1).describe('a group DN'), role: role.describe('the role its members get'), regions: z.array(z.string()).min(1).max(100).describe('GB/T 2260 codes, or all') }).strict())
      .min(1)
      .describe('group → role and regions; the first group of the list the user is in decides; a user in none may not log in'),
    timeoutMs: z.number().int().min(200).max(60_000).default(5000).describe('a login through the directory gives up after this (local accounts keep working)'),
  })
  .strict()
  .refine((l) => l.bindDn === undefined || l.bindPasswordFile !== undefined || l.bindPasswordEnv !== undefined, { message: 'bindDn needs bindPasswordFile or bindPasswordEnv', path: ['bindDn'] });

export type LdapSettings = z.infer<typeof ldapSettings>;

/** The aggregator's accounts and sessions (docs/security.md). */
export const authSettings = z
  .object({
    password: z
      .object({
        minLength: z.number().int().min(8).max(128).default(12).describe('a new password has at least this many characters'),
        classes: z.number().int().min(1).max(4).default(3).describe('… and mixes this many of: lower case, upper case, digits, other characters'),
      })
      .strict()
      .prefault({})
      .describe('the password policy of local accounts (there is no default password anywhere)'),
    lockout: z
      .object({
        attempts: z.number().int().min(1).max(100).default(5).describe('this many failed logins of one account within `minutes` lock it (an address: four times as many) …'),
        minutes: z.number().int().min(1).max(1440).default(15).describe('… for this many minutes after the last failure'),
      })
      .strict()
      .prefault({})
      .describe('failed logins'),
    sessionIdleMinutes: z.number().min(0.05).max(1440).default(30).describe('a console session unused this long ends'),
    sessionMaxHours: z.number().int().min(1).max(168).default(12).describe('a console session ends this long after the login, used or not'),
    ldap: ldapSettings.optional().describe('directory login: users not in the local accounts log in with their organisation\'s directory, their groups mapped to roles and regions'),
  })
  .strict();

export type AuthSettings = z.infer<typeof authSettings>;
