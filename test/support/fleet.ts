import pino from 'pino';
import { decode, topics, type Decoded } from '../../protocols/index.js';
import { AggregatorState } from '../../aggregator/features/state.js';
import { ChangeList } from '../../aggregator/store/changes.js';
import { createPipeline } from '../../aggregator/ingest/pipeline.js';
import type { HandlerContext } from '../../aggregator/ingest/handler.js';

/**
 * A fleet model on an in-memory list of changes (no database), its ingest
 * pipeline, and what the rates watch was told: the handlers' unit tests.
 */
export function memoryFleet(opts: { now?: () => number; root?: string; ownTier?: string } = {}) {
  const changes = new ChangeList();
  const log = pino({ level: 'silent' });
  const fleet = new AggregatorState({ changes, log, now: opts.now ?? Date.now });
  const ratesSeen: Array<{ region: string; payload: string | null }> = [];
  let ratesDirty = 0;
  const ctx: HandlerContext = {
    fleet,
    log,
    rates: { observe: (region, payload) => ratesSeen.push({ region, payload: payload?.toString('utf8') ?? null }), markDirty: () => (ratesDirty += 1) },
    ownTier: opts.ownTier,
  };
  const root = opts.root ?? topics().root;
  const ingest = createPipeline({ ...ctx, topicRoot: root, maxPayloadBytes: 64 * 1024 });
  /** Sends one message through the pipeline, as MQTT would deliver it. */
  const send = (topic: string, payload: unknown) => ingest({ topic, payload: Buffer.from(payload === '' ? '' : typeof payload === 'string' ? payload : JSON.stringify(payload)), responseTopic: undefined, correlationData: undefined });
  /** Decodes one message with the contract's codec (for calling a handler directly: its kind is the handler's, as the pipeline would choose). */
  const decoded = <T extends Decoded = Decoded>(topic: string, payload: unknown): T => {
    const r = decode(root, topic, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)));
    if (!r.ok) throw new Error(`the test's message does not decode: ${r.reason} ${r.detail ?? ''}`);
    return r.value as T;
  };
  return { fleet, changes, ctx, send, decoded, ratesSeen, ratesDirty: () => ratesDirty };
}
