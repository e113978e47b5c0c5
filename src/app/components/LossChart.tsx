/**
 * Training losses over steps (or wall-clock time). The full history stays in MetricHistory; the
 * chart gets at most 300 LTTB-picked points per series and redraws at most once a second, in
 * its turn among the other charts (chart-scheduler.ts).
 */
import { memo, useId, useState } from 'react';
import { chartRows } from '../runs/metric-history';
import type { ChartRow, MetricHistory } from '../runs/metric-history';
import { runManager } from '../runs/instance';
import type { RunState } from '../state/store';
import { useWorkspace } from '../state/workspace';
import { formatValue } from './format';
import { useThrottledValue } from './hooks';
import { AxisOptions } from './chart-parts';
import { SeriesChart } from './SeriesChart';
import { useScheduledValue } from './chart-scheduler';

const MAX_POINTS = 300;
const REDRAW_MS = 1000;
export const SERIES_COLORS = ['#2563eb', '#ea580c', '#059669', '#9333ea', '#db2777', '#0891b2'];

type XMode = 'step' | 'time';

interface ChartData {
  names: string[];
  rows: ChartRow[];
  latest: { step: number; values: Record<string, number> } | null;
}

/**
 * Downsamples each series on its own (LTTB), then merges them into rows keyed by x, so series
 * logged at different steps still share one chart.
 */
export function buildChartData(
  history: MetricHistory | undefined,
  xMode: XMode,
  logScale: boolean,
  include: (name: string) => boolean,
  smoothing = 0,
): ChartData {
  if (!history) return { names: [], rows: [], latest: null };
  const names = history.names().filter(include);
  let latestStep = -Infinity;
  const latestValues: Record<string, number> = {};
  for (const name of names) {
    const series = history.get(name);
    if (!series || series.values.length === 0) continue;
    const last = series.values.length - 1;
    latestStep = Math.max(latestStep, series.steps[last]);
    latestValues[name] = series.values[last];
  }
  const rows = chartRows(
    names.map((name) => ({ id: name, series: history.get(name) })),
    xMode,
    logScale,
    { maxPoints: MAX_POINTS, smoothing },
  );
  const latest = Number.isFinite(latestStep) ? { step: latestStep, values: latestValues } : null;
  return { names, rows, latest };
}

/** Fractions in [0, 1] (a discriminator's accuracy) get a chart of their own, apart from losses. */
export function isAccuracyMetric(name: string): boolean {
  return name.endsWith('_accuracy');
}

/** Perplexities (exp of a loss, up to the vocabulary size) get a chart of their own too. */
export function isPerplexityMetric(name: string): boolean {
  return name === 'perplexity' || name.endsWith('_perplexity');
}

/** The losses: every metric that is neither an accuracy nor a perplexity. */
export function isLossMetric(name: string): boolean {
  return !isAccuracyMetric(name) && !isPerplexityMetric(name);
}

/**
 * The colour of each of a run's losses, by its place among them in the order they were first
 * logged: the same in the run view and the presentation view.
 */
export function lossColor(lossNames: readonly string[], name: string): string {
  return SERIES_COLORS[Math.max(0, lossNames.indexOf(name)) % SERIES_COLORS.length];
}

interface LossChartProps {
  run: RunState;
  title: string;
  include(name: string): boolean;
}

export function LossChart({ run, title, include }: LossChartProps) {
  const [xMode, setXMode] = useState<XMode>('step');
  const [logScale, setLogScale] = useState(false);
  const smoothing = useWorkspace((state) => state.smoothing);
  const version = useScheduledValue(useThrottledValue(run.metricsVersion, REDRAW_MS));
  const headingId = useId();
  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="card-header">
        <h3 id={headingId}>{title}</h3>
        <AxisOptions
          xMode={xMode}
          logScale={logScale}
          onXMode={setXMode}
          onLogScale={setLogScale}
        />
      </div>
      <LossChartPlot
        runId={run.id}
        version={version}
        xMode={xMode}
        logScale={logScale}
        smoothing={smoothing}
        include={include}
      />
    </section>
  );
}

interface PlotProps {
  runId: string;
  /** Throttled `metricsVersion`: a new value means new points to draw. */
  version: number;
  xMode: XMode;
  logScale: boolean;
  smoothing: number;
  include(name: string): boolean;
}

/** Memoised on its props, so only throttled version changes (or toggles) redraw the chart. */
const LossChartPlot = memo(function LossChartPlot({
  runId,
  xMode,
  logScale,
  smoothing,
  include,
}: PlotProps) {
  const history = runManager.history(runId);
  const { names, rows, latest } = buildChartData(history, xMode, logScale, include, smoothing);
  if (rows.length === 0) {
    return <p className="empty-state">Loss curves appear after the first training step.</p>;
  }
  return (
    <>
      {latest ? (
        <p className="chart-readout">
          Step {latest.step.toLocaleString()}:{' '}
          {names
            .filter((name) => latest.values[name] !== undefined)
            .map((name) => `${name} ${formatValue(latest.values[name])}`)
            .join(' · ')}
        </p>
      ) : null}
      <div className="chart-box" aria-hidden="true">
        <SeriesChart
          rows={rows}
          series={names.map((name) => ({
            id: name,
            label: name,
            color: lossColor(names, name),
            strokeWidth: name === 'loss' ? 2.25 : 1.5,
          }))}
          xMode={xMode}
          logScale={logScale}
          smoothed={smoothing > 0}
        />
      </div>
    </>
  );
});
