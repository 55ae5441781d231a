import { describe, expect, it } from 'vitest';
import { bands, duration, pct, standing, toCsv } from '../../aggregator/console/src/format.js';

// The console's figures as an operator reads them (pure functions of aggregator/console/src/format.ts).
describe('console formatting', () => {
  it('shows a rate with two decimals and no rate as a dash, not 0%', () => {
    expect(pct(0.98)).toBe('98.00%');
    expect(pct(2 / 3)).toBe('66.67%');
    expect(pct(null)).toBe('—');
  });

  it('colours a rate against its target: met, within 5 points, further below; nothing without a target', () => {
    expect(standing(0.98, 0.98)).toBe('good');
    // 97.996% is shown as 98.00%: the colour follows what is shown
    expect(standing(0.97996, 0.98)).toBe('good');
    expect(standing(0.9799, 0.98)).toBe('warn');
    expect(standing(0.93, 0.98)).toBe('warn');
    expect(standing(0.9299, 0.98)).toBe('bad');
    expect(standing(0.5, null)).toBe('none');
    expect(standing(null, 0.95)).toBe('none');
  });

  it('says how long in the two largest units, in both languages', () => {
    expect(duration(3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000, 'zh')).toBe('3天4小时');
    expect(duration(3 * 86_400_000 + 4 * 3_600_000, 'en')).toBe('3 d 4 h');
    expect(duration(2 * 3_600_000 + 30_000, 'en')).toBe('2 h');
    expect(duration(45_000, 'zh')).toBe('45秒');
    expect(duration(0, 'en')).toBe('0 s');
  });

  it('cuts a window into state bands that add up to the whole, before the first report included', () => {
    const from = Date.parse('2026-12-01T00:00:00Z');
    const to = from + 100_000;
    const at = (ms: number) => new Date(from + ms).toISOString();
    const b = bands(from, to, null, [
      { at: at(10_000), state: 'online' },
      { at: at(30_000), state: 'online' },
      { at: at(60_000), state: 'offline' },
      { at: at(90_000), state: 'unknown' },
    ]);
    expect(b.map((x) => [x.state, x.share])).toEqual([['none', 0.1], ['online', 0.5], ['offline', 0.3], ['unknown', 0.1]]);
    // a change before the window starts the band at the window's start
    expect(bands(from, to, 'offline', [{ at: at(-5000), state: 'online' }]).map((x) => [x.state, x.share])).toEqual([['online', 1]]);
  });

  it('writes CSV that spreadsheet programs read as text: BOM, quotes, no formulas', () => {
    const csv = toCsv(['id', 'name'], [['cam-1', '=HYPERLINK("x")'], ['cam-2', 'a,b']]);
    expect(csv.startsWith('\uFEFFid,name\r\n')).toBe(true);
    expect(csv).toContain(`cam-1,"'=HYPERLINK(""x"")"`);
    expect(csv).toContain('cam-2,"a,b"');
  });
});
