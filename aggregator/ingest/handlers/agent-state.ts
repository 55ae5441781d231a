import type { Handler } from '../handler.js';
import { emptyAgent, type AgentRecord } from '../../features/state.js';

/**
 * `{root}/agents/{id}/state`: a gateway's birth, its last will or its clean
 * shutdown. Offline makes its cameras unknown from now; a birth brings them
 * back, and the same session returning after an outage may prove the span.
 */
export const agentState: Handler<'agentState'> = ({ fleet }, { topic: { agentId }, message: msg }) => {
  if (msg === null) return 'applied';
  const now = fleet.now();
  const prev = fleet.agents.get(agentId);
  if (msg.state === 'offline') {
    // a will or shutdown of an older session does not override a newer birth
    if (prev && prev.session !== null && prev.session !== msg.session) {
      fleet.ingest.accept('agent_state_stale');
      fleet.log.info({ agent: agentId, session: msg.session, current: prev.session }, 'ignored the offline state of an older agent session');
      return 'applied';
    }
    // the same will again (retained, redelivered at a reconnect) does not move the start of the outage
    const since = prev && !prev.online && prev.session === msg.session ? prev.since : now;
    fleet.saveAgent({ ...(prev ?? emptyAgent(agentId)), online: false, session: msg.session, since });
    for (const c of fleet.camerasOf(agentId)) {
      fleet.reconcile(c, 'unknown', now);
      fleet.refresh(c);
    }
  } else {
    // the birth of a session that started before the one held: a retained copy redelivered at a resubscribe
    // after a newer session was seen (a broker restart); the gateway did not go back in time
    const started = Date.parse(msg.startedAt);
    if (prev && prev.session !== null && prev.session !== msg.session && prev.startedAt !== null && started < prev.startedAt) {
      fleet.ingest.accept('agent_state_stale');
      fleet.log.info({ agent: agentId, session: msg.session, current: prev.session }, 'ignored the birth of an older agent session');
      return 'applied';
    }
    // the same session back after the centre marked it offline: a broker restart or a network blip, not an agent restart
    const returned = prev !== undefined && !prev.online && prev.session === msg.session;
    // a new session that had started before the centre marked the old one offline: the old session's will came
    // late (a broker restart delivers it after the agent was restarted in the outage). The new session watched
    // through that span, and its events up to lastSeq prove what its cameras were (docs/domain.md §1)
    const overlapped = prev !== undefined && !prev.online && prev.session !== msg.session && started <= prev.since;
    // the same birth again (its retained copy, sent anew at every resubscribe of the centre)
    const same = prev !== undefined && prev.online && prev.session === msg.session && prev.startedAt === started && prev.region === msg.region;
    const rec: AgentRecord = {
      agentId,
      online: true,
      session: msg.session,
      startedAt: started,
      since: prev?.online && prev.session === msg.session ? prev.since : now,
      site: msg.site,
      region: msg.region,
      agentVersion: msg.agentVersion,
      // a proof still waiting for its events waits on through a copy of the birth that set it
      pendingProof: (returned || overlapped) && msg.lastSeq !== undefined ? { session: msg.session, upToSeq: msg.lastSeq, from: prev.since, to: now } : same ? prev.pendingProof : undefined,
      config: prev?.config,
    };
    fleet.saveAgent(rec);
    // its cameras count in the gateway's region when their point does not say
    if ((prev?.region ?? null) !== rec.region) fleet.events.emit('cameraBound');
    // a copy of the same birth: nothing its cameras' counts read has moved, and a province's gateways would otherwise
    // refresh a million cameras in one go at every reconnect of the centre
    if (same) {
      fleet.ingest.accept('agent_state');
      return 'applied';
    }
    for (const c of fleet.camerasOf(agentId)) {
      fleet.refresh(c);
      // the same session back: its statuses stand again, and the history says so from this moment on. A new
      // session's first statuses and replayed events (a moment later) say what its checks found; an unknown
      // mark here would claim a gap the new session's own events may well cover
      if (returned) fleet.reconcile(c, fleet.effectiveState(c), now);
    }
    fleet.tryProof(rec);
  }
  fleet.ingest.accept('agent_state');
  return 'applied';
};
