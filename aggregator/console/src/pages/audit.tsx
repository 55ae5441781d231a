import { useContext, useEffect, useState } from 'preact/hooks';
import type { Audit } from '../api.js';
import { when } from '../format.js';
import { LangContext, useT } from '../i18n.js';
import { download } from './regions.js';
import { sessionEnded } from '../session.js';

type Filters = { actor: string; action: string; since: string; until: string };

/**
 * The audit trail (安全审计) for the auditor (审计管理员): filter by actor,
 * action and time, page through, export the page as CSV.
 */
export function AuditPage() {
  const t = useT();
  const lang = useContext(LangContext);
  const [from, setFrom] = useState(1);
  const [filters, setFilters] = useState<Filters>({ actor: '', action: '', since: '', until: '' });
  const [page, setPage] = useState<Audit | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  const query = (f: Filters, start: number, format?: 'csv') => {
    const q = new URLSearchParams({ from: String(start), limit: '100' });
    if (f.actor) q.set('actor', f.actor);
    if (f.action) q.set('action', f.action);
    if (f.since) q.set('since', new Date(f.since).toISOString());
    if (f.until) q.set('until', new Date(f.until).toISOString());
    if (format) q.set('format', format);
    return `/api/audit?${q}`;
  };
  const load = async (f: Filters, start: number) => {
    setError(undefined);
    const res = await fetch(query(f, start), { headers: { Accept: 'application/json' } });
    if (res.status === 401) sessionEnded();
    const body = (await res.json()) as Audit | { error: { message: string } };
    if (!res.ok || 'error' in body) return setError('error' in body ? body.error.message : String(res.status));
    setFrom(start);
    setPage(body);
  };
  const exportCsv = async () => {
    const res = await fetch(query(filters, from, 'csv'));
    if (res.status === 401) sessionEnded();
    if (res.ok) download('xueliang-audit.csv', await res.text());
    else setError(String(res.status));
  };
  // the first page at once: an auditor should not have to press a button to see the trail
  useEffect(() => void load(filters, 1), []);
  const field = (k: keyof Filters, type = 'text') => (
    <label>
      {t(`audit_${k}`)} <input type={type} name={k} value={filters[k]} onInput={(e) => setFilters({ ...filters, [k]: (e.target as HTMLInputElement).value })} />
    </label>
  );

  return (
    <section aria-labelledby="audit-h">
      <h2 id="audit-h">{t('audit')}</h2>
      <p class="muted">{t('auditNote')}</p>
      <form
        class="toolbar"
        data-testid="audit-form"
        onSubmit={(e) => {
          e.preventDefault();
          void load(filters, 1);
        }}
      >
        {field('actor')}
        {field('action')}
        {field('since', 'datetime-local')}
        {field('until', 'datetime-local')}
        <button type="submit">{t('auditShow')}</button>
      </form>
      {error && (
        <div class="error" role="alert">
          {t('failed')}: {error}
        </div>
      )}
      {page && (
        <>
          <div class="toolbar">
            <button type="button" onClick={() => void exportCsv()}>
              {t('exportCsv')}
            </button>
            {from > 1 && (
              <button type="button" onClick={() => void load(filters, 1)}>
                {t('auditFirst')}
              </button>
            )}
            {page.next !== null && (
              <button type="button" onClick={() => void load(filters, page.next!)}>
                {t('auditNext')}
              </button>
            )}
          </div>
          <div class="scroll">
            <table class="grid" data-testid="audit-table">
              <thead>
                <tr>
                  <th>#</th>
                  <th>{t('audit_at')}</th>
                  <th>{t('audit_actor')}</th>
                  <th>{t('audit_source')}</th>
                  <th>{t('audit_action')}</th>
                  <th>{t('audit_target')}</th>
                  <th>{t('audit_detail')}</th>
                </tr>
              </thead>
              <tbody>
                {page.records.map((r) => (
                  <tr key={r.seq} data-seq={r.seq}>
                    <td class="num">{r.seq}</td>
                    <td>{when(r.at, lang)}</td>
                    <td>{r.actor}</td>
                    <td>
                      {r.source}
                      <div class="muted small">{r.userAgent}</div>
                    </td>
                    <td data-role="action">{r.action}</td>
                    <td>{r.target}</td>
                    <td class="small">{JSON.stringify(r.detail)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {page.records.length === 0 && <p class="muted">{t('nothing')}</p>}
        </>
      )}
    </section>
  );
}
