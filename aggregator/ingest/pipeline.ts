import { decode, type DecodeOptions, type DecodeResult, type Decoded, type TopicKind } from '../../protocols/index.js';
import type { IncomingMessage } from '../../platform/mqtt-client.js';
import type { Handler, HandlerContext, Outcome } from './handler.js';
import { agentState } from './handlers/agent-state.js';
import { cameraStatus } from './handlers/camera-status.js';
import { cameraFrame } from './handlers/camera-frame.js';
import { cascadeRollup, cascadeState } from './handlers/cascade.js';
import { configReported } from './handlers/config-reported.js';
import { event } from './handlers/event.js';
import { maintenance } from './handlers/maintenance.js';
import { rates } from './handlers/rates.js';
import { round } from './handlers/round.js';
import { summary } from './handlers/summary.js';

/** The kinds of message the centre takes, and who handles each: a new kind is one line here. */
const HANDLERS: { [K in TopicKind]?: Handler<K> } = {
  agentState,
  cameraStatus,
  cameraFrame,
  events: event,
  summary,
  round,
  configReported,
  maintenance,
  cascadeRollup,
  cascadeState,
  rates,
};

/** The topics the centre subscribes to, for the handlers above. */
export const INGEST_FILTERS = (t: { all: { agentStates: string; cameraStatuses: string; cameraFrames: string; events: string; summaries: string; rounds: string; configReported: string; rates: string; maintenance: string; cascade: string } }) => [
  t.all.agentStates,
  t.all.cameraStatuses,
  t.all.cameraFrames,
  t.all.events,
  t.all.summaries,
  t.all.rounds,
  t.all.configReported,
  t.all.rates,
  t.all.maintenance,
  t.all.cascade,
];

/** what the log says of a refused message, by its kind: the words operators already search for */
const REFUSED_SAYS: { [K in TopicKind]?: string } = { cascadeRollup: 'cascade message rejected', cascadeState: 'cascade message rejected', maintenance: 'maintenance window refused' };

const ACCEPTED = new Set(Object.keys(HANDLERS) as TopicKind[]);
/** the agents' topics are bounded by `maxPayloadBytes`; the centre's own (a city's rollup) by the broker */
const AGENT_KINDS = new Set<TopicKind>(['agentState', 'cameraStatus', 'cameraFrame', 'events', 'summary', 'round', 'configReported']);

/** How the centre decodes what it receives: the kinds it takes and which are bounded (the receiving thread decodes with the same). */
export const INGEST_DECODE = { accept: [...ACCEPTED], bounded: [...AGENT_KINDS] };

/** The codec's options for the centre's ingest. */
export function ingestDecodeOptions(maxPayloadBytes: number, spec: { accept: readonly TopicKind[]; bounded: readonly TopicKind[] } = INGEST_DECODE): DecodeOptions {
  const bounded = new Set(spec.bounded);
  return { accept: new Set(spec.accept), maxBytes: (kind) => (bounded.has(kind) ? maxPayloadBytes : undefined) };
}

/**
 * The centre's one ingest path: every message is decoded by the contract's
 * codec (topic, size, JSON, schema, ids), handed to the handler of its kind,
 * and counted. A bad message is logged with its topic and counted by reason;
 * nothing here throws, and a refused message never touches the fleet model.
 */
export function createPipeline(deps: HandlerContext & { topicRoot: string; maxPayloadBytes: number }): (m: IncomingMessage) => void {
  const apply = createDecodedApply(deps);
  const opts = ingestDecodeOptions(deps.maxPayloadBytes);
  return (m) => apply(m.topic, m.payload.length, decode(deps.topicRoot, m.topic, m.payload, opts));
}

/**
 * The second half of the path, for messages decoded already (by the receiving
 * thread, with the same codec and options): count a rejection, or hand the
 * message to its handler.
 */
export function createDecodedApply(deps: HandlerContext): (topic: string, bytes: number, r: DecodeResult) => void {
  const { fleet, log } = deps;
  const ctx: HandlerContext = { fleet, log, rates: deps.rates, ownTier: deps.ownTier };
  return (topic, bytes, r) => {
    if (!r.ok) {
      const reason = r.reason === 'not_accepted' ? 'unknown_topic' : r.reason;
      fleet.ingest.reject(reason);
      log.warn({ topic: topic.slice(0, 200), kind: r.kind, reason, detail: r.detail?.slice(0, 300), bytes }, (r.kind && REFUSED_SAYS[r.kind]) ?? 'message rejected');
      return;
    }
    let outcome: Outcome;
    try {
      outcome = dispatch(ctx, r.value);
    } catch (err) {
      // a failure must not take the process down; the message is counted, not lost silently
      log.error({ err, topic }, 'could not apply a valid message');
      fleet.ingest.reject('apply_failed');
      return;
    }
    if (outcome === 'not_owner') fleet.ingest.refusedOn(topic);
  };
}

function dispatch(ctx: HandlerContext, msg: Decoded): Outcome {
  const handler = HANDLERS[msg.kind] as Handler<typeof msg.kind> | undefined;
  return handler ? handler(ctx, msg as never) : 'applied';
}
