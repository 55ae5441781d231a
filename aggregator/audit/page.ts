import type { AuditFilter } from '../store/port.js';
import type { AuditRecord } from './chain.js';
import { csvDocument } from '../features/csv.js';

const MAX_PAGE = 1000;

export type AuditRead = (fromSeq: number, limit: number, filter: AuditFilter) => Promise<AuditRecord[]>;
export type AuditPage = { records: Array<Omit<AuditRecord, 'at' | 'detail'> & { at: string; detail: unknown }>; next: number | null };

/**
 * One page of the stored trail for `GET /api/audit` (oldest first) and the
 * `from` of the next: `from` (record number), `limit` (1..1000), and filters
 * `actor`, `action` (a prefix: `maintenance.`), `since`/`until` (ISO times).
 */
export async function auditPage(stored: () => Promise<void>, read: AuditRead, q: URLSearchParams): Promise<{ error: string } | AuditPage> {
  const from = Number(q.get('from') ?? 1);
  const limit = Number(q.get('limit') ?? 100);
  if (!Number.isSafeInteger(from) || from < 1) return { error: 'from is a record number, 1 or more' };
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) return { error: `limit is 1..${MAX_PAGE}` };
  const time = (k: 'since' | 'until') => {
    const v = q.get(k);
    if (v === null) return undefined;
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  };
  const since = time('since');
  const until = time('until');
  if (since === null || until === null) return { error: 'since and until are ISO times (2026-12-05T08:00:00+08:00)' };
  const text = (k: 'actor' | 'action') => {
    const v = q.get(k);
    return v === null || v === '' ? undefined : v.slice(0, 200);
  };
  // what was recorded a moment ago (this very request's neighbours) is in the page
  await stored();
  const rows = await read(from, limit, { actor: text('actor'), action: text('action'), since, until });
  return {
    records: rows.map((r) => ({ ...r, at: new Date(r.at).toISOString(), detail: safeJson(r.detail) })),
    next: rows.length === limit ? rows.at(-1)!.seq + 1 : null,
  };
}

/** The page as CSV (UTF-8 with a BOM, so that a spreadsheet reads the Chinese): one record a row, the summary as its JSON. */
export function auditCsv(page: AuditPage): string {
  return csvDocument(['seq', 'at', 'actor', 'source', 'userAgent', 'action', 'target', 'detail', 'hash'], page.records.map((r) => [r.seq, r.at, r.actor, r.source, r.userAgent, r.action, r.target, r.detail, r.hash]));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
