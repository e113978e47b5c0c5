/**
 * The dataset library's state: what each imported dataset is (metadata only; the frames live in
 * the DatasetRegistry, outside React), imports in progress, and failed imports to show.
 */
import { create } from 'zustand';
import type { CropMode } from '../../core/data/types';

export interface DatasetInfo {
  id: string;
  name: string;
  /** Video files, webcam clips recorded in the Data view, or a .npy array. */
  kind: 'video' | 'webcam' | 'npy';
  files: string[];
  /** Each file's class ('' = unlabelled), in the order of `files`. */
  labels: string[];
  /**
   * A .npy array's class per sequence, from the labels given on import; the array's own label
   * in `labels` is then '' until set, which labels every sequence alike.
   */
  sequenceLabels?: string[];
  width: number;
  height: number;
  channels: 1 | 3;
  frames: number;
  segments: number;
  /** Frames per second of the stored frames (null for .npy arrays). */
  fps: number | null;
  durationSeconds: number | null;
  crop: CropMode;
  bytes: number;
  /** Clip length the clip counts below were computed for. */
  clipLength: number;
  trainClips: number;
  heldOutClips: number;
  /** Video only: the file's codec, display size, rotation and frame-rate kind. */
  source?: {
    codec: string;
    displayWidth: number;
    displayHeight: number;
    rotation: number;
    sourceFps: number;
    variableFrameRate: boolean;
  };
}

export interface ImportJob {
  id: number;
  name: string;
  done: number;
  total: number;
  secondsLeft: number | null;
  message: string;
}

export interface ImportFailure {
  id: number;
  message: string;
}

interface DatasetsState {
  datasets: Record<string, DatasetInfo>;
  order: string[];
  jobs: ImportJob[];
  failures: ImportFailure[];
  putDataset(info: DatasetInfo): void;
  removeDataset(id: string): void;
  putJob(job: ImportJob): void;
  endJob(id: number): void;
  addFailure(failure: ImportFailure): void;
  dismissFailure(id: number): void;
  reset(): void;
}

const initial = { datasets: {}, order: [], jobs: [], failures: [] };

export const useDatasets = create<DatasetsState>()((set) => ({
  ...initial,
  putDataset: (info) =>
    set((state) => ({
      datasets: { ...state.datasets, [info.id]: info },
      order: state.order.includes(info.id) ? state.order : [...state.order, info.id],
    })),
  removeDataset: (id) =>
    set((state) => {
      const { [id]: _removed, ...datasets } = state.datasets;
      return { datasets, order: state.order.filter((other) => other !== id) };
    }),
  putJob: (job) =>
    set((state) => ({
      jobs: state.jobs.some((j) => j.id === job.id)
        ? state.jobs.map((j) => (j.id === job.id ? job : j))
        : [...state.jobs, job],
    })),
  endJob: (id) => set((state) => ({ jobs: state.jobs.filter((job) => job.id !== id) })),
  addFailure: (failure) => set((state) => ({ failures: [...state.failures, failure] })),
  dismissFailure: (id) =>
    set((state) => ({ failures: state.failures.filter((failure) => failure.id !== id) })),
  reset: () => set(initial),
}));

/**
 * How many of a dataset's files (webcam clips, or a .npy array's sequences) have each label, in
 * the order labels first appear ('' = unlabelled).
 */
export function labelCounts(info: DatasetInfo): {
  unit: 'file' | 'clip' | 'sequence';
  counts: Map<string, number>;
} {
  const counts = new Map<string, number>();
  const add = (label: string, n = 1) => counts.set(label, (counts.get(label) ?? 0) + n);
  if (info.kind !== 'npy') {
    for (const label of info.labels) add(label);
    return { unit: info.kind === 'webcam' ? 'clip' : 'file', counts };
  }
  if (info.sequenceLabels) for (const label of info.sequenceLabels) add(label);
  else add(info.labels[0] ?? '', info.segments);
  return { unit: 'sequence', counts };
}
