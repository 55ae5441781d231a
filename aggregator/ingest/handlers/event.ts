import type { AgentEvent, CameraState, CameraStatusMessage } from '../../../protocols/index.js';
import type { AggregatorState, CameraRecord } from '../../features/state.js';
import type { Handler } from '../handler.js';

/**
 * `{root}/agents/{id}/events`: one event from an agent's outbox, numbered by
 * (session, seq). Stored once; a gap in the seq is noted; a state change adds
 * to the camera's history (and may prove an unknown span), a removal or an
 * agent's stop takes effect at the event's own time.
 */
export const event: Handler<'events'> = ({ fleet }, { topic: { agentId }, message: e }) => {
  if (e === null) return 'applied';
  const ts = fleet.clamp(Date.parse(e.ts));
  // the seq is the sender's own: recorded even when the content is refused, so no false gap appears
  const foreign = 'cameraId' in e && !fleet.owns(agentId, e.cameraId);
  if (!fleet.isNewEvent(agentId, e.session, e.seq, ts)) {
    fleet.ingest.stats.duplicates += 1;
    return 'applied';
  }
  fleet.changes.record({ kind: 'event', agentId, session: e.session, seq: e.seq, ts, cameraId: 'cameraId' in e ? e.cameraId : '' });
  const tracker = fleet.tracker(agentId, e.session);
  tracker.lastActive = ts;
  if (tracker.see(e.seq) === 'gap') {
    fleet.ingest.stats.gapsDetected += 1;
    fleet.log.warn({ agent: agentId, session: e.session, seq: e.seq }, 'events missing before this one (seq gap)');
  }
  if (e.type === 'events_dropped') {
    const loss = { agentId, count: e.count, cause: 'outbox_full' as const, from: e.from, to: e.to, reportedAt: e.ts };
    fleet.recordLoss(loss);
    fleet.log.warn(loss, 'an agent reports events it had to drop: its numbers for that span are incomplete');
  }
  if (e.type === 'events_lost') {
    const named = e.events;
    const loss = { agentId, count: e.count, cause: e.cause, from: named[0] ?? null, to: named.at(-1) ?? null, events: named, reportedAt: e.ts };
    fleet.recordLoss(loss);
    fleet.log.warn({ agent: agentId, cause: e.cause, count: e.count, named: named.map((x) => `${x.session}/${x.seq}`) }, 'an agent reports outbox records a crash destroyed: its numbers for that span are incomplete');
  }
  if (foreign) return fleet.refuse(agentId, e.cameraId);
  if (e.type === 'state') stateChange(fleet, agentId, e, ts);
  // the event is durable (the agent's outbox), the cleared retained status may not have reached the broker
  if (e.type === 'camera_removed') fleet.removeCamera(agentId, e.cameraId, ts);
  if (e.type === 'agent_stopped') agentStopped(fleet, agentId, e, ts);
  const owner = fleet.agents.get(agentId);
  if (owner?.pendingProof?.session === e.session) fleet.tryProof(owner);
  fleet.events.emit('eventStored', ts);
  fleet.ingest.accept('event');
  return 'applied';
};

function stateChange(fleet: AggregatorState, agentId: string, e: Extract<AgentEvent, { type: 'state' }>, ts: number): void {
  let c = fleet.cameras.get(e.cameraId);
  if (!c) {
    // the event came before any status: keep its history; the status brings the rest
    c = { cameraId: e.cameraId, agentId, status: placeholderStatus(e.cameraId, e.to, e.ts), firstSeen: ts, marks: [] };
    fleet.saveCamera(c);
    fleet.refresh(c);
  }
  fleet.addMark(c, { at: ts, state: e.to });
  proveUnknownSpan(fleet, c, ts, e.from);
}

/**
 * A gateway that was cut off from the centre made its cameras `unknown` here;
 * an event it replays later saying the camera went from `from` at `at` proves
 * what the camera was during that span (docs/domain.md §1): the unknown marks
 * right before it take that state. A new agent session's first event comes
 * from `unknown`, so time when the agent itself was down stays unknown.
 */
function proveUnknownSpan(fleet: AggregatorState, c: CameraRecord, at: number, from: CameraState): void {
  if (from === 'unknown') return;
  // the first mark at the event's time (marks are in time order: a binary search, not a scan of the history)
  let lo = 0;
  let hi = c.marks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (c.marks[mid]!.at < at) lo = mid + 1;
    else hi = mid;
  }
  let i = lo;
  while (i > 0 && c.marks[i - 1]!.state === 'unknown') {
    fleet.proveMark(c, c.marks[i - 1]!, from);
    i -= 1;
  }
}

/**
 * The agent said it stopped at `at` (live, or replayed from its outbox after
 * a stop while the broker was down): its cameras were unknown from then on,
 * whatever the centre believed meanwhile. And it watched them until then:
 * when every event of the session has arrived, nothing happened to a camera
 * that its events do not say, so time the centre booked unknown within the
 * session (its link was down: a will) takes the state in force before it
 * (docs/domain.md §1). With a seq missing, that time stays unknown.
 */
function agentStopped(fleet: AggregatorState, agentId: string, e: Extract<AgentEvent, { type: 'agent_stopped' }>, at: number): void {
  const a = fleet.agents.get(agentId);
  if (a?.online && a.session === e.session) fleet.saveAgent({ ...a, online: false, since: at });
  const began = e.startedAt === undefined ? undefined : fleet.clamp(Date.parse(e.startedAt));
  const complete = began !== undefined && fleet.tracker(agentId, e.session).completeThrough(e.seq);
  let proved = 0;
  for (const c of fleet.camerasOf(agentId)) {
    let inForce: CameraState | undefined;
    for (const m of c.marks) {
      if (m.at > at) break;
      if (complete && m.state === 'unknown' && m.at >= began! && m.at < at && inForce !== undefined && inForce !== 'unknown') {
        fleet.proveMark(c, m, inForce);
        proved += 1;
      }
      inForce = m.state;
    }
    if (inForce !== undefined && inForce !== 'unknown') fleet.addMark(c, { at, state: 'unknown' });
    fleet.refresh(c);
  }
  if (proved > 0) fleet.log.info({ agent: agentId, session: e.session, from: e.startedAt, to: e.ts, marks: proved }, 'a stopped agent session proved the time its link was down: its cameras kept their states until it stopped');
}

function placeholderStatus(cameraId: string, state: CameraState, ts: string): CameraStatusMessage {
  return {
    cameraId, name: null, state, since: ts, checkedAt: null, rung: null, reason: null, detail: null, consecutiveFailures: 0,
    source: 'rtsp', address: '', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: null, category: null, faults: [], rungs: [],
  };
}
