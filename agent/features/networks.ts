import { isIPv4 } from 'node:net';
import type { OutageCause, Rung } from '../../protocols/index.js';

/**
 * Why a camera is down (docs/domain.md, "Causes"): its own fault
 * (`camera`), the NVR or encoder that carries it (`device`), or its site
 * network, a switch or uplink (`network`). The gateway decides these three;
 * the centre adds `gateway` when the gateway itself is gone.
 */

/** a network is taken as down only when this many hosts of it (devices, not channels) all fail */
export const MIN_HOSTS = 3;

/** A site network from the config: a name, an IPv4 range and, optionally, a host:port that answers while the network is up (the switch, the router). */
export interface NetworkSetting {
  name: string;
  cidr: string;
  probe?: string | undefined;
}

interface ParsedNetwork {
  name: string;
  base: number;
  mask: number;
}

const ipv4ToInt = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

/** A configured range in a form that matches addresses quickly; throws on a malformed one (the config schema checks them first). */
export function parseNetworks(settings: readonly NetworkSetting[]): ParsedNetwork[] {
  return settings.map((s) => {
    const [ip, bits] = s.cidr.split('/');
    const n = Number(bits);
    if (!ip || !isIPv4(ip) || !Number.isInteger(n) || n < 8 || n > 32) throw new Error(`network ${s.name}: ${s.cidr} is no IPv4 range of /8 to /32`);
    const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
    return { name: s.name, base: (ipv4ToInt(ip) & mask) >>> 0, mask };
  });
}

/**
 * The site network of a host: the first configured range holding it, else
 * its /24 (the LAN of most sites); none for a host name or IPv6 address
 * outside every configured range.
 */
export function networkOf(host: string, networks: readonly ParsedNetwork[]): string | undefined {
  if (!isIPv4(host)) return undefined;
  const ip = ipv4ToInt(host);
  for (const n of networks) if (((ip & n.mask) >>> 0) === n.base) return n.name;
  return `${host.split('.').slice(0, 3).join('.')}.0/24`;
}

/** One host's latest liveness: did its TCP rung fail (nothing answered at its address)? */
export interface HostCheck {
  host: string;
  tcpFailed: boolean;
}

/**
 * The networks down now: a configured network whose probe did not answer;
 * otherwise one of at least MIN_HOSTS hosts that all failed their TCP rung
 * while the gateway itself runs (a switch or uplink, not a camera). A probe
 * that answers keeps its network up, whatever its hosts do.
 */
export function downNetworks(hosts: Iterable<HostCheck>, networks: readonly ParsedNetwork[], probes: ReadonlyMap<string, boolean>): Set<string> {
  const byNetwork = new Map<string, Map<string, boolean>>();
  for (const h of hosts) {
    const key = networkOf(h.host, networks);
    if (key === undefined) continue;
    let m = byNetwork.get(key);
    if (!m) byNetwork.set(key, (m = new Map()));
    // a host with several cameras (an NVR's channels) failed when no check of it reached it
    m.set(h.host, (m.get(h.host) ?? true) && h.tcpFailed);
  }
  const down = new Set<string>();
  for (const [name, answered] of probes) if (!answered) down.add(name);
  for (const [key, m] of byNetwork) {
    if (probes.has(key)) continue;
    if (m.size >= MIN_HOSTS && [...m.values()].every(Boolean)) down.add(key);
  }
  return down;
}

/**
 * A failing camera's cause from its lowest failed rung, its device and its
 * network. Only a failed tcp rung can be the network's: a camera that
 * answered at its address is reachable, whatever its network's state.
 */
export function causeOf(failed: Rung | null, channel: boolean, networkDown: boolean): Exclude<OutageCause, 'gateway'> | null {
  if (failed === null) return null;
  if (networkDown && failed === 'tcp') return 'network';
  if (channel && (failed === 'tcp' || failed === 'onvif')) return 'device';
  return 'camera';
}
