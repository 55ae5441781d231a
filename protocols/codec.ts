import type { z } from 'zod';
import { desiredConfigMessage, reportedConfigMessage } from './config-messages.js';
import { isTopicSegment } from './ids.js';
import { agentEvent, agentRoundMessage, agentStateMessage, agentSummaryMessage, alertMessage, alertNotice, cascadeRollupMessage, cascadeStateMessage, cameraFrameMessage, cameraStatusMessage, maintenanceWindow, ratesMessage, requestMessage, responseMessage } from './messages.js';
import { parseTopic, type ParsedTopic, type TopicKind } from './topics.js';

/**
 * One codec for every MQTT message of the contract: a topic and its payload
 * in, a typed message of one kind out, or a rejection with its reason. What a
 * topic carries is one entry of KINDS; a new topic is one entry there and one
 * in topics.ts.
 */

type TopicOf<K extends TopicKind> = Extract<ParsedTopic, { kind: K }>;

interface KindSpec<K extends TopicKind, S extends z.ZodType | null> {
  /** the payload's schema; null: the payload is handed on as bytes, unread (rates: compared, never trusted) */
  schema: S;
  /** an empty payload clears a retained topic (the message is null), stands for `{}`, or is refused */
  empty: 'cleared' | 'empty_object' | 'refused';
  /** the topic's segments that must be valid ids (one MQTT topic level, docs/mqtt-api.md) */
  ids?: (t: TopicOf<K>) => string[];
  /** the body as the schema reads it, from the JSON and the topic (a maintenance window's id comes from its topic) */
  prepare?: (data: unknown, t: TopicOf<K>) => unknown;
  /** what the topic and the message must agree on: a reason to refuse, or undefined */
  agree?: (message: S extends z.ZodType ? z.output<S> : never, t: TopicOf<K>) => string | undefined;
}

const spec = <K extends TopicKind, S extends z.ZodType | null>(_kind: K, s: KindSpec<K, S>) => s;
const agentIds = (t: { agentId: string }) => [t.agentId];

/** What every topic of ours carries. */
export const KINDS = {
  agentState: spec('agentState', { schema: agentStateMessage, empty: 'refused', ids: agentIds }),
  cameraStatus: spec('cameraStatus', {
    schema: cameraStatusMessage,
    empty: 'cleared',
    ids: (t) => [t.agentId, t.cameraId],
    agree: (m, t) => (m.cameraId !== t.cameraId ? `payload says ${m.cameraId}` : undefined),
  }),
  cameraFrame: spec('cameraFrame', {
    schema: cameraFrameMessage,
    empty: 'refused',
    ids: (t) => [t.agentId, t.cameraId],
    agree: (m, t) => (m.cameraId !== t.cameraId ? `payload says ${m.cameraId}` : undefined),
  }),
  events: spec('events', { schema: agentEvent, empty: 'refused', ids: agentIds }),
  summary: spec('summary', { schema: agentSummaryMessage, empty: 'refused', ids: agentIds }),
  round: spec('round', { schema: agentRoundMessage, empty: 'cleared', ids: agentIds }),
  request: spec('request', { schema: requestMessage, empty: 'empty_object', ids: agentIds }),
  response: spec('response', { schema: responseMessage, empty: 'refused', ids: agentIds }),
  configDesired: spec('configDesired', { schema: desiredConfigMessage, empty: 'cleared', ids: agentIds }),
  configReported: spec('configReported', { schema: reportedConfigMessage, empty: 'cleared', ids: agentIds }),
  groupConfigDesired: spec('groupConfigDesired', { schema: desiredConfigMessage, empty: 'cleared', ids: (t) => [t.group] }),
  rates: spec('rates', { schema: null, empty: 'cleared' }),
  report: spec('report', { schema: null, empty: 'cleared' }),
  alertEvents: spec('alertEvents', { schema: alertNotice, empty: 'refused' }),
  alertActive: spec('alertActive', { schema: alertMessage, empty: 'cleared', ids: (t) => [t.alertId] }),
  maintenance: spec('maintenance', {
    schema: maintenanceWindow,
    empty: 'cleared',
    ids: (t) => [t.windowId],
    prepare: (data, t) => (data && typeof data === 'object' && !Array.isArray(data) ? { ...(data as object), id: t.windowId } : data),
  }),
  cascadeRollup: spec('cascadeRollup', { schema: cascadeRollupMessage, empty: 'cleared', ids: (t) => [t.tier], agree: (m, t) => (m.tier !== t.tier ? 'the tier does not match the topic' : undefined) }),
  cascadeState: spec('cascadeState', { schema: cascadeStateMessage, empty: 'cleared', ids: (t) => [t.tier], agree: (m, t) => (m.tier !== t.tier ? 'the tier does not match the topic' : undefined) }),
} satisfies { [K in TopicKind]: KindSpec<K, z.ZodType | null> };

