import type { ComponentChildren } from 'preact';
import { useContext } from 'preact/hooks';
import type { Starting } from './api.js';
import { LangContext, useT, useTermHeading, type Word } from './i18n.js';
import { pct, standing } from './format.js';
import type { Loaded } from './hooks.js';

/** A rate with its numerator and denominator, coloured against its target when it has one. */
export function Rate(props: { label: Word; ratio: { numerator: number; denominator: number; rate: number | null }; target?: number | null | undefined; testId?: string }) {
  const t = useT();
  const s = standing(props.ratio.rate, props.target);
  return (
    <div class={`rate rate-${s}`} data-testid={props.testId}>
      <div class="rate-label">{t(props.label)}</div>
      <div class="rate-value" data-role="percent">{pct(props.ratio.rate)}</div>
      <div class="rate-counts" title={t('denominatorNote')}>
        <span data-role="numerator">{props.ratio.numerator}</span> / <span data-role="denominator">{props.ratio.denominator}</span>
      </div>
      <div class="rate-target">{props.target === undefined || props.target === null ? t('noTarget') : `${t('target')} ≥ ${pct(props.target)}`}</div>
    </div>
  );
}

export function StateBadge(props: { state: string }) {
  const heading = useTermHeading();
  return <span class={`badge badge-${props.state}`}>{heading('state', props.state)}</span>;
}

/** What a load shows while it runs or after it failed; the data once it is there. */
export function Show<T>(props: { load: Loaded<T> & { reload: () => void }; children: (data: T) => ComponentChildren }) {
  const t = useT();
  const { load } = props;
  return (
    <>
      {load.status === 'error' && (
        <div class="error" role="alert">
          {t('failed')}: {load.error} <button type="button" onClick={load.reload}>{t('retry')}</button>
        </div>
      )}
      {load.data !== undefined ? (
        props.children(load.data)
      ) : load.status === 'loading' ? (
        <p class="muted" aria-busy="true" data-testid={load.starting ? 'starting' : undefined}>
          {load.starting ? <StartingWords starting={load.starting} /> : t('loading')}
        </p>
      ) : null}
    </>
  );
}

/** How far a centre that is starting has come: reading its store, N of M cameras loaded, starting its services. */
export function StartingWords(props: { starting: Starting }) {
  const t = useT();
  const lang = useContext(LangContext);
  const n = (x: number) => x.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB');
  const s = props.starting;
  // the counts are the whole centre's: a user of some regions is told the phase alone
  if (s.loaded === undefined || s.of === undefined) return <>{s.phase === 'reading' ? t('startingReadingPhase') : s.phase === 'starting' ? t('startingServicesPhase') : t('startingLoadingPhase')}</>;
  const words = s.phase === 'reading' ? t('startingReading') : s.phase === 'starting' ? t('startingServices') : t('startingLoaded');
  return <>{words.replace('{n}', n(s.loaded)).replace('{of}', n(s.of))}</>;
}
