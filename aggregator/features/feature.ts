import type { Logger } from 'pino';

/**
 * What the app starts and stops (zigbee2mqtt's extensions): a constructor
 * only stores what it is given, start() begins the work, stop() ends it.
 */
export interface Feature {
  readonly name: string;
  start(): void | Promise<unknown>;
  stop(): void | Promise<unknown>;
}

/** A feature that runs `tick` every `ms` (the first after `ms`); a tick that throws is logged by name and the next one runs. */
export function every(name: string, ms: number, tick: () => void | Promise<unknown>, log: Logger): Feature {
  let timer: NodeJS.Timeout | undefined;
  const run = async () => {
    try {
      await tick();
    } catch (err) {
      log.error({ err, feature: name }, 'a periodic task failed; it runs again at its next turn');
    }
  };
  return {
    name,
    start: () => {
      timer = setInterval(() => void run(), ms);
    },
    stop: () => {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

/** Starts features in order; one that fails to start is logged by name and the rest start. */
export async function startAll(features: readonly Feature[], log: Logger): Promise<void> {
  for (const f of features) {
    try {
      await f.start();
    } catch (err) {
      log.error({ err, feature: f.name }, 'a feature failed to start');
    }
  }
}

/** Stops features in the reverse order; one that fails to stop is logged by name and the rest stop. */
export async function stopAll(features: readonly Feature[], log: Logger): Promise<void> {
  for (const f of [...features].reverse()) {
    try {
      await f.stop();
    } catch (err) {
      log.error({ err, feature: f.name }, 'a feature failed to stop');
    }
  }
}
