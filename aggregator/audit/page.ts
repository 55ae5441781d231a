import type { AuditRecord } from './chain.js';

const MAX_PAGE = 1000;

/** One page of the stored trail for `GET /api/audit?from=SEQ&limit=N` (oldest first), and the seq to ask from next. */
export async function auditPage(stored: () => Promise<void>, read: (fromSeq: number, limit: number) => Promise<AuditRecord[]>, q: URLSearchParams): Promise<{ error: string } | { records: Array<Omit<AuditRecord, 'at' | 'detail'> & { at: string; detail: unknown }>; next: number | null }> {
  const from = Number(q.get('from') ?? 1);
  const limit = Number(q.get('limit') ?? 100);
  if (!Number.isSafeInteger(from) || from < 1) return { error: 'from is a record number, 1 or more' };
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) return { error: `limit is 1..${MAX_PAGE}` };
  // what was recorded a moment ago (this very request's neighbours) is in the page
  await stored();
  const rows = await read(from, limit);
  return {
    records: rows.map((r) => ({ ...r, at: new Date(r.at).toISOString(), detail: safeJson(r.detail) })),
    next: rows.length === limit ? rows.at(-1)!.seq + 1 : null,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
