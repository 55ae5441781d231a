import type { Handler } from '../handler.js';
import type { CameraRecord } from '../../features/state.js';

/**
 * `{root}/agents/{id}/round`, retained: an agent's liveness round. Its
 * cameras in no `unchecked` list are confirmed as of the round's start (the
 * agent reports statuses by exception); those listed keep their last
 * confirmation and turn stale after `stale.afterRounds` rounds. A round of
 * another run of the agent, or naming another gateway's camera, is refused
 * whole; a camera the centre does not know (released by an admin, its status
 * lost) is skipped and counted, and the gateway is asked for every status
 * again, as when it counts more cameras than the centre holds.
 */
export const round: Handler<'round'> = ({ fleet, log }, { topic: { agentId }, message: m }) => {
  if (m === null) {
    fleet.confirmations.forget(agentId);
    fleet.ingest.accept('round_cleared');
    return 'applied';
  }
  const agent = fleet.agents.get(agentId);
  if (!agent || agent.session !== m.session) {
    fleet.ingest.reject('round_other_session');
    log.warn({ agent: agentId, session: m.session, current: agent?.session ?? null }, 'round refused: not from the agent run the centre holds');
    return 'applied';
  }
  const unchecked: CameraRecord[] = [];
  let unknown = 0;
  for (const id of m.unchecked) {
    const c = fleet.cameras.get(id);
    if (!c) {
      unknown += 1;
      continue;
    }
    if (c.agentId !== agentId) return fleet.refuse(agentId, id);
    unchecked.push(c);
  }
  if (unknown > 0) {
    fleet.ingest.accept('round_unknown_camera', unknown);
    log.info({ agent: agentId, round: m.round, unknown }, 'round names cameras the centre does not know: skipped');
  }
  const outcome = fleet.applyRound(agentId, m, unchecked);
  if (outcome !== 'older' && (unknown > 0 || fleet.cameraCount(agentId) < m.checked + m.unchecked.length)) fleet.wantStatuses(agentId);
  fleet.ingest.accept(outcome === 'older' ? 'round_older' : 'round');
  return 'applied';
};
