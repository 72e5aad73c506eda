/**
 * Calls per half-hour today (bars) against the same weekday last week (line), drawn by uPlot:
 * a small, fast canvas chart library (a wall screen redraws all day long on modest hardware).
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { HALF_HOUR_LABELS } from '../../../src-shared/domain/statistics';

export function HalfHourChart({ today, lastWeek, width, height }: { today: number[]; lastWeek: number[]; width: number; height: number }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // The figures the chart starts from when it is (re)built for a new size.
  const latest = useRef({ today, lastWeek });
  useEffect(() => {
    latest.current = { today, lastWeek };
  }, [today, lastWeek]);

  useEffect(() => {
    if (!host.current) return;
    const css = getComputedStyle(host.current);
    const text = css.getPropertyValue('--wall-text').trim() || '#fff';
    const grid = css.getPropertyValue('--wall-grid').trim() || '#444';
    const bar = css.getPropertyValue('--wall-bar').trim() || '#4c9aff';
    const line = css.getPropertyValue('--wall-line').trim() || '#ffd43b';
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, font: '20px system-ui, sans-serif', size: 56 };
    const xs = HALF_HOUR_LABELS.map((_, i) => i);
    plot.current = new uPlot(
      {
        width,
        height,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, range: [-0.5, 47.5] }, y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
        axes: [
          { ...axis, splits: () => xs.filter((i) => i % 4 === 0), values: (_u, splits) => splits.map((i) => HALF_HOUR_LABELS[i] ?? '') },
          { ...axis, size: 70 },
        ],
        series: [
          {},
          { label: 'Aujourd’hui', fill: bar, stroke: bar, paths: uPlot.paths.bars!({ size: [0.8, 40] }), points: { show: false } },
          { label: 'Même jour la semaine dernière', stroke: line, width: 4, dash: [10, 6], points: { show: false } },
        ],
      },
      [xs, latest.current.today, latest.current.lastWeek],
      host.current,
    );
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [width, height]);

  useEffect(() => {
    plot.current?.setData([HALF_HOUR_LABELS.map((_, i) => i), today, lastWeek]);
  }, [today, lastWeek]);

  return <div ref={host} className="wall-chart" role="img" aria-label={`Appels par demi-heure : ${today.reduce((a, b) => a + b, 0)} aujourd’hui, ${lastWeek.reduce((a, b) => a + b, 0)} le même jour la semaine dernière`} />;
}
