import type { Register } from '../api.js';
import { useT, type Word } from '../i18n.js';
import { useJson } from '../hooks.js';
import { Show } from '../parts.js';
import { hrefWith } from '../route.js';

/** Installed cameras whose record (一机一档) is incomplete, with what each lacks: the work list behind the 建档率. */
export function RegisterGaps(props: { reload: number }) {
  const t = useT();
  const reg = useJson<Register>('/api/register?limit=200', props.reload);
  return (
    <section aria-labelledby="register-h" data-testid="register-gaps">
      <h2 id="register-h">{t('registerGaps')}</h2>
      <p class="muted">{t('registerNote')}</p>
      <Show load={reg}>
        {(r) =>
          r.total === 0 ? (
            <p class="muted">{t('nothing')}</p>
          ) : (
            <div class="scroll">
              <p>
                {r.cameras.length < r.total ? `${r.cameras.length} / ${r.total}` : r.total}
              </p>
              <table class="grid">
                <thead>
                  <tr>
                    <th>{t('camera')}</th>
                    <th>{t('region')}</th>
                    <th>{t('missing')}</th>
                  </tr>
                </thead>
                <tbody>
                  {r.cameras.map((c) => (
                    <tr key={c.cameraId} data-camera={c.cameraId}>
                      <td>
                        <a href={hrefWith({}, { page: 'camera', id: c.cameraId })}>{c.name ?? c.cameraId}</a>
                        {c.name && <div class="muted small">{c.cameraId}</div>}
                      </td>
                      <td>{c.region ?? '—'}</td>
                      <td>{c.missing.map((m) => t(`gap_${m}` as Word)).join('、')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
    </section>
  );
}
