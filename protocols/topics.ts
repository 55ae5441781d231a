import { DEFAULT_TOPIC_ROOT } from './version.js';

/** Builders for every topic of the contract, the agents' and the centre's. See docs/mqtt-api.md. */
export function topics(root: string = DEFAULT_TOPIC_ROOT) {
  const agent = (agentId: string) => `${root}/agents/${agentId}`;
  return {
    root,
    agentState: (agentId: string) => `${agent(agentId)}/state`,
    cameraStatus: (agentId: string, cameraId: string) => `${agent(agentId)}/cameras/${cameraId}/status`,
    /** an evidence frame of a camera's picture check (since 1.6.0) */
    cameraFrame: (agentId: string, cameraId: string) => `${agent(agentId)}/cameras/${cameraId}/frame`,
    events: (agentId: string) => `${agent(agentId)}/events`,
    summary: (agentId: string) => `${agent(agentId)}/summary`,
    round: (agentId: string) => `${agent(agentId)}/round`,
    request: (agentId: string, command: string) => `${agent(agentId)}/request/${command}`,
    response: (agentId: string, command: string) => `${agent(agentId)}/response/${command}`,
    configDesired: (agentId: string) => `${agent(agentId)}/config/desired`,
    configReported: (agentId: string) => `${agent(agentId)}/config/reported`,
    groupConfigDesired: (group: string) => `${root}/groups/${group}/config/desired`,
    /** aggregator: rates of one region (GB/T 2260 code) or `all` */
    rates: (region: string) => `${root}/rates/${region}`,
    /** aggregator: the assessment report of the current day or month of one region or `all` */
    report: (region: string, period: 'day' | 'month') => `${root}/reports/${region}/${period}`,
    /** aggregator: every alert raised or cleared, in order */
    alertEvents: () => `${root}/alerts/events`,
    /** aggregator: an active alert, retained; cleared when it ends */
    alertActive: (alertId: string) => `${root}/alerts/active/${alertId}`,
    /** an admin's maintenance window, retained; an empty message ends it */
    maintenance: (windowId: string) => `${root}/maintenance/${windowId}`,
    /** a lower aggregator's rollup, on the broker of the aggregator above */
    cascadeRollup: (tier: string) => `${root}/cascade/${tier}/rollup`,
    cascadeState: (tier: string) => `${root}/cascade/${tier}/state`,
    /** Wildcard filters for subscribers. */
    all: {
      agentStates: `${root}/agents/+/state`,
      cameraStatuses: `${root}/agents/+/cameras/+/status`,
      cameraFrames: `${root}/agents/+/cameras/+/frame`,
      events: `${root}/agents/+/events`,
      summaries: `${root}/agents/+/summary`,
      rounds: `${root}/agents/+/round`,
      configReported: `${root}/agents/+/config/reported`,
      rates: `${root}/rates/#`,
      maintenance: `${root}/maintenance/+`,
      cascade: `${root}/cascade/+/+`,
      requests: (agentId: string) => `${agent(agentId)}/request/+`,
      cameraStatusesOf: (agentId: string) => `${agent(agentId)}/cameras/+/status`,
    },
  };
}
export type Topics = ReturnType<typeof topics>;

export type ParsedTopic =
  | { kind: 'agentState'; agentId: string }
  | { kind: 'cameraStatus'; agentId: string; cameraId: string }
  | { kind: 'cameraFrame'; agentId: string; cameraId: string }
  | { kind: 'events'; agentId: string }
  | { kind: 'summary'; agentId: string }
  | { kind: 'round'; agentId: string }
  | { kind: 'request'; agentId: string; command: string }
  | { kind: 'response'; agentId: string; command: string }
  | { kind: 'configDesired'; agentId: string }
  | { kind: 'configReported'; agentId: string }
  | { kind: 'groupConfigDesired'; group: string }
  | { kind: 'rates'; region: string }
  | { kind: 'report'; region: string; period: 'day' | 'month' }
  | { kind: 'alertEvents' }
  | { kind: 'alertActive'; alertId: string }
  | { kind: 'maintenance'; windowId: string }
  | { kind: 'cascadeRollup'; tier: string }
  | { kind: 'cascadeState'; tier: string };

export type TopicKind = ParsedTopic['kind'];

/**
 * Parses a concrete topic under `root`; undefined when it is not one of ours.
 * It says which topic and its segments, not whether a segment is a valid id
 * (decode() checks that).
 */
export function parseTopic(root: string, topic: string): ParsedTopic | undefined {
  if (topic.length <= root.length + 1 || !topic.startsWith(root) || topic.charCodeAt(root.length) !== 47 /* / */) return undefined;
  const rest = topic.slice(root.length + 1).split('/');
  const [area, a, b, c, d] = rest;
  if (!a) return undefined;
  switch (area) {
    case 'agents':
      return agentTopic(a, rest.length - 2, b, c, d);
    case 'rates':
      return rest.length === 2 ? { kind: 'rates', region: a } : undefined;
    case 'reports':
      return rest.length === 3 && (b === 'day' || b === 'month') ? { kind: 'report', region: a, period: b } : undefined;
    case 'alerts':
      if (rest.length === 2 && a === 'events') return { kind: 'alertEvents' };
      return rest.length === 3 && a === 'active' && b ? { kind: 'alertActive', alertId: b } : undefined;
    case 'maintenance':
      return rest.length === 2 ? { kind: 'maintenance', windowId: a } : undefined;
    case 'cascade':
      if (rest.length !== 3) return undefined;
      return b === 'rollup' ? { kind: 'cascadeRollup', tier: a } : b === 'state' ? { kind: 'cascadeState', tier: a } : undefined;
    case 'groups':
      return rest.length === 4 && b === 'config' && c === 'desired' ? { kind: 'groupConfigDesired', group: a } : undefined;
    default:
      return undefined;
  }
}

/** `{root}/agents/{agentId}/…`: `more` is how many segments follow the agent id. */
function agentTopic(agentId: string, more: number, a: string | undefined, b: string | undefined, c: string | undefined): ParsedTopic | undefined {
  if (more === 1 && a === 'state') return { kind: 'agentState', agentId };
  if (more === 1 && a === 'events') return { kind: 'events', agentId };
  if (more === 1 && a === 'summary') return { kind: 'summary', agentId };
  if (more === 1 && a === 'round') return { kind: 'round', agentId };
  if (more === 3 && a === 'cameras' && b && c === 'status') return { kind: 'cameraStatus', agentId, cameraId: b };
  if (more === 3 && a === 'cameras' && b && c === 'frame') return { kind: 'cameraFrame', agentId, cameraId: b };
  if (more === 2 && a === 'request' && b) return { kind: 'request', agentId, command: b };
  if (more === 2 && a === 'response' && b) return { kind: 'response', agentId, command: b };
  if (more === 2 && a === 'config' && b === 'desired') return { kind: 'configDesired', agentId };
  if (more === 2 && a === 'config' && b === 'reported') return { kind: 'configReported', agentId };
  return undefined;
}
