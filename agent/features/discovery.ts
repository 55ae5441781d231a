import type { Logger } from 'pino';
import type { AgentConfig } from '../../config/agent.js';
import { expandCidrs, wsDiscover, type DiscoveredDevice } from '../adapters/onvif/ws-discovery.js';
import { addressOf, idFromEndpoint, type CameraTarget } from './camera-target.js';

export interface DiscoveryOutcome {
  found: number;
  added: string[];
  moved: Array<{ cameraId: string; from: string; to: string }>;
  /** discovered cameras no round had seen for `forgetAfterHours`: removed */
  removed: string[];
  problems: string[];
}

/** Runs a WS-Discovery round with the agent's settings. */
export async function discoverDevices(settings: AgentConfig['discovery'], onProblem: (p: string) => void): Promise<DiscoveredDevice[]> {
  let unicast: string[] = [];
  try {
    unicast = expandCidrs(settings.cidrs);
  } catch (err) {
    onProblem((err as Error).message);
  }
  return wsDiscover({
    interfaces: settings.interfaces,
    multicast: settings.multicast,
    unicast,
    port: settings.port,
    windowMs: settings.windowMs,
    onProblem: (p) => onProblem(`${p.where}: ${p.message}`),
  });
}

/**
 * Merges discovered devices into the camera list: a configured camera at the
 * same address keeps its configured id; a known endpoint at a new address is
 * the same camera moved, not a new one.
 */
export function mergeDiscovered(current: CameraTarget[], devices: DiscoveredDevice[]): { targets: CameraTarget[]; added: string[]; moved: DiscoveryOutcome['moved']; seen: Set<string> } {
  const targets = current.map((t) => ({ ...t }));
  const added: string[] = [];
  const seen = new Set<string>();
  const moved: DiscoveryOutcome['moved'] = [];
  for (const d of devices) {
    const xaddr = d.xaddrs[0];
    if (!xaddr) continue;
    const byEndpoint = targets.find((t) => t.endpoint === d.endpoint);
    if (byEndpoint) {
      seen.add(byEndpoint.id);
      if (byEndpoint.xaddr && addressOf(byEndpoint.xaddr) !== addressOf(xaddr) && byEndpoint.origin === 'discovery') {
        moved.push({ cameraId: byEndpoint.id, from: addressOf(byEndpoint.xaddr), to: addressOf(xaddr) });
        byEndpoint.xaddr = xaddr;
      }
      continue;
    }
    const byAddress = targets.find((t) => t.xaddr !== undefined && addressOf(t.xaddr) === addressOf(xaddr));
    if (byAddress) {
      // a new endpoint at a known address: the same device after a factory reset (or a configured one), not a new camera
      seen.add(byAddress.id);
      byAddress.endpoint = d.endpoint;
      continue;
    }
    const id = idFromEndpoint(d.endpoint);
    targets.push({ id, gbId: null, name: null, xaddr, endpoint: d.endpoint, rtspUrl: undefined, credentialName: undefined, pointId: null, category: null, origin: 'discovery' });
    added.push(id);
    seen.add(id);
  }
  return { targets, added, moved, seen };
}

export function logDiscovery(log: Logger, o: DiscoveryOutcome): void {
  for (const m of o.moved) log.info({ camera: m.cameraId, from: m.from, to: m.to }, 'camera moved to a new address');
  for (const id of o.removed) log.warn({ camera: id }, 'camera not seen by discovery for forgetAfterHours: removed');
  log.info({ found: o.found, added: o.added.length, problems: o.problems.length }, 'discovery finished');
  for (const p of o.problems) log.warn({ problem: p }, 'discovery problem');
}
