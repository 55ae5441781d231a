import { query, type Agents, type CategoryRates, type Daily, type Rates } from '../api.js';
import { useContext } from 'preact/hooks';
import { CATEGORIES, duration, pct, when } from '../format.js';
import { LangContext, useT, useTerm, useTermHeading } from '../i18n.js';
import { useJson, useLive } from '../hooks.js';
import { Rate, Show, StartingWords } from '../parts.js';
import { Trend } from '../trend.js';
import { hrefWith, type Route } from '../route.js';
import { regionTitle } from './regions.js';

/** Rates of the chosen region per category against the targets, cameras by state, gateways online, the 30-day trend. */
export function Overview(props: { route: Route }) {
  const t = useT();
  const heading = useTermHeading();
  const lang = useContext(LangContext);
  const { tick } = useLive();
  const region = props.route['region'] ?? 'all';
  const window = props.route['window'] ?? '24h';
  const rates = useJson<Rates>(`/api/rates${query({ region, window })}`, tick);
  const agents = useJson<Agents>('/api/agents', tick);
  const daily = useJson<Daily>(`/api/rates/daily${query({ region, days: 30 })}`);
  return (
    <section aria-labelledby="overview-h">
      <h2 id="overview-h">
        {t('overview')} · {region === 'all' ? t('wholeArea') : regionTitle(region, rates.data?.names)}
      </h2>
      <Show load={rates}>
        {(data) => {
          const row = data.regions.find((r) => r.region === region);
          if (!row) return <p class="muted">{t('noRate')}</p>;
          const all = row.categories.all;
          return (
            <>
              {data.restored && (
                <div class="notice notice-warn" role="status" data-testid="restored">
                  {t('restoredNote').replace('{at}', when(data.restored.at, lang))} <StartingWords starting={data.restored} />
                </div>
              )}
              {all && (
                <div class="states" data-testid="state-counts">
                  {(['online', 'degraded', 'offline', 'unknown'] as const).map((s) => (
                    <a class={`state-count state-${s}`} href={s === 'online' ? hrefWith(props.route, { page: 'regions' }) : hrefWith(props.route, { page: 'problems', state: s, offset: undefined })} data-state={s}>
                      <span class="n">{all.counts[s]}</span>
                      <span class="l">{heading('state', s)}</span>
                    </a>
                  ))}
                  <div class="state-count state-maintenance" data-state="maintenance">
                    <span class="n">{all.counts.maintenance}</span>
                    <span class="l">{t('maintenance')}</span>
                  </div>
                  {/* while the centre is starting the notice above says so: not again in this row */}
                  {!(agents.status === 'loading' && agents.starting) && <Show load={agents}>
                    {(a) => {
                      const mine = a.agents.filter((g) => region === 'all' || (g.region ?? '').startsWith(region.replace(/0+$/, '')));
                      return (
                        <a class="state-count state-gateways" href={hrefWith(props.route, { page: 'gateways' })} data-testid="gateways-online">
                          <span class="n">
                            {mine.filter((g) => g.online).length} / {mine.length}
                          </span>
                          <span class="l">{t('gatewaysOnline')}</span>
                        </a>
                      );
                    }}
                  </Show>}
                </div>
              )}
              {CATEGORIES.map((k) => {
                const c = row.categories[k];
                if (!c || (k !== 'all' && c.counts.installed === 0 && c.counts.points === 0)) return null;
                return (
                  <div class="category" data-category={k} key={k}>
                    <h3>{t(k)}</h3>
                    <div class="rates">
                      <Rate label="coverage" ratio={{ numerator: c.coverage.numerator, denominator: c.coverage.denominator, rate: c.coverage.rate }} target={c.target?.coverage} testId={`${k}-coverage`} />
                      <Rate label="networking" ratio={c.networking} target={c.target?.networking} testId={`${k}-networking`} />
                      <Rate label="intact" ratio={c.intact} target={c.target?.intact} testId={`${k}-intact`} />
                      <Rate label="register" ratio={c.register} target={c.target?.register} testId={`${k}-register`} />
                      <div class="rate rate-none" data-testid={`${k}-online`}>
                        <div class="rate-label">
                          {t('online')} · {t(window as '24h')}
                        </div>
                        <div class="rate-value" data-role="percent">{pct(c.online.rate)}</div>
                        <div class="rate-counts">
                          {duration(c.online.onlineMs, lang)} / {duration(c.online.observedMs, lang)}
                          {c.online.unknownMs > 0 && (
                            <span class="muted">
                              {' '}
                              ({t('unknownTime')} {duration(c.online.unknownMs, lang)})
                            </span>
                          )}
                        </div>
                        <div class="rate-target">{t('noTarget')}</div>
                      </div>
                    </div>
                    <Causes counts={c.counts} route={props.route} category={k} />
                  </div>
                );
              })}
            </>
          );
        }}
      </Show>
      <div class="panel">
        <h3>{t('trend')}</h3>
        <Show load={daily}>{(d) => <Trend days={d.days} />}</Show>
      </div>
    </section>
  );
}

/** The cameras not networked by cause: each a link to the problem list of that cause; they add up to installed − networked. */
function Causes(props: { counts: CategoryRates['counts']; route: Route; category: string }) {
  const t = useT();
  const term = useTerm();
  const c = props.counts;
  const missing = c.installed - c.networked;
  if (missing <= 0) return null;
  const parts = [
    ['camera', c.offlineCamera],
    ['device', c.offlineDevice],
    ['network', c.offlineNetwork],
    ['gateway', c.unknown],
  ] as const;
  return (
    <p class="causes muted" data-testid={`${props.category}-causes`} title={t('notNetworkedHelp')}>
      {t('notNetworked')} <strong>{missing}</strong>:{' '}
      {parts
        .filter(([, n]) => n > 0)
        .map(([cause, n], i) => (
          <>
            {i > 0 && ' · '}
            <a href={hrefWith(props.route, { page: 'problems', cause, category: props.category === 'all' ? undefined : props.category, state: undefined, offset: undefined })} data-cause={cause}>
              {term('cause', cause)} {n}
            </a>
          </>
        ))}
    </p>
  );
}
