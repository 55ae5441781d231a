import { parseArgs } from 'node:util';
import { aggregatorConfigSchema, type AggregatorConfig } from '../config/aggregator.js';
import { agentEnvOverlay } from '../config/agent-env.js';
import { ConfigError, loadConfigFile } from '../config/load.js';
import { AggregatorApp } from '../aggregator/app.js';
import { createLogger } from '../agent/lib/logger.js';
import { EXIT, err, UsageError } from './output.js';

export const aggregatorHelp = `xueliang aggregator --config FILE

Runs the central aggregator: consumes the agents' MQTT topics, joins them with
the point plan and serves coverage, networking, online and intact rates (HTTP
API, /metrics, retained {root}/rates/{region} topics). See config/aggregator.example.yaml.
  XUELIANG_MQTT_URL, XUELIANG_MQTT_USERNAME, XUELIANG_MQTT_PASSWORD override the file.`;

export async function runAggregator(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, strict: true });
  if (!values.config) throw new UsageError('--config FILE is required');
  let config: AggregatorConfig;
  try {
    config = await loadConfigFile(aggregatorConfigSchema, values.config, agentEnvOverlay());
  } catch (e) {
    if (e instanceof ConfigError) {
      err(e.message);
      err('The aggregator did not start. Fix the fields above and start it again.');
      return EXIT.usage;
    }
    throw e;
  }
  const log = createLogger({ name: 'xueliang-aggregator', level: config.logLevel });
  const app = new AggregatorApp({ config, log });
  await app.start();
  return new Promise((resolve) => {
    let signals = 0;
    const onSignal = () => {
      signals += 1;
      if (signals > 1) {
        log.flush();
        process.exit(130);
      }
      const hard = setTimeout(() => process.exit(1), 10_000);
      hard.unref();
      void app.stop().then(() => {
        clearTimeout(hard);
        log.flush();
        resolve(EXIT.ok);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
