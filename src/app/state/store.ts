/**
 * The app's one zustand store. The run manager writes worker events into it; components read it.
 * Metric histories live outside the store (MetricHistory); `metricsVersion` tells charts to redraw.
 */
import { create } from 'zustand';
import type { EvalResult, FramePanel, Hyperparameters, SampleView } from '../../core/models/types';
import type {
  BackendName,
  BackendReport,
  FeatureViewsReport,
  RunError,
  RunSpec,
  RunStats,
  RunStatus,
  StressReport,
} from '../../protocol/messages';
import type { StoredCheckpoint } from '../checkpoints/browser-store';
import type { ProbeReport } from '../../protocol/probe';

export interface RunProgress {
  phase: string;
  fraction: number;
  message: string;
  /** The worker can abort this work (`RunManager.cancel`). */
  cancellable?: boolean;
}

export interface RunState {
  id: string;
  spec: RunSpec;
  label: string;
  status: RunStatus;
  step: number;
  backend: BackendReport | null;
  parameterCount: number | null;
  config: Record<string, unknown> | null;
  hyperparameters: Hyperparameters;
  error: RunError | null;
  warnings: string[];
  progress: RunProgress | null;
  stats: RunStats | null;
  evaluation: { step: number; result: EvalResult } | null;
  /** Whether stress tests apply (a future predictor on Moving MNIST), and the last ones. */
  stressTestable: boolean;
  stressTest: { step: number; report: StressReport } | null;
  samples: { step: number; views: SampleView[] } | null;
  /** First frames of the first held-out sequences (the example picker) and how many there are. */
  heldOut: { count: number; stills: FramePanel } | null;
  /** Held-out sequences the samples show, the first one as the main example. */
  exampleIndices: number[];
  metricsVersion: number;
  /** Set when the run was restored from a checkpoint: where from, and at which step. */
  restoredFrom?: { source: string; step: number };
  /** Probes of the run's features, oldest first (the run view charts the latest of each kind). */
  probes: ProbeReport[];
  /** The last feature views asked for (the model's weights as pictures, for a held-out clip). */
  featureViews: FeatureViewsReport | null;
}

export interface PlaygroundState {
  runs: Record<string, RunState>;
  runOrder: string[];
  selectedRunId: string | null;
  backendOverride: BackendName | 'auto';
  /** Checkpoints kept in this browser (IndexedDB); null until first listed. */
  storedCheckpoints: StoredCheckpoint[] | null;
  addRun(run: RunState): void;
  updateRun(id: string, patch: Partial<RunState> | ((run: RunState) => Partial<RunState>)): void;
  removeRun(id: string): void;
  selectRun(id: string | null): void;
  setBackendOverride(backend: BackendName | 'auto'): void;
  setStoredCheckpoints(list: StoredCheckpoint[]): void;
  reset(): void;
}

const initial = {
  runs: {},
  runOrder: [],
  selectedRunId: null,
  backendOverride: 'auto' as const,
  storedCheckpoints: null,
};

export const usePlayground = create<PlaygroundState>()((set) => ({
  ...initial,
  addRun: (run) =>
    set((state) => ({
      runs: { ...state.runs, [run.id]: run },
      runOrder: [...state.runOrder, run.id],
      selectedRunId: run.id,
    })),
  updateRun: (id, patch) =>
    set((state) => {
      const run = state.runs[id];
      if (!run) return state;
      const changes = typeof patch === 'function' ? patch(run) : patch;
      return { runs: { ...state.runs, [id]: { ...run, ...changes } } };
    }),
  removeRun: (id) =>
    set((state) => {
      const { [id]: _removed, ...runs } = state.runs;
      const runOrder = state.runOrder.filter((other) => other !== id);
      const selectedRunId =
        state.selectedRunId === id ? (runOrder[runOrder.length - 1] ?? null) : state.selectedRunId;
      return { runs, runOrder, selectedRunId };
    }),
  selectRun: (selectedRunId) => set({ selectedRunId }),
  setBackendOverride: (backendOverride) => set({ backendOverride }),
  setStoredCheckpoints: (storedCheckpoints) => set({ storedCheckpoints }),
  reset: () => set(initial),
}));
