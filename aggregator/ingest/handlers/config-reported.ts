import type { Handler } from '../handler.js';
import { emptyAgent } from '../../features/state.js';

/** `{root}/agents/{id}/config/reported`: the agent's report of its last config push, kept for the gateways page. */
export const configReported: Handler<'configReported'> = ({ fleet }, { topic: { agentId }, message: msg }) => {
  // a cleared report (an admin tidying the broker) changes nothing here
  if (msg === null) return 'applied';
  const prev = fleet.agents.get(agentId) ?? emptyAgent(agentId);
  fleet.saveAgent({ ...prev, config: { version: msg.version, source: msg.source, status: msg.status, appliedAt: msg.appliedAt, errors: msg.errors?.length ?? 0 } });
  fleet.ingest.accept('config_reported');
  return 'applied';
};
