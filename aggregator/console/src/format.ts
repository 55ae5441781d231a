/** Pure formatting of the console's figures: tested directly (test/unit/console-format.test.ts). */

/** The console's languages (zh-CN first). */
export type Lang = 'zh' | 'en';

export const CATEGORIES = ['key_public_area', 'key_industry_part', 'other', 'unassigned', 'all'] as const;
export type Category = (typeof CATEGORIES)[number];

/** A rate as a percentage with two decimals; a dash when there is no rate (denominator 0). */
export function pct(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(2)}%`;
}

export type Standing = 'good' | 'warn' | 'bad' | 'none';

/** Against its target: met (good), within 5 points below it (warn), further below (bad); none without a rate or a target. */
export function standing(rate: number | null | undefined, target: number | null | undefined): Standing {
  if (rate === null || rate === undefined || target === null || target === undefined) return 'none';
  // compare in hundredths of a percent, as shown, so 97.995% shown as 98.00% is not called below 98%
  const r = Math.round(rate * 10_000);
  const t = Math.round(target * 10_000);
  if (r >= t) return 'good';
  return r >= t - 500 ? 'warn' : 'bad';
}

/** A span of time in the largest two units: 3天4小时, 3 d 4 h; under a minute in seconds. */
export function duration(ms: number, lang: Lang): string {
  const units: Array<[number, string, string]> = [
    [86_400_000, '天', ' d'],
    [3_600_000, '小时', ' h'],
    [60_000, '分', ' min'],
    [1000, '秒', ' s'],
  ];
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(ms));
  for (const [size, zh, en] of units) {
    const n = Math.floor(rest / size);
    if (n > 0 || (parts.length === 0 && size === 1000)) {
      parts.push(`${n}${lang === 'zh' ? zh : en}`);
      rest -= n * size;
    }
    if (parts.length === 2) break;
    if (parts.length === 1 && n === 0) break;
  }
  return parts.join(lang === 'zh' ? '' : ' ');
}

/** A time in the user's locale and the aggregator's zone, to the minute (seconds when asked). */
export function when(iso: string | null | undefined, lang: Lang, timeZone?: string, seconds = false): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}), hour12: false });
}

/** Bits per second as kbit/s or Mbit/s. */
export function bitrate(bps: number | null | undefined): string {
  if (bps === null || bps === undefined) return '—';
  return bps >= 1_000_000 ? `${(bps / 1_000_000).toFixed(2)} Mbit/s` : `${Math.round(bps / 1000)} kbit/s`;
}

/** One band of a state timeline: a state from `from` to `to`, with its share of the window. */
export interface Band {
  state: string;
  from: number;
  to: number;
  share: number;
}

/**
 * The bands of a camera's state over [from, to) from the state at the start
 * (null: not seen yet) and the changes inside; repeated states merge.
 */
export function bands(from: number, to: number, stateAtStart: string | null, changes: ReadonlyArray<{ at: string; state: string }>): Band[] {
  const out: Band[] = [];
  const span = to - from;
  if (span <= 0) return out;
  let cur = stateAtStart ?? 'none';
  let start = from;
  const push = (end: number) => {
    if (end <= start) return;
    const last = out.at(-1);
    if (last && last.state === cur) last.to = end;
    else out.push({ state: cur, from: start, to: end, share: 0 });
  };
  for (const c of changes) {
    const at = Math.min(Math.max(Date.parse(c.at), from), to);
    push(at);
    cur = c.state;
    start = Math.max(start, at);
  }
  push(to);
  for (const b of out) b.share = (b.to - b.from) / span;
  return out;
}

/** Rows as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese); a cell a spreadsheet would run as a formula is written as text. */
export function toCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  const cell = (v: string | number | null): string => {
    let s = v === null ? '' : String(v);
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `\uFEFF${[header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}
