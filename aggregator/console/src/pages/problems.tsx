import { query, type Agents, type CamerasPage } from '../api.js';
import { CATEGORIES, duration, when } from '../format.js';
import { LangContext, listOf, useT, useTermHeading, useTerm } from '../i18n.js';
import { PICTURE_FAULTS } from '../../../../protocols/terms.js';
import { useJson, useLive } from '../hooks.js';
import { Show, StateBadge } from '../parts.js';
import { hrefWith, navigate, type Route } from '../route.js';
import { useContext } from 'preact/hooks';
import { Alerts } from './alerts.js';

const PAGE = 50;
const PROBLEM_STATES = 'offline,degraded,unknown';

/** Offline, degraded and unknown cameras, longest first, filtered and paginated on the server; refreshed live. */
export function Problems(props: { route: Route }) {
  const t = useT();
  const heading = useTermHeading();
  const term = useTerm();
  const lang = useContext(LangContext);
  const { tick } = useLive();
  const r = props.route;
  const offset = Math.max(0, Number(r['offset'] ?? 0) || 0);
  const filters = { state: r['state'] || PROBLEM_STATES, region: r['region'] === 'all' ? undefined : r['region'], category: r['category'], agent: r['agent'], device: r['device'], cause: r['cause'], fault: r['fault'], q: r['q'] };
  const page = useJson<CamerasPage>(`/api/cameras${query({ ...filters, limit: PAGE, offset })}`, tick);
  const agents = useJson<Agents>('/api/agents');
  const set = (k: string) => (e: Event) => navigate(hrefWith(r, { [k]: (e.target as HTMLInputElement).value, offset: undefined }), true);
  return (
    <section aria-labelledby="problems-h">
      <h2 id="problems-h">{t('problemsTitle')}</h2>
      <Alerts />
      <form class="toolbar" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          {t('state')}{' '}
          <select value={r['state'] ?? ''} onChange={set('state')} name="state">
            <option value="">{t('allProblems')}</option>
            <option value="offline">{heading('state', 'offline')}</option>
            <option value="degraded">{heading('state', 'degraded')}</option>
            <option value="unknown">{heading('state', 'unknown')}</option>
          </select>
        </label>
        <label>
          {t('category')}{' '}
          <select value={r['category'] ?? ''} onChange={set('category')} name="category">
            <option value="">{t('all')}</option>
            {CATEGORIES.filter((k) => k !== 'all').map((k) => (
              <option value={k}>{t(k)}</option>
            ))}
          </select>
        </label>
        <label>
          {t('gateway')}{' '}
          <select value={r['agent'] ?? ''} onChange={set('agent')} name="agent">
            <option value="">{t('all')}</option>
            {(agents.data?.agents ?? []).map((a) => (
              <option value={a.agentId}>{a.agentId}</option>
            ))}
          </select>
        </label>
        <label>
          {t('cause')}{' '}
          <select value={r['cause'] ?? ''} onChange={set('cause')} name="cause" title={t('notNetworkedHelp')}>
            <option value="">{t('anyCause')}</option>
            {(['camera', 'device', 'network', 'gateway'] as const).map((k) => (
              <option value={k}>{term('cause', k)}</option>
            ))}
          </select>
        </label>
        <label>
          {t('fault')}{' '}
          <select value={r['fault'] ?? ''} onChange={set('fault')} name="fault">
            <option value="">{t('anyFault')}</option>
            {PICTURE_FAULTS.map((f) => (
              <option value={f}>{term('fault', f)}</option>
            ))}
          </select>
        </label>
        {r['device'] && (
          <a class="button" href={hrefWith(r, { device: undefined, offset: undefined })} data-testid="device-filter">
            {t('ofDevice')}: {r['device']} ✕
          </a>
        )}
        <label>
          <span class="sr-only">{t('search')}</span>
          <input type="search" placeholder={t('search')} value={r['q'] ?? ''} onChange={set('q')} name="q" />
        </label>
        <a class="button" href={`/api/cameras${query({ ...filters, format: 'csv' })}`} download>
          {t('exportCsv')}
        </a>
      </form>
      <Show load={page}>
        {(p) => (
          <>
            <p class="muted" data-testid="problems-total">
              {p.total === 0 ? t('none') : `${offset + 1}–${offset + p.cameras.length} ${t('ofTotal')} ${p.total}`}
            </p>
            {p.cameras.length > 0 && (
              <div class="scroll">
                <table class="grid" data-testid="problems-table">
                  <thead>
                    <tr>
                      <th>{t('camera')}</th>
                      <th>{t('state')}</th>
                      <th>{t('duration')}</th>
                      <th>{t('since')}</th>
                      <th>{t('gateway')}</th>
                      <th>{t('ofDevice')}</th>
                      <th>{t('point')}</th>
                      <th>{t('cause')}</th>
                      <th>{t('rung')}</th>
                      <th>{t('reason')}</th>
                      <th title={t('deviceSaidHelp')}>{t('deviceSaid')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.cameras.map((c) => (
                      <tr data-camera={c.cameraId} key={c.cameraId}>
                        <td>
                          <a href={hrefWith({}, { page: 'camera', id: c.cameraId })}>{c.name ?? c.cameraId}</a>
                          {c.name && <div class="muted small">{c.cameraId}</div>}
                        </td>
                        <td>
                          <StateBadge state={c.state} />
                          {c.flapping && <span class="badge badge-warn">⇅ {c.flapping.changes}</span>}
                        </td>
                        <td class="num">{duration(c.forMs, lang)}</td>
                        <td>{when(c.since, lang)}</td>
                        <td>{c.agentId}</td>
                        <td data-device={c.deviceId ?? ''}>
                          {c.deviceId ? (
                            <a href={hrefWith(r, { device: c.deviceId, offset: undefined })}>
                              {c.deviceId} · {t('channelN')} {c.channel}
                            </a>
                          ) : (
                            '—'
                          )}
                        </td>
                        <td>{c.pointId ?? '—'}</td>
                        <td data-cause={c.cause ?? ''}>{c.cause ? term('cause', c.cause) : '—'}</td>
                        <td data-rung={c.rung ?? ''}>{c.rung ? term('rung', c.rung) : '—'}</td>
                        <td data-reason={c.reason ?? ''}>{listOf(lang, [...(c.reason && !(c.reason === 'degraded' && c.faults.length) ? [term('reason', c.reason)] : []), ...c.faults.map((f) => term('fault', f.fault))]) || '—'}</td>
                        <td class="detail" title={t('deviceSaidHelp')}>
                          {c.detail ?? ''}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <nav class="pager" aria-label="pages">
              {offset > 0 && <a href={hrefWith(r, { offset: String(Math.max(0, offset - PAGE)) })}>← {t('prev')}</a>}
              {offset + PAGE < p.total && <a href={hrefWith(r, { offset: String(offset + PAGE) })}>{t('next')} →</a>}
            </nav>
          </>
        )}
      </Show>
    </section>
  );
}
