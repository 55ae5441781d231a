/**
 * GB/T 2260 region codes and GB/T 28181 device ids (docs/domain.md §3).
 * Region keys are 6 digits (province `PP0000`, city `PPCC00`, county `PPCCDD`)
 * or 8 digits for a grassroots unit (`PPCCDDGG`).
 */

/** GB/T 28181 type codes (digits 11–13) that name a device we may meet. */
const KNOWN_TYPES = new Set(['111', '112', '113', '114', '115', '116', '117', '118', '119', '130', '131', '132', '133', '134', '135', '136', '137', '138', '139', '200', '201', '202', '203', '204', '205', '206', '207', '208', '209', '210', '211', '212', '213', '214', '215', '216', '217', '500', '501', '502', '503', '504', '505']);

export interface GbId {
  id: string;
  province: string;
  city: string;
  county: string;
  unit: string;
  industry: string;
  type: string;
  network: string;
  serial: string;
  /** region key: the county, or the grassroots unit when there is one */
  region: string;
}

/** Parses and validates a 20-digit GB/T 28181 id; returns a reason when it is not one. */
export function parseGbId(id: string): GbId | { error: string } {
  if (!/^\d{20}$/.test(id)) return { error: 'a GB/T 28181 id is 20 digits' };
  const f = { province: id.slice(0, 2), city: id.slice(2, 4), county: id.slice(4, 6), unit: id.slice(6, 8), industry: id.slice(8, 10), type: id.slice(10, 13), network: id.slice(13, 14), serial: id.slice(14) };
  if (f.province === '00') return { error: 'province digits 00 are not a GB/T 2260 province' };
  if (!KNOWN_TYPES.has(f.type)) return { error: `type ${f.type} (digits 11-13) is not a GB/T 28181 device type` };
  const county = `${f.province}${f.city}${f.county}`;
  return { id, ...f, region: f.unit === '00' ? county : `${county}${f.unit}` };
}

export function isGbId(id: string): boolean {
  return !('error' in parseGbId(id));
}

/** Validates a region key; returns a reason when it is not one. */
export function regionError(code: string): string | undefined {
  if (!/^\d{6}(\d{2})?$/.test(code)) return 'a GB/T 2260 region code is 6 digits (8 with a grassroots unit)';
  if (code.startsWith('00')) return 'province digits 00 are not a GB/T 2260 province';
  if (code.slice(2, 4) === '00' && code.slice(4, 6) !== '00') return 'a county needs its city digits';
  if (code.length === 8 && code.slice(4, 6) === '00') return 'a grassroots unit needs its county digits';
  return undefined;
}

export type RegionLevel = 'province' | 'city' | 'county' | 'unit';

export function regionLevel(code: string): RegionLevel {
  if (code.length === 8) return 'unit';
  if (code.endsWith('0000')) return 'province';
  if (code.endsWith('00')) return 'city';
  return 'county';
}

/** The region and every level above it, most specific first: 33010601 → [33010601, 330106, 330100, 330000]. */
export function regionAncestors(code: string): string[] {
  const out = [code];
  if (code.length === 8) out.push(code.slice(0, 6));
  const six = code.slice(0, 6);
  if (!six.endsWith('00')) out.push(`${six.slice(0, 4)}00`);
  if (!six.endsWith('0000')) out.push(`${six.slice(0, 2)}0000`);
  return [...new Set(out)];
}

/**
 * Whether `code` is `region` or lies under it. Not a prefix test: a code's
 * trailing zeros are part of it (余杭区 330110 holds none of 330111–330114,
 * 台州市 331000 none of 丽水市 331100).
 */
export function regionWithin(code: string, region: string): boolean {
  return code === region || regionAncestors(code).includes(region);
}

/** Parent of a region (undefined for a province). */
export function regionParent(code: string): string | undefined {
  return regionAncestors(code)[1];
}
