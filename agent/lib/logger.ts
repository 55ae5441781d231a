import pino, { type Logger } from 'pino';
import { REDACT_PATHS } from './redact.js';

/** The one root logger of a process: JSON lines, secrets censored. Modules take `child({ module })`. */
export function createLogger(opts: { level?: string; name: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '***' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
