import { useContext } from 'preact/hooks';
import type { Gb28181 } from '../api.js';
import { when } from '../format.js';
import { LangContext, useT } from '../i18n.js';
import { useJson, useLive } from '../hooks.js';

const STATE_WORD = { registered: 'gbRegistered', registering: 'gbRegistering', failed: 'gbFailed', unregistered: 'gbUnregistered' } as const;
const STATE_BADGE = { registered: 'badge-online', registering: 'badge-unknown', failed: 'badge-offline', unregistered: 'badge-unknown' } as const;

/** The upper GB/T 28181 platforms this centre registers with; nothing where none is configured (the API answers 404). */
export function UpperPlatforms() {
  const t = useT();
  const lang = useContext(LangContext);
  const { tick } = useLive();
  const gb = useJson<Gb28181>('/api/gb28181', tick);
  if (gb.data === undefined) return null;
  const d = gb.data;
  return (
    <section aria-labelledby="gb-h" data-testid="upper-platforms">
      <h2 id="gb-h">{t('gbUpstreams')}</h2>
      <p class="muted">
        {t('gbNote')} {t('gbReported')}: <b>{d.reportedCameras}</b>
        {d.unreportedCameras > 0 && (
          <>
            {' · '}
            {t('gbUnreported')}: <b>{d.unreportedCameras}</b>
          </>
        )}
      </p>
      <div class="scroll">
        <table class="grid">
          <thead>
            <tr>
              <th>{t('gbPlatform')}</th>
              <th>{t('gbAddress')}</th>
              <th>{t('state')}</th>
              <th>{t('since')}</th>
              <th>{t('gbKeepalive')}</th>
              <th>{t('gbSubs')}</th>
              <th>{t('gbNotifies')}</th>
              <th>{t('gbLastError')}</th>
            </tr>
          </thead>
          <tbody>
            {d.upstreams.map((u) => (
              <tr key={u.serverId} data-upstream={u.serverId}>
                <td>
                  {u.name}
                  <div class="muted">{u.serverId}</div>
                </td>
                <td>
                  {u.host}:{u.port} {u.transport.toUpperCase()}
                </td>
                <td>
                  <span class={`badge ${STATE_BADGE[u.state]}`}>{t(STATE_WORD[u.state])}</span>
                </td>
                <td>{u.registeredSince ? when(u.registeredSince, lang) : '—'}</td>
                <td>{u.lastKeepalive ? when(u.lastKeepalive, lang) : '—'}</td>
                <td class="num">{u.subscriptions}</td>
                <td class="num">{u.notifiesSent}</td>
                <td>{u.lastError ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
