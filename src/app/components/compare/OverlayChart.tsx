/** One metric of several runs overlaid on one chart, by step or by wall-clock time. */
import { memo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { Series } from '../../runs/metric-history';
import { chartRows } from '../../runs/metric-history';
import type { ChartRow } from '../../runs/metric-history';
import type { XMode } from '../../state/workspace';
import { tooltipProps, xAxisProps, yAxisProps } from '../chart-parts';
import { formatValue } from '../format';

export interface OverlaySeries {
  /** Unique within the chart: a run id (compare view) or a metric name (one run's losses). */
  id: string;
  label: string;
  color: string;
  series: Series | undefined;
}

interface OverlayChartProps {
  title: string;
  series: OverlaySeries[];
  xMode: XMode;
  logScale: boolean;
  /** Changes when new points arrive (throttled by the caller). */
  version: number;
  height?: number;
  empty?: string;
  /** One line under the title saying what the chart shows. */
  caption?: string;
  /** Values are fractions (accuracies): a fixed 0–1 axis. */
  fraction?: boolean;
}

/** Redraws only when new points arrive (`version`) or the axes or the set of runs change. */
function sameChart(a: OverlayChartProps, b: OverlayChartProps): boolean {
  return (
    a.version === b.version &&
    a.title === b.title &&
    a.xMode === b.xMode &&
    a.logScale === b.logScale &&
    a.height === b.height &&
    a.fraction === b.fraction &&
    a.series.map((s) => `${s.id}:${s.label}`).join() ===
      b.series.map((s) => `${s.id}:${s.label}`).join()
  );
}

export const OverlayChart = memo(function OverlayChart({
  title,
  series,
  xMode,
  logScale,
  height = 260,
  empty = 'No points yet.',
  caption,
  fraction = false,
}: OverlayChartProps) {
  const rows = chartRows(series, xMode, logScale);
  const latest = series
    .map(({ id, label, color, series: s }) =>
      s && s.values.length > 0 ? { id, label, color, value: s.values[s.values.length - 1] } : null,
    )
    .filter((entry) => entry !== null);
  return (
    <section
      className="card overlay-chart"
      data-testid={`overlay-${title}`}
      aria-label={`${title}, all compared runs`}
    >
      <div className="card-header">
        <h3>{title}</h3>
        {latest.length > 1 ? <span className="muted small">{latest.length} curves</span> : null}
      </div>
      {caption ? <p className="caption">{caption}</p> : null}
      {rows.length === 0 ? (
        <p className="empty-state">{empty}</p>
      ) : (
        <>
          <p className="chart-readout">
            {latest.map((entry) => (
              <span key={entry.id} className="readout-item">
                <span
                  className="run-swatch"
                  style={{ background: entry.color }}
                  aria-hidden="true"
                />
                {entry.label.split(' ')[0]} {formatValue(entry.value)}
              </span>
            ))}
          </p>
          <div className="chart-box" style={{ height }} aria-hidden="true">
            <LineChart
              responsive
              style={{ width: '100%', height: '100%' }}
              data={rows}
              margin={{ top: 8, right: 16, bottom: 8, left: 8 }}
            >
              <CartesianGrid stroke="#e3e8ef" />
              <XAxis {...xAxisProps(xMode)} />
              <YAxis {...yAxisProps(logScale, fraction)} />
              <Tooltip {...tooltipProps(xMode)} />
              <Legend itemSorter={null} />
              {series.map(({ id, label, color }) => (
                <Line
                  key={id}
                  name={label}
                  dataKey={(row: ChartRow) => row.values[id]}
                  stroke={color}
                  strokeWidth={2}
                  dot={false}
                  connectNulls
                  isAnimationActive={false}
                />
              ))}
            </LineChart>
          </div>
        </>
      )}
    </section>
  );
}, sameChart);
