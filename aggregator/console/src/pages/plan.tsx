import { useState } from 'preact/hooks';
import type { Bindings, PlanUpload } from '../api.js';
import { useT } from '../i18n.js';
import { useJson } from '../hooks.js';
import { Show } from '../parts.js';
import { hrefWith } from '../route.js';
import { RegisterGaps } from './register-gaps.js';
import { send, useSession } from '../session.js';

const LISTED = 200;

/** Points short of cameras, cameras no point claims, and the plan upload (an admin of every region) with its row errors. */
export function Plan() {
  const t = useT();
  const session = useSession();
  const [uploads, setUploads] = useState(0);
  const bindings = useJson<Bindings>('/api/bindings', uploads);
  return (
    <>
      <section aria-labelledby="plan-h">
        <h2 id="plan-h">{t('plan')}</h2>
        {session.role === 'admin' && session.regions.includes('all') && <Upload onDone={() => setUploads((n) => n + 1)} />}
        <Show load={bindings}>
          {(b) => (
            <div class="columns">
              <div class="panel">
                <h3>
                  {t('uncovered')} ({b.uncoveredPoints.length})
                </h3>
                {b.uncoveredPoints.length === 0 ? (
                  <p class="muted">{t('nothing')}</p>
                ) : (
                  <table class="grid" data-testid="uncovered">
                    <thead>
                      <tr>
                        <th>{t('point')}</th>
                        <th>{t('name')}</th>
                        <th>{t('region')}</th>
                        <th>{t('category')}</th>
                        <th>{t('installed')}</th>
                        <th>{t('required')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {b.uncoveredPoints.slice(0, LISTED).map((p) => (
                        <tr>
                          <td>{p.id}</td>
                          <td>{p.name}</td>
                          <td>{p.region}</td>
                          <td>{t(p.category)}</td>
                          <td class="num">{p.installed}</td>
                          <td class="num">{p.required}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </div>
              <div class="panel">
                <h3>
                  {t('unclaimed')} ({b.unclaimedCameras.length})
                </h3>
                {b.unclaimedCameras.length === 0 ? (
                  <p class="muted">{t('nothing')}</p>
                ) : (
                  <table class="grid" data-testid="unclaimed">
                    <thead>
                      <tr>
                        <th>{t('camera')}</th>
                        <th>{t('gateway')}</th>
                        <th>{t('region')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {b.unclaimedCameras.slice(0, LISTED).map((c) => (
                        <tr>
                          <td>
                            <a href={hrefWith({}, { page: 'camera', id: c.cameraId })}>{c.cameraId}</a>
                          </td>
                          <td>{c.agentId}</td>
                          <td>{c.region ?? '—'}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </div>
            </div>
          )}
        </Show>
      </section>
      <RegisterGaps reload={uploads} />
    </>
  );
}

function Upload(props: { onDone: () => void }) {
  const t = useT();
  const [result, setResult] = useState<{ ok: boolean; body: PlanUpload | null; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const file = (form.elements.namedItem('plan') as HTMLInputElement).files?.[0];
    if (!file) return;
    setBusy(true);
    try {
      const csv = /\.csv$/i.test(file.name) || file.type.includes('csv');
      const res = await send('PUT', '/api/plan', await file.text(), csv ? 'text/csv' : 'application/json');
      const body = (await res.json().catch(() => null)) as (PlanUpload & { error?: { message: string } }) | null;
      const ok = res.ok;
      setResult({ ok, body: body && 'loaded' in body ? body : null, message: body?.error?.message ?? `HTTP ${res.status}` });
      if (ok) props.onDone();
    } catch (err) {
      setResult({ ok: false, body: null, message: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel upload" onSubmit={submit} data-testid="plan-upload">
      <h3>{t('upload')}</h3>
      <p class="muted">{t('uploadHelp')}</p>
      <label>
        {t('file')} <input type="file" name="plan" accept=".csv,.json,text/csv,application/json" required />
      </label>
      <button type="submit" disabled={busy}>
        {t('send')}
      </button>
      {result && (
        <div class={result.ok ? 'notice' : 'error'} role="status" data-testid="plan-result">
          {result.body ? (
            <>
              {t('loaded')}: {result.body.loaded}; {t('rowErrors')}: {result.body.errorCount}
              {result.body.errors.length > 0 && (
                <ul>
                  {result.body.errors.map((er) => (
                    <li>
                      {t('line')} {er.line}: {er.reason}
                    </li>
                  ))}
                </ul>
              )}
            </>
          ) : (
            result.message
          )}
        </div>
      )}
    </form>
  );
}
