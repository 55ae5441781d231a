import { useContext } from 'preact/hooks';
import type { Agents } from '../api.js';
import { when } from '../format.js';
import { LangContext, useT, useTermHeading } from '../i18n.js';
import { useJson, useLive } from '../hooks.js';
import { Show } from '../parts.js';
import { hrefWith } from '../route.js';

/** Every gateway: online or not and since when, version, last config push, cameras by state. */
export function Gateways() {
  const t = useT();
  const heading = useTermHeading();
  const lang = useContext(LangContext);
  const { tick } = useLive();
  const agents = useJson<Agents>('/api/agents', tick);
  return (
    <section aria-labelledby="gateways-h">
      <h2 id="gateways-h">{t('gateways')}</h2>
      <p class="muted">{t('gwDownNote')}</p>
      <Show load={agents}>
        {(a) => (
          <div class="scroll">
            <table class="grid" data-testid="gateways-table">
              <thead>
                <tr>
                  <th>{t('gateway')}</th>
                  <th>{t('state')}</th>
                  <th>{t('since')}</th>
                  <th>{t('site')}</th>
                  <th>{t('region')}</th>
                  <th>{t('agentVersion')}</th>
                  <th>{t('config')}</th>
                  <th>{heading('state', 'online')}</th>
                  <th>{heading('state', 'degraded')}</th>
                  <th>{heading('state', 'offline')}</th>
                  <th>{heading('state', 'unknown')}</th>
                  <th>{t('devicesCol')}</th>
                </tr>
              </thead>
              <tbody>
                {[...a.agents]
                  .sort((x, y) => Number(x.online) - Number(y.online) || x.agentId.localeCompare(y.agentId))
                  .map((g) => (
                    <tr data-agent={g.agentId} key={g.agentId}>
                      <td>
                        <a href={hrefWith({}, { page: 'problems', agent: g.agentId })}>{g.agentId}</a>
                      </td>
                      <td>
                        <span class={`badge ${g.online ? 'badge-online' : 'badge-offline'}`}>{t(g.online ? 'gwOnline' : 'gwOffline')}</span>
                      </td>
                      <td>{when(g.since, lang)}</td>
                      <td>{g.site ?? '—'}</td>
                      <td>{g.region ?? '—'}</td>
                      <td>{g.agentVersion ?? '—'}</td>
                      <td>{g.config ? `v${g.config.version} ${g.config.status}${g.config.errors ? ` (${g.config.errors})` : ''}` : t('noConfig')}</td>
                      <td class="num">{g.camerasByState.online}</td>
                      <td class="num">{g.camerasByState.degraded}</td>
                      <td class="num">{g.camerasByState.offline}</td>
                      <td class="num">{g.camerasByState.unknown}</td>
                      <td data-testid="gateway-devices">
                        {g.devices.length === 0
                          ? '—'
                          : g.devices.map((d) => (
                              <div data-device={d.deviceId}>
                                <a href={hrefWith({}, { page: 'problems', device: d.deviceId })}>{d.deviceId}</a> {d.channels} {t('channelsOf')}
                                {d.offline > 0 && (
                                  <span class="badge badge-offline">
                                    {d.offline} {t('channelsDown')}
                                  </span>
                                )}
                              </div>
                            ))}
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
    </section>
  );
}
