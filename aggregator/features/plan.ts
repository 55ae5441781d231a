import { eachInSlices } from './slices.js';
import { z } from 'zod';
import { parseGbId, pointCategory, regionError } from '../../protocols/index.js';
import type { PlanPoint } from '../rates/model.js';

export interface PlanRowError {
  /** 1-based line (CSV) or item number (JSON) */
  line: number;
  reason: string;
}

export interface PlanLoad {
  points: PlanPoint[];
  errors: PlanRowError[];
}

/** no control characters (NUL, line breaks, escapes): ids travel into URLs, logs and spreadsheets */
const printable = (what: string) => z.string().regex(/^[^\p{Cc}]*$/u, `${what} has control characters`);
const row = z.object({
  id: printable('id').trim().min(1, 'id is empty').max(64),
  name: printable('name').trim().max(200).default(''),
  region: z.string().trim().optional(),
  gbId: z.string().trim().optional(),
  category: pointCategory,
  required: z.coerce.number().int('required must be a whole number').min(1, 'required must be at least 1').max(1000).default(1),
  /** the name of the point's region, for a code the division data has not (a grassroots unit, 8 digits) or that the centre calls otherwise */
  regionName: printable('regionName').trim().max(100).optional(),
  /** where the point is (WGS 84 degrees), within China's extent: the record (建档) and the GB/T 28181 catalog */
  longitude: z.coerce.number({ message: 'longitude is a number of degrees' }).min(73, 'longitude outside China (73 to 136 degrees east)').max(136, 'longitude outside China (73 to 136 degrees east)').optional(),
  latitude: z.coerce.number({ message: 'latitude is a number of degrees' }).min(3, 'latitude outside China (3 to 54 degrees north)').max(54, 'latitude outside China (3 to 54 degrees north)').optional(),
  /** the record (一机一档): installation address, date, builder (建设单位), maintainer (运维单位) */
  address: printable('address').trim().max(200).optional(),
  installedOn: z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'installedOn is a date as YYYY-MM-DD')
    .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), { message: 'installedOn is not a real date' })
    .optional(),
  owner: printable('owner').trim().max(100).optional(),
  maintainer: printable('maintainer').trim().max(100).optional(),
});

/** The record fields a row gives (the ones it leaves empty stay absent). */
function recordOf(d: { address?: string | undefined; installedOn?: string | undefined; owner?: string | undefined; maintainer?: string | undefined }): Partial<PlanPoint> {
  const out: Partial<PlanPoint> = {};
  for (const k of ['address', 'installedOn', 'owner', 'maintainer'] as const) if (d[k]) out[k] = d[k];
  return out;
}

/** Validates one plan row; the region comes from `region`, else from a GB/T 28181 id in `gbId` or `id`. */
function toPoint(raw: Record<string, unknown>): PlanPoint | string {
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== '' && v !== null && v !== undefined));
  const r = row.safeParse(cleaned);
  if (!r.success) return r.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ');
  if ((r.data.longitude === undefined) !== (r.data.latitude === undefined)) return 'longitude and latitude go together';
  if (r.data.gbId !== undefined) {
    const code = parseGbId(r.data.gbId);
    if ('error' in code) return `gbId: ${code.error}`;
  }
  let region = r.data.region;
  if (region === undefined) {
    const gb = parseGbId(r.data.gbId ?? r.data.id);
    if ('error' in gb) return r.data.gbId ? `gbId: ${gb.error}` : 'region: give a GB/T 2260 region code, or a GB/T 28181 id to derive it from';
    region = gb.region;
  }
  const bad = regionError(region);
  if (bad) return `region: ${bad}`;
  return { id: r.data.id, name: r.data.name, region, category: r.data.category, required: r.data.required, ...(r.data.gbId !== undefined ? { gbId: r.data.gbId } : {}), ...(r.data.regionName ? { regionName: r.data.regionName } : {}), ...(r.data.longitude !== undefined && r.data.latitude !== undefined ? { longitude: r.data.longitude, latitude: r.data.latitude } : {}), ...recordOf(r.data) };
}

