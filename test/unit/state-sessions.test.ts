import { describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.js';
import { memoryFleet } from '../support/fleet.js';

const t = topics();

/** The fleet model with its ingest pipeline, on an in-memory list of changes: agent states and statuses go in as MQTT delivers them. */
async function freshState() {
  const { fleet, send } = memoryFleet();
  return Object.assign(fleet, {
    applyAgentState: (agentId: string, msg: object) => send(t.agentState(agentId), msg),
    applyStatus: (agentId: string, cameraId: string, msg: object) => send(t.cameraStatus(agentId, cameraId), msg),
  });
}

describe('camera bindings in the state', () => {
  it('state: a new camera, another point, another gateway region tell the reports; a repeated status does not', async () => {
    const state = await freshState();
    let bound = 0;
    state.events.on('cameraBound', () => (bound += 1));
    const now = new Date().toISOString();
    const agent = (region: string) => ({ state: 'online' as const, session: 's1', agentVersion: '0.1.0', startedAt: now, site: null, region });
    const status = (pointId: string | null) => ({ cameraId: 'c1', name: null, state: 'online' as const, since: now, checkedAt: now, rung: null, reason: null, detail: null, consecutiveFailures: 0, source: 'rtsp' as const, address: 'h:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId, category: null, faults: [], rungs: [] });
    state.applyAgentState('gw-1', agent('330106'));
    expect(bound).toBe(1);
    state.applyStatus('gw-1', 'c1', status(null));
    expect(bound).toBe(2);
    state.applyStatus('gw-1', 'c1', status(null));
    expect(bound).toBe(2);
    state.applyStatus('gw-1', 'c1', status('P-1'));
    expect(bound).toBe(3);
    state.applyAgentState('gw-1', agent('330106'));
    expect(bound).toBe(3);
    state.applyAgentState('gw-1', agent('330102'));
    expect(bound).toBe(4);
  });
});

describe('agent sessions in the state', () => {
  it('state: the birth of an older session, redelivered after a newer one, changes nothing', async () => {
    const state = await freshState();
    const birth = (session: string, startedAt: string) => ({ state: 'online' as const, session, agentVersion: '0.1.0', startedAt, site: null, region: '330106' });
    state.applyAgentState('gw-1', birth('s2', '2026-12-02T07:00:00Z'));
    state.applyAgentState('gw-1', birth('s1', '2026-12-02T06:00:00Z'));
    expect(state.agents.get('gw-1')).toMatchObject({ session: 's2', online: true, startedAt: Date.parse('2026-12-02T07:00:00Z') });
    expect(state.stats.accepted['agent_state_stale']).toBe(1);
    // a newer session is taken as it comes
    state.applyAgentState('gw-1', birth('s3', '2026-12-02T08:00:00Z'));
    expect(state.agents.get('gw-1')).toMatchObject({ session: 's3' });
  });
});
