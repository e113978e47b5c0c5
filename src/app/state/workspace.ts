/**
 * Workspace state beside the runs: which view the main area shows, which runs the compare view
 * holds, the shared playback clock of the compare and presentation views, and what happened to a
 * link's experiment. A store of its own (zustand), so run state and view state change separately.
 */
import { create } from 'zustand';
import type { Experiment, ViewName } from '../../protocol/experiment';
import { browserStorage, readSmoothing, writeSmoothing } from './preferences';

export type XMode = 'step' | 'time';

export interface Playback {
  /** Frame on the shared time axis that every run's frame view shows. */
  frame: number;
  playing: boolean;
  /** Held-out example shown (index into each run's sample views). */
  example: number;
}

export interface LinkState {
  /** Why the link's experiment was refused (nothing was created). */
  error: string | null;
  /** Valid but large experiment waiting for the user's go-ahead. */
  pending: Experiment | null;
  /** Notes about the link that did not stop it (unknown view parameters). */
  notes: string[];
}

export interface WorkspaceState {
  view: ViewName;
  controlsHidden: boolean;
  /** Runs in the comparison; null = every run. */
  compareSelection: string[] | null;
  xMode: XMode;
  logScale: boolean;
  /** EMA weight of every training curve (0 = raw), one setting for every chart. */
  smoothing: number;
  playback: Playback;
  link: LinkState;
  setView(view: ViewName): void;
  setControlsHidden(hidden: boolean): void;
  setCompareSelection(ids: string[] | null): void;
  setChartOptions(options: Partial<{ xMode: XMode; logScale: boolean }>): void;
  setSmoothing(weight: number): void;
  setPlayback(patch: Partial<Playback>): void;
  setLink(patch: Partial<LinkState>): void;
  reset(): void;
}

/** TensorBoard's default: noisy GAN and per-batch curves readable at a glance, the raw curve behind. */
export const DEFAULT_SMOOTHING = 0.6;
/** Above this an EMA lags the curve by hundreds of steps. */
export const MAX_SMOOTHING = 0.99;

const initial = {
  view: 'run' as ViewName,
  controlsHidden: false,
  compareSelection: null,
  xMode: 'step' as XMode,
  logScale: false,
  /** The last value set in this browser (kept across reloads), else the default. */
  smoothing: readSmoothing(browserStorage(), DEFAULT_SMOOTHING, MAX_SMOOTHING),
  playback: { frame: 0, playing: false, example: 0 },
  link: { error: null, pending: null, notes: [] },
};

export const useWorkspace = create<WorkspaceState>()((set) => ({
  ...initial,
  setView: (view) => set({ view }),
  setControlsHidden: (controlsHidden) => set({ controlsHidden }),
  setCompareSelection: (compareSelection) => set({ compareSelection }),
  setChartOptions: (options) => set(options),
  setSmoothing: (weight) => {
    const smoothing = Math.min(MAX_SMOOTHING, Math.max(0, weight));
    writeSmoothing(browserStorage(), smoothing);
    set({ smoothing });
  },
  setPlayback: (patch) => set((state) => ({ playback: { ...state.playback, ...patch } })),
  setLink: (patch) => set((state) => ({ link: { ...state.link, ...patch } })),
  reset: () => set(initial),
}));

/** The compared runs, in run order: the selection without runs that no longer exist. */
export function comparedIds(runOrder: readonly string[], selection: string[] | null): string[] {
  return selection === null ? [...runOrder] : runOrder.filter((id) => selection.includes(id));
}
