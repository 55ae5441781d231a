import type { Logger } from 'pino';
import type { z } from 'zod';
import { agentEnvOverlay } from '../config/agent-env.js';
import { ConfigError, loadConfigFile } from '../config/load.js';
import { createLogger } from '../agent/lib/logger.js';
import { EXIT, err } from './output.js';

interface Daemon {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Shared life of `xueliang agent` and `xueliang aggregator`: load and validate
 * the config (every problem as `path: message`, refuse to start), run the app,
 * stop it cleanly on SIGTERM/SIGINT within `stopDeadlineMs`, exit at once on a
 * second signal.
 */
export async function runDaemon<S extends z.ZodType<{ logLevel: string }>>(opts: {
  name: string;
  schema: S;
  file: string;
  create: (config: z.infer<S>, log: Logger) => Daemon;
  stopDeadlineMs: number;
}): Promise<number> {
  let config: z.infer<S>;
  try {
    config = await loadConfigFile(opts.schema, opts.file, agentEnvOverlay());
  } catch (e) {
    if (e instanceof ConfigError) {
      err(e.message);
      err(`The ${opts.name} did not start. Fix the fields above and start it again.`);
      return EXIT.usage;
    }
    throw e;
  }
  const log = createLogger({ name: `xueliang-${opts.name}`, level: config.logLevel });
  const app = opts.create(config, log);
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
      }, opts.stopDeadlineMs + 5000);
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
