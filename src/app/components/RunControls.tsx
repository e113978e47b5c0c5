/**
 * Buttons that drive a run through the RunManager (exactly what `window.playground` does), enabled
 * by status, plus the live hyperparameter editor and keyboard shortcuts.
 */
import { useEffect, useState } from 'react';
import { runManager } from '../runs/instance';
import { usePlayground } from '../state/store';
import type { RunState } from '../state/store';
import { HyperparameterEditor } from './HyperparameterEditor';
import { describeCommandError } from './errors';
import { ownsKey } from './format';

type Action = 'toggle' | 'step' | 'step10' | 'stop' | 'evaluate' | 'remove';

export function RunControls({ run }: { run: RunState }) {
  const [pending, setPending] = useState<Action | null>(null);
  const [commandError, setCommandError] = useState<string | null>(null);
  // The live hyperparameters start folded, so the frames and the loss curve are on the first
  // screen (they took 250 px above the frames at 1280×720).
  const [tuningOpen, setTuningOpen] = useState(false);
  const updateRun = usePlayground((state) => state.updateRun);
  const { id, status } = run;

  const idle = status === 'ready' || status === 'paused';
  const waiting = run.progress?.phase === 'queued';
  const busy = pending !== null;
  const can = {
    toggle: !busy && (idle || status === 'running'),
    step: !busy && idle,
    stop: !busy && (idle || status === 'running'),
    evaluate: !busy && (idle || status === 'stopped'),
  };
  const diverged = run.error?.code === 'non-finite-loss';

  const perform = (action: Action, command: () => Promise<void>) => {
    setPending(action);
    setCommandError(null);
    command()
      .catch((error: unknown) => {
        if (usePlayground.getState().runs[id]) setCommandError(describeCommandError(error));
      })
      .finally(() => setPending(null));
  };

  const toggle = () => {
    if (status === 'running') perform('toggle', () => runManager.pause(id));
    else
      perform('toggle', async () => {
        await runManager.start(id);
        // Resuming after a divergence: the banner has done its job.
        if (diverged) updateRun(id, { error: null });
      });
  };
  const step = (n: number) => perform(n === 1 ? 'step' : 'step10', () => runManager.step(id, n));

  useKeyboardShortcuts({
    toggle: can.toggle ? toggle : null,
    step: can.step ? () => step(1) : null,
  });

  const toggleLabel = status === 'running' ? 'Pause' : status === 'paused' ? 'Resume' : 'Start';

  return (
    <section className="run-controls" aria-label="Run controls">
      <div className="button-row">
        <button
          type="button"
          className={status === 'running' ? '' : 'button-primary'}
          disabled={!can.toggle}
          onClick={toggle}
        >
          {toggleLabel}
        </button>
        <button
          type="button"
          disabled={!can.step}
          onClick={() => step(1)}
          aria-label="Step: train one step"
        >
          Step
        </button>
        <button
          type="button"
          disabled={!can.step}
          onClick={() => step(10)}
          aria-label="Step ×10: train ten steps"
        >
          Step ×10
        </button>
        <button
          type="button"
          disabled={!can.stop}
          onClick={() => perform('stop', () => runManager.stop(id))}
          title="Stop training for good and evaluate on the held-out set"
        >
          Stop
        </button>
        <button
          type="button"
          disabled={!can.evaluate}
          onClick={() => perform('evaluate', () => runManager.evaluate(id))}
        >
          Evaluate now
        </button>
        <span className="spacer" />
        <button
          type="button"
          className="button-danger"
          disabled={pending === 'remove'}
          onClick={() => perform('remove', () => runManager.dispose(id))}
          title="Terminate the run's worker and free its GPU memory"
        >
          Remove run
        </button>
      </div>
      {waiting ? (
        <p className="muted small" role="status">
          Waiting for its turn: runs created together are built one after another, so that the first
          one trains sooner on a machine with few cores. This run is built once the first has
          trained its first step; its buttons work from then on.
        </p>
      ) : null}
      {pending && pending !== 'remove' ? (
        <p className="muted small" role="status">
          {PENDING_TEXT[pending]}
        </p>
      ) : null}
      {commandError ? (
        <div className="alert alert-error" role="alert">
          <p>{commandError}</p>
          <button type="button" className="button-quiet" onClick={() => setCommandError(null)}>
            Dismiss
          </button>
        </div>
      ) : null}
      <details
        className="run-tuning"
        open={tuningOpen}
        onToggle={(event) => setTuningOpen(event.currentTarget.open)}
      >
        <summary>Hyperparameters and shortcuts</summary>
        <HyperparameterEditor run={run} />
        <p className="shortcut-hint muted small">
          Shortcuts (when focus is not in a field): <kbd>Space</kbd> start / pause / resume (on a
          focused button, Space presses it) · <kbd>N</kbd> one step
        </p>
      </details>
    </section>
  );
}

const PENDING_TEXT: Record<Exclude<Action, 'remove'>, string> = {
  toggle: 'Sending…',
  step: 'Stepping…',
  step10: 'Stepping…',
  stop: 'Stopping and evaluating on the held-out set…',
  evaluate: 'Evaluating on the held-out set…',
};

interface Shortcuts {
  toggle: (() => void) | null;
  step: (() => void) | null;
}

/** Space = start / pause / resume, N = one step; left to a focused field, and Space to a focused button. */
function useKeyboardShortcuts({ toggle, step }: Shortcuts) {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.repeat || event.altKey || event.ctrlKey || event.metaKey) return;
      if (ownsKey(event.target, event.key)) return;
      if (event.key === ' ' && toggle) {
        event.preventDefault();
        toggle();
      } else if ((event.key === 'n' || event.key === 'N') && step) {
        event.preventDefault();
        step();
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [toggle, step]);
}
