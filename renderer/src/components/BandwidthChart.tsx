import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import { useColorScheme } from '../hooks/use-color-scheme.ts';
import { type ChartSeries, timeTickLabel } from '../lib/bandwidth-series.ts';
import { formatRate, formatTime } from '../lib/format.ts';
import { APPS } from '../strings/apps-strings.ts';
import { COMMON } from '../strings/common-strings.ts';

const HEIGHT = 240;

function cssColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value === '' ? fallback : value;
}

function options(width: number): uPlot.Options {
  const sent = cssColor('--chart-sent', '#7c5cff');
  const received = cssColor('--chart-received', '#14a37f');
  const grid = cssColor('--chart-grid', 'rgba(128,128,128,0.15)');
  const text = cssColor('--text-muted', '#777');
  const axis: uPlot.Axis = {
    stroke: text,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1, size: 4 },
    font: '11px system-ui, sans-serif',
  };
  const stepped = uPlot.paths.stepped?.({ align: 1 });
  return {
    width,
    height: HEIGHT,
    padding: [12, 20, 0, 0],
    cursor: { drag: { x: false, y: false }, points: { size: 6 } },
    legend: { show: true, live: true },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1024, max * 1.1)] } },
    axes: [
      {
        ...axis,
        space: 64,
        values: (_u, ticks, _axis, _space, increment) => ticks.map((t) => timeTickLabel(t, increment)),
      },
      { ...axis, size: 78, values: (_u, ticks) => ticks.map((v) => formatRate(v)) },
    ],
    series: [
      {
        label: APPS.time,
        // The legend's time in the user's locale (uPlot's own format is English and 12-hour).
        value: (_u, v) => (v === null ? COMMON.none : formatTime(v * 1000, Date.now())),
      },
      {
        label: APPS.received,
        stroke: received,
        fill: `color-mix(in srgb, ${received} 22%, transparent)`,
        width: 1.5,
        ...(stepped === undefined ? {} : { paths: stepped }),
        value: (_u, v) => (v === null ? COMMON.none : formatRate(v)),
        points: { show: false },
      },
      {
        label: APPS.sent,
        stroke: sent,
        fill: `color-mix(in srgb, ${sent} 18%, transparent)`,
        width: 1.5,
        ...(stepped === undefined ? {} : { paths: stepped }),
        value: (_u, v) => (v === null ? COMMON.none : formatRate(v)),
        points: { show: false },
      },
    ],
  };
}

/** Sent and received bytes per second over a range (uPlot on a canvas; cheap at any size). */
export function BandwidthChart({ data, label }: { readonly data: ChartSeries; readonly label: string }) {
  const containerRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const dataRef = useRef(data);
  const scheme = useColorScheme();

  useEffect(() => {
    dataRef.current = data;
    plotRef.current?.setData([data.x, data.received, data.sent]);
  }, [data]);

  useEffect(() => {
    const container = containerRef.current;
    if (container === null) return;
    const current = dataRef.current;
    const plot = new uPlot(
      options(Math.max(200, container.clientWidth)),
      [current.x, current.received, current.sent],
      container,
    );
    plotRef.current = plot;
    const observer = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(200, container.clientWidth), height: HEIGHT });
    });
    observer.observe(container);
    return () => {
      observer.disconnect();
      plot.destroy();
      plotRef.current = null;
    };
  }, [scheme]);

  return <div className="chart" ref={containerRef} role="img" aria-label={label} />;
}
