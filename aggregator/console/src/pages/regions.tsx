import { query, type CategoryRates, type Rates } from '../api.js';
import { CATEGORIES, pct, standing, toCsv, type Category } from '../format.js';
import { useT, useTermHeading, type Word } from '../i18n.js';
import { useJson, useLive } from '../hooks.js';
import { Show } from '../parts.js';
import { hrefWith, navigate, type Route } from '../route.js';

const COLUMNS = ['region', 'installed', 'offline', 'coverage', 'networking', 'intact', 'register', 'online'] as const;
type Column = (typeof COLUMNS)[number];

function sortValue(region: string, c: CategoryRates | undefined, col: Column): number | string {
  if (col === 'region') return region;
  if (!c) return -1;
  if (col === 'installed') return c.counts.installed;
  if (col === 'offline') return c.counts.offline;
  return c[col].rate ?? -1;
}

/** The child regions of the selection with their rates side by side, sortable; a region's code drills into it. */
export function Regions(props: { route: Route }) {
  const t = useT();
  const heading = useTermHeading();
  const { tick } = useLive();
  const region = props.route['region'] ?? 'all';
  const window = props.route['window'] ?? '24h';
  const category = (CATEGORIES as readonly string[]).includes(props.route['category'] ?? '') ? (props.route['category'] as Category) : 'all';
  const sort = (COLUMNS as readonly string[]).includes(props.route['sort'] ?? '') ? (props.route['sort'] as Column) : 'intact';
  const dir = props.route['dir'] === 'desc' ? -1 : 1;
  const rates = useJson<Rates>(`/api/rates${query({ region, window })}`, tick);
  return (
    <section aria-labelledby="regions-h">
      <h2 id="regions-h">
        {t('drill')} · {region === 'all' ? t('wholeArea') : regionTitle(region, rates.data?.names)}
      </h2>
      <div class="toolbar">
        <label>
          {t('category')}{' '}
          <select value={category} onChange={(e) => navigate(hrefWith(props.route, { category: (e.target as HTMLSelectElement).value }), true)}>
            {CATEGORIES.map((k) => (
              <option value={k}>{k === 'all' ? t('all') : t(k)}</option>
            ))}
          </select>
        </label>
      </div>
      <Show load={rates}>
        {(data) => {
          const rows = data.regions.filter((r) => r.region !== region).sort((a, b) => {
            const x = sortValue(a.region, a.categories[category], sort);
            const y = sortValue(b.region, b.categories[category], sort);
            return (x < y ? -1 : x > y ? 1 : 0) * dir || a.region.localeCompare(b.region);
          });
          const csv = () => {
            const header = ['region', 'name', 'level', 'installed', 'offline', 'coverage_num', 'coverage_den', 'coverage_%', 'networking_num', 'networking_den', 'networking_%', 'intact_num', 'intact_den', 'intact_%', 'register_num', 'register_den', 'register_%', 'online_%'];
            const body = rows.map((r) => {
              const c = r.categories[category];
              return [r.region, r.name ?? '', r.level, c?.counts.installed ?? 0, c?.counts.offline ?? 0, c?.coverage.numerator ?? 0, c?.coverage.denominator ?? 0, c?.coverage.percent ?? null, c?.networking.numerator ?? 0, c?.networking.denominator ?? 0, c?.networking.percent ?? null, c?.intact.numerator ?? 0, c?.intact.denominator ?? 0, c?.intact.percent ?? null, c?.register.numerator ?? 0, c?.register.denominator ?? 0, c?.register.percent ?? null, c?.online.percent ?? null];
            });
            download(`xueliang-regions-${region}-${category}-${window}.csv`, toCsv(header, body));
          };
          if (rows.length === 0) return <p class="muted">{t('noChildren')}</p>;
          return (
            <>
              <div class="toolbar">
                <button type="button" onClick={csv}>
                  {t('exportCsv')}
                </button>
              </div>
              <div class="scroll">
                <table class="grid" data-testid="regions-table">
                  <thead>
                    <tr>
                      {COLUMNS.map((col) => (
                        <th aria-sort={sort === col ? (dir === 1 ? 'ascending' : 'descending') : 'none'}>
                          <a href={hrefWith(props.route, { sort: col, dir: sort === col && dir === 1 ? 'desc' : undefined })}>
                            {col === 'offline' ? heading('state', 'offline') : t(col as Word)}
                            {sort === col ? (dir === 1 ? ' ▲' : ' ▼') : ''}
                          </a>
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((r) => {
                      const c = r.categories[category];
                      const cell = (col: 'coverage' | 'networking' | 'intact' | 'register') => {
                        const v = c?.[col];
                        const target = c?.target?.[col];
                        return (
                          <td class={`num rate-${standing(v?.rate, target)}`} data-col={col}>
                            <span data-role="percent">{pct(v?.rate)}</span> <span class="muted small">{v ? `${v.numerator}/${v.denominator}` : ''}</span>
                          </td>
                        );
                      };
                      return (
                        <tr data-region={r.region} key={r.region}>
                          <td>
                            {r.level === 'unit' || r.region === 'unknown-region' ? (
                              (r.name ?? r.region)
                            ) : (
                              <a href={hrefWith(props.route, { region: r.region })}>{r.name ?? r.region}</a>
                            )}{' '}
                            <span class="muted small">
                              {r.name ? `${r.region} · ` : ''}
                              {t(r.level === 'all' ? 'all' : r.level)}
                            </span>
                          </td>
                          <td class="num">{c?.counts.installed ?? 0}</td>
                          <td class="num">{c?.counts.offline ?? 0}</td>
                          {cell('coverage')}
                          {cell('networking')}
                          {cell('intact')}
                          {cell('register')}
                          <td class="num" data-col="online">
                            <span data-role="percent">{pct(c?.online.rate)}</span>
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            </>
          );
        }}
      </Show>
    </section>
  );
}

/** Hands a text to the browser as a file download. */
export function download(name: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A region as a heading names it: 西湖区 (330106), or the code alone when no name is known. */
export function regionTitle(code: string, names: Record<string, string> | undefined): string {
  const name = names?.[code];
  return name ? `${name} (${code})` : code;
}
