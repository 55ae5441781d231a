import { useState } from 'preact/hooks';
import { useContext } from 'preact/hooks';
import { LangContext, useT } from '../i18n.js';
import { when } from '../format.js';
import { send, setCsrf, type Session } from '../session.js';

/** The login form: the whole page before a login, or over the page when a session ended (the page stays as it was). */
export function Login(props: { ended: boolean; onLogin: (s: Session) => void; onCancel?: () => void }) {
  const t = useT();
  const lang = useContext(LangContext);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const user = (form.elements.namedItem('user') as HTMLInputElement).value;
    const password = (form.elements.namedItem('password') as HTMLInputElement).value;
    setBusy(true);
    setError(undefined);
    try {
      const res = await send('POST', '/api/login', JSON.stringify({ user, password }));
      const body = (await res.json().catch(() => null)) as (Session & { error?: { code: string; message: string; until?: string } }) | null;
      if (!res.ok || !body || body.error) {
        const until = body?.error?.until;
        const code = body?.error?.code;
        setError(code === 'LOCKED' ? `${t('loginLocked')}${until ? ` · ${t('tryAfter')} ${when(until, lang, undefined, false)}` : ''}` : code === 'DIRECTORY_UNAVAILABLE' ? `${t('directoryDown')} (${body!.error!.message})` : t('loginFailed'));
        return;
      }
      setCsrf(body.csrf);
      props.onLogin(body);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class={props.ended ? 'login-over' : 'login-page'}>
      <form class="panel login" onSubmit={submit} data-testid="login">
        <h2>{t('login')}</h2>
        {props.ended && (
          <p class="notice" role="status" data-testid="session-ended">
            {t('sessionEnded')}
          </p>
        )}
        <label>
          {t('userName')} <input name="user" autocomplete="username" required maxLength={64} />
        </label>
        <label>
          {t('password')} <input name="password" type="password" autocomplete="current-password" required maxLength={1024} />
        </label>
        <button type="submit" disabled={busy}>
          {t('login')}
        </button>
        {props.onCancel && (
          <button type="button" class="link" onClick={props.onCancel}>
            {t('cancel')}
          </button>
        )}
        {error && (
          <p class="error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
      </form>
    </div>
  );
}
