import { z } from 'zod';
import { desiredConfigMessage, reportedConfigMessage } from './config-messages.js';
import { agentEvent, agentRoundMessage, agentStateMessage, agentSummaryMessage, alertMessage, alertNotice, cameraFrameMessage, cameraStatusMessage, cascadeRollupMessage, cascadeStateMessage, maintenanceWindow, ratesMessage, requestMessage, responseMessage } from './messages.js';
import { reportResponse } from './http-api.js';
import { DEFAULT_TOPIC_ROOT, PROTOCOL_VERSION } from './version.js';

/** The version of the contract document; its major is the topic root's (`v1`). */
export const CONTRACT_VERSION = '1.7.0';

/** A message of the contract: its zod schema is the single source of its payload. */
interface MessageSpec {
  schema: z.ZodType;
  /** the schema's export name, which docs/mqtt-api.md uses to tag its examples */
  schemaName: string;
  title: string;
  summary: string;
}

const MESSAGES = {
  agentState: { schema: agentStateMessage, schemaName: 'agentStateMessage', title: 'Agent state', summary: 'Birth (on every connect), last will (published by the broker), clean shutdown.' },
  cameraStatus: { schema: cameraStatusMessage, schemaName: 'cameraStatusMessage', title: 'Camera status', summary: "A camera's current state with every rung of its last check. An empty message clears the topic: the camera was removed." },
  cameraFrame: { schema: cameraFrameMessage, schemaName: 'cameraFrameMessage', title: 'Evidence frame', summary: 'The frame a picture check analysed (JPEG, at most 320×180 and 30 KB) when a fault is raised or cleared or the reference frame is captured.' },
  event: { schema: agentEvent, schemaName: 'agentEvent', title: 'Agent event', summary: 'State changes, faults, removals, drops and the clean stop, with a gap-free seq per session; journaled before publishing.' },
  summary: { schema: agentSummaryMessage, schemaName: 'agentSummaryMessage', title: 'Agent summary', summary: 'Counts by state, and 24 h online time of every camera (cameraList all) or of those whose state changed since the last summary (cameraList changed).' },
  round: { schema: agentRoundMessage, schemaName: 'agentRoundMessage', title: 'Liveness round', summary: 'One per liveness round: every camera of the agent not named in unchecked was checked in the round and its retained status is still true.' },
  request: { schema: requestMessage, schemaName: 'requestMessage', title: 'Request', summary: 'A command for the agent; the body may be empty.' },
  response: { schema: responseMessage, schemaName: 'responseMessage', title: 'Response', summary: 'The answer to a request, with its transaction and MQTT 5 correlation data.' },
  configDesired: { schema: desiredConfigMessage, schemaName: 'desiredConfigMessage', title: 'Desired config', summary: 'A signed, versioned JSON merge patch over the agent config file.' },
  configReported: { schema: reportedConfigMessage, schemaName: 'reportedConfigMessage', title: 'Reported config', summary: 'What the agent did with the last push: applied, rejected with errors, rolled back.' },
  rates: { schema: ratesMessage, schemaName: 'ratesMessage', title: 'Rates', summary: 'Coverage, networking, intact and 24 h online rates of a region with the counts behind them.' },
  alertNotice: { schema: alertNotice, schemaName: 'alertNotice', title: 'Alert notice', summary: 'An alert raised or cleared, numbered in order; also POSTed to the webhook, signed.' },
  alert: { schema: alertMessage, schemaName: 'alertMessage', title: 'Active alert', summary: 'An alert while it is active; the message is emptied when it clears.' },
  cascadeRollup: { schema: cascadeRollupMessage, schemaName: 'cascadeRollupMessage', title: 'Tier rollup', summary: "A lower aggregator's counts and online time per region and category, for the aggregator above to add up." },
  cascadeState: { schema: cascadeStateMessage, schemaName: 'cascadeStateMessage', title: 'Tier state', summary: 'A lower aggregator is online (at connect) or not (last will, clean stop).' },
  maintenance: { schema: maintenanceWindow, schemaName: 'maintenanceWindow', title: 'Maintenance window', summary: 'A camera, point or gateway being worked on from from to to: shown as such and counted apart from the rates.' },
  report: { schema: reportResponse, schemaName: 'reportResponse', title: 'Assessment report', summary: 'The report of a closed local day or month: rows per child region and category, ranking, longest offline, mean time to repair (the same as GET /api/report).' },
} satisfies Record<string, MessageSpec>;
type MessageKey = keyof typeof MESSAGES;

