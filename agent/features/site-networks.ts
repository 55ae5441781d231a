import type { Logger } from 'pino';
import { tcpAnswers } from '../adapters/tcp-probe.js';
import { addressOf, type CameraTarget } from './camera-target.js';
import { downNetworks, networkOf, parseNetworks, type HostCheck, type NetworkSetting } from './networks.js';

const PROBE_DEADLINE_MS = 3000;

/** The host part of a target's address (ONVIF service, else RTSP URL). */
export function hostOf(t: CameraTarget): string | undefined {
  const where = t.xaddr ?? t.rtspUrl;
  if (!where) return undefined;
  const hp = addressOf(where);
  const i = hp.lastIndexOf(':');
  return (i > 0 ? hp.slice(0, i) : hp).replace(/^\[|\]$/g, '');
}

/**
 * The gateway's view of its site networks: which are down (every camera host
 * unreachable, or the probe unanswered), refreshed at each liveness round.
 * Probes run at a round's start and stand for that round.
 */
export class SiteNetworks {
  private down = new Set<string>();
  private readonly probes = new Map<string, boolean>();
  private source: readonly NetworkSetting[] | undefined;
  private settings: NetworkSetting[] = [];
  private parsed: ReturnType<typeof parseNetworks> = [];

  constructor(private readonly deps: { settings: () => readonly NetworkSetting[]; log: Logger }) {}

  /** Probes the configured networks that have one (a round begins); the answers count at the round's end. */
  async probe(): Promise<void> {
    this.refresh();
    await Promise.all(
      this.settings
        .filter((s) => s.probe)
        .map(async (s) => {
          const [host, port] = [s.probe!.slice(0, s.probe!.lastIndexOf(':')), Number(s.probe!.slice(s.probe!.lastIndexOf(':') + 1))];
          this.probes.set(s.name, await tcpAnswers(host, port, PROBE_DEADLINE_MS));
        }),
    );
  }

  /** The site network of a camera, when it has one. */
  keyOf(t: CameraTarget): string | undefined {
    const host = hostOf(t);
    return host === undefined ? undefined : networkOf(host, this.parsed);
  }

  isDown(t: CameraTarget): boolean {
    const k = this.keyOf(t);
    return k !== undefined && this.down.has(k);
  }

  /** Judges the networks from every camera's latest liveness; returns those whose state changed. */
  evaluate(hosts: Iterable<HostCheck>): { wentDown: string[]; cameBack: string[] } {
    this.refresh();
    const next = downNetworks(hosts, this.parsed, this.probes);
    const wentDown = [...next].filter((k) => !this.down.has(k));
    const cameBack = [...this.down].filter((k) => !next.has(k));
    this.down = next;
    for (const k of wentDown) this.deps.log.warn({ network: k }, 'site network down: every camera host of it is unreachable while the gateway runs (a switch or uplink)');
    for (const k of cameBack) this.deps.log.info({ network: k }, 'site network back');
    return { wentDown, cameBack };
  }

  private refresh(): void {
    const s = this.deps.settings();
    if (s === this.source) return;
    this.source = s;
    this.settings = [...s];
    this.parsed = parseNetworks(s);
    for (const name of [...this.probes.keys()]) if (!s.some((x) => x.name === name && x.probe)) this.probes.delete(name);
  }
}
