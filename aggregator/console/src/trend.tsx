import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { DailyPoint } from './api.js';
import { pct } from './format.js';
import { useT } from './i18n.js';

/** The daily online and intact rates as a line chart (uPlot), with the figures as a table beside it for screen readers and copying. */
export function Trend(props: { days: DailyPoint[] }) {
  const t = useT();
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = props.days.map((d) => Date.parse(d.from) / 1000);
    const ys = (f: (d: DailyPoint) => number | null) => props.days.map((d) => (f(d) === null ? null : Math.round(f(d)! * 10_000) / 100));
    const plot = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 220,
        scales: { y: { range: (_u, min, max) => [Math.max(0, Math.floor(Math.min(min ?? 0, 90) / 10) * 10 - 5), Math.max(max ?? 100, 100) + 2] } },
        axes: [{ stroke: '#9aa4b2', grid: { stroke: '#2a3140' } }, { stroke: '#9aa4b2', grid: { stroke: '#2a3140' }, values: (_u, v) => v.map((x) => `${x}%`) }],
        series: [{ label: t('day') }, { label: t('online'), stroke: '#4fc3f7', width: 2, value: (_u, v) => (v === null ? '—' : `${v.toFixed(2)}%`) }, { label: t('intact'), stroke: '#81c784', width: 2, value: (_u, v) => (v === null ? '—' : `${v.toFixed(2)}%`) }],
      },
      [xs, ys((d) => d.online.rate), ys((d) => d.intact.rate)],
      el,
    );
    const resize = () => plot.setSize({ width: Math.max(280, el.clientWidth), height: 220 });
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [props.days, t('online')]);
  return (
    <>
      <div ref={box} class="chart" data-testid="trend-chart" />
      <details>
        <summary>{t('trendTable')}</summary>
        <table class="grid">
          <thead>
            <tr>
              <th>{t('day')}</th>
              <th>{t('online')}</th>
              <th>{t('intact')}</th>
            </tr>
          </thead>
          <tbody>
            {props.days.map((d) => (
              <tr key={d.day}>
                <td>{d.day}</td>
                <td>{pct(d.online.rate)}</td>
                <td>
                  {pct(d.intact.rate)} ({d.intact.numerator}/{d.intact.denominator})
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </>
  );
}
