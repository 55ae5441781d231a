import { useContext, useState } from 'preact/hooks';
import type { z } from 'zod';
import type { alertMessage } from '../../../../protocols/messages.js';
import { when } from '../format.js';
import { useJson, useLive } from '../hooks.js';
import { LangContext, useT } from '../i18n.js';
import { Show } from '../parts.js';
import { hrefWith } from '../route.js';
import { send, useSession } from '../session.js';

type Alert = z.infer<typeof alertMessage>;
const SHOWN = 20;

/**
 * The alerts active now in the user's regions (告警), oldest first, with who
 * acknowledged each; an operator or admin acknowledges one with a note
 * (确认告警), which stays with it until it clears.
 */
export function Alerts() {
  const t = useT();
  const lang = useContext(LangContext);
  const session = useSession();
  const { tick } = useLive();
  const [again, setAgain] = useState(0);
  // the oldest few: a mass outage is thousands of alerts, the problem list below has every camera
  const alerts = useJson<{ alerts: Alert[]; total: number }>(`/api/alerts?limit=${SHOWN}`, tick + again);
  const [error, setError] = useState<string | undefined>(undefined);
  const canAck = session.role === 'operator' || session.role === 'admin';
  const acknowledge = async (e: Event, id: string) => {
    e.preventDefault();
    const note = ((e.currentTarget as HTMLFormElement).elements.namedItem('note') as HTMLInputElement).value;
    const res = await send('POST', `/api/alerts/${encodeURIComponent(id)}/ack`, JSON.stringify({ note }));
    if (!res.ok) setError(((await res.json().catch(() => null)) as { error?: { message: string } } | null)?.error?.message ?? `HTTP ${res.status}`);
    else setError(undefined);
    setAgain((n) => n + 1);
  };
  return (
    <div class="panel" data-testid="alerts">
      <h3>
        {t('alerts')}
        {alerts.data && alerts.data.total > 0 && <span class="muted"> · {alerts.data.total}</span>}
      </h3>
      {error && <p class="error">{error}</p>}
      <Show load={alerts}>
        {(d) =>
          d.alerts.length === 0 ? (
            <p class="muted">{t('noAlerts')}</p>
          ) : (
            <table class="grid">
              <thead>
                <tr>
                  <th>{t('alertKind')}</th>
                  <th>{t('alertSubject')}</th>
                  <th>{t('alertCause')}</th>
                  <th>{t('since')}</th>
                  <th>{t('acknowledged')}</th>
                </tr>
              </thead>
              <tbody>
                {d.alerts.map((a) => (
                  <tr data-alert={a.id}>
                    <td>{t(`alert_${a.kind}`)}</td>
                    <td>
                      {a.subject.cameraId ? (
                        <a href={hrefWith({}, { page: 'camera', id: a.subject.cameraId })}>{a.subject.cameraId}</a>
                      ) : a.subject.deviceId ? (
                        <a href={hrefWith({}, { page: 'problems', device: a.subject.deviceId })}>{`${a.subject.agentId ?? ''} / ${a.subject.deviceId}`}</a>
                      ) : a.subject.network ? (
                        `${a.subject.agentId ?? ''} / ${a.subject.network}`
                      ) : (
                        (a.subject.agentId ?? `${a.subject.region ?? ''} ${a.subject.category ?? ''}`)
                      )}
                    </td>
                    <td>{a.cause}</td>
                    <td>{when(a.since, lang)}</td>
                    <td data-role="ack">
                      {a.acknowledged ? (
                        <span>
                          {a.acknowledged.by} · {when(a.acknowledged.at, lang)}
                          {a.acknowledged.note && <span class="muted"> · {a.acknowledged.note}</span>}
                        </span>
                      ) : canAck ? (
                        <form class="inline" onSubmit={(e) => void acknowledge(e, a.id)}>
                          <input name="note" maxLength={500} placeholder={t('ackNote')} aria-label={t('ackNote')} />
                          <button type="submit">{t('acknowledge')}</button>
                        </form>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
              {d.total > d.alerts.length && (
                <tfoot>
                  <tr>
                    <td colSpan={5} class="muted" data-testid="alerts-more">
                      {t('moreAlerts').replace('{n}', String(d.total - d.alerts.length))}
                    </td>
                  </tr>
                </tfoot>
              )}
            </table>
          )
        }
      </Show>
    </div>
  );
}
