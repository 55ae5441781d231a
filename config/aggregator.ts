import { z } from 'zod';
import { mqttSettings } from './mqtt.js';
import { isTimeZone } from '../protocols/local-time.js';
import { gb28181Settings } from './gb28181.js';
import { authSettings } from './auth.js';
import { DEFAULT_REGISTER_FIELDS, REGISTER_FIELDS } from '../protocols/ids.js';

export const aggregatorConfigSchema = z
  .object({
    mqtt: mqttSettings({ clientId: 'default: xueliang-aggregator; keep it fixed, so the broker keeps the persistent session (and queues events) across restarts', reconnectMaxMs: 30_000 })
      .prefault({})
      .describe('the broker the agents publish to'),
    http: z
      .object({
        host: z.string().default('127.0.0.1').describe('address of the HTTP API; 0.0.0.0 to serve the network'),
        port: z.number().int().min(0).max(65535).default(8080).describe('port of the HTTP API (0: any free port)'),
        token: z.string().min(16).optional().describe('deprecated (API tokens replace it: xueliang token create): a bearer token with the admin role over every region'),
        publicReads: z.boolean().default(false).describe('true: anyone who reaches the port reads rates, cameras and reports without logging in (a lab, never a police network); false: every read needs a login or an API token'),
        tls: z
          .object({
            cert: z.string().min(1).describe('the server certificate (PEM; the chain after it)'),
            key: z.string().min(1).describe('its private key (PEM), readable by the aggregator only'),
            ca: z.string().min(1).optional().describe('a CA bundle (PEM) to trust besides the system\'s: for a replica that passes requests to the leader over HTTPS'),
          })
          .strict()
          .optional()
          .describe('serve HTTPS (TLS 1.2 or newer, with HSTS) instead of plain HTTP: the console and the API the same'),
      })
      .strict()
      .prefault({})
      .describe('the HTTP API, /metrics and /healthz'),
    planFile: z.string().optional().describe('point plan (点位) to load at start: .csv or .json'),
    database: z
      .string()
      .min(1)
      .default('/var/lib/xueliang/aggregator.db')
      .describe('where the centre keeps its history: a SQLite file (a path, sqlite:///path, or ":memory:", which keeps nothing) or a PostgreSQL server (postgres://user@host:5432/db; ?host=/run/postgresql for a unix socket; the password from PGPASSWORD or ~/.pgpass rather than the URL)'),
    retentionDays: z.number().int().min(1).max(3650).default(400).describe('history older than this is pruned'),
    ratesIntervalMs: z.number().int().min(100).max(3_600_000).default(5000).describe('rates are republished at most this often, and only when they changed'),
    maxPayloadBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(256 * 1024).describe('larger MQTT messages are rejected and counted'),
    timeZone: z
      .string()
      .default('Asia/Shanghai')
      .refine(isTimeZone, { message: 'not a time zone this system knows (use an IANA name such as Asia/Shanghai)' })
      .describe('IANA time zone of the users: where "today", days and months begin and end'),
    alerts: z
      .object({
        afterSeconds: z.number().int().min(0).max(86_400).default(300).describe('a condition (camera offline or degraded, flapping, gateway down, rate below target) must last this long before it is an alert: no alert for a blip'),
        checkMs: z.number().int().min(100).max(600_000).default(15_000).describe('how often the conditions are checked (a pass looks at every camera: about 1 µs each)'),
        webhook: z
          .object({
            url: z.string().url().describe('POSTed every notice (JSON), in order, again until it answers 2xx'),
            secret: z.string().min(16).describe('key of the X-Xueliang-Signature header: sha256=HMAC-SHA256(secret, body) in hex'),
            timeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('one delivery attempt gives up after this'),
            maxQueued: z.number().int().min(10).max(1_000_000).default(10_000).describe('notices kept while the receiver is away; beyond, the oldest are dropped and logged'),
          })
          .strict()
          .optional()
          .describe('deliver alerts by HTTP POST too'),
      })
      .strict()
      .prefault({})
      .describe('alerts on {root}/alerts/events and {root}/alerts/active/{id}, and by webhook'),
    stale: z
      .object({
        afterRounds: z.number().int().min(1).max(100).default(3).describe('a camera whose live gateway has not confirmed it for this many liveness rounds (its round messages) is stale: shown as such and counted unknown until confirmed again'),
      })
      .strict()
      .prefault({})
      .describe('statuses the gateways report by exception: how long one stands without a confirming round'),
    register: z
      .object({
        requiredFields: z
          .array(z.enum(REGISTER_FIELDS))
          .default([...DEFAULT_REGISTER_FIELDS])
          .describe('point fields a camera record needs to be complete (建档率), besides the device\'s manufacturer, model and serial: gbId, name, address, longitude, latitude, category, installedOn, owner, maintainer'),
      })
      .strict()
      .prefault({})
      .describe('the camera register (一机一档): what makes a record complete'),
    flapping: z
      .object({
        changes: z.number().int().min(1).max(1000).default(5).describe('a camera whose state changed more than this many times …'),
        withinMinutes: z.number().min(1).max(1440).default(10).describe('… within this many minutes is flapping, until it has been stable this long'),
      })
      .strict()
      .prefault({})
      .describe('flapping cameras: one notice and one line in the problem list, not one per change'),
    replicas: z
      .object({
        group: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, "_", "." or "-"').describe('the shared subscription group ($share/{group}/…) of the replicas; the same on each'),
        advertise: z.string().url().optional().describe("this replica's API as the others reach it (default http://{http.host}:{http.port}): followers pass requests to the leader's"),
      })
      .strict()
      .optional()
      .describe('several aggregators on one PostgreSQL database share the ingest (each its own mqtt.clientId and http.port); one leads and applies, the others pass the API to it'),
    cascade: z
      .object({
        tier: z
          .string()
          .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'one MQTT topic level: letters, digits, "_", ".", ":" or "-"')
          .describe("this aggregator's name in the tier above, e.g. the county's GB/T 2260 code (330106)"),
        upstream: mqttSettings({ clientId: 'default: xueliang-tier-{tier}', reconnectMaxMs: 30_000 }).describe("the broker of the aggregator above: its mqtt.url and topicRoot (that aggregator reads {topicRoot}/cascade/+/…)"),
        intervalMs: z.number().int().min(1000).max(600_000).default(10_000).describe('the rollup is published this often; the tier above counts this tier stale after three missed ones'),
      })
      .strict()
      .optional()
      .describe('county → city → province: publish this aggregator’s rollup (counts and online time per region and category) to the aggregator above, which adds it to its own'),
    maintenance: z
      .object({
        excludeFromRates: z
          .boolean()
          .default(true)
          .describe('time under a maintenance window leaves the online rate (neither online nor observed), and a camera under one now is counted apart from networking and intact; false: windows are only shown'),
      })
      .strict()
      .prefault({})
      .describe('maintenance windows that admins declare (POST /api/maintenance or {root}/maintenance/{id})'),
    auth: authSettings.prefault({}).describe('accounts, passwords and console sessions (users are added with xueliang user add)'),
    gb28181: gb28181Settings.optional().describe('GB/T 28181 upward: register with the public-security video platforms as a lower platform (下级平台) and keep their catalogs and camera statuses true'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').describe('pino log level'),
  })
  .strict()
  .refine((c) => c.replicas === undefined || /^postgres(ql)?:\/\//i.test(c.database), { message: 'replicas share a PostgreSQL database: set database to postgres://…', path: ['replicas'] })
  .refine((c) => c.replicas === undefined || c.mqtt.clientId !== undefined, { message: 'each replica needs a client id of its own (its persistent session): set mqtt.clientId', path: ['mqtt', 'clientId'] });

export type AggregatorConfig = z.infer<typeof aggregatorConfigSchema>;
