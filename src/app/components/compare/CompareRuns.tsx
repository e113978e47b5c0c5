/**
 * The runs of the comparison: include or leave out each run, and pause, resume or remove each one
 * on its own (every run has its own worker; one failing leaves the others running).
 */
import { useState } from 'react';
import { runColor } from '../../compare/compare-data';
import { runManager } from '../../runs/instance';
import { usePlayground } from '../../state/store';
import type { RunState } from '../../state/store';
import { comparedIds, useWorkspace } from '../../state/workspace';
import { describeCommandError } from '../errors';
import { ErrorAlert } from '../ErrorAlert';
import { statusLabel } from '../format';

export function CompareRuns({ runs }: { runs: readonly RunState[] }) {
  const selection = useWorkspace((state) => state.compareSelection);
  const setSelection = useWorkspace((state) => state.setCompareSelection);
  const runOrder = usePlayground((state) => state.runOrder);
  const [error, setError] = useState<string | null>(null);
  const included = comparedIds(runOrder, selection);

  const toggle = (id: string, include: boolean) => {
    const next = include ? [...included, id] : included.filter((other) => other !== id);
    setSelection(next.length === runOrder.length ? null : next);
  };
  const perform = (command: () => Promise<void>) => {
    setError(null);
    command().catch((e: unknown) => setError(describeCommandError(e)));
  };
  const active = runs.filter((run) => included.includes(run.id));
  const canStart = active.filter((run) => run.status === 'ready' || run.status === 'paused');
  const running = active.filter((run) => run.status === 'running');

  return (
    <section className="compare-runs" aria-label="Compared runs">
      <ul className="compare-run-list">
        {runs.map((run) => {
          const isIncluded = included.includes(run.id);
          const idle = run.status === 'ready' || run.status === 'paused';
          return (
            <li key={run.id} className={`compare-run${isIncluded ? '' : ' is-excluded'}`}>
              <label className="compare-run-check">
                <input
                  type="checkbox"
                  checked={isIncluded}
                  onChange={(event) => toggle(run.id, event.target.checked)}
                  aria-label={`Compare ${run.label}`}
                />
                <span
                  className="run-swatch"
                  style={{ background: runColor(run.id) }}
                  aria-hidden="true"
                />
                <span className="compare-run-text">
                  <span className="compare-run-name">{run.label}</span>
                  <span className={`muted small status-text-${run.status}`}>
                    {statusLabel(run)} · step {run.step.toLocaleString()}
                  </span>
                  {run.status === 'error' && run.error ? (
                    <span className="compare-run-error small" title={run.error.message}>
                      {run.error.message}
                    </span>
                  ) : null}
                </span>
              </label>
              <span className="compare-run-actions">
                {run.status === 'running' ? (
                  <button
                    type="button"
                    onClick={() => perform(() => runManager.pause(run.id))}
                    aria-label={`Pause ${run.label}`}
                  >
                    Pause
                  </button>
                ) : (
                  <button
                    type="button"
                    disabled={!idle}
                    onClick={() => perform(() => runManager.start(run.id))}
                    aria-label={`${run.status === 'paused' ? 'Resume' : 'Start'} ${run.label}`}
                  >
                    {run.status === 'paused' ? 'Resume' : 'Start'}
                  </button>
                )}
                <button
                  type="button"
                  className="button-danger"
                  onClick={() => perform(() => runManager.dispose(run.id))}
                  aria-label={`Remove ${run.label}`}
                >
                  Remove
                </button>
              </span>
            </li>
          );
        })}
      </ul>
      <div className="button-row">
        <button
          type="button"
          className="button-primary"
          disabled={canStart.length === 0}
          onClick={() =>
            perform(
              async () => void (await Promise.all(canStart.map((r) => runManager.start(r.id)))),
            )
          }
        >
          Start all compared
        </button>
        <button
          type="button"
          disabled={running.length === 0}
          onClick={() =>
            perform(
              async () => void (await Promise.all(running.map((r) => runManager.pause(r.id)))),
            )
          }
        >
          Pause all compared
        </button>
      </div>
      <ErrorAlert message={error} />
    </section>
  );
}
