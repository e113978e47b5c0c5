/** The runs in this session: status, step and model/preset; a click or Enter selects one. */
import { useId } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { usePlayground } from '../state/store';
import type { RunState } from '../state/store';
import { statusLabel } from './format';

export function RunList() {
  const runs = usePlayground(
    useShallow((state) => state.runOrder.map((id) => state.runs[id]).filter(Boolean)),
  );
  const selectedRunId = usePlayground((state) => state.selectedRunId);
  const selectRun = usePlayground((state) => state.selectRun);
  const headingId = useId();

  return (
    <section className="panel run-list" aria-labelledby={headingId}>
      <h2 id={headingId}>
        Runs <span className="count">{runs.length}</span>
      </h2>
      {runs.length === 0 ? (
        <p className="muted small">No runs yet.</p>
      ) : (
        <ul>
          {runs.map((run) => (
            <li key={run.id}>
              <RunListItem
                run={run}
                selected={run.id === selectedRunId}
                onSelect={() => selectRun(run.id)}
              />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

interface RunListItemProps {
  run: RunState;
  selected: boolean;
  onSelect(): void;
}

function RunListItem({ run, selected, onSelect }: RunListItemProps) {
  const [number] = run.label.split(' ');
  return (
    <button
      type="button"
      className={`run-item${selected ? ' is-selected' : ''}`}
      aria-current={selected ? 'true' : undefined}
      onClick={onSelect}
    >
      <span className={`status-dot status-${run.status}`} aria-hidden="true" />
      <span className="run-item-text">
        <span className="run-item-title">
          {number} {run.spec.model.toUpperCase()} · {run.spec.preset}
        </span>
        <span className="run-item-meta">
          {statusLabel(run)} · step {run.step.toLocaleString()}
          {run.spec.variant ? ` · ${run.spec.variant}` : ''}
        </span>
      </span>
    </button>
  );
}
