/** The shared playback clock of the compare and presentation views (pure helpers). */
import type { FramePanel, SampleView } from '../../core/models/types';
import { HELD_OUT_GROUP } from '../../protocol/sample-groups';
import type { RunState } from '../state/store';

export const PLAYBACK_FPS = 8;

/** A run's panels for held-out example `example`: its held-out clip first, then its own panels. */
export function playbackPanels(run: RunState | undefined, example: number): FramePanel[] {
  const views = run?.samples?.views ?? [];
  const pick = (list: SampleView[]) => list[Math.min(example, list.length - 1)]?.panels ?? [];
  const heldOut = pick(views.filter((view) => view.group === HELD_OUT_GROUP));
  const main = pick(views.filter((view) => view.group === undefined));
  return [...heldOut, ...main];
}

/** Examples every run can show (the fewest any run has; at least 1). */
export function playbackExamples(runs: readonly (RunState | undefined)[]): number {
  const counts = runs.map(
    (run) => run?.samples?.views.filter((view) => view.group === undefined).length ?? 0,
  );
  const shown = counts.filter((n) => n > 0);
  return shown.length > 0 ? Math.min(...shown) : 1;
}

/** Frames on the shared time axis: the longest any run's panels reach. */
export function playbackLength(runs: readonly (RunState | undefined)[]): number {
  let length = 0;
  for (const run of runs) {
    for (const view of run?.samples?.views ?? []) {
      if (view.group !== undefined && view.group !== HELD_OUT_GROUP) continue;
      for (const panel of view.panels) length = Math.max(length, panel.timeOffset + panel.t);
    }
  }
  return length;
}
