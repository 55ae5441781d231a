import { DEFAULT_TOPIC_ROOT } from './version.js';

/** Builders for every topic of the contract. See docs/mqtt-api.md. */
export function topics(root: string = DEFAULT_TOPIC_ROOT) {
  const agent = (agentId: string) => `${root}/agents/${agentId}`;
  return {
    root,
    agentState: (agentId: string) => `${agent(agentId)}/state`,
    cameraStatus: (agentId: string, cameraId: string) => `${agent(agentId)}/cameras/${cameraId}/status`,
    events: (agentId: string) => `${agent(agentId)}/events`,
    summary: (agentId: string) => `${agent(agentId)}/summary`,
    request: (agentId: string, command: string) => `${agent(agentId)}/request/${command}`,
    response: (agentId: string, command: string) => `${agent(agentId)}/response/${command}`,
    configDesired: (agentId: string) => `${agent(agentId)}/config/desired`,
    configReported: (agentId: string) => `${agent(agentId)}/config/reported`,
    groupConfigDesired: (group: string) => `${root}/groups/${group}/config/desired`,
    /** aggregator: rates of one region (GB/T 2260 code) or `all` */
    rates: (region: string) => `${root}/rates/${region}`,
    /** a lower aggregator's rollup, on the broker of the aggregator above */
    cascadeRollup: (tier: string) => `${root}/cascade/${tier}/rollup`,
    cascadeState: (tier: string) => `${root}/cascade/${tier}/state`,
    /** Wildcard filters for subscribers. */
    all: {
      agentStates: `${root}/agents/+/state`,
      cameraStatuses: `${root}/agents/+/cameras/+/status`,
      events: `${root}/agents/+/events`,
      summaries: `${root}/agents/+/summary`,
      requests: (agentId: string) => `${agent(agentId)}/request/+`,
      cameraStatusesOf: (agentId: string) => `${agent(agentId)}/cameras/+/status`,
    },
  };
}
export type Topics = ReturnType<typeof topics>;

export type ParsedTopic =
  | { kind: 'agentState'; agentId: string }
  | { kind: 'cameraStatus'; agentId: string; cameraId: string }
  | { kind: 'events'; agentId: string }
  | { kind: 'summary'; agentId: string }
  | { kind: 'request'; agentId: string; command: string }
  | { kind: 'response'; agentId: string; command: string }
  | { kind: 'configDesired'; agentId: string }
  | { kind: 'configReported'; agentId: string };

/** Parses a concrete topic under `root`; undefined when it is not one of ours. */
export function parseTopic(root: string, topic: string): ParsedTopic | undefined {
  if (!topic.startsWith(`${root}/agents/`)) return undefined;
  const rest = topic.slice(root.length + '/agents/'.length).split('/');
  const [agentId, a, b, c] = rest;
  if (!agentId) return undefined;
  if (rest.length === 2 && a === 'state') return { kind: 'agentState', agentId };
  if (rest.length === 2 && a === 'events') return { kind: 'events', agentId };
  if (rest.length === 2 && a === 'summary') return { kind: 'summary', agentId };
  if (rest.length === 4 && a === 'cameras' && b && c === 'status') return { kind: 'cameraStatus', agentId, cameraId: b };
  if (rest.length === 3 && a === 'request' && b) return { kind: 'request', agentId, command: b };
  if (rest.length === 3 && a === 'response' && b) return { kind: 'response', agentId, command: b };
  if (rest.length === 3 && a === 'config' && b === 'desired') return { kind: 'configDesired', agentId };
  if (rest.length === 3 && a === 'config' && b === 'reported') return { kind: 'configReported', agentId };
  return undefined;
}
