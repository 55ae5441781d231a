import { parseArgs } from 'node:util';
import { aggregatorConfigSchema, type AggregatorConfig } from '../config/aggregator.js';
import { agentEnvOverlay } from '../config/agent-env.js';
import { loadConfigFile } from '../config/load.js';
import { runDaemon } from './daemon.js';
import { UsageError } from './output.js';
import { AggregatorApp } from '../aggregator/index.js';

export const aggregatorHelp = `xueliang aggregator --config FILE

Runs the central aggregator: consumes the agents' MQTT topics, joins them with
the point plan and serves coverage, networking, online and intact rates (HTTP
API, /metrics, retained {root}/rates/{region} topics). See config/aggregator.example.yaml.
  XUELIANG_MQTT_URL, XUELIANG_MQTT_USERNAME, XUELIANG_MQTT_PASSWORD override the file.`;

/** The aggregator's config as the daemon reads it: the file, then the environment over it. */
export async function loadAggregatorConfig(file: string): Promise<AggregatorConfig> {
  return loadConfigFile(aggregatorConfigSchema, file, agentEnvOverlay());
}

export async function runAggregator(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, strict: true });
  if (!values.config) throw new UsageError('--config FILE is required');
  return runDaemon({
    name: 'aggregator',
    load: () => loadAggregatorConfig(values.config!),
    stopDeadlineMs: 5000,
    create: (config, log, fatal) => new AggregatorApp({ config, log, fatal }),
  });
}