interface ChannelSpec {
  /** address below the topic root */
  address: string;
  message: MessageKey;
  description: string;
  /** who sends on it: the agent, the aggregator, or an admin / a client (then the system receives) */
  sender: 'agent' | 'aggregator' | 'client';
  retain: boolean;
}

const PARAMS: Record<string, string> = {
  agentId: 'the gateway: one topic level of letters, digits, "_", ".", ":" or "-"',
  cameraId: 'the camera: its GB/T 28181 id, configured id, onvif-<endpoint uuid> or rtsp-<host>-<port>-<path>-<hash>',
  command: 'discover, check or status',
  group: 'a group of agents that take the same pushes',
  region: 'a GB/T 2260 code at any level (330000, 330100, 330106, 33010601) or all',
  period: 'day (the previous local day) or month (the previous local month)',
  id: 'the maintenance window: one topic level',
  alertId: 'the alert: al-<hash of its subject and start>',
  tier: "a lower aggregator's name in the tier above (its cascade.tier): one topic level",
};

const CHANNELS: Record<string, ChannelSpec> = {
  agentState: { address: 'agents/{agentId}/state', message: 'agentState', description: 'The agent is online (birth) or not (will, shutdown).', sender: 'agent', retain: true },
  cameraStatus: { address: 'agents/{agentId}/cameras/{cameraId}/status', message: 'cameraStatus', description: "A camera's status: when what it says changes (status.publish change, the default; at least every status.refreshMinutes, after a reconnect, on a status request) or after every check (status.publish check). How fresh it is: the agent's round topic.", sender: 'agent', retain: true },
  cameraFrame: { address: 'agents/{agentId}/cameras/{cameraId}/frame', message: 'cameraFrame', description: 'Evidence of a picture check (since 1.6.0): a small JPEG when a fault is raised or cleared, or the reference frame captured. The centre keeps the reference and the last few per camera.', sender: 'agent', retain: false },
  events: { address: 'agents/{agentId}/events', message: 'event', description: 'One message per change; replayed ones carry historical: true.', sender: 'agent', retain: false },
  summary: { address: 'agents/{agentId}/summary', message: 'summary', description: 'When the counts or a camera state change, at most every summaryIntervalSec (summaryPublish change, the default), or every summaryIntervalSec (summaryPublish interval).', sender: 'agent', retain: true },
  round: { address: 'agents/{agentId}/round', message: 'round', description: 'At the end of every liveness round: which cameras it could not check. A camera in no unchecked list is confirmed as of the round\'s startedAt.', sender: 'agent', retain: true },
  request: { address: 'agents/{agentId}/request/{command}', message: 'request', description: 'Commands for one agent.', sender: 'client', retain: false },
  response: { address: 'agents/{agentId}/response/{command}', message: 'response', description: 'Answers, unless the request named an MQTT 5 response topic.', sender: 'agent', retain: false },
  configDesired: { address: 'agents/{agentId}/config/desired', message: 'configDesired', description: "The admin's push for one agent.", sender: 'client', retain: true },
  groupConfigDesired: { address: 'groups/{group}/config/desired', message: 'configDesired', description: "The admin's push for a group.", sender: 'client', retain: true },
  configReported: { address: 'agents/{agentId}/config/reported', message: 'configReported', description: 'The agent reports each push, and stored layers it had to discard.', sender: 'agent', retain: true },
  rates: { address: 'rates/{region}', message: 'rates', description: 'Only the aggregator writes here; it replaces or clears what it did not write.', sender: 'aggregator', retain: true },
  alertEvents: { address: 'alerts/events', message: 'alertNotice', description: 'Every alert raised or cleared, once, in seq order.', sender: 'aggregator', retain: false },
  activeAlerts: { address: 'alerts/active/{alertId}', message: 'alert', description: 'The alerts active now, retained; emptied when cleared.', sender: 'aggregator', retain: true },
  maintenance: { address: 'maintenance/{id}', message: 'maintenance', description: 'Admins declare a window here (retained); an empty message ends it. The aggregator takes it.', sender: 'client', retain: true },
  cascadeRollup: { address: 'cascade/{tier}/rollup', message: 'cascadeRollup', description: 'On the broker of the aggregator above: a lower aggregator (county → city → province) publishes its rollup every cascade.intervalMs.', sender: 'aggregator', retain: true },
  cascadeState: { address: 'cascade/{tier}/state', message: 'cascadeState', description: 'The lower aggregator is connected to the broker above, or not: a tier that is not counts its cameras unknown there.', sender: 'aggregator', retain: true },
  reports: { address: 'reports/{region}/{period}', message: 'report', description: 'The previous day and month, once they close, for the whole and every province and city; published again when late events change them.', sender: 'aggregator', retain: true },
};

