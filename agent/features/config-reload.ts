import type { Logger } from 'pino';
import type { AgentConfig } from '../../config/agent.js';
import type { MqttSettings } from '../../platform/mqtt-client.js';
import { targetsFromConfig } from './camera-target.js';
import type { CameraMonitor } from './monitor.js';
import { scheduleKeys } from './schedules.js';

export interface ReloadOutcome {
  status: 'applied' | 'rolled_back';
  restartRequired: string[];
  reason?: string;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The settings a running agent cannot change, named as a push reports them. */
export function restartRequiredBy(prev: AgentConfig, next: AgentConfig): string[] {
  const out: string[] = [];
  for (const key of ['agentId', 'stateDir'] as const) if (prev[key] !== next[key]) out.push(key);
  if (prev.outbox.syncMs !== next.outbox.syncMs) out.push('outbox.syncMs');
  if (prev.mqtt.topicRoot !== next.mqtt.topicRoot) out.push('mqtt.topicRoot');
  // the key that checks pushes is not changed by a push: only by the file and a restart
  if (prev.remoteConfig.adminPublicKey !== next.remoteConfig.adminPublicKey) out.push('remoteConfig.adminPublicKey');
  return out;
}

/** The config put in force: the new one, with what cannot change live kept as it is, so the running agent stays consistent. */
export function liveConfig(prev: AgentConfig, next: AgentConfig): AgentConfig {
  return { ...next, agentId: prev.agentId, stateDir: prev.stateDir, outbox: { ...next.outbox, syncMs: prev.outbox.syncMs }, mqtt: { ...next.mqtt, topicRoot: prev.mqtt.topicRoot } };
}

/**
 * Puts a new config in force without a restart (remote config): cameras
 * added, removed or changed, credentials, schedules, queue sizes,
 * thresholds, log level; broker settings by reconnecting, rolled back when
 * the new ones do not connect within the deadline. Settings that cannot
 * change in a running agent are returned as restartRequired.
 */
export class ConfigReload {
  constructor(
    private readonly deps: {
      current: () => AgentConfig;
      /** the config in force from now on (before the parts below follow it) */
      commit: (c: AgentConfig) => void;
      mqttSettingsOf: (c: AgentConfig) => MqttSettings;
      reconnect: (settings: MqttSettings, deadlineMs: number) => Promise<boolean>;
      /** queue sizes and the like, from the config in force */
      resize: (c: AgentConfig) => void;
      restartSchedules: () => Promise<void>;
      monitor: CameraMonitor;
      running: () => boolean;
      log: Logger;
    },
  ) {}

  async apply(next: AgentConfig, reconnectDeadlineMs: number): Promise<ReloadOutcome> {
    const { deps } = this;
    const prev = deps.current();
    const restartRequired = restartRequiredBy(prev, next);
    const effective = liveConfig(prev, next);
    if (!same(deps.mqttSettingsOf(prev), deps.mqttSettingsOf(effective))) {
      const ok = await deps.reconnect(deps.mqttSettingsOf(effective), reconnectDeadlineMs);
      if (!ok) return { status: 'rolled_back', restartRequired: [], reason: `could not reach the broker with the new MQTT settings within ${reconnectDeadlineMs} ms` };
    }
    deps.commit(effective);
    deps.log.level = effective.logLevel;
    deps.resize(effective);
    if (!same(scheduleKeys(prev), scheduleKeys(effective))) await deps.restartSchedules();
    // configured cameras: the new list replaces the old; discovered ones stay
    const { monitor } = deps;
    const wanted = new Map(targetsFromConfig(effective).map((t) => [t.id, t]));
    const before = new Set(monitor.targets().map((t) => t.id));
    for (const t of monitor.targets()) if (t.origin === 'config' && !wanted.has(t.id)) monitor.remove(t.id);
    const fresh: string[] = [];
    for (const t of wanted.values()) {
      if (!before.has(t.id)) fresh.push(t.id);
      monitor.upsert(t);
    }
    if (fresh.length > 0 && deps.running()) void monitor.checkLiveness(fresh);
    deps.log.info({ cameras: monitor.cameras.size, restartRequired }, 'configuration applied');
    return { status: 'applied', restartRequired };
  }
}
