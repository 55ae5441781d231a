/** Printing for people: aligned tables and plain lines. The daemons log through pino instead. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const pad = (c: string, width: number) => c + ' '.repeat(Math.max(0, width - displayWidth(c)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]!))).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Columns a string takes in a terminal: Chinese characters and full-width forms take two. */
export function displayWidth(s: string): number {
  let n = 0;
  for (const ch of s) n += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return n;
}

/**
 * The language of a command's tables: `--lang` (zh-CN or en), else Chinese
 * when the locale is (LC_ALL, LC_MESSAGES, LANG: zh_CN.UTF-8…), else English.
 */
export function cliLang(flag: string | undefined): 'zh' | 'en' {
  if (flag !== undefined) {
    if (!/^(zh(-CN)?|en)$/i.test(flag)) throw new UsageError('--lang takes zh-CN or en');
    return flag.toLowerCase().startsWith('zh') ? 'zh' : 'en';
  }
  const locale = process.env['LC_ALL'] || process.env['LC_MESSAGES'] || process.env['LANG'] || '';
  return /^zh/i.test(locale) ? 'zh' : 'en';
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
