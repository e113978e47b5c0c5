/**
 * The compare view: several runs side by side on one data stream. Runs can be included, paused,
 * resumed and removed here; new runs copy the comparison's data spec and seed. Frames of the same
 * held-out sequence play in sync; loss and metric curves are overlaid per metric name; few-label
 * probes stand side by side; a table holds the final numbers.
 */
import { useId } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { dataLabel } from '../../compare/compare-data';
import { usePlayground } from '../../state/store';
import type { RunState } from '../../state/store';
import { comparedIds, useWorkspace } from '../../state/workspace';
import { AddCompareRun } from './AddCompareRun';
import { ClassroomStart } from './ClassroomStart';
import { ChartAxisControls, CompareCharts } from './CompareCharts';
import { CompareProbes } from './CompareProbes';
import { CompareRuns } from './CompareRuns';
import { CompareTable } from './CompareTable';
import { PlaybackControls, PlaybackRows } from './SyncedPlayback';
import { MountInNextTask } from '../MountInNextTask';
import './compare.css';

/** Canonical text of a run's data spec (key order does not matter). */
export function dataKey(run: RunState): string {
  const data = (run.spec.data ?? { source: 'moving-mnist' }) as unknown as Record<string, unknown>;
  return JSON.stringify(
    Object.keys(data)
      .sort()
      .map((key) => [key, data[key]]),
  );
}

export function useComparedRuns(): { all: RunState[]; compared: RunState[] } {
  const all = usePlayground(useShallow((state) => state.runOrder.map((id) => state.runs[id])));
  const selection = useWorkspace((state) => state.compareSelection);
  const ids = comparedIds(
    all.map((run) => run.id),
    selection,
  );
  return { all, compared: all.filter((run) => ids.includes(run.id)) };
}

export function CompareView() {
  const { all, compared } = useComparedRuns();
  const headingId = useId();
  const framesId = useId();
  const tableId = useId();
  const mixedData = new Set(compared.map(dataKey)).size > 1;

  if (all.length === 0) {
    return (
      <section className="compare-view" aria-labelledby={headingId}>
        <h2 id={headingId}>Compare runs</h2>
        <p className="lead">
          Train several models on one seeded data stream and compare them here: overlaid loss
          curves, the same held-out clips playing in sync, and a table of final numbers.
        </p>
        <AddCompareRun first={undefined} />
        <ClassroomStart />
      </section>
    );
  }

  return (
    <article className="compare-view" aria-labelledby={headingId} data-testid="compare-view">
      <header className="compare-header">
        <div>
          <h2 id={headingId}>Compare runs</h2>
          <p className="muted">
            {compared.length} of {all.length} run{all.length === 1 ? '' : 's'} compared
            {compared.length > 0 && !mixedData
              ? ` · one data stream: ${dataLabel(compared[0].spec.data)}`
              : ''}
          </p>
        </div>
        <ChartAxisControls />
      </header>
      <CompareRuns runs={all} />
      <AddCompareRun first={compared[0]} />
      {mixedData ? (
        <p className="inline-warning" role="status">
          <span aria-hidden="true">⚠ </span>
          The compared runs use different data specs or seeds, so they train on different batches.
          Use “Add run to compare” to copy the first run’s data.
        </p>
      ) : null}
      {compared.length === 0 ? (
        <p className="empty-state">Tick at least one run above to compare it.</p>
      ) : (
        <>
          {/* Mounted in turn, each in a task of its own, so that showing the view stays responsive. */}
          <MountInNextTask>
            <section className="card" aria-labelledby={framesId}>
              <div className="card-header">
                <h3 id={framesId}>Frames: the same held-out sequence for every run</h3>
              </div>
              <PlaybackControls runs={compared} />
              <PlaybackRows runs={compared} tileSize={96} />
              <p className="caption">
                Each row starts with the run’s own copy of the held-out clip (same digits, same
                motion, at the run’s frame size and length), then what the model made of it. One
                clock drives every row; rows shorter than the longest clip hold their last frame,
                dimmed.
              </p>
            </section>
          </MountInNextTask>
          <MountInNextTask>
            <CompareCharts runs={compared} />
          </MountInNextTask>
          <MountInNextTask>
            <CompareProbes runs={compared} />
          </MountInNextTask>
          <MountInNextTask>
            <section className="card" aria-labelledby={tableId}>
              <div className="card-header">
                <h3 id={tableId}>Final numbers</h3>
                <span className="muted small">best of each row in green</span>
              </div>
              <CompareTable runs={compared} />
            </section>
          </MountInNextTask>
        </>
      )}
    </article>
  );
}
