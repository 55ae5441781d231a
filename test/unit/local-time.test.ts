import { describe, expect, it } from 'vitest';
import { fromLocal, isTimeZone, localParts, startOfLocalDay, startOfLocalMonth, zoneOffsetMs } from '../../protocols/local-time.js';

describe('local time', () => {
  it('local time: a Shanghai day starts at 16:00 UTC the day before, whatever the process zone', () => {
    const t = Date.parse('2026-11-30T17:30:00Z'); // 01:30 on 1 December in Shanghai
    expect(new Date(startOfLocalDay(t, 'Asia/Shanghai')).toISOString()).toBe('2026-11-30T16:00:00.000Z');
    expect(new Date(startOfLocalDay(t, 'UTC')).toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(new Date(startOfLocalMonth(t, 'Asia/Shanghai')).toISOString()).toBe('2026-11-30T16:00:00.000Z');
    expect(new Date(startOfLocalMonth(t, 'UTC')).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(zoneOffsetMs(t, 'Asia/Shanghai')).toBe(8 * 3600_000);
    expect(localParts(t, 'Asia/Shanghai')).toMatchObject({ year: 2026, month: 12, day: 1, hour: 1, minute: 30 });
  });

  it('local time: days across a DST change are 23 and 25 hours long where the zone has DST', () => {
    const spring = fromLocal(2026, 3, 8, 'America/New_York');
    const next = fromLocal(2026, 3, 9, 'America/New_York');
    expect(new Date(spring).toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect((next - spring) / 3600_000).toBe(23);
    const autumn = fromLocal(2026, 11, 1, 'America/New_York');
    expect((fromLocal(2026, 11, 2, 'America/New_York') - autumn) / 3600_000).toBe(25);
  });

  it('local time: only zones the runtime knows are accepted', () => {
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
