/**
 * The backend trial: when WebGPU is only a software adapter (SwiftShader, llvmpipe), WebGL or even
 * the CPU backend can train a given model faster, so a run with no backend forced times a few
 * training steps of its own model on every backend that starts and trains on the fastest.
 *
 * Each backend trains a copy of the run's model (its exported state, so a prepared model such as
 * the rCNN with its dictionary is measured as it will train) on one fixed batch; the copies are
 * disposed, and the run's own model, optimiser state and data stream are left untouched.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName, BackendTrial } from '../gpu/backend-types';
import type { ModelState, VideoModel } from '../models/types';
import { readScalars } from './trainer';
import type { GpuWork } from './trainer';
import { summarize } from './stats';

export type { BackendChoice, BackendTrial } from '../gpu/backend-types';

export interface TrialBatch {
  data: Float32Array;
  shape: [number, number, number, number, number]; // [B, T, H, W, C]
}

export interface BackendTrialOptions {
  candidates: readonly BackendName[];
  /** Makes `backend` the active tfjs backend; resolves to why it cannot be, or null. */
  activate(backend: BackendName): Promise<string | null>;
  /** A fresh model of the run's kind, config and seed on the active backend. */
  makeModel(): VideoModel;
  /** The run's model state, put into every copy. */
  state: ModelState;
  batch: TrialBatch;
  /** Timed steps per backend (fewer if `maxSecondsPerBackend` runs out first). */
  steps: number;
  maxSecondsPerBackend: number;
  /** Guards GPU work (device errors become failures of that backend, not wrong timings). */
  gpu?: GpuWork;
  onProgress?(fraction: number, message: string): void;
  now?(): number;
  /** Aborts between steps and backends (rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** A backend whose first timed step is this many times slower than the best so far stops there. */
const HOPELESS_FACTOR = 3;

const message = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** Times `candidates` one after another; leaves the last one tried active. */
export async function measureBackends(options: BackendTrialOptions): Promise<BackendTrial[]> {
  const trial = new BackendTrialInSlices(options);
  try {
    while (!trial.done) {
      options.signal?.throwIfAborted();
      await trial.next();
    }
  } finally {
    trial.dispose();
  }
  options.signal?.throwIfAborted();
  return trial.trials;
}

/**
 * The backend trial cut into slices that a run takes between its own training steps, so that it
 * keeps training while the backends are timed: each `next()` starts a candidate (its copy of the
 * model and the untimed step that compiles its kernels) or times one step of it, and then calls
 * `restore` (the run's own backend active again). The timings are those of measureBackends: only
 * the timed steps count towards `maxSecondsPerBackend`, not the training between them.
 */
export class BackendTrialInSlices {
  readonly trials: BackendTrial[] = [];
  private index = 0;
  private model: VideoModel | null = null;
  private batch: tf.Tensor5D | null = null;
  private times: number[] = [];
  private best = Infinity;
  private readonly now: () => number;
  private readonly gpu: GpuWork;

  constructor(private readonly options: BackendTrialOptions & { restore?(): Promise<void> }) {
    this.now = options.now ?? (() => performance.now());
    this.gpu = options.gpu ?? { run: <T>(work: () => Promise<T>) => work() };
  }

  /** Every candidate has been timed (or noted as unable to train). */
  get done(): boolean {
    return this.index >= this.options.candidates.length;
  }

  /** One slice of the trial; the candidate's backend is active only during it. */
  async next(): Promise<void> {
    if (this.done) return;
    const { candidates, onProgress } = this.options;
    const backend = candidates[this.index];
    try {
      if (this.model === null) {
        onProgress?.(
          this.index / candidates.length,
          `Timing training steps on ${backend} (${this.index + 1} of ${candidates.length} backends)`,
        );
        const unavailable = await this.options.activate(backend);
        if (unavailable !== null) {
          this.finish({ backend, msPerStep: null, steps: 0, note: unavailable });
          return;
        }
        this.batch = tf.tensor(this.options.batch.data, this.options.batch.shape) as tf.Tensor5D;
        this.model = this.options.makeModel();
        this.model.importState(this.options.state);
        await this.step(); // compiles the kernels: not timed
        return;
      }
      const unavailable = await this.options.activate(backend);
      if (unavailable !== null) throw new Error(unavailable);
      const stepStart = this.now();
      await this.step();
      const times = this.times;
      times.push(this.now() - stepStart);
      const spent = times.reduce((sum, ms) => sum + ms, 0);
      let note: string | undefined;
      if (times.length === 1 && times[0] > HOPELESS_FACTOR * this.best) {
        note = `stopped after one step: over ${HOPELESS_FACTOR}× the fastest`;
      } else if (spent > this.options.maxSecondsPerBackend * 1000) {
        if (times.length < this.options.steps)
          note = `${this.options.maxSecondsPerBackend} s budget`;
      } else if (times.length < this.options.steps) {
        return;
      }
      const msPerStep = summarize(times).median;
      this.best = Math.min(this.best, msPerStep);
      this.finish({ backend, msPerStep, steps: times.length, ...(note ? { note } : {}) });
    } catch (error) {
      this.finish({ backend, msPerStep: null, steps: this.times.length, note: message(error) });
    } finally {
      await this.options.restore?.();
      if (this.done) onProgress?.(1, 'Backends timed');
    }
  }

  /** Frees the copy and batch of a candidate in progress (its tensors, on its own backend). */
  dispose(): void {
    this.batch?.dispose();
    this.model?.dispose();
    this.batch = null;
    this.model = null;
  }

  private step(): Promise<void> {
    const model = this.model!;
    const batch = this.batch!;
    return this.gpu.run(async () => {
      const scalars = model.trainStep(batch);
      try {
        const values = await readScalars(scalars);
        if (Object.values(values).some((v) => !Number.isFinite(v))) {
          throw new Error('a loss came back NaN or infinite');
        }
      } finally {
        tf.dispose(Object.values(scalars));
      }
    });
  }

  private finish(trial: BackendTrial): void {
    this.dispose();
    this.trials.push(trial);
    this.times = [];
    this.index += 1;
  }
}

/**
 * How much faster another backend must be before a run leaves the one it trains on: timings on a
 * loaded machine vary by ±15 %, and near-ties that stay put make the same spec on the same machine
 * keep choosing the same backend.
 */
export const SWITCH_MARGIN = 1.2;

/**
 * The backend with the lowest ms/step among those that trained; `fallback` when none did. With
 * `current` (the backend the run is on), another one wins only when it is at least SWITCH_MARGIN
 * times faster than `current`.
 */
export function fastestBackend(
  trials: readonly BackendTrial[],
  fallback: BackendName,
  current?: BackendName,
): BackendName {
  let picked: BackendTrial | null = null;
  for (const trial of trials) {
    if (trial.msPerStep === null) continue;
    if (picked === null || trial.msPerStep < (picked.msPerStep ?? Infinity)) picked = trial;
  }
  const stay = trials.find((trial) => trial.backend === current && trial.msPerStep !== null);
  const margin = (picked?.msPerStep ?? Infinity) * SWITCH_MARGIN;
  if (stay?.msPerStep != null && margin > stay.msPerStep) return stay.backend;
  return picked?.backend ?? fallback;
}
