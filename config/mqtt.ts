import { z } from 'zod';
import { DEFAULT_TOPIC_ROOT } from '../protocols/index.js';

/** The broker connection, shared by the agent and the aggregator configs. */
export function mqttSettings(opts: { clientId: string; reconnectMaxMs: number }) {
  return z
    .object({
      url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'use mqtt://, mqtts://, ws:// or wss://').default('mqtt://127.0.0.1:1883').describe('broker URL; mqtts:// for TLS (or env XUELIANG_MQTT_URL)'),
      username: z.string().optional().describe('or env XUELIANG_MQTT_USERNAME'),
      password: z.string().optional().describe('secret; or env XUELIANG_MQTT_PASSWORD'),
      clientId: z.string().min(1).max(128).optional().describe(opts.clientId),
      topicRoot: z.string().regex(/^[^#+]+[^/#+]$/, 'no wildcards, no trailing "/"').default(DEFAULT_TOPIC_ROOT).describe('root of every topic; its last level is the protocol version'),
      protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5).describe('5 = MQTT 5, 4 = MQTT 3.1.1'),
      ca: z.string().optional().describe('path of a CA certificate file (PEM) for mqtts://'),
      cert: z.string().optional().describe('path of a client certificate (PEM)'),
      key: z.string().optional().describe('path of the client key (PEM)'),
      rejectUnauthorized: z.boolean().default(true).describe('check the broker certificate (leave on)'),
      keepaliveSec: z.number().int().min(5).max(3600).default(30).describe('MQTT keepalive; the last will is sent about 1.5 × this after the link dies'),
      reconnectMinMs: z.number().int().min(100).default(1000).describe('first reconnect delay; doubles with full jitter up to reconnectMaxMs'),
      reconnectMaxMs: z.number().int().min(1000).default(opts.reconnectMaxMs).describe('longest reconnect delay'),
    })
    .strict();
}
