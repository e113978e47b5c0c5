/**
 * Synchronised playback: one play/pause, frame scrubber and example picker drive the frame views
 * of every compared run, each showing the same held-out sequence (its held-out clip first, then
 * the run's own panels) at the same frame of the clip.
 */
import { useEffect, useId } from 'react';
import { findModel } from '../../../core/models/registry';
import {
  PLAYBACK_FPS,
  playbackExamples,
  playbackLength,
  playbackPanels,
} from '../../compare/playback';
import { runColor } from '../../compare/compare-data';
import type { RunState } from '../../state/store';
import { useWorkspace } from '../../state/workspace';
import { ownsKey, statusLabel } from '../format';
import { SegmentedControl } from '../SegmentedControl';
import { FrameTile } from './FrameTile';
import { useFrameClock } from '../hooks';

/** Advances the shared frame at PLAYBACK_FPS while playing (one clock for all runs). */
function usePlaybackClock(length: number) {
  const playing = useWorkspace((state) => state.playback.playing);
  useFrameClock(PLAYBACK_FPS, playing && length > 0, () => {
    const { playback, setPlayback } = useWorkspace.getState();
    setPlayback({ frame: (playback.frame + 1) % length });
  });
}

/** Runs the shared clock without showing controls (presentation view with controls hidden). */
export function PlaybackClock({ runs }: { runs: readonly RunState[] }) {
  usePlaybackClock(playbackLength(runs));
  return null;
}

/** Space plays / pauses, ← and → step one frame (left to a focused field, and Space to a focused button). */
export function usePlaybackKeys(length: number) {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.repeat || event.altKey || event.ctrlKey || event.metaKey || length <= 0) return;
      if (ownsKey(event.target, event.key)) return;
      const { playback, setPlayback } = useWorkspace.getState();
      if (event.key === ' ') setPlayback({ playing: !playback.playing });
      else if (event.key === 'ArrowRight')
        setPlayback({ playing: false, frame: (playback.frame + 1) % length });
      else if (event.key === 'ArrowLeft')
        setPlayback({ playing: false, frame: (playback.frame - 1 + length) % length });
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [length]);
}

export function PlaybackControls({ runs }: { runs: readonly RunState[] }) {
  const playback = useWorkspace((state) => state.playback);
  const setPlayback = useWorkspace((state) => state.setPlayback);
  const length = playbackLength(runs);
  const examples = playbackExamples(runs);
  const frame = length > 0 ? Math.min(playback.frame, length - 1) : 0;
  const example = Math.min(playback.example, examples - 1);
  const sliderId = useId();
  usePlaybackClock(length);
  usePlaybackKeys(length);
  if (length === 0) return null;
  return (
    <div className="playback-controls" role="group" aria-label="Playback of all compared runs">
      <button
        type="button"
        className="button-primary playback-toggle"
        onClick={() => setPlayback({ playing: !playback.playing })}
        aria-label={playback.playing ? 'Pause all runs’ frames' : 'Play all runs’ frames'}
      >
        {playback.playing ? '❚❚ Pause' : '▶ Play'}
      </button>
      <button
        type="button"
        aria-label="Previous frame"
        onClick={() => setPlayback({ playing: false, frame: (frame - 1 + length) % length })}
      >
        ◀
      </button>
      <button
        type="button"
        aria-label="Next frame"
        onClick={() => setPlayback({ playing: false, frame: (frame + 1) % length })}
      >
        ▶
      </button>
      <label className="playback-scrubber" htmlFor={sliderId}>
        <span>Frame</span>
        <input
          id={sliderId}
          type="range"
          min={1}
          max={length}
          step={1}
          value={frame + 1}
          aria-valuetext={`frame ${frame + 1} of ${length}`}
          onChange={(event) =>
            setPlayback({ playing: false, frame: Number(event.target.value) - 1 })
          }
        />
        <output className="playback-counter">
          {frame + 1} / {length}
        </output>
      </label>
      {examples > 1 ? (
        <SegmentedControl
          label="Held-out example"
          value={example}
          options={Array.from({ length: examples }, (_, i) => ({ value: i, label: String(i + 1) }))}
          onChange={(value) => setPlayback({ example: value })}
        />
      ) : null}
    </div>
  );
}

interface PlaybackRowsProps {
  runs: readonly RunState[];
  tileSize: number;
  /** Hide each row's header (the presentation view titles its columns itself). */
  bare?: boolean;
}

/** One row per run: its colour and name, then its tiles at the shared frame. */
export function PlaybackRows({ runs, tileSize, bare = false }: PlaybackRowsProps) {
  const playback = useWorkspace((state) => state.playback);
  const length = playbackLength(runs);
  const frame = length > 0 ? Math.min(playback.frame, length - 1) : 0;
  const example = Math.min(playback.example, playbackExamples(runs) - 1);
  return (
    <div className="playback-rows">
      {runs.map((run) => {
        const panels = playbackPanels(run, example);
        const entry = findModel(run.spec.model);
        return (
          <section
            key={run.id}
            className="playback-row"
            data-testid={`playback-${run.id}`}
            data-frame={frame}
            aria-label={`${run.label}: frames`}
          >
            <header className={`playback-row-header${bare ? ' visually-hidden' : ''}`}>
              <span
                className="run-swatch"
                style={{ background: runColor(run.id) }}
                aria-hidden="true"
              />
              <span className="playback-run-name">{run.label}</span>
              <span className="muted small">
                {entry?.title ?? run.spec.model} · {statusLabel(run)}
                {run.samples ? ` · samples from step ${run.samples.step.toLocaleString()}` : ''}
              </span>
            </header>
            {panels.length === 0 ? (
              <p className="muted small">
                {/* A run started at once samples after its first step, so "ready" is not enough. */}
                {run.status === 'creating' || run.status === 'warming-up'
                  ? 'Frames appear once the run is ready.'
                  : 'Frames appear after the first training step.'}
              </p>
            ) : (
              <div className="playback-tiles">
                {panels.map((panel, i) => (
                  <FrameTile
                    key={`${i}:${panel.label}`}
                    panel={panel}
                    frame={frame}
                    size={tileSize}
                  />
                ))}
              </div>
            )}
          </section>
        );
      })}
    </div>
  );
}
