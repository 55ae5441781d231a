import { useContext } from 'preact/hooks';
import { query, type Camera, type CamerasPage, type Frames as FramesList, type History } from '../api.js';
import { bands, bitrate, duration, pct, when } from '../format.js';
import { LangContext, useT, useTerm, type Word } from '../i18n.js';
import { useJson, useLive } from '../hooks.js';
import { Show, StateBadge } from '../parts.js';
import { hrefWith, type Route } from '../route.js';

const WINDOWS = ['24h', '7d', '30d'] as const;

/** One camera: its state and every rung of its last check, device, stream, faults, and a state timeline with uptime. */
export function CameraPage(props: { route: Route }) {
  const t = useT();
  const term = useTerm();
  const lang = useContext(LangContext);
  const { tick } = useLive();
  const id = props.route['id'] ?? '';
  const span = (WINDOWS as readonly string[]).includes(props.route['span'] ?? '') ? props.route['span']! : '24h';
  const cam = useJson<Camera>(`/api/cameras/${encodeURIComponent(id)}`, tick);
  const hist = useJson<History>(`/api/cameras/${encodeURIComponent(id)}/history${query({ window: span })}`, tick);
  return (
    <section aria-labelledby="camera-h">
      <Show load={cam}>
        {(c) => {
          const s = c.status;
          return (
            <>
              <h2 id="camera-h" data-testid="camera-name">
                {c.name ?? c.cameraId} <StateBadge state={c.state} />
              </h2>
              <dl class="facts">
                <dt>ID</dt>
                <dd>{c.cameraId}</dd>
                <dt>{t('gateway')}</dt>
                <dd>
                  <a href={hrefWith({}, { page: 'problems', agent: c.agentId })}>{c.agentId}</a>
                </dd>
                {c.deviceId && (
                  <>
                    <dt>{t('ofDevice')}</dt>
                    <dd data-testid="camera-device">
                      {c.deviceId} · {t('channelN')} {c.channel}
                    </dd>
                  </>
                )}
                <dt>{t('point')}</dt>
                <dd>{c.pointId ?? '—'}</dd>
                <dt>{t('region')}</dt>
                <dd>{c.region ? <a href={hrefWith({}, { page: 'regions', region: c.region })}>{c.regionName ? `${c.regionName} (${c.region})` : c.region}</a> : '—'}</dd>
                <dt>{t('category')}</dt>
                <dd>{c.category ? t(c.category) : '—'}</dd>
                <dt>{t('since')}</dt>
                <dd>
                  {when(c.since, lang)} ({duration(c.forMs, lang)})
                </dd>
                <dt title={t('lastConfirmedHelp')}>{t('lastConfirmed')}</dt>
                <dd data-confirmed={c.confirmedAt ?? ''}>
                  {when(c.confirmedAt, lang, undefined, true)}
                  {c.stale && <span class="badge badge-warn" data-stale="true">{t('unconfirmed')}</span>}
                </dd>
                <dt>{t('statusReported')}</dt>
                <dd>{when(c.checkedAt, lang, undefined, true)}</dd>
                {c.cause && (
                  <>
                    <dt title={t('notNetworkedHelp')}>{t('cause')}</dt>
                    <dd data-cause={c.cause}>{term('cause', c.cause)}</dd>
                  </>
                )}
                {c.reason && (
                  <>
                    <dt>{t('reason')}</dt>
                    <dd data-reason={c.reason}>
                      {c.rung ? `${term('rung', c.rung)}: ` : ''}
                      {term('reason', c.reason)}
                    </dd>
                  </>
                )}
                {c.detail && (
                  <>
                    <dt title={t('deviceSaidHelp')}>{t('deviceSaid')}</dt>
                    <dd class="detail">{c.detail}</dd>
                  </>
                )}
                {c.maintenance && (
                  <>
                    <dt>{t('maintenance')}</dt>
                    <dd>
                      {c.maintenance.reason} → {when(c.maintenance.until, lang)}
                    </dd>
                  </>
                )}
              </dl>
              {c.deviceId && <DeviceChannels deviceId={c.deviceId} current={c.cameraId} tick={tick} />}
              <div class="panel">
                <h3>{t('rungs')}</h3>
                <table class="grid">
                  <thead>
                    <tr>
                      <th>{t('rung')}</th>
                      <th>{t('status')}</th>
                      <th>ms</th>
                      <th>{t('reason')}</th>
                      <th title={t('deviceSaidHelp')}>{t('deviceSaid')}</th>
                      <th>{t('measuredAt')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.rungs.map((g) => (
                      <tr data-rung={g.rung} class={g.current === false ? 'stale' : ''}>
                        <td>{term('rung', g.rung)}</td>
                        <td>
                          <span class={`badge ${g.ok ? 'badge-online' : 'badge-offline'}`}>{t(g.ok ? 'ok' : 'notOk')}</span>
                          {g.current === false && <span class="muted small"> ({t('stale')})</span>}
                        </td>
                        <td class="num">{Math.round(g.ms)}</td>
                        <td>{g.reason ? term('reason', g.reason) : '—'}</td>
                        <td class="detail">
                          {g.detail ?? ''}
                          {g.streamUri && <div class="muted small">{g.streamUri}</div>}
                        </td>
                        <td>{when(g.at, lang, undefined, true)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <div class="columns">
                <div class="panel">
                  <h3>{t('device')}</h3>
                  <dl class="facts">
                    {(['manufacturer', 'model', 'firmware', 'serial'] as const).map((k) => (
                      <>
                        <dt>{t(k)}</dt>
                        <dd>{s.device?.[k] ?? '—'}</dd>
                      </>
                    ))}
                    <dt>{t('clockDrift')}</dt>
                    <dd>{s.clockDriftMs === null ? '—' : `${(s.clockDriftMs / 1000).toFixed(1)} s`}</dd>
                  </dl>
                </div>
                <div class="panel">
                  <h3>{t('stream')}</h3>
                  <dl class="facts">
                    <dt>URI</dt>
                    <dd class="detail">{s.streamUri ?? '—'}</dd>
                    <dt>{t('codec')}</dt>
                    <dd>{s.stream?.codec ?? '—'}</dd>
                    <dt>{t('resolution')}</dt>
                    <dd>{s.stream?.width && s.stream.height ? `${s.stream.width}×${s.stream.height}` : '—'}</dd>
                    <dt>{t('fps')}</dt>
                    <dd>{s.stream?.fps ?? '—'}</dd>
                    <dt>{t('bitrate')}</dt>
                    <dd>{bitrate(s.stream?.bitrate)}</dd>
                    <dt>{t('rtt')}</dt>
                    <dd>{s.stream?.rtspRttMs === null || s.stream?.rtspRttMs === undefined ? '—' : `${Math.round(s.stream.rtspRttMs)} ms`}</dd>
                  </dl>
                </div>
              </div>
              <div class="panel">
                <h3>{t('faults')}</h3>
                {c.faults.length === 0 ? (
                  <p class="muted">{t('noFaults')}</p>
                ) : (
                  <FaultTable faults={c.faults} testId="faults" />
                )}
                <h3>{t('frames')}</h3>
                <Frames cameraId={c.cameraId} tick={tick} faultsNow={c.faults} />
              </div>
              <div class="panel">
                <h3>{t('timeline')}</h3>
                <nav class="toolbar" aria-label={t('window')}>
                  {WINDOWS.map((w) => (
                    <a href={hrefWith(props.route, { span: w })} aria-current={w === span ? 'page' : undefined} class={w === span ? 'button current' : 'button'}>
                      {t(w)}
                    </a>
                  ))}
                </nav>
                <Show load={hist}>
                  {(h) => {
                    const to = Date.now();
                    const from = to - { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 }[span as '24h'];
                    const bs = bands(from, to, h.stateAtStart, h.changes);
                    return (
                      <>
                        <div class="timeline" data-testid="timeline" role="img" aria-label={bs.map((b) => `${b.state} ${pct(b.share)}`).join(', ')}>
                          {bs.map((b) => (
                            <div class={`band band-${b.state}`} style={{ width: `${(b.share * 100).toFixed(3)}%` }} title={`${b.state === 'none' ? '—' : term('state', b.state)} ${when(new Date(b.from).toISOString(), lang)} – ${when(new Date(b.to).toISOString(), lang)}`} />
                          ))}
                        </div>
                        <p data-testid="uptime">
                          {t('uptime')}: {pct(h.uptime.observedMs ? h.uptime.onlineMs / h.uptime.observedMs : null)} ({duration(h.uptime.onlineMs, lang)} / {duration(h.uptime.observedMs, lang)} {t('observed')}
                          {h.uptime.unknownMs > 0 ? `, ${t('unknownTime')} ${duration(h.uptime.unknownMs, lang)}` : ''})
                        </p>
                      </>
                    );
                  }}
                </Show>
              </div>
            </>
          );
        }}
      </Show>
    </section>
  );
}

/** The other channels of the camera's NVR or encoder, each with its state: a device fault shows as all of them down at once. */
function DeviceChannels(props: { deviceId: string; current: string; tick: number }) {
  const t = useT();
  const term = useTerm();
  const page = useJson<CamerasPage>(`/api/cameras${query({ device: props.deviceId, limit: 256 })}`, props.tick);
  return (
    <div class="panel">
      <h3 title={t('deviceChannelsHelp')}>
        {t('deviceChannels')} · {props.deviceId}
      </h3>
      <Show load={page}>
        {(p) => (
          <table class="grid" data-testid="device-channels">
            <thead>
              <tr>
                <th>{t('channelN')}</th>
                <th>{t('camera')}</th>
                <th>{t('state')}</th>
                <th>{t('reason')}</th>
              </tr>
            </thead>
            <tbody>
              {[...p.cameras]
                .sort((a, b) => (a.channel ?? 0) - (b.channel ?? 0))
                .map((ch) => (
                  <tr data-channel={ch.channel ?? ''} class={ch.cameraId === props.current ? 'current' : ''} key={ch.cameraId}>
                    <td class="num">{ch.channel}</td>
                    <td>{ch.cameraId === props.current ? (ch.name ?? ch.cameraId) : <a href={hrefWith({}, { page: 'camera', id: ch.cameraId })}>{ch.name ?? ch.cameraId}</a>}</td>
                    <td>
                      <StateBadge state={ch.state} />
                    </td>
                    <td>{ch.faults.length > 0 ? ch.faults.map((f) => term('fault', f.fault)).join('、') : ch.reason ? term('reason', ch.reason) : '—'}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        )}
      </Show>
    </div>
  );
}

/**
 * The evidence of the camera's picture: its reference frame beside the
 * latest frame a fault was raised (or cleared) on, with what was measured
 * against which threshold; earlier frames below.
 */
function Frames(props: { cameraId: string; tick: number; faultsNow: ReadonlyArray<{ fault: string; value: number | null; threshold: number | null }> }) {
  const t = useT();
  const lang = useContext(LangContext);
  const list = useJson<FramesList>(`/api/cameras/${encodeURIComponent(props.cameraId)}/frames`, props.tick);
  return (
    <Show load={list}>
      {(l) => {
        if (l.frames.length === 0)
          return (
            <p class="muted" data-testid="frames-note">
              {t('noFrames')}
            </p>
          );
        const reference = l.frames.find((f) => f.kind === 'reference');
        const latest = l.frames.find((f) => f.kind !== 'reference');
        const earlier = l.frames.filter((f) => f !== reference && f !== latest);
        const figure = (f: FramesList['frames'][number] | undefined, caption: string, testId: string) => (
          <figure class="frame" data-testid={testId} data-kind={f?.kind ?? ''}>
            {f ? <img src={f.url} alt={`${caption} ${when(f.at, lang)}`} width={f.width ?? 320} height={f.height ?? 180} /> : <div class="frame-empty muted">{t('noReference')}</div>}
            <figcaption>
              {caption}
              {f && <span class="muted small"> · {when(f.at, lang)}</span>}
            </figcaption>
          </figure>
        );
        return (
          <>
            <div class="frames">
              {figure(reference, t('referenceFrame'), 'frame-reference')}
              {latest && figure(latest, t(latest.kind === 'cleared' ? 'clearedFrame' : 'faultFrame'), 'frame-latest')}
            </div>
            {/* what the frame was judged with, when it is not what the table above shows already */}
            {latest && latest.faults.length > 0 && JSON.stringify(latest.faults) !== JSON.stringify(props.faultsNow) && (
              <FaultTable faults={latest.faults} testId="frame-faults" />
            )}
            {earlier.length > 0 && (
              <>
                <h4>{t('earlierFrames')}</h4>
                <div class="frames small-frames">
                  {earlier.map((f) => (
                    <figure class="frame" data-kind={f.kind}>
                      <img src={f.url} alt={`${t(`frameKind_${f.kind}`)} ${when(f.at, lang)}`} width={160} height={90} />
                      <figcaption class="muted small">
                        {t(`frameKind_${f.kind}`)} · {when(f.at, lang)}
                      </figcaption>
                    </figure>
                  ))}
                </div>
              </>
            )}
          </>
        );
      }}
    </Show>
  );
}

/** Picture faults with what was measured and the threshold it crossed. */
function FaultTable(props: { faults: ReadonlyArray<{ fault: string; value: number | null; threshold: number | null }>; testId: string }) {
  const t = useT();
  const term = useTerm();
  return (
    <table class="grid" data-testid={props.testId}>
      <thead>
        <tr>
          <th>{t('fault')}</th>
          <th>{t('measured')}</th>
          <th>{t('threshold')}</th>
        </tr>
      </thead>
      <tbody>
        {props.faults.map((f) => (
          <tr>
            <td data-fault={f.fault}>{term('fault', f.fault)}</td>
            <td class="num">{f.value ?? '—'}</td>
            <td class="num">{f.threshold ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