/**
 * A zod schema as the JSON Schema of what a consumer may receive: `io: input`
 * leaves objects open, so a field added later breaks no one; a timestamp is
 * `format: date-time` without zod's page-long regular expression.
 */
export function contractSchema(schema: z.ZodType, target: 'draft-7' | 'draft-2020-12'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target, io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return dropDateTimePatterns(rest) as Record<string, unknown>;
}

function dropDateTimePatterns(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropDateTimePatterns);
  if (!v || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) if (!(k === 'pattern' && o['format'] === 'date-time')) out[k] = dropDateTimePatterns(x);
  return out;
}

/**
 * The MQTT contract as an AsyncAPI 3.0 document, from the zod schemas:
 * channels with their parameters, messages with their payload schemas and
 * the examples given (by schema name), MQTT bindings (QoS 1, retain), the
 * request/response pair with its correlation. Pure; `npm run docs` writes it.
 */
export function asyncApiDocument(examples: Record<string, unknown[]> = {}): Record<string, unknown> {
  const messages = Object.fromEntries(
    Object.entries(MESSAGES).map(([key, m]) => [
      key,
      {
        name: key,
        title: m.title,
        summary: m.summary,
        contentType: 'application/json',
        payload: { schemaFormat: 'application/schema+json;version=draft-07', schema: contractSchema(m.schema, 'draft-7') },
        ...(key === 'request' || key === 'response' ? { correlationId: { $ref: '#/components/correlationIds/mqttCorrelation' } } : {}),
        ...(examples[m.schemaName]?.length ? { examples: examples[m.schemaName]!.map((payload) => ({ payload })) } : {}),
      },
    ]),
  );
  const channels = Object.fromEntries(
    Object.entries(CHANNELS).map(([key, c]) => {
      const params = [...c.address.matchAll(/\{(\w+)\}/g)].map((x) => x[1]!);
      return [
        key,
        {
          address: `${DEFAULT_TOPIC_ROOT}/${c.address}`,
          description: c.description,
          ...(params.length ? { parameters: Object.fromEntries(params.map((p) => [p, { description: PARAMS[p] ?? p }])) } : {}),
          messages: { [c.message]: { $ref: `#/components/messages/${c.message}` } },
        },
      ];
    }),
  );
  const mqttOp = (retain: boolean) => ({ mqtt: { qos: 1, retain, bindingVersion: '0.2.0' } });
  const operations: Record<string, unknown> = {};
  for (const [key, c] of Object.entries(CHANNELS)) {
    if (key === 'response') continue; // the reply of the request operation
    const op: Record<string, unknown> = {
      action: c.sender === 'client' ? 'receive' : 'send',
      channel: { $ref: `#/channels/${key}` },
      summary: c.sender === 'client' ? `The agent takes ${MESSAGES[c.message].title.toLowerCase()} messages here.` : `The ${c.sender} publishes ${MESSAGES[c.message].title.toLowerCase()} messages here.`,
      messages: [{ $ref: `#/channels/${key}/messages/${c.message}` }],
      bindings: mqttOp(c.retain),
      tags: [{ name: c.sender === 'aggregator' ? 'aggregator' : 'agent' }],
    };
    if (key === 'request') op['reply'] = { channel: { $ref: '#/channels/response' }, messages: [{ $ref: '#/channels/response/messages/response' }] };
    operations[`${c.sender === 'client' ? 'receive' : 'send'}${key[0]!.toUpperCase()}${key.slice(1)}`] = op;
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'xueliang MQTT contract',
      version: CONTRACT_VERSION,
      description:
        `Topics and payloads between xueliang agents (site gateways), the aggregator (the monitoring centre) and admins. Every topic is under the root ${DEFAULT_TOPIC_ROOT}; its last level (${PROTOCOL_VERSION}) changes only with a breaking change. ` +
        'Payloads are JSON; no payload carries a password or a URL with credentials. Generated from the zod schemas in protocols/ (npm run docs); the prose with examples is docs/mqtt-api.md.',
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    servers: {
      broker: { host: 'localhost:1883', protocol: 'mqtt', protocolVersion: '5', description: 'Your MQTT broker (mosquitto 2 or any MQTT 3.1.1/5 broker). Agents connect with their agentId as username; see config/mosquitto/acl.conf.' },
    },
    channels,
    operations,
    components: {
      messages,
      correlationIds: { mqttCorrelation: { description: 'MQTT 5 correlation data, echoed in the response; transaction in the body does the same for MQTT 3.1.1.', location: '$message.header#/correlationData' } },
    },
  };
}
