/** A run's progress bar, error banner and warnings. */
import type { RunProgress, RunState } from '../state/store';
import { usePlayground } from '../state/store';

const PHASE_LABELS: Record<string, string> = {
  create: 'Starting the run',
  data: 'Loading data',
  dictionary: 'Building the patch dictionary',
  backend: 'Timing the backends (software WebGPU)',
  'warm-up': 'Warming up',
  evaluate: 'Evaluating',
};

interface RunProgressBarProps {
  progress: RunProgress | null;
  /** Shown as a Cancel button while the worker reports the work as cancellable. */
  onCancel?: () => void;
}

export function RunProgressBar({ progress, onCancel }: RunProgressBarProps) {
  if (!progress) return null;
  const percent = Math.round(Math.min(1, Math.max(0, progress.fraction)) * 100);
  const label = PHASE_LABELS[progress.phase] ?? progress.phase;
  // Phases that only report start and end get a moving stripe instead of a stuck 0 %.
  const indeterminate = percent === 0;
  const cancellable = progress.cancellable === true && onCancel !== undefined;
  return (
    <div className={`progress${cancellable ? ' with-cancel' : ''}`}>
      <div className="progress-main">
        <div className="progress-text">
          <span>{progress.message || label}</span>
          {!indeterminate ? <span>{percent}%</span> : null}
        </div>
        <div
          className={`progress-track${indeterminate ? ' is-indeterminate' : ''}`}
          role="progressbar"
          aria-label={label}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
          aria-valuetext={indeterminate ? `${label}…` : `${label}: ${percent}%`}
        >
          <div
            className="progress-fill"
            style={{ width: indeterminate ? undefined : `${percent}%` }}
          />
        </div>
      </div>
      {cancellable ? (
        <button type="button" onClick={onCancel} aria-label={`Cancel: stop ${label.toLowerCase()}`}>
          Cancel
        </button>
      ) : null}
    </div>
  );
}

export function RunErrorBanner({ run }: { run: RunState }) {
  const updateRun = usePlayground((state) => state.updateRun);
  const error = run.error;
  if (!error) return null;
  const diverged = error.code === 'non-finite-loss' || error.code === 'non-finite-parameters';
  const stateLost = error.code === 'non-finite-parameters';
  const cancelled = error.code === 'cancelled';
  const fatal = run.status === 'error';
  return (
    <div className="alert alert-error" role="alert">
      <p className="alert-title">
        {diverged
          ? 'Training diverged'
          : cancelled
            ? 'Run creation cancelled'
            : fatal
              ? 'The run failed'
              : 'Something went wrong'}
        {error.step !== undefined ? ` at step ${error.step.toLocaleString()}` : ''}
      </p>
      <p>{error.message}</p>
      {stateLost ? (
        <p>
          Resuming would train on broken weights. Restore a checkpoint saved before this step, or
          remove the run and start again with a smaller learning rate.
        </p>
      ) : diverged ? (
        <p>
          The run is paused. Lower the learning rate below, then press Resume — or remove the run
          and start again with a smaller learning rate.
        </p>
      ) : cancelled ? (
        <p>
          Nothing was trained. Remove this run and create a new one when you are ready (a smaller
          preset prepares faster).
        </p>
      ) : fatal ? (
        <p>Remove this run and create a new one (try another backend or a smaller preset).</p>
      ) : null}
      {!fatal ? (
        <button
          type="button"
          className="button-quiet"
          onClick={() => updateRun(run.id, { error: null })}
        >
          Dismiss
        </button>
      ) : null}
      <span className="visually-hidden">Error code: {error.code}</span>
    </div>
  );
}

export function RunWarnings({ warnings }: { warnings: string[] }) {
  if (warnings.length === 0) return null;
  return (
    <ul className="warning-list" aria-label="Warnings">
      {warnings.map((warning, i) => (
        <li key={i} className="inline-warning">
          <span aria-hidden="true">⚠ </span>
          {warning}
        </li>
      ))}
    </ul>
  );
}
