import pino, { type Logger } from 'pino';
import { prettyDestination } from './pretty.js';
import { REDACT_PATHS } from './redact.js';

/**
 * The one root logger of a process: JSON lines (for journald and log
 * shippers), or lines for people when stdout is a terminal and
 * XUELIANG_LOG_FORMAT is not `json`; secrets censored either way. Modules take `child({ module })`.
 */
export function createLogger(opts: { level?: string; name: string; destination?: pino.DestinationStream }): Logger {
  const pretty = !opts.destination && process.stdout.isTTY === true && process.env['XUELIANG_LOG_FORMAT'] !== 'json';
  return pino(
    {
      name: opts.name,
      level: opts.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '***' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? (pretty ? prettyDestination() : pino.destination({ fd: 1, sync: false })),
  );
}