type Kinds = typeof KINDS;
/** The message a topic of kind K carries: its schema's output, or the raw bytes. */
export type MessageOf<K extends TopicKind> = Kinds[K]['schema'] extends z.ZodType<infer T> ? T : Buffer;

/** A decoded message: its kind, its topic's segments and its content (null: an empty payload cleared the retained topic). */
export type Decoded = { [K in TopicKind]: { kind: K; topic: TopicOf<K>; message: MessageOf<K> | null } }[TopicKind];
export type DecodedOf<K extends TopicKind> = Extract<Decoded, { kind: K }>;

export type RejectReason = 'unknown_topic' | 'not_accepted' | 'bad_id' | 'too_large' | 'empty' | 'not_json' | 'schema' | 'id_mismatch';

export interface Rejection {
  ok: false;
  reason: RejectReason;
  /** for people and logs: what was wrong (never the payload itself) */
  detail?: string;
  /** schema issues as `path: message` (at most 10) */
  issues?: Array<{ path: string; message: string }>;
  /** the topic's kind, when the topic was one of ours */
  kind?: TopicKind;
}

export type DecodeResult = { ok: true; value: Decoded } | Rejection;

export interface DecodeOptions {
  /** larger payloads are refused unread: a number for every kind, or per kind (undefined: no bound here) */
  maxBytes?: number | ((kind: TopicKind) => number | undefined);
  /** the kinds this consumer takes; any other topic is refused as `not_accepted` */
  accept?: ReadonlySet<TopicKind>;
}

/** Decodes one MQTT message under `root`; never throws. */
export function decode(root: string, topic: string, payload: Buffer, opts: DecodeOptions = {}): DecodeResult {
  const t = parseTopic(root, topic);
  if (!t) return { ok: false, reason: 'unknown_topic' };
  const kind = t.kind;
  if (opts.accept && !opts.accept.has(kind)) return { ok: false, reason: 'not_accepted', kind };
  const s = KINDS[kind] as KindSpec<TopicKind, z.ZodType | null>;
  for (const id of s.ids?.(t) ?? []) if (!isTopicSegment(id)) return { ok: false, reason: 'bad_id', kind, detail: `not an id: ${id.slice(0, 64)}` };
  const max = typeof opts.maxBytes === 'function' ? opts.maxBytes(kind) : opts.maxBytes;
  if (max !== undefined && payload.length > max) return { ok: false, reason: 'too_large', kind, detail: `${payload.length} bytes` };
  if (s.schema === null) return { ok: true, value: { kind, topic: t, message: payload.length === 0 ? null : payload } as Decoded };
  let data: unknown;
  if (payload.length === 0) {
    if (s.empty === 'cleared') return { ok: true, value: { kind, topic: t, message: null } as Decoded };
    if (s.empty === 'refused') return { ok: false, reason: 'empty', kind };
    data = {};
  } else {
    try {
      data = JSON.parse(payload.toString('utf8'));
    } catch {
      return { ok: false, reason: 'not_json', kind };
    }
  }
  const r = s.schema.safeParse(s.prepare ? s.prepare(data, t) : data);
  if (!r.success) return schemaRejection(r.error, kind);
  const disagree = s.agree?.(r.data as never, t);
  if (disagree) return { ok: false, reason: 'id_mismatch', kind, detail: disagree };
  return { ok: true, value: { kind, topic: t, message: r.data } as Decoded };
}

/**
 * One payload read with a schema, for a topic the codec hands on as bytes
 * (a consumer of the rates that wants them parsed): the same rules as decode().
 */
export function decodePayload<S extends z.ZodType>(schema: S, payload: Buffer): { ok: true; message: z.output<S> } | Rejection {
  let data: unknown;
  try {
    data = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: payload.length === 0 ? 'empty' : 'not_json' };
  }
  const r = schema.safeParse(data);
  return r.success ? { ok: true, message: r.data } : schemaRejection(r.error);
}

function schemaRejection(error: z.ZodError, kind?: TopicKind): Rejection {
  const issues = error.issues.slice(0, 10).map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  return { ok: false, reason: 'schema', ...(kind ? { kind } : {}), issues, detail: issues.slice(0, 3).map((i) => `${i.path}: ${i.message}`).join('; ') };
}
