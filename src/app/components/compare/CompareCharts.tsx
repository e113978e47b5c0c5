/**
 * Training metrics of the compared runs, one overlaid chart per metric name (loss, d_loss, …:
 * whatever the runs report), and held-out scores over steps for a chosen evaluation metric.
 */
import { useId, useState } from 'react';
import { evaluationLog } from '../../compare/instance';
import {
  evaluationSeries,
  progressSeries,
  runColor,
  unionOfNames,
} from '../../compare/compare-data';
import { runManager } from '../../runs/instance';
import type { RunState } from '../../state/store';
import { useWorkspace } from '../../state/workspace';
import { metricLabel, splitMetricName, groupLabel } from '../eval-table';
import { useThrottledValue } from '../hooks';
import { AxisOptions } from '../chart-parts';
import { OverlayChart } from './OverlayChart';
import type { OverlaySeries } from './OverlayChart';

const REDRAW_MS = 1000;

/** A version number that changes when any compared run gets new metrics or evaluations. */
export function useMetricsVersion(runs: readonly RunState[]): number {
  const raw = runs.reduce(
    (sum, run) => sum + run.metricsVersion + (run.evaluation?.step ?? 0) * 1e-6,
    0,
  );
  return useThrottledValue(raw, REDRAW_MS);
}

export function ChartAxisControls() {
  const xMode = useWorkspace((state) => state.xMode);
  const logScale = useWorkspace((state) => state.logScale);
  const setChartOptions = useWorkspace((state) => state.setChartOptions);
  return (
    <AxisOptions
      xMode={xMode}
      logScale={logScale}
      onXMode={(value) => setChartOptions({ xMode: value })}
      onLogScale={(value) => setChartOptions({ logScale: value })}
    />
  );
}

/** Each model's total objective first (loss, d_loss, g_loss), then its parts, accuracies last. */
export function sortMetricNames(names: readonly string[]): string[] {
  const rank = (name: string) =>
    name === 'loss'
      ? 0
      : /^[dg]_loss$/.test(name)
        ? 1
        : name.endsWith('_accuracy')
          ? 4
          : name.includes('loss')
            ? 2
            : 3;
  return [...names].sort((a, b) => rank(a) - rank(b));
}

/** `future/mse` → "Future · MSE / frame". */
export function evaluationLabel(name: string): string {
  const { group, metric } = splitMetricName(name);
  return `${groupLabel(group)} · ${metricLabel(metric)}`;
}

export function CompareCharts({ runs, height }: { runs: readonly RunState[]; height?: number }) {
  const xMode = useWorkspace((state) => state.xMode);
  const logScale = useWorkspace((state) => state.logScale);
  const smoothing = useWorkspace((state) => state.smoothing);
  const version = useMetricsVersion(runs);
  const evalSelectId = useId();
  const names = sortMetricNames(
    unionOfNames(runs.map((run) => runManager.history(run.id)?.names() ?? [])),
  );
  const evalNames = unionOfNames(
    runs.map((run) => Object.keys(evaluationLog.get(run.id).at(-1)?.scalars ?? {})),
  );
  const [chosen, setChosen] = useState<string | null>(null);
  const evalName =
    chosen && evalNames.includes(chosen)
      ? chosen
      : (evalNames.find((name) => name === 'future/mse') ?? evalNames[0] ?? null);

  // Only the runs that report a metric appear in its chart (and its legend).
  const seriesOf = (name: string): OverlaySeries[] =>
    runs
      .map((run) => ({
        id: run.id,
        label: run.label,
        color: runColor(run.id),
        series: runManager.history(run.id)?.get(name),
      }))
      .filter((entry) => entry.series !== undefined);
  const evalSeries = (name: string): OverlaySeries[] =>
    runs
      .map((run) => ({
        id: run.id,
        label: run.label,
        color: runColor(run.id),
        // Wall-clock times of evaluations come from the run's training history.
        series: evaluationSeries(
          evaluationLog.get(run.id),
          name,
          progressSeries(runManager.history(run.id)),
        ),
      }))
      .filter((entry) => entry.series.values.length > 0);

  return (
    <div className="compare-charts">
      {names.length > 0 ? (
        <OverlayChart
          title="Training progress"
          caption="Steps over wall-clock time: every run has this curve, whatever its losses are called."
          series={runs.map((run) => ({
            id: run.id,
            label: run.label,
            color: runColor(run.id),
            series: progressSeries(runManager.history(run.id)),
          }))}
          xMode="time"
          logScale={false}
          version={version}
          height={height}
        />
      ) : null}
      {names.length === 0 ? (
        <p className="empty-state">
          Loss curves of every compared run appear here once they train.
        </p>
      ) : (
        names.map((name) => (
          <OverlayChart
            key={name}
            title={name}
            series={seriesOf(name)}
            xMode={xMode}
            logScale={logScale}
            version={version}
            height={height}
            fraction={name.endsWith('_accuracy')}
            smoothing={smoothing}
          />
        ))
      )}
      {evalName ? (
        <div className="overlay-eval">
          <label className="field-inline field-label" htmlFor={evalSelectId}>
            <span>Held-out metric</span>
            <select
              id={evalSelectId}
              value={evalName}
              onChange={(event) => setChosen(event.target.value)}
            >
              {evalNames.map((name) => (
                <option key={name} value={name}>
                  {evaluationLabel(name)}
                </option>
              ))}
            </select>
          </label>
          <OverlayChart
            title={`held-out ${evalName}`}
            series={evalSeries(evalName)}
            xMode={xMode}
            logScale={logScale}
            version={version + evaluationLog.changes}
            height={height}
            empty="No run reports this metric yet."
          />
        </div>
      ) : null}
    </div>
  );
}
