import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { agentConfigSchema, type AgentConfig } from '../config/agent.js';
import { agentEnvOverlay } from '../config/agent-env.js';
import { loadConfigFile, parseConfigText, type ConfigIssue } from '../config/load.js';
import { runDaemon } from './daemon.js';
import { UsageError } from './output.js';
import { AgentApp, ConfigStore } from '../agent/index.js';

export const agentHelp = `xueliang agent --config FILE

Runs the edge agent: discovers and checks cameras, publishes their status over MQTT.
  -c, --config FILE   agent configuration (YAML or JSON); see config/agent.example.yaml
Secrets can come from the environment instead of the file:
  XUELIANG_MQTT_URL, XUELIANG_MQTT_USERNAME, XUELIANG_MQTT_PASSWORD
SIGTERM or Ctrl-C stops it cleanly (a second one exits at once).

Config pushed over MQTT (xueliang config push) is applied over this file and
kept in the state directory, so a restart comes back with it: file, then the
groups' pushes in the order of \`groups\`, then the agent's own push. When the
file changes so that the pushed layers no longer validate, the file wins.`;

export async function loadAgentConfig(file: string): Promise<AgentConfig> {
  return loadConfigFile(agentConfigSchema, file, agentEnvOverlay());
}

export async function runAgent(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, strict: true });
  const file = values.config;
  if (!file) throw new UsageError('--config FILE is required');
  const deadline = 10_000;
  let store: ConfigStore | undefined;
  let dropped: ConfigIssue[] = [];
  return runDaemon({
    name: 'agent',
    stopDeadlineMs: deadline,
    load: async () => {
      // the file alone must be valid: it is what the agent falls back to
      const fromFile = await loadAgentConfig(file);
      const raw = agentEnvOverlay()(parseConfigText(await readFile(file, 'utf8'), file));
      store = new ConfigStore(raw, path.join(fromFile.stateDir, fromFile.agentId, 'pushed-config.json'));
      const eff = store.effective();
      if (eff.ok) return eff.config;
      // the file changed under the pushed layers and they no longer fit: the file wins
      dropped = eff.errors;
      store.discarded = { reason: 'pushed config no longer valid over the config file: dropped, running on the file', errors: eff.errors };
      store.reset();
      return fromFile;
    },
    create: (config, log) => {
      if (dropped.length > 0) log.warn({ errors: dropped }, 'pushed config no longer valid over the config file: dropped, running on the file');
      else if (store?.discarded) log.error({ reason: store.discarded.reason }, 'pushed config layers discarded');
      else if (store?.hasPushed) log.info({ versions: store.versions() }, 'running with pushed config over the config file');
      const app = new AgentApp({ config, log, configStore: store });
      return { start: () => app.start(), stop: () => app.stop(deadline) };
    },
  });
}
