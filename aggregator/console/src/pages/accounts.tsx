import { useState } from 'preact/hooks';
import { when } from '../format.js';
import { useJson } from '../hooks.js';
import { useT } from '../i18n.js';
import { Show } from '../parts.js';
import { send } from '../session.js';
import { useContext } from 'preact/hooks';
import { LangContext } from '../i18n.js';

type User = { name: string; role: string; regions: string[]; disabled: boolean; changedAt: string };
type Token = { id: string; name: string; role: string; regions: string[]; user: string | null; expiresAt: string | null; active: boolean; revokedAt: string | null };
const ROLES = ['viewer', 'operator', 'admin', 'security', 'auditor'] as const;

/** The security administrator's page (安全管理员): users, their roles and regions, API tokens. No camera data here. */
export function Accounts() {
  const t = useT();
  const lang = useContext(LangContext);
  const users = useJson<{ users: User[] }>('/api/users');
  const tokens = useJson<{ tokens: Token[] }>('/api/tokens');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const [shown, setShown] = useState<string | undefined>(undefined);
  const act = async (res: Promise<Response>, ok: string, after: () => void) => {
    const r = await res;
    const body = (await r.json().catch(() => null)) as { error?: { message: string }; token?: string } | null;
    setMessage(r.ok ? { ok: true, text: ok } : { ok: false, text: body?.error?.message ?? `HTTP ${r.status}` });
    if (r.ok) after();
    return r.ok ? body : null;
  };
  const regionsOf = (text: string) => text.split(/[\s,，]+/).filter(Boolean);
  const addUser = (e: Event) => {
    e.preventDefault();
    const f = e.currentTarget as HTMLFormElement;
    const v = (n: string) => (f.elements.namedItem(n) as HTMLInputElement).value;
    void act(send('POST', '/api/users', JSON.stringify({ name: v('name'), role: v('role'), regions: regionsOf(v('regions')), password: v('password') })), t('saved'), () => {
      f.reset();
      users.reload();
    });
  };
  // a user's role and regions, or password: the user's sessions end (they log in again with the new one)
  const patchUser = (e: Event, what: 'role' | 'password') => {
    e.preventDefault();
    const f = e.currentTarget as HTMLFormElement;
    const v = (n: string) => (f.elements.namedItem(n) as HTMLInputElement).value;
    const body = what === 'role' ? { role: v('role'), regions: regionsOf(v('regions')) } : { password: v('password') };
    void act(send('PATCH', `/api/users/${encodeURIComponent(v('user'))}`, JSON.stringify(body)), t('saved'), () => {
      f.reset();
      users.reload();
    });
  };
  const addToken = async (e: Event) => {
    e.preventDefault();
    const f = e.currentTarget as HTMLFormElement;
    const v = (n: string) => (f.elements.namedItem(n) as HTMLInputElement).value;
    const body = await act(send('POST', '/api/tokens', JSON.stringify({ name: v('name'), role: v('role'), regions: regionsOf(v('regions')), expires: v('expires') })), t('tokenShownOnce'), () => tokens.reload());
    setShown(body?.token);
  };
  return (
    <section aria-labelledby="accounts-h">
      <h2 id="accounts-h">{t('accounts')}</h2>
      <p class="muted">{t('accountsNote')}</p>
      {message && (
        <p class={message.ok ? 'notice' : 'error'} role="status" data-testid="accounts-message">
          {message.text}
        </p>
      )}
      {shown && (
        <p class="notice" data-testid="new-token">
          <code>{shown}</code>
        </p>
      )}
      <div class="panel">
        <h3>{t('users')}</h3>
        <Show load={users}>
          {(d) => (
            <table class="grid" data-testid="users">
              <thead>
                <tr>
                  <th>{t('userName')}</th>
                  <th>{t('role')}</th>
                  <th>{t('region')}</th>
                  <th>{t('status')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {d.users.map((u) => (
                  <tr data-user={u.name}>
                    <td>{u.name}</td>
                    <td>{t(`role_${u.role}` as 'role_admin')}</td>
                    <td>{u.regions.join(', ')}</td>
                    <td>{u.disabled ? t('disabled') : t('active')}</td>
                    <td>
                      <button type="button" onClick={() => void act(send('PATCH', `/api/users/${encodeURIComponent(u.name)}`, JSON.stringify({ disabled: !u.disabled })), t('saved'), () => users.reload())}>
                        {u.disabled ? t('enable') : t('disable')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Show>
        {users.data && users.data.users.length > 0 && (
          <>
            <form class="toolbar" onSubmit={(e) => patchUser(e, 'role')} data-testid="change-role">
              <UserSelect users={users.data.users} />
              <ScopeFields />
              <button type="submit">{t('changeRole')}</button>
            </form>
            <form class="toolbar" onSubmit={(e) => patchUser(e, 'password')} data-testid="reset-password">
              <UserSelect users={users.data.users} />
              <label>
                {t('newPassword')} <input name="password" type="password" autocomplete="new-password" required />
              </label>
              <button type="submit">{t('resetPassword')}</button>
            </form>
          </>
        )}
        <form class="toolbar" onSubmit={addUser} data-testid="add-user">
          <label>
            {t('userName')} <input name="name" required maxLength={64} />
          </label>
          <ScopeFields />
          <label>
            {t('password')} <input name="password" type="password" autocomplete="new-password" required />
          </label>
          <button type="submit">{t('addUser')}</button>
        </form>
      </div>
      <div class="panel">
        <h3>{t('tokens')}</h3>
        <Show load={tokens}>
          {(d) => (
            <table class="grid" data-testid="tokens">
              <thead>
                <tr>
                  <th>ID</th>
                  <th>{t('name')}</th>
                  <th>{t('role')}</th>
                  <th>{t('region')}</th>
                  <th>{t('expires')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {d.tokens.map((k) => (
                  <tr data-token={k.id}>
                    <td>
                      <code>{k.id}</code>
                    </td>
                    <td>{k.name}</td>
                    <td>{t(`role_${k.role}` as 'role_admin')}</td>
                    <td>{k.regions.join(', ')}</td>
                    <td>{k.expiresAt ? when(k.expiresAt, lang) : '—'}</td>
                    <td>
                      {k.active ? (
                        <button type="button" onClick={() => void act(send('DELETE', `/api/tokens/${k.id}`), t('saved'), () => tokens.reload())}>
                          {t('revoke')}
                        </button>
                      ) : (
                        t(k.revokedAt ? 'revoked' : 'expired')
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Show>
        <form class="toolbar" onSubmit={(e) => void addToken(e)} data-testid="add-token">
          <label>
            {t('name')} <input name="name" required maxLength={64} />
          </label>
          <ScopeFields />
          <label>
            {t('expires')}{' '}
            <select name="expires">
              <option value="90d">90 d</option>
              <option value="365d">365 d</option>
              <option value="30d">30 d</option>
              <option value="never">—</option>
            </select>
          </label>
          <button type="submit">{t('addToken')}</button>
        </form>
      </div>
    </section>
  );
}

function UserSelect(props: { users: User[] }) {
  const t = useT();
  return (
    <label>
      {t('userName')}{' '}
      <select name="user">
        {props.users.map((u) => (
          <option value={u.name}>{u.name}</option>
        ))}
      </select>
    </label>
  );
}

/** A role and its regions (GB/T 2260 codes, or all), as users and tokens both have them. */
function ScopeFields() {
  const t = useT();
  return (
    <>
      <label>
        {t('role')}{' '}
        <select name="role">
          {ROLES.map((r) => (
            <option value={r}>{t(`role_${r}`)}</option>
          ))}
        </select>
      </label>
      <label>
        {t('region')} <input name="regions" required placeholder="330106, all" />
      </label>
    </>
  );
}
