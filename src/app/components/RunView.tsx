/** Everything about the selected run: header, backend, controls, frames, charts, scores, stats. */
import { useId } from 'react';
import { findModel } from '../../core/models/registry';
import type { RunState } from '../state/store';
import { BackendBadge } from './BackendBadge';
import { ExportBar } from './compare/ExportBar';
import { ModelGuide } from './compare/ModelGuide';
import { MountInNextTask } from './MountInNextTask';
import { CheckpointControls } from './CheckpointControls';
import { EvalPanel } from './EvalPanel';
import { FeatureViewsPanel } from './FeatureViewsPanel';
import { FrameView } from './FrameView';
import { LossChart, isAccuracyMetric, isLossMetric, isPerplexityMetric } from './LossChart';
import { runManager } from '../runs/instance';
import { RunControls } from './RunControls';
import { RunErrorBanner, RunProgressBar, RunWarnings } from './RunBanners';
import { RunStatsGrid } from './RunStatsGrid';
import { ProbePanel } from './ProbePanel';
import { StressTestPanel } from './StressTestPanel';
import { formatValue, statusLabel } from './format';

export function RunView({ run }: { run: RunState }) {
  const headingId = useId();
  // Re-evaluated on every metrics event: RunView re-renders whenever the run's state changes.
  const metricNames = runManager.history(run.id)?.names() ?? [];
  const hasAccuracy = metricNames.some(isAccuracyMetric);
  const hasPerplexity = metricNames.some(isPerplexityMetric);
  const entry = findModel(run.spec.model);
  const variant = entry?.variants.find((v) => v.id === run.spec.variant);
  const preset = entry?.presets.find((p) => p.id === run.spec.preset);
  const overrides = Object.keys(run.spec.config ?? {}).length;
  return (
    <article className="run-view" aria-labelledby={headingId}>
      <header className="run-header">
        <div className="run-title">
          <h2 id={headingId}>
            <span className={`status-dot status-${run.status}`} aria-hidden="true" />
            {run.label}
          </h2>
          <p className="run-subtitle">
            {entry?.title ?? run.spec.model}
            {variant ? ` · ${variant.label}` : ''}
            {preset ? ` · ${preset.label} preset` : ''}
            {overrides > 0 ? ` · ${overrides} override${overrides === 1 ? '' : 's'}` : ''}
          </p>
        </div>
        <p className={`status-pill status-pill-${run.status}`} aria-live="polite">
          {statusLabel(run)}
        </p>
      </header>
      <BackendBadge backend={run.backend} failed={run.status === 'error'} />
      <RunErrorBanner run={run} />
      {/* A failed run's last progress event is stale; the error banner says what happened. */}
      <RunProgressBar
        progress={run.status === 'error' ? null : run.progress}
        onCancel={() => void runManager.cancel(run.id).catch(() => undefined)}
      />
      <RunWarnings warnings={run.warnings} />
      <RunControls run={run} />
      {/* What matters first: the frames, then the curves; statistics and checkpoints below them.
          Mounted in turn, each in a task of its own, so that showing the view stays responsive. */}
      <MountInNextTask>
        <FrameView run={run} />
      </MountInNextTask>
      <MountInNextTask>
        <div className="card-grid">
          <LossChart run={run} title="Training loss" include={isLossMetric} />
          {hasAccuracy ? (
            <LossChart run={run} title="Discriminator accuracy" include={isAccuracyMetric} />
          ) : null}
          {hasPerplexity ? (
            <LossChart run={run} title="Perplexity per patch" include={isPerplexityMetric} />
          ) : null}
          <EvalPanel run={run} />
        </div>
      </MountInNextTask>
      <MountInNextTask>
        <ProbePanel run={run} />
        <FeatureViewsPanel run={run} />
        <StressTestPanel run={run} />
      </MountInNextTask>
      <RunStatsGrid run={run} />
      <CheckpointControls run={run} />
      <MountInNextTask>
        <ExportBar run={run} />
        <ModelGuide model={run.spec.model} />
        <RunConfigDetails run={run} />
      </MountInNextTask>
    </article>
  );
}

/** The resolved config the worker trains with, and the run spec it came from. */
function RunConfigDetails({ run }: { run: RunState }) {
  if (!run.config) return null;
  const data = run.spec.data;
  return (
    <details className="card run-config">
      <summary>Config and data</summary>
      <table className="config-table">
        <tbody>
          {Object.entries(run.config).map(([key, value]) => (
            <tr key={key}>
              <th scope="row">{key}</th>
              <td>{typeof value === 'number' ? formatValue(value, 6) : String(value)}</td>
            </tr>
          ))}
          {data
            ? Object.entries(data).map(([key, value]) => (
                <tr key={`data.${key}`}>
                  <th scope="row">data.{key}</th>
                  <td>{String(value)}</td>
                </tr>
              ))
            : null}
          <tr>
            <th scope="row">seed</th>
            <td>{run.spec.seed ?? 0}</td>
          </tr>
          <tr>
            <th scope="row">backend (requested)</th>
            <td>{run.spec.backend ?? 'auto'}</td>
          </tr>
        </tbody>
      </table>
    </details>
  );
}
