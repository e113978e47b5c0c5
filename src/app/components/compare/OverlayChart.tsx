/** One metric of several runs overlaid on one chart, by step or by wall-clock time. */
import { memo } from 'react';
import type { Series } from '../../runs/metric-history';
import { chartRows } from '../../runs/metric-history';
import type { XMode } from '../../state/workspace';
import { useScheduledValue } from '../chart-scheduler';
import { formatValue } from '../format';
import { SeriesChart } from '../SeriesChart';

export interface OverlaySeries {
  /** Unique within the chart: a run id (compare view) or a metric name (one run's losses). */
  id: string;
  label: string;
  color: string;
  series: Series | undefined;
}

interface OverlayChartProps {
  title: string;
  /** The chart's accessible name, unique on the page (the title and "all compared runs" if not given). */
  label?: string;
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
  /** EMA weight of the curves (0 = raw); the raw curves stay faint behind smoothed ones. */
  smoothing?: number;
}

/** Redraws only when new points arrive (`version`) or the axes or the set of runs change. */
function sameChart(a: OverlayChartProps, b: OverlayChartProps): boolean {
  return (
    a.version === b.version &&
    a.title === b.title &&
    a.label === b.label &&
    a.xMode === b.xMode &&
    a.logScale === b.logScale &&
    a.height === b.height &&
    a.fraction === b.fraction &&
    a.smoothing === b.smoothing &&
    sameSeries(a, b)
  );
}

function sameSeries(a: Pick<OverlayChartProps, 'series'>, b: Pick<OverlayChartProps, 'series'>) {
  return (
    a.series.map((s) => `${s.id}:${s.label}`).join() ===
    b.series.map((s) => `${s.id}:${s.label}`).join()
  );
}

export const OverlayChart = memo(function OverlayChart({
  title,
  label: accessibleName = `${title}, all compared runs`,
  series,
  xMode,
  logScale,
  version,
  height = 260,
  empty = 'No points yet.',
  caption,
  fraction = false,
  smoothing = 0,
}: OverlayChartProps) {
  const drawnVersion = useScheduledValue(version, true);
  const hasPoints = series.some((s) =>
    s.series?.values.some((v) => Number.isFinite(v) && (!logScale || v > 0)),
  );
  const latest = series
    .map(({ id, label, color, series: s }) =>
      s && s.values.length > 0 ? { id, label, color, value: s.values[s.values.length - 1] } : null,
    )
    .filter((entry) => entry !== null);
  return (
    <section
      className="card overlay-chart"
      data-testid={`overlay-${title}`}
      aria-label={accessibleName}
    >
      <div className="card-header">
        <h3>{title}</h3>
        {latest.length > 1 ? <span className="muted small">{latest.length} curves</span> : null}
      </div>
      {caption ? <p className="caption">{caption}</p> : null}
      {!hasPoints ? (
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
            {drawnVersion === undefined ? null : (
              <OverlayPlot
                series={series}
                xMode={xMode}
                logScale={logScale}
                fraction={fraction}
                smoothing={smoothing}
                version={drawnVersion}
              />
            )}
          </div>
        </>
      )}
    </section>
  );
}, sameChart);

type PlotProps = Pick<
  OverlayChartProps,
  'series' | 'xMode' | 'logScale' | 'fraction' | 'smoothing' | 'version'
>;

/** The chart itself: redrawn in its turn among the other charts (chart-scheduler.ts). */
const OverlayPlot = memo(
  function OverlayPlot({ series, xMode, logScale, fraction = false, smoothing = 0 }: PlotProps) {
    const rows = chartRows(series, xMode, logScale, { smoothing });
    return (
      <SeriesChart
        rows={rows}
        series={series}
        xMode={xMode}
        logScale={logScale}
        fraction={fraction}
        smoothed={smoothing > 0}
      />
    );
  },
  (a, b) =>
    a.version === b.version &&
    a.xMode === b.xMode &&
    a.logScale === b.logScale &&
    a.smoothing === b.smoothing &&
    sameSeries(a, b),
);
