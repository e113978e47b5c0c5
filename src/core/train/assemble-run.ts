/**
 * A training run put together from its resolved spec: model → data → preparation → warm-up →
 * trainer, and a checkpoint restored into it. The run worker, the CLI and the benchmarks build
 * their runs here, so the same spec and seeds give the same batches and steps in each of them.
 */
import * as tf from '@tensorflow/tfjs';
import type { CheckpointRun, RunCheckpoint } from '../checkpoint/run-checkpoint';
import type { BatchSource } from '../data/batch-source';
import type { MnistDigits } from '../data/mnist';
import { buildRunData } from '../data/run-data';
import type { DatasetPayload } from '../data/types';
import type { ResolvedModel } from '../models/kit/definition';
import { modelDefinition } from '../models/registry';
import type { ModelKind } from '../models/registry';
import type { PrepareProgress, VideoModel } from '../models/types';
import { planRestore } from './checkpointing';
import { TrainingHistory } from './history';
import { prepareModel } from './prepare';
import { Trainer } from './trainer';
import type { GpuWork } from './trainer';

/** What a run's data is built from: the MNIST digits (Moving MNIST) or an imported dataset. */
export interface RunInputs {
  digits: MnistDigits | null;
  dataset?: DatasetPayload;
}

/** A run, built and ready to train (or restored to a checkpoint's step). */
export interface AssembledRun {
  /** What a checkpoint of the run records; a restore replaces it with the checkpoint's. */
  run: CheckpointRun;
  resolved: ResolvedModel<ModelKind>;
  /** A fresh model of the run's config from a seed (probes and backend moves build copies). */
  build: (seed: number) => VideoModel;
  model: VideoModel;
  stream: BatchSource;
  /** The held-out sequences, [N, T, H, W, C]. */
  evalSet: tf.Tensor5D;
  trainer: Trainer;
  history: TrainingHistory;
}

export interface AssemblyOptions {
  /** Runs GPU work so that device errors throw (createGpuGuard). */
  gpu?: GpuWork;
  /** The trainer's clock (a worker passes its environment's). */
  now?: () => number;
  /** Reports the model's preparation (the rCNN's dictionary). */
  onPrepare?: (progress: PrepareProgress) => void;
  /** Aborts the preparation. */
  signal?: AbortSignal;
  /** Called before each stage that takes a while, e.g. to report it or time it. */
  onStage?: (stage: 'prepare' | 'warm-up') => void;
}

/** The run's model resolved from its full config, each key checked against the model's schema. */
export function resolveRun(run: CheckpointRun): ResolvedModel<ModelKind> {
  return modelDefinition(run.model).restore(run.variant, run.preset, run.config);
}

/**
 * Builds the run on the active tfjs backend: its model from the run's seed, its data stream and
 * held-out set, the model's preparation, then a warm-up that compiles the training kernels. On
 * the CPU backend, which compiles nothing, the warm-up batch is drawn and dropped instead, so a
 * spec trains on the same batches on every backend. Disposes what it built when a stage throws.
 */
export async function assembleRun(
  run: CheckpointRun,
  resolved: ResolvedModel<ModelKind>,
  inputs: RunInputs,
  options: AssemblyOptions = {},
): Promise<AssembledRun> {
  const gpu: GpuWork = options.gpu ?? { run: (work) => work() };
  const build = await resolved.builder();
  const model = build(run.seed);
  let evalSet: tf.Tensor5D | null = null;
  try {
    const data = buildRunData(
      run.data,
      inputs.digits,
      inputs.dataset,
      model.data,
      resolved.cadence.evalSequences,
    );
    evalSet = data.evalSet;
    const { stream } = data;
    if (model.prepare) {
      options.onStage?.('prepare');
      const signal = options.signal ?? new AbortController().signal;
      await gpu.run(() => prepareModel(model, stream, options.onPrepare ?? (() => {}), signal));
    }
    const warmBatch = stream.nextBatch();
    try {
      if (tf.getBackend() !== 'cpu') {
        options.onStage?.('warm-up');
        await gpu.run(() => model.warmUp(warmBatch));
      }
    } finally {
      warmBatch.dispose();
    }
    const trainer = new Trainer(model, stream, options.gpu, options.now);
    return {
      run,
      resolved,
      build,
      model,
      stream,
      evalSet,
      trainer,
      history: new TrainingHistory(),
    };
  } catch (error) {
    evalSet?.dispose();
    model.dispose();
    throw error;
  }
}

/** A checked restore of a checkpoint into a run; `apply` makes it (see planRunRestore). */
export interface RunRestore {
  step: number;
  run: CheckpointRun;
  /** Loads the weights and swaps in the checkpoint's stream, held-out set, step and curves. */
  apply(): void;
  /** Drops what the plan built, for a restore that is not applied. */
  discard(): void;
}

/**
 * Checks that `checkpoint` fits `target` (model kind and config: planRestore) and builds the
 * checkpoint's data stream, positioned, and held-out set from `inputs`. Changes nothing until
 * `apply()`, which has no await in it: a worker applies it between two training steps.
 * `apply` throws (and changes nothing) when the checkpoint's tensors do not fit the model.
 */
export function planRunRestore(
  target: AssembledRun,
  checkpoint: RunCheckpoint,
  inputs: RunInputs,
  options: Pick<AssemblyOptions, 'gpu' | 'now'> = {},
): RunRestore {
  const built: tf.Tensor5D[] = [];
  const discard = () => tf.dispose(built.splice(0));
  let plan;
  try {
    plan = planRestore(target, checkpoint, (data) => {
      const restored = buildRunData(
        data,
        inputs.digits,
        inputs.dataset,
        target.model.data,
        target.resolved.cadence.evalSequences,
      );
      built.push(restored.evalSet);
      return restored.stream;
    });
  } catch (error) {
    discard();
    throw error;
  }
  const { stream, step, history, run } = plan;
  return {
    step,
    run,
    discard,
    apply: () => {
      try {
        target.model.importState(checkpoint.model);
      } catch (error) {
        discard();
        throw error;
      }
      target.evalSet.dispose();
      target.evalSet = built[0];
      target.stream = stream;
      target.trainer = new Trainer(target.model, stream, options.gpu, options.now);
      target.trainer.step = step;
      target.run = run;
      target.history = new TrainingHistory(history);
    },
  };
}
