import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

/**
 * A file whose age tells a container healthcheck or a watchdog script that
 * the agent's loop is alive, and whether it reaches the broker
 * (scripts/healthcheck.ts reads it). Written at start and with every summary.
 */
export class Heartbeat {
  constructor(
    private readonly deps: {
      dir: () => string;
      log: Logger;
      facts: () => { session: string; mqttConnected: boolean; cameras: number; outboxPending: number };
    },
  ) {}

  beat(): void {
    const file = path.join(this.deps.dir(), 'heartbeat.json');
    try {
      writeFileSync(file, JSON.stringify({ ts: new Date().toISOString(), ...this.deps.facts() }));
    } catch (err) {
      this.deps.log.warn({ err, file }, 'heartbeat file not written');
    }
  }
}
