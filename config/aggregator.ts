import { z } from 'zod';
import { DEFAULT_TOPIC_ROOT } from '../protocols/index.js';

export const aggregatorConfigSchema = z
  .object({
    mqtt: z
      .object({
        url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'use mqtt://, mqtts://, ws:// or wss://').default('mqtt://127.0.0.1:1883'),
        username: z.string().optional().describe('or env XUELIANG_MQTT_USERNAME'),
        password: z.string().optional().describe('secret; or env XUELIANG_MQTT_PASSWORD'),
        clientId: z.string().default('xueliang-aggregator').describe('fixed, so the broker keeps the persistent session across restarts'),
        topicRoot: z.string().regex(/^[^#+]+[^/#+]$/, 'no wildcards, no trailing "/"').default(DEFAULT_TOPIC_ROOT),
        protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5),
        ca: z.string().optional(),
        cert: z.string().optional(),
        key: z.string().optional(),
        rejectUnauthorized: z.boolean().default(true),
        keepaliveSec: z.number().int().min(5).max(3600).default(30),
        reconnectMinMs: z.number().int().min(100).default(1000),
        reconnectMaxMs: z.number().int().min(1000).default(30_000),
      })
      .strict()
      .prefault({}),
    http: z
      .object({
        host: z.string().default('127.0.0.1').describe('address of the HTTP API; 0.0.0.0 to serve the network'),
        port: z.number().int().min(0).max(65535).default(8080),
        token: z.string().min(16).optional().describe('bearer token that may replace the point plan; without it the plan is read-only over HTTP'),
      })
      .strict()
      .prefault({}),
    planFile: z.string().optional().describe('point plan (点位) to load at start: .csv or .json'),
    database: z.string().default('/var/lib/xueliang/aggregator.db').describe('SQLite file; ":memory:" keeps nothing'),
    retentionDays: z.number().int().min(1).max(3650).default(400),
    ratesIntervalMs: z.number().int().min(100).max(3_600_000).default(5000).describe('rates are republished at most this often, and only when they changed'),
    maxPayloadBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(256 * 1024),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  })
  .strict();

export type AggregatorConfig = z.infer<typeof aggregatorConfigSchema>;
