/**
 * The one interface every paper model implements, so the trainer, the worker runtime and the UI
 * never special-case a model. Models own their loss, their optimiser(s) and their evaluation.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../data/batch-source';

/** Pixel range a model trains on. Data sources convert uint8 frames into it. */
export type ValueRange = 'unit' | 'symmetric'; // unit = [0, 1], symmetric = [-1, 1]

/** What a model needs from the data stream; the runtime configures the data source from it. */
export interface DataRequirements {
  frames: number; // T: frames per training sequence
  height: number;
  width: number;
  channels: 1 | 3;
  range: ValueRange;
  batchSize: number;
}

/** One row of a frame view: `frames` is [T, H, W, C] float32 in [0, 1], ready to draw. */
export interface FramePanel {
  label: string;
  frames: Float32Array;
  t: number;
  height: number;
  width: number;
  channels: 1 | 3;
  /** Index of this row's first frame on the shared time axis (e.g. 10 for the future frames). */
  timeOffset: number;
}

/** A line chart sent with samples, e.g. quantization PSNR against dictionary size. */
export interface SampleChart {
  title: string;
  xLabel: string;
  yLabel: string;
  /** 'log' for an x axis spanning orders of magnitude (default 'linear'). */
  xScale?: 'linear' | 'log';
  series: { label: string; points: [number, number][] }[];
}

/** Rows for one example, e.g. input / reconstruction / ground truth / prediction. */
export interface SampleView {
  panels: FramePanel[];
  /**
   * Views with the same group are shown together in their own card (e.g. 'fixed-noise',
   * 'interpolation'); absent = the model's main samples, one held-out example per view.
   */
  group?: string;
  /** Title of the view's card (the first view of a group that has one names the card). */
  title?: string;
  /** What the card shows, in a sentence or two. */
  caption?: string;
  /** Charts shown in the view's card below its frames. */
  charts?: SampleChart[];
}

/** Held-out evaluation: scalar summaries plus curves over the predicted-frame index. */
export interface EvalResult {
  /** e.g. `future/mse`, `future/ssim`, `baseline/future/mse` — averaged over frames. */
  scalars: Record<string, number>;
  /** Same names as `scalars`, one value per frame index. */
  perFrame: Record<string, number[]>;
  /**
   * Frame of the clip (1-based) that a `perFrame` curve's first value describes, e.g. 3 for
   * frames predicted after 2 given ones; absent = 1.
   */
  firstFrame?: Record<string, number>;
}

/** Hyperparameters that can change while a run trains (learning rate and the like). */
export type Hyperparameters = Record<string, number>;

