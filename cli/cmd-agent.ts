import { parseArgs } from 'node:util';
import { agentConfigSchema, type AgentConfig } from '../config/agent.js';
import { agentEnvOverlay } from '../config/agent-env.js';
import { loadConfigFile } from '../config/load.js';
import { AgentApp } from '../agent/app.js';
import { runDaemon } from './daemon.js';
import { UsageError } from './output.js';

export const agentHelp = `xueliang agent --config FILE

Runs the edge agent: discovers and checks cameras, publishes their status over MQTT.
  -c, --config FILE   agent configuration (YAML or JSON); see config/agent.example.yaml
Secrets can come from the environment instead of the file:
  XUELIANG_MQTT_URL, XUELIANG_MQTT_USERNAME, XUELIANG_MQTT_PASSWORD
SIGTERM or Ctrl-C stops it cleanly (a second one exits at once).`;

export async function loadAgentConfig(file: string): Promise<AgentConfig> {
  return loadConfigFile(agentConfigSchema, file, agentEnvOverlay());
}

export async function runAgent(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, strict: true });
  if (!values.config) throw new UsageError('--config FILE is required');
  const deadline = 10_000;
  return runDaemon({
    name: 'agent',
    schema: agentConfigSchema,
    file: values.config,
    stopDeadlineMs: deadline,
    create: (config, log) => {
      const app = new AgentApp({ config, log });
      return { start: () => app.start(), stop: () => app.stop(deadline) };
    },
  });
}
