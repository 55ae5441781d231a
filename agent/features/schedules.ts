import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { AgentConfig } from '../../config/agent.js';

/** node-cron's logger interface, onto pino. */
const cronLogger = (log: Logger) => ({
  info: (message: string) => log.info(message),
  warn: (message: string) => log.warn(message),
  error: (message: string | Error, err?: Error) => log.error({ err: err ?? (message instanceof Error ? message : undefined) }, typeof message === 'string' ? message : 'cron task failed'),
  debug: (message: string | Error) => log.debug(typeof message === 'string' ? message : message.message),
});

/** What the schedules start: each round is spread over its period (`periodMs`), each camera at its own phase. */
export interface ScheduledWork {
  liveness(periodMs: number): unknown;
  decode(periodMs: number): unknown;
  picture(periodMs: number): unknown;
  discovery(): unknown;
  recording(): unknown;
  /** every 2 s: the memory gate; every 10 s: the ffmpeg governor */
  sample(tick: number): void;
  /** every summaryIntervalSec */
  summary(): void;
}

/** The schedules that start the keys of the config in force: restarted when a config push changes one of them. */
export const scheduleKeys = (c: AgentConfig) => [c.checks.livenessSchedule, c.checks.decode, c.checks.decodeSchedule, c.checks.picture.enabled, c.checks.picture.schedule, c.checks.recording.enabled, c.checks.recording.schedule, c.discovery.enabled, c.discovery.schedule, c.summaryIntervalSec];

/**
 * The agent's rhythm: cron schedules for liveness, decode, picture,
 * discovery and recording rounds (no overlap, node-cron's warnings as our
 * log lines), and the timers of the resource samples and the summary.
 */
export class Schedules {
  private readonly tasks: ScheduledTask[] = [];
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly deps: { work: ScheduledWork; log: Logger; stopping: () => boolean }) {}

  start(config: AgentConfig): void {
    const { work, log } = this.deps;
    const schedule = (expr: string, name: string, fn: (task: ScheduledTask) => unknown) => {
      const task: ScheduledTask = cron.schedule(
        expr,
        async () => {
          if (this.deps.stopping()) return;
          try {
            await fn(task);
          } catch (err) {
            log.error({ err, task: name }, 'scheduled task failed');
          }
        },
        // node-cron's own warnings (an overlap, a missed run) go to our log, not as coloured text into the JSON
        { name, noOverlap: true, logger: cronLogger(log.child({ module: 'cron', task: name })) },
      );
      this.tasks.push(task);
    };
    // each camera's check at its own phase of the period, not all at the cron second
    const period = (task: ScheduledTask) => Math.max(0, (task.getNextRun()?.getTime() ?? Date.now() + 60_000) - Date.now());
    schedule(config.checks.livenessSchedule, 'liveness', (task) => work.liveness(period(task)));
    if (config.checks.decode) schedule(config.checks.decodeSchedule, 'decode', (task) => work.decode(period(task)));
    if (config.checks.picture.enabled) schedule(config.checks.picture.schedule, 'picture', (task) => work.picture(period(task)));
    if (config.discovery.enabled) schedule(config.discovery.schedule, 'discovery', () => work.discovery());
    if (config.checks.recording.enabled) schedule(config.checks.recording.schedule, 'recording', () => work.recording());
    let ticks = 0;
    this.timers.push(setInterval(() => work.sample(++ticks), 2_000));
    this.timers.push(setInterval(() => work.summary(), config.summaryIntervalSec * 1000));
  }

  async stop(): Promise<void> {
    const tasks = this.tasks.splice(0);
    await Promise.all(tasks.map((t) => Promise.resolve(t.stop())));
    await Promise.all(tasks.map((t) => Promise.resolve(t.destroy())));
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }
}
