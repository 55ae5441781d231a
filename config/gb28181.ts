import { z } from 'zod';
import { regionError } from '../protocols/index.js';

const twentyDigits = (what: string) => z.string().regex(/^\d{20}$/, `${what} is a 20-digit GB/T 28181 id`);

/** One upper platform (上级平台) the centre registers with as a lower platform. */
export const gbUpstream = z
  .object({
    name: z.string().max(100).optional().describe('how logs and the console call this platform (default: its serverId)'),
    serverId: twentyDigits('serverId').describe("the upper platform's SIP id (WVP: sip.id, e.g. 34020000002000000001)"),
    domain: z.string().regex(/^[A-Za-z0-9.-]{1,64}$/, 'letters, digits, "." or "-" (usually the first 10 digits of serverId)').describe("the upper platform's SIP domain (WVP: sip.domain, e.g. 3402000000); the Digest realm"),
    host: z.string().min(1).describe("the upper platform's SIP address (an IP or a name)"),
    port: z.number().int().min(1).max(65535).default(5060).describe("the upper platform's SIP port"),
    transport: z.enum(['udp', 'tcp']).default('udp').describe('SIP over UDP (most platforms) or TCP'),
    localId: twentyDigits('localId')
      .refine((id) => id.slice(10, 13) === '200', { message: 'localId is a platform id: type 200 in digits 11-13 (e.g. 33010600002000000001)' })
      .describe('our own id as a platform (type 200): the user of the Digest login and the DeviceID the upper platform lists us under'),
    passwordFile: z.string().optional().describe('a file holding the SIP password (first line); or passwordEnv'),
    passwordEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')
      .optional()
      .describe('the environment variable holding the SIP password (never the password itself in this file)'),
    expires: z.number().int().min(60).max(86_400).default(3600).describe('registration lifetime asked for, seconds; refreshed before it ends'),
    keepaliveSeconds: z.number().int().min(1).max(3600).default(60).describe('a Keepalive MESSAGE this often'),
    keepaliveMisses: z.number().int().min(1).max(20).default(3).describe('keepalives unanswered in a row before we register again'),
    charset: z.enum(['GB2312', 'UTF-8']).default('GB2312').describe('encoding of the XML bodies we send (GB2312 is what GB/T 28181 platforms expect)'),
    catalogChunk: z.number().int().min(1).max(8).default(1).describe('items per catalog answer message (WVP sends 1; some platforms take up to 8)'),
    regions: z
      .array(z.string().refine((r) => regionError(r) === undefined, { message: 'a GB/T 2260 region code (6 or 8 digits)' }))
      .default([])
      .describe('which of our regions this platform sees (with everything below them); empty: all'),
    notifyMaxBytes: z.number().int().min(2000).max(60_000).default(24_000).describe('a catalog NOTIFY carries items up to this many bytes of body; many changes at once go in few NOTIFYs'),
  })
  .strict()
  .refine((u) => (u.passwordFile === undefined) !== (u.passwordEnv === undefined), { message: 'give the password by passwordFile or passwordEnv (exactly one)', path: ['passwordFile'] });
export type GbUpstreamSettings = z.infer<typeof gbUpstream>;

export const gb28181Settings = z
  .object({
    sip: z
      .object({
        host: z.string().default('0.0.0.0').describe('address our SIP port listens on (UDP and TCP); only the upstream platforms are answered'),
        port: z.number().int().min(0).max(65535).default(5060).describe('our SIP port (0: any free port)'),
        advertise: z.string().optional().describe('the address the upper platforms reach us at (Via, Contact); default: our address on the route to each'),
      })
      .strict()
      .prefault({})
      .describe('our SIP port, UDP and TCP'),
    deviceName: z.string().max(100).default('xueliang').describe('our name in DeviceInfo answers'),
    upstream: z.array(gbUpstream).min(1).max(16).describe('upper platforms to register with'),
  })
  .strict()
  .refine((g) => new Set(g.upstream.map((u) => u.serverId)).size === g.upstream.length, { message: 'each upper platform once (serverId repeats)', path: ['upstream'] });
export type Gb28181Settings = z.infer<typeof gb28181Settings>;
