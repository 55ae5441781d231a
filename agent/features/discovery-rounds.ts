import type { Logger } from 'pino';
import type { AgentConfig } from '../../config/agent.js';
import { addressOf, type CameraTarget } from './camera-target.js';
import { discoverDevices, logDiscovery, mergeDiscovered, type DiscoveryOutcome } from './discovery.js';
import type { KnownCameras } from './known-cameras.js';
import type { CameraMonitor } from './monitor.js';
import type { Publisher } from './publisher.js';

/**
 * Discovery as the agent runs it: the cameras earlier runs found, restored at
 * start; one round at a time (concurrent callers share it: the schedule, the
 * `discover` command, the first round); cameras unseen for
 * `discovery.forgetAfterHours` forgotten and removed at the centre.
 */
export class DiscoveryRounds {
  private running: Promise<DiscoveryOutcome> | undefined;

  constructor(
    private readonly deps: {
      monitor: CameraMonitor;
      known: KnownCameras;
      publisher: Publisher;
      config: () => AgentConfig;
      log: Logger;
      now: () => number;
      /** false once the agent is stopping: no new checks are started */
      running: () => boolean;
    },
  ) {}

  /**
   * The cameras earlier runs discovered: checked again at once (a camera that
   * died while the agent was down turns offline instead of being forgotten).
   * With discovery off they are removed explicitly, so no ghost stays
   * installed at the centre. A configured camera at the same address wins.
   */
  restore(): void {
    const { monitor, known, publisher, log } = this.deps;
    const restored = known.load();
    if (restored.length === 0) return;
    const now = this.deps.now();
    if (!this.deps.config().discovery.enabled) {
      for (const t of restored) publisher.removed(t.id, now);
      known.forget(restored.map((t) => t.id));
      log.info({ removed: restored.length }, 'discovery is off: the cameras earlier runs discovered are removed');
      return;
    }
    const configured = new Set([...monitor.cameras.values()].map((r) => r.probe.target.xaddr).filter((x): x is string => x !== undefined).map(addressOf));
    const shadowed = restored.filter((t) => t.xaddr !== undefined && configured.has(addressOf(t.xaddr)));
    for (const t of shadowed) publisher.removed(t.id, now);
    known.forget(shadowed.map((t) => t.id));
    for (const t of restored) if (!shadowed.includes(t)) monitor.upsert(t);
    log.info({ restored: restored.length - shadowed.length }, 'cameras discovered by earlier runs are watched again');
  }

  /** One discovery round; concurrent callers share the round in progress. */
  discover(): Promise<DiscoveryOutcome> {
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async round(): Promise<DiscoveryOutcome> {
    const { monitor, known, log } = this.deps;
    const config = this.deps.config();
    const problems: string[] = [];
    const devices = await discoverDevices(config.discovery, (p) => problems.push(p));
    const current: CameraTarget[] = monitor.targets();
    const merged = mergeDiscovered(current, devices);
    for (const t of merged.targets) monitor.upsert(t);
    // profiles and stream URIs may have changed since the last round: read them again at the next check
    monitor.reinspect();
    const now = this.deps.now();
    known.update(merged.targets, merged.seen, now);
    const forgetMs = config.discovery.forgetAfterHours * 3600_000;
    const forgotten = forgetMs > 0 ? known.unseenSince(now - forgetMs) : [];
    for (const id of forgotten) monitor.remove(id);
    known.forget(forgotten);
    const outcome = { found: devices.length, added: merged.added, moved: merged.moved, removed: forgotten, problems };
    logDiscovery(log, outcome);
    if (merged.added.length > 0 && this.deps.running()) void monitor.checkLiveness(merged.added);
    return outcome;
  }
}
