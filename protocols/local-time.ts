/**
 * Local days in a named time zone (IANA, e.g. Asia/Shanghai), without a
 * library: Intl knows every zone's offsets, DST included. The centre counts
 * days and months where its users live, not where its server runs. Pure.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is a zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock reading at `t` in `timeZone`. */
export function localParts(t: number, timeZone: string): LocalParts {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(t))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { year: p['year']!, month: p['month']!, day: p['day']!, hour: p['hour']!, minute: p['minute']!, second: p['second']! };
}

/** Offset of `timeZone` from UTC at `t`, ms (Shanghai: +8 h). */
export function zoneOffsetMs(t: number, timeZone: string): number {
  const p = localParts(t, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(t / 1000) * 1000;
}

/** The instant a wall-clock reading happens in `timeZone` (the earlier one when a DST change repeats it). */
export function fromLocal(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day);
  // the offset at the guess can differ from the one at the answer across a DST change: settle in two steps
  let t = wall - zoneOffsetMs(wall, timeZone);
  t = wall - zoneOffsetMs(t, timeZone);
  return t;
}

/** Local midnight at or before `t`. */
export function startOfLocalDay(t: number, timeZone: string): number {
  const p = localParts(t, timeZone);
  return fromLocal(p.year, p.month, p.day, timeZone);
}

/** Local midnight of the first day of the month that holds `t`. */
export function startOfLocalMonth(t: number, timeZone: string): number {
  const p = localParts(t, timeZone);
  return fromLocal(p.year, p.month, 1, timeZone);
}
