import { z } from 'zod';

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
  })
  .strict();

export type AuthSettings = z.infer<typeof authSettings>;
