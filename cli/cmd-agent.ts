import { parseArgs } from 'node:util';
import { agentConfigSchema, type AgentConfig } from '../config/agent.js';
import { agentEnvOverlay } from '../config/agent-env.js';
import { ConfigError, loadConfigFile } from '../config/load.js';
import { AgentApp } from '../agent/app.js';
import { createLogger } from '../agent/lib/logger.js';
import { EXIT, err, UsageError } from './output.js';

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
  let config: AgentConfig;
  try {
    config = await loadAgentConfig(values.config);
  } catch (e) {
    if (e instanceof ConfigError) {
      err(e.message);
      err('The agent did not start. Fix the fields above and start it again.');
      return EXIT.usage;
    }
    throw e;
  }
  const log = createLogger({ name: 'xueliang-agent', level: config.logLevel });
  const app = new AgentApp({ config, log });
  await app.start();
  return new Promise((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        log.warn({ signal: sig }, 'second signal: exiting at once');
        log.flush();
        process.exit(130);
      }
      log.info({ signal: sig }, 'stopping');
      const hard = setTimeout(() => {
        log.error('stop took too long: exiting');
        log.flush();
        process.exit(1);
      }, 15_000);
      hard.unref();
      void app.stop(10_000).then(() => {
        clearTimeout(hard);
        log.flush();
        resolve(EXIT.ok);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
