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
  const now = options.now ?? (() => performance.now());
  const gpu = options.gpu ?? { run: <T>(work: () => Promise<T>) => work() };
  const trials: BackendTrial[] = [];
  let best = Infinity;
  for (const [index, backend] of options.candidates.entries()) {
    options.signal?.throwIfAborted();
    options.onProgress?.(
      index / options.candidates.length,
      `Timing training steps on ${backend} (${index + 1} of ${options.candidates.length} backends)`,
    );
    const unavailable = await options.activate(backend);
    if (unavailable !== null) {
      trials.push({ backend, msPerStep: null, steps: 0, note: unavailable });
      continue;
    }
    let model: VideoModel | null = null;
    const batch = tf.tensor(options.batch.data, options.batch.shape) as tf.Tensor5D;
    const times: number[] = [];
    let note: string | undefined;
    try {
      model = options.makeModel();
      model.importState(options.state);
      const trained = model;
      const step = () =>
        gpu.run(async () => {
          const scalars = trained.trainStep(batch);
          try {
            const values = await readScalars(scalars);
            if (Object.values(values).some((v) => !Number.isFinite(v))) {
              throw new Error('a loss came back NaN or infinite');
            }
          } finally {
            tf.dispose(Object.values(scalars));
          }
        });
      await step(); // compiles the kernels: not timed
      const started = now();
      while (times.length < options.steps && !options.signal?.aborted) {
        const stepStart = now();
        await step();
        times.push(now() - stepStart);
        if (times.length === 1 && times[0] > HOPELESS_FACTOR * best) {
          note = `stopped after one step: over ${HOPELESS_FACTOR}× the fastest`;
          break;
        }
        if (now() - started > options.maxSecondsPerBackend * 1000) {
          if (times.length < options.steps) note = `${options.maxSecondsPerBackend} s budget`;
          break;
        }
      }
    } catch (error) {
      trials.push({ backend, msPerStep: null, steps: times.length, note: message(error) });
      continue;
    } finally {
      batch.dispose();
      model?.dispose();
    }
    const msPerStep = summarize(times).median;
    best = Math.min(best, msPerStep);
    trials.push({ backend, msPerStep, steps: times.length, ...(note ? { note } : {}) });
  }
  options.signal?.throwIfAborted();
  options.onProgress?.(1, 'Backends timed');
  return trials;
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