/** The rows' points and errors as they come, in order: a row whose id or GB/T 28181 code an earlier row took is an error. */
class PlanCheck implements PlanLoad {
  readonly points: PlanPoint[] = [];
  readonly errors: PlanRowError[] = [];
  // ids and GB/T 28181 codes share one name space: a camera id must find one point, not two
  private readonly seen = new Map<string, number>();

  add(c: { line: number; value: PlanPoint | string } | undefined): void {
    if (!c) return;
    const p = c.value;
    if (typeof p === 'string') {
      this.errors.push({ line: c.line, reason: p });
    } else if (this.seen.has(p.id)) {
      this.errors.push({ line: c.line, reason: `id ${p.id} already defined on line ${this.seen.get(p.id)}` });
    } else if (p.gbId !== undefined && p.gbId !== p.id && this.seen.has(p.gbId)) {
      this.errors.push({ line: c.line, reason: `gbId ${p.gbId} already names the point on line ${this.seen.get(p.gbId)}` });
    } else {
      this.seen.set(p.id, c.line);
      if (p.gbId !== undefined) this.seen.set(p.gbId, c.line);
      this.points.push(p);
    }
  }

  result(): PlanLoad {
    return { points: this.points, errors: this.errors };
  }
}

/** Splits one CSV line (RFC 4180 quotes). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** A plan's rows before they are checked, each turned into a candidate point by `candidate`; or why the text is no plan. */
type PlanRows = { items: readonly unknown[]; candidate: (item: unknown, index: number) => { line: number; value: PlanPoint | string } | undefined } | { failed: PlanLoad };

/** CSV with a header row (id,name,region,gbId,category,required,regionName,longitude,latitude,address,installedOn,owner,maintainer; extra columns ignored), or JSON: an array of rows or {points: [...]}. */
function planRows(text: string, format: 'csv' | 'json'): PlanRows {
  if (format === 'csv') {
    const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
    const header = csvFields(lines[0] ?? '').map((h) => h.trim());
    if (!header.includes('id') || !header.includes('category')) return { failed: { points: [], errors: [{ line: 1, reason: 'the header must name at least the columns id and category' }] } };
    return {
      items: lines.slice(1),
      candidate: (item, i) => {
        const l = item as string;
        if (l.trim() === '' || l.startsWith('#')) return undefined;
        const f = csvFields(l);
        return { line: i + 2, value: toPoint(Object.fromEntries(header.map((h, j) => [h, f[j]]))) };
      },
    };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { failed: { points: [], errors: [{ line: 0, reason: `not JSON: ${(e as Error).message}` }] } };
  }
  const list = Array.isArray(data) ? data : (data as { points?: unknown })?.points;
  if (!Array.isArray(list)) return { failed: { points: [], errors: [{ line: 0, reason: 'expected an array of points or {"points": [...]}' }] } };
  return { items: list, candidate: (item, i) => ({ line: i + 1, value: item && typeof item === 'object' ? toPoint(item as Record<string, unknown>) : 'not an object' }) };
}

/** Parses a CSV plan with a header row (extra columns ignored). */
export function parsePlanCsv(text: string): PlanLoad {
  return parsePlan(text, 'csv');
}

/** Parses a JSON plan: an array of rows, or {points: [...]}. */
export function parsePlanJson(text: string): PlanLoad {
  return parsePlan(text, 'json');
}

export function parsePlan(text: string, format: 'csv' | 'json'): PlanLoad {
  const rows = planRows(text, format);
  if ('failed' in rows) return rows.failed;
  const check = new PlanCheck();
  rows.items.forEach((item, i) => check.add(rows.candidate(item, i)));
  return check.result();
}

/**
 * parsePlan for an upload to the running centre: the rows checked in slices
 * (features/slices.ts), so that a province's plan (10⁶ rows, seconds of
 * checking) holds no other answer, message or timer up. The same result.
 */
export async function parsePlanSliced(text: string, format: 'csv' | 'json'): Promise<PlanLoad> {
  const rows = planRows(text, format);
  if ('failed' in rows) return rows.failed;
  // each row checked as it is read (checking them all at the end held a province's plan half a second in one piece)
  const check = new PlanCheck();
  let i = 0;
  await eachInSlices(rows.items, (item) => check.add(rows.candidate(item, i++)));
  return check.result();
}
