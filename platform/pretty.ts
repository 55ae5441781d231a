import { Writable } from 'node:stream';

const LEVEL_COLOUR: Record<string, string> = { fatal: '\x1b[41m', error: '\x1b[31m', warn: '\x1b[33m', info: '\x1b[32m', debug: '\x1b[36m', trace: '\x1b[90m' };
const SKIP = new Set(['level', 'time', 'pid', 'name', 'msg', 'module']);

/** One pino JSON line as a line for people: `12:00:01 WARN  [monitor] camera state changed camera=… from=online`. */
export function prettyLine(json: string, colour: boolean): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const level = String(o['level'] ?? 'info');
  const time = typeof o['time'] === 'string' ? o['time'].slice(11, 19) : '';
  const fields = Object.entries(o)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const lvl = level.toUpperCase().padEnd(5);
  const tag = o['module'] ? `[${String(o['module'])}] ` : '';
  return `${time} ${colour ? `${LEVEL_COLOUR[level] ?? ''}${lvl}\x1b[0m` : lvl} ${tag}${String(o['msg'] ?? '')}${fields ? `  ${colour ? '\x1b[90m' : ''}${fields}${colour ? '\x1b[0m' : ''}` : ''}`;
}

/** A destination that prints pino's lines for people (used when stdout is a terminal). */
export function prettyDestination(out: NodeJS.WriteStream = process.stdout): Writable {
  let buf = '';
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      buf += chunk.toString('utf8');
      let i = buf.indexOf('\n');
      while (i >= 0) {
        out.write(`${prettyLine(buf.slice(0, i), out.isTTY === true)}\n`);
        buf = buf.slice(i + 1);
        i = buf.indexOf('\n');
      }
      cb();
    },
  });
}
