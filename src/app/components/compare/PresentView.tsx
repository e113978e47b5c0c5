/**
 * The presentation view for lessons and talks: the compared runs as large columns — big frames
 * of the same held-out sequence in sync, the loss curves, and the model's explanation with what to
 * watch for. `?view=present&controls=hidden` hides every control (the clock keeps playing).
 */
import { useId, useRef } from 'react';
import type { CSSProperties } from 'react';
import { findModel } from '../../../core/models/registry';
import { playbackLength, playbackPanels } from '../../compare/playback';
import { dataLabel, runColor } from '../../compare/compare-data';
import { runManager } from '../../runs/instance';
import type { RunProgress, RunState } from '../../state/store';
import { useWorkspace } from '../../state/workspace';
import { statusLabel } from '../format';
import { isLossMetric, lossColor } from '../LossChart';
import { RunProgressBar } from '../RunBanners';
import { useElementWidth } from '../hooks';
import { ClassroomStart } from './ClassroomStart';
import { ClassroomVote } from './ClassroomVote';
import { dataKey, useComparedRuns } from './CompareView';
import { useMetricsVersion } from './CompareCharts';
import { ModelGuide } from './ModelGuide';
import { OverlayChart } from './OverlayChart';
import { PlaybackClock, PlaybackControls, PlaybackRows, usePlaybackKeys } from './SyncedPlayback';
import './compare.css';

const MAX_TILE_PX = 240;
/** Below this a frame is hard to read from the back of a room: fewer tiles to a row instead. */
const MIN_TILE_PX = 96;
/** A run being created before its worker reports a phase of its own. */
const CREATING: RunProgress = { phase: 'create', fraction: 0, message: '' };
const TILE_GAP_PX = 12;

export function PresentView() {
  const { compared } = useComparedRuns();
  const controlsHidden = useWorkspace((state) => state.controlsHidden);
  const headingId = useId();
  if (compared.length === 0) {
    return (
      <section className="present-view" aria-labelledby={headingId}>
        <h2 id={headingId} className="present-title">
          Presentation
        </h2>
        {controlsHidden ? (
          <p className="lead">Waiting for runs…</p>
        ) : (
          <>
            <p className="lead">Start a classroom demo, or create runs and compare them.</p>
            <ClassroomStart />
          </>
        )}
      </section>
    );
  }
  const titles = [
    ...new Set(compared.map((run) => findModel(run.spec.model)?.title ?? run.spec.model)),
  ];
  return (
    <section className="present-view" aria-labelledby={headingId} data-testid="present-view">
      <header className="present-header">
        <div>
          <h2 id={headingId} className="present-title">
            {titles.join(' vs ')}
          </h2>
          <p className="present-subtitle">
            {dataLabel(compared[0].spec.data)}
            {compared.length < 2
              ? ''
              : new Set(compared.map(dataKey)).size === 1
                ? ' · the same training batches and held-out clips for every run'
                : ' · the runs use different data specs or seeds, so they train on different batches'}
          </p>
        </div>
        {controlsHidden ? <PresentCounter runs={compared} /> : <PlaybackControls runs={compared} />}
      </header>
      <div
        className="present-columns"
        style={{ '--present-columns': compared.length } as CSSProperties}
      >
        {compared.map((run) => (
          <PresentColumn key={run.id} run={run} />
        ))}
      </div>
      {controlsHidden ? null : <ClassroomVote runs={compared} />}
    </section>
  );
}

/** With the controls hidden: the clock keeps running, and a quiet counter says where it is. */
function PresentCounter({ runs }: { runs: readonly RunState[] }) {
  const frame = useWorkspace((state) => state.playback.frame);
  const length = playbackLength(runs);
  usePlaybackKeys(length); // Space and arrows still work for the presenter
  return (
    <p className="present-counter" aria-live="off">
      <PlaybackClock runs={runs} />
      {length > 0 ? `frame ${Math.min(frame, length - 1) + 1} / ${length}` : null}
    </p>
  );
}

function PresentColumn({ run }: { run: RunState }) {
  const ref = useRef<HTMLDivElement>(null);
  const width = useElementWidth(ref);
  const example = useWorkspace((state) => state.playback.example);
  const xMode = useWorkspace((state) => state.xMode);
  const smoothing = useWorkspace((state) => state.smoothing);
  const version = useMetricsVersion([run]);
  const panels = playbackPanels(run, example);
  const fitting = Math.floor((width + TILE_GAP_PX) / (MIN_TILE_PX + 8 + TILE_GAP_PX));
  const columns = Math.min(Math.max(1, panels.length), 3, Math.max(1, fitting));
  const tile = Math.max(
    64,
    Math.min(MAX_TILE_PX, Math.floor((width - (columns - 1) * TILE_GAP_PX) / columns) - 8),
  );
  const history = runManager.history(run.id);
  // The run view's losses in the run view's colours (perplexities and accuracies have charts
  // of their own there).
  const lossNames = (history?.names() ?? []).filter(isLossMetric);
  return (
    <section className="present-column" aria-label={run.label}>
      <h3 className="present-run-title">
        <span className="run-swatch" style={{ background: runColor(run.id) }} aria-hidden="true" />
        {findModel(run.spec.model)?.title ?? run.spec.model}
        <span className="present-run-meta">
          {run.spec.variant} · {run.spec.preset} · {statusLabel(run)} · step{' '}
          {run.step.toLocaleString()}
        </span>
      </h3>
      {/* A classroom demo's runs are created one after another: each says how far it is. */}
      {run.status === 'creating' || run.progress ? (
        <RunProgressBar progress={run.progress ?? CREATING} />
      ) : null}
      <div ref={ref} className="present-frames">
        <PlaybackRows runs={[run]} tileSize={tile} bare />
      </div>
      <OverlayChart
        title={lossNames.length > 1 ? 'Training losses' : 'Training loss'}
        label={`Training ${lossNames.length > 1 ? 'losses' : 'loss'} of ${run.label}`}
        series={lossNames.map((name) => ({
          id: name,
          label: name,
          color: lossColor(lossNames, name),
          series: history?.get(name),
        }))}
        xMode={xMode}
        logScale={false}
        smoothing={smoothing}
        version={version}
        height={240}
        empty="The loss curve appears after the first training step."
      />
      <ModelGuide model={run.spec.model} variant="aside" />
    </section>
  );
}