/** One tensor of model state as plain data, row-major (what a checkpoint stores). */
export interface StateTensor {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/** A model's complete training state: named tensors plus JSON-serialisable metadata. */
export interface ModelState {
  tensors: Record<string, StateTensor>;
  meta: Record<string, unknown>;
}

/** Progress of a model's preparation, forwarded to the UI as `progress` events. */
export interface PrepareProgress {
  phase: string;
  fraction: number;
  message: string;
}

/** A model's prediction of the frames after the ones it is given. */
export interface FuturePredictor {
  givenFrames: number; // frames the model reads
  trainedFrames: number; // frames it was trained to predict after them
  /**
   * The `frames` frames after the first `givenFrames` of videos [N, ≥givenFrames, H, W, C] (the
   * model's range), as [N, frames, H, W, 1] in [0, 1]; `frames` may exceed `trainedFrames`. No
   * weight changes; the caller disposes the result.
   */
  predict(videos: tf.Tensor5D, frames: number): tf.Tensor5D;
}

export interface VideoModel {
  /** The model's kind in the registry (registry.ts). */
  readonly kind: string;
  readonly data: DataRequirements;
  /**
   * Whether `sample` derives its main views from the held-out videos it is given (an encoder's
   * input, a still to animate), so that choosing which held-out sequences to sample means
   * something; false for a generator sampling from noise alone.
   */
  readonly samplesUseHeldOut: boolean;
  /**
   * Optional work between building the model and warming it up, on batches from the training
   * stream (e.g. fitting a patch dictionary). Reports progress; throws the signal's reason when
   * aborted, leaving no tensor behind.
   */
  prepare?(
    source: BatchSource,
    onProgress: (progress: PrepareProgress) => void,
    signal: AbortSignal,
  ): Promise<void>;
  /**
   * One optimisation step on `videos` ([B, T, H, W, C] in the model's range). Returns scalar
   * tensors (caller reads and disposes them). Every model reports its total objective as `loss`,
   * except the GAN, which reports `d_loss` and `g_loss`.
   */
  trainStep(videos: tf.Tensor5D): Record<string, tf.Scalar>;
  /**
   * Runs the kernels of a training step once (forward and backward) without changing any weight
   * or optimiser state, so shader compilation happens before the run reports ready.
   */
  warmUp(videos: tf.Tensor5D): Promise<void>;
  /** Metrics on held-out sequences [N, T, H, W, C]; must not change any weight. */
  evaluate(videos: tf.Tensor5D): Promise<EvalResult>;
  /** Frames to show for the first examples of `videos` (no weight changes). */
  sample(videos: tf.Tensor5D, examples: number): Promise<SampleView[]>;
  getHyperparameters(): Hyperparameters;
  /** Validates names and values; throws an Error naming the bad key. */
  setHyperparameters(values: Hyperparameters): void;
  parameterCount(): number;
  /**
   * Checkpoints. `exportState()` returns everything that, together with the model's kind, config
   * and seed, decides what the model does from now on: weights, every optimiser slot and step
   * counter, the live hyperparameters, the state of every random stream it draws from (training
   * noise) and anything else that changes while it trains. Tensor names: a weight keeps its
   * parameter name (`encoder.0.w`, `g.fg.up1.w`: what PyTorch users load); optimiser slots are
   * `optimizer.<slot>.<parameter name>`; other tensors `state.<name>`; `data.` is reserved for the
   * data stream. The values are those at the moment of the call (it snapshots synchronously,
   * before its first await), so training may go on while they are read back.
   *
   * `importState(state)` puts such a state into a model of the same kind and config (any seed).
   * It checks every tensor name, dtype and shape and every meta field first and throws a
   * CheckpointError naming the first problem without changing anything; after it returns, the
   * model trains, samples and evaluates exactly as the exporting model would have.
   */
  exportState(): Promise<ModelState>;
  importState(state: ModelState): void;
  /**
   * The tensors training changes, as the model holds them now: every weight under its checkpoint
   * name, then the optimiser's slots (`optimizer.<slot>.<name>`, or `optimizer.moments.<name>` while
   * Adam's m and v are packed for its fused kernel). The trainer checks them for NaN and ±Inf every
   * few steps; reading them changes nothing.
   */
  stateVariables(): ReadonlyArray<readonly [string, tf.Variable]>;
  /**
   * What a probe reads (src/core/probe): features [N, S, F] of videos [N, T, H, W, C], S feature
   * vectors per clip (e.g. one per time step; a probe averages its predictions over them). No
   * weight changes; the caller disposes the result. Absent for models that cannot be probed yet.
   */
  features?(videos: tf.Tensor5D): tf.Tensor3D;
  /**
   * Free-running prediction past given frames, for stress tests (src/core/train/stress-test.ts):
   * absent for models that do not predict frames from given ones.
   */
  readonly futurePredictor?: FuturePredictor;
  /**
   * Feature views: the model's weights as pictures and the units that respond most to `clip`
   * [1, T, H, W, C] (the model's range), as views of group 'features'. No weight changes. Absent
   * for models without them.
   */
  featureViews?(clip: tf.Tensor5D): Promise<SampleView[]>;
  dispose(): void;
}
