import { render } from 'preact';
import { useEffect, useState, useLayoutEffect } from 'preact/hooks';
import { regionAncestors } from '../../../protocols/gbt.js';
import { LangContext, translate, type Lang, type Word } from './i18n.js';
import { useContext } from 'preact/hooks';
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
import { Accounts } from './pages/accounts.js';
import { Login } from './pages/login.js';
import { covers, homeRegion, onSessionEnded, send, SessionContext, setCsrf, type Session } from './session.js';
import './styles.css';

/** The pages a role has: the security administrator manages accounts, the auditor reads the trail, the others the network. */
function pagesOf(role: Session['role']): Page[] {
  if (role === 'security') return ['accounts'];
  if (role === 'auditor') return ['audit'];
  return ['overview', 'regions', 'problems', 'gateways', 'plan'];
}
const WINDOWS = ['today', '24h', '7d', '30d'] as const;
const LIVE_WORD = { connecting: 'liveConnecting', on: 'live', off: 'liveOff' } as const;
const LIVE_TITLE = { connecting: 'liveConnectingTitle', on: 'liveTitle', off: 'liveOffTitle' } as const;

function initialLang(): Lang {
  const saved = localStorage.getItem('xueliang.lang');
  if (saved === 'zh' || saved === 'en') return saved;
  return 'zh';
}

/**
 * Who the console acts as first (GET /api/session): a login page without a
 * session (unless the centre is open for reads); the session's pages after.
 * A session that ends while a page is open (idle, lifetime, a password
 * change) brings the login over the page, which stays as it was.
 */
function Root() {
  const [lang, setLang] = useState<Lang>(initialLang);
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [ended, setEnded] = useState(false);
  const [asking, setAsking] = useState(false);
  const [generation, setGeneration] = useState(0);
  const loadSession = () =>
    void fetch('/api/session', { headers: { Accept: 'application/json' } })
      .then((r) => r.json() as Promise<Session>)
      .then((s) => {
        setCsrf(s.csrf);
        setSession(s);
      });
  useEffect(loadSession, []);
  useEffect(() => onSessionEnded(() => setEnded(true)), []);
  const loggedIn = (s: Session) => {
    setSession(s);
    setEnded(false);
    setAsking(false);
    setGeneration((g) => g + 1);
  };
  const logout = async () => {
    await send('POST', '/api/logout').catch(() => undefined);
    setCsrf(null);
    setGeneration((g) => g + 1);
    loadSession();
  };
  if (!session) return null;
  return (
    <LangContext.Provider value={lang}>
      <SessionContext.Provider value={session}>
        {session.role === null ? (
          <Login ended={false} onLogin={loggedIn} />
        ) : (
          <>
            <App key={generation} lang={lang} setLang={setLang} onLogout={() => void logout()} onLogin={() => setAsking(true)} />
            {(ended || asking) && <Login ended={ended} onLogin={loggedIn} {...(asking && !ended ? { onCancel: () => setAsking(false) } : {})} />}
          </>
        )}
      </SessionContext.Provider>
    </LangContext.Provider>
  );
}

function App(props: { lang: Lang; setLang: (l: Lang) => void; onLogout: () => void; onLogin: () => void }) {
  const session = useContext(SessionContext);
  const home = homeRegion(session);
  const asked = useRoute();
  // a user of some regions starts at their own; the whole area is theirs only with every region
  const route = asked['region'] || home === 'all' ? asked : { ...asked, region: home };
  const { lang, setLang } = props;
  // the security administrator and the auditor read no camera data: no live feed of it either
  const reader = session.role !== 'security' && session.role !== 'auditor';
  const live = useLiveFeed(1500, reader);
  const t = (w: Word) => translate(lang, w);
  const NAV = pagesOf(session.role);
  const wanted = pageOf(route);
  const page: Page = NAV.includes(wanted) || (wanted === 'camera' && NAV.includes('overview')) ? wanted : NAV[0]!;
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
    <>
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
            <button type="button" class="lang" onClick={switchLang} aria-label={t('languageName')} data-testid="lang">
              {t('language')}
            </button>
            {session.user ? (
              <span class="who" data-testid="who">
                <span title={`${t('myRegions')}: ${session.regions.join(', ')}`}>
                  {session.user} · {t(`role_${session.role!}`)}
                </span>{' '}
                <button type="button" onClick={props.onLogout} data-testid="logout">
                  {t('logout')}
                </button>
              </span>
            ) : (
              <button type="button" onClick={props.onLogin} data-testid="login-button">
                {t('login')}
              </button>
            )}
            {reader && (
              // last in the header and short: nothing moves when the feed comes and goes (a click aimed at a button must not miss it)
              <span class={`live ${live.state}`} title={t(LIVE_TITLE[live.state])} data-testid="live">
                ● {t(LIVE_WORD[live.state])}
              </span>
            )}
          </header>
          {(page === 'overview' || page === 'regions' || page === 'problems') && <Scope route={route} lang={lang} session={session} />}
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
            {page === 'accounts' && <Accounts />}
          </main>
        </div>
      </LiveContext.Provider>
    </>
  );
}

/** What a page change keeps of the selection: region and window. */
function keep(r: Route): Route {
  const out: Route = {};
  for (const k of ['region', 'window']) if (r[k]) out[k] = r[k]!;
  return out;
}

/** The region breadcrumb, the window and the exports of the selection. */
function Scope(props: { route: Route; lang: Lang; session: Session }) {
  const t = (w: Word) => translate(props.lang, w);
  const r = props.route;
  const region = r['region'] ?? 'all';
  const everything = props.session.regions.includes('all');
  // the breadcrumb starts at the user's own regions: what lies above them is not theirs to open
  const chain = region === 'all' ? [] : regionAncestors(region).reverse().filter((c) => covers(props.session, c));
  const exports = props.session.role === 'operator' || props.session.role === 'admin';
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
        {everything && (
          <a href={hrefWith(r, { region: undefined, offset: undefined })} aria-current={region === 'all' ? 'page' : undefined}>
            {t('wholeArea')}
          </a>
        )}
        {chain.map((c, i) => (
          <>
            {everything || i > 0 ? ' › ' : ''}
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
      {exports && <form class="export" onSubmit={(e) => e.preventDefault()}>
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
      </form>}
    </div>
  );
}

const root = document.getElementById('app')!;
root.textContent = '';
function localDate(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

render(<Root />, root);
