/** Printing for people: aligned tables and plain lines. The daemons log through pino instead. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export const out = (s = '') => process.stdout.write(`${s}\n`);
export const err = (s: string) => process.stderr.write(`${s}\n`);

/** Exit codes of every subcommand (documented in the README). */
export const EXIT = {
  ok: 0,
  /** the command ran and found a problem (a failing camera, a rejected config) */
  failed: 1,
  /** wrong usage or invalid configuration: nothing was done */
  usage: 2,
  /** a needed system program is missing (ffmpeg, …) */
  missing: 3,
} as const;

export class UsageError extends Error {}
