import { render } from 'preact';
import { useState, useLayoutEffect } from 'preact/hooks';
import { regionAncestors } from '../../../protocols/gbt.js';
import { LangContext, translate, type Lang, type Word } from './i18n.js';
import { LiveContext, useJson, useLiveFeed } from './hooks.js';
import { query } from './api.js';
import { hrefWith, navigate, onLink, pageOf, useRoute, type Page, type Route } from './route.js';
import { Overview } from './pages/overview.js';
import { Regions } from './pages/regions.js';
import { Problems } from './pages/problems.js';
import { CameraPage } from './pages/camera.js';
import { Gateways } from './pages/gateways.js';
import { UpperPlatforms } from './pages/upper-platforms.js';
import { Plan } from './pages/plan.js';
import { AuditPage } from './pages/audit.js';
import './styles.css';

const NAV: Page[] = ['overview', 'regions', 'problems', 'gateways', 'plan', 'audit'];
const WINDOWS = ['today', '24h', '7d', '30d'] as const;

function initialLang(): Lang {
  const saved = localStorage.getItem('xueliang.lang');
  if (saved === 'zh' || saved === 'en') return saved;
  return 'zh';
}

function App() {
  const route = useRoute();
  const [lang, setLang] = useState<Lang>(initialLang);
  const live = useLiveFeed();
  const t = (w: Word) => translate(lang, w);
  const page = pageOf(route);
  // before the browser paints the new words: a screen reader (or a test) never reads English marked as Chinese
  useLayoutEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = `${t(page)} · ${t('title')}`;
  }, [lang, page]);
  const switchLang = () => {
    const next = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('xueliang.lang', next);
    setLang(next);
  };
  return (
    <LangContext.Provider value={lang}>
      <LiveContext.Provider value={live}>
        <div onClick={(e) => onLink(e as unknown as MouseEvent)}>
          <header class="top">
            <h1>
              <a href="/">{t('title')}</a>
            </h1>
            <nav class="tabs" aria-label="pages">
              {NAV.map((p) => (
                <a href={hrefWith(keep(route), { page: p === 'overview' ? undefined : p })} aria-current={p === page ? 'page' : undefined} data-page={p}>
                  {t(p)}
                </a>
              ))}
            </nav>
            <span class={`live ${live.connected ? 'on' : 'off'}`} title={live.connected ? t('live') : t('liveOff')} data-testid="live">
              ● {live.connected ? t('live') : t('liveOff')}
            </span>
            <button type="button" class="lang" onClick={switchLang} aria-label={t('languageName')} data-testid="lang">
              {t('language')}
            </button>
          </header>
          {page !== 'camera' && page !== 'plan' && page !== 'gateways' && page !== 'audit' && <Scope route={route} lang={lang} />}
          <main>
            {page === 'overview' && <Overview route={route} />}
            {page === 'regions' && <Regions route={route} />}
            {page === 'problems' && <Problems route={route} />}
            {page === 'camera' && <CameraPage route={route} />}
            {page === 'gateways' && (
              <>
                <Gateways />
                <UpperPlatforms />
              </>
            )}
            {page === 'plan' && <Plan />}
            {page === 'audit' && <AuditPage />}
          </main>
        </div>
      </LiveContext.Provider>
    </LangContext.Provider>
  );
}

/** What a page change keeps of the selection: region and window. */
function keep(r: Route): Route {
  const out: Route = {};
  for (const k of ['region', 'window']) if (r[k]) out[k] = r[k]!;
  return out;
}

/** The region breadcrumb, the window and the exports of the selection. */
function Scope(props: { route: Route; lang: Lang }) {
  const t = (w: Word) => translate(props.lang, w);
  const r = props.route;
  const region = r['region'] ?? 'all';
  const chain = region === 'all' ? [] : regionAncestors(region).reverse();
  // 浙江省 › 杭州市 › 西湖区: the names the centre knows (division data, the plan's for grassroots units); a code without one shows as the code
  const names = useJson<{ names: Record<string, string> }>(chain.length ? `/api/regions${query({ codes: chain.join(',') })}` : null).data?.names ?? {};
  // the browser's own calendar day: the report's day is the aggregator's (timeZone), the same in the usual case
  const today = localDate(new Date());
  const month = today.slice(0, 7);
  const [reportMonth, setReportMonth] = useState(month);
  const [reportDay, setReportDay] = useState(today);
  return (
    <div class="scope">
      <nav class="crumbs" aria-label={t('region')}>
        <a href={hrefWith(r, { region: undefined, offset: undefined })} aria-current={region === 'all' ? 'page' : undefined}>
          {t('wholeArea')}
        </a>
        {chain.map((c) => (
          <>
            {' › '}
            <a href={hrefWith(r, { region: c, offset: undefined })} aria-current={c === region ? 'page' : undefined} data-region={c} title={c}>
              {names[c] ?? c}
            </a>
          </>
        ))}
      </nav>
      <label>
        {t('window')}{' '}
        <select value={r['window'] ?? '24h'} onChange={(e) => navigate(hrefWith(r, { window: (e.target as HTMLSelectElement).value }), true)} data-testid="window">
          {WINDOWS.map((w) => (
            <option value={w}>{t(w)}</option>
          ))}
        </select>
      </label>
      <form class="export" onSubmit={(e) => e.preventDefault()}>
        <label>
          {t('month')} <input type="month" value={reportMonth} max={month} onChange={(e) => setReportMonth((e.target as HTMLInputElement).value || month)} data-testid="report-month" />
        </label>
        <a class="button" href={`/api/report?region=${encodeURIComponent(region)}&month=${reportMonth}&format=xlsx&lang=${props.lang}`} download data-testid="xlsx">
          {t('exportXlsx')}
        </a>
        <label>
          {t('day')} <input type="date" value={reportDay} max={today} onChange={(e) => setReportDay((e.target as HTMLInputElement).value || today)} data-testid="report-day" />
        </label>
        <a class="button" href={`/api/report?region=${encodeURIComponent(region)}&day=${reportDay}&format=xlsx&lang=${props.lang}`} download data-testid="xlsx-day">
          {t('exportDayXlsx')}
        </a>
      </form>
    </div>
  );
}

const root = document.getElementById('app')!;
root.textContent = '';
function localDate(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

render(<App />, root);
