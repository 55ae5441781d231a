import type { Logger } from 'pino';
import { ConfigError } from '../config/load.js';
import { createLogger } from '../platform/logger.js';
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
export async function runDaemon<C extends { logLevel: string }>(opts: {
  name: string;
  /** reads and validates the config; throws ConfigError */
  load: () => Promise<C>;
  /** `fatal`: the app cannot go on (a replica that lost its leadership): it is stopped and the process exits 1 */
  create: (config: C, log: Logger, fatal: (err: Error) => void) => Daemon;
  stopDeadlineMs: number;
}): Promise<number> {
  let config: C;
  try {
    config = await opts.load();
  } catch (e) {
    if (e instanceof ConfigError) {
      err(e.message);
      err(`The ${opts.name} did not start. Fix the fields above and start it again.`);
      return EXIT.usage;
    }
    throw e;
  }
  const log = createLogger({ name: `xueliang-${opts.name}`, level: config.logLevel });
  let fatal: (err: Error) => void = () => undefined;
  const app = opts.create(config, log, (e) => fatal(e));
  try {
    await app.start();
  } catch (e) {
    // a database or port that is not there: one line that says which, not a stack trace
    const message = e instanceof Error ? e.message : String(e);
    log.fatal({ err: { message } }, 'did not start');
    log.flush();
    err(`The ${opts.name} did not start: ${message}`);
    await app.stop().catch(() => undefined);
    return EXIT.failed;
  }
  return new Promise((resolve) => {
    let signals = 0;
    let code: number = EXIT.ok;
    fatal = (e) => {
      if (code !== EXIT.ok) return;
      log.fatal({ err: { message: e.message } }, 'stopping: the app cannot go on');
      code = EXIT.failed;
      onSignal('SIGTERM');
    };
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
        resolve(code);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
