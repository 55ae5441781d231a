import type { Logger } from 'pino';
import { agentEvent, agentStateMessage, agentSummaryMessage, cameraStatusMessage, parseTopic, reportedConfigMessage, topicSegment } from '../../protocols/index.js';
import type { IncomingMessage } from '../../platform/mqtt-client.js';
import type { AggregatorState } from './state.js';

/**
 * Validates every message on the subscribed topics with the protocol schemas
 * and hands the good ones to the state. A bad message is logged with its topic
 * and counted by reason; it never throws and never touches the state.
 */
export function createIngest(deps: { state: AggregatorState; topicRoot: string; maxPayloadBytes: number; log: Logger }) {
  const { state, log } = deps;
  const reject = (m: IncomingMessage, reason: string, detail?: string) => {
    state.reject(reason);
    log.warn({ topic: m.topic.slice(0, 200), reason, detail: detail?.slice(0, 300), bytes: m.payload.length }, 'message rejected');
  };
  const refused = (m: IncomingMessage, result: string): void => {
    if (result === 'not_owner') state.refusedOn(m.topic);
  };
  return (m: IncomingMessage): void => {
    const t = parseTopic(deps.topicRoot, m.topic);
    if (!t || (t.kind !== 'agentState' && t.kind !== 'cameraStatus' && t.kind !== 'events' && t.kind !== 'summary' && t.kind !== 'configReported')) return reject(m, 'unknown_topic');
    if (!topicSegment.safeParse(t.agentId).success || (t.kind === 'cameraStatus' && !topicSegment.safeParse(t.cameraId).success)) return reject(m, 'bad_id');
    if (m.payload.length > deps.maxPayloadBytes) return reject(m, 'too_large', `${m.payload.length} bytes`);
    if (m.payload.length === 0) {
      // an empty retained message clears a topic
      if (t.kind === 'cameraStatus') return refused(m, state.applyStatus(t.agentId, t.cameraId, null));
      if (t.kind === 'configReported') return;
      return reject(m, 'empty');
    }
    let data: unknown;
    try {
      data = JSON.parse(m.payload.toString('utf8'));
    } catch {
      return reject(m, 'not_json');
    }
    const bad = (issues: { path: PropertyKey[]; message: string }[]) => reject(m, 'schema', issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    try {
      switch (t.kind) {
        case 'agentState': {
          const r = agentStateMessage.safeParse(data);
          if (!r.success) return bad(r.error.issues);
          return state.applyAgentState(t.agentId, r.data);
        }
        case 'cameraStatus': {
          const r = cameraStatusMessage.safeParse(data);
          if (!r.success) return bad(r.error.issues);
          if (r.data.cameraId !== t.cameraId) return reject(m, 'id_mismatch', `payload says ${r.data.cameraId}`);
          return refused(m, state.applyStatus(t.agentId, t.cameraId, r.data));
        }
        case 'events': {
          const r = agentEvent.safeParse(data);
          if (!r.success) return bad(r.error.issues);
          return refused(m, state.applyEvent(t.agentId, r.data));
        }
        case 'summary': {
          const r = agentSummaryMessage.safeParse(data);
          if (!r.success) return bad(r.error.issues);
          return state.countAccepted('summary');
        }
        case 'configReported': {
          const r = reportedConfigMessage.safeParse(data);
          if (!r.success) return bad(r.error.issues);
          return state.applyConfigReported(t.agentId, r.data);
        }
      }
    } catch (err) {
      // a storage failure must not take the process down; the message is counted, not lost silently
      log.error({ err, topic: m.topic }, 'could not apply a valid message');
      state.reject('apply_failed');
    }
  };
}
