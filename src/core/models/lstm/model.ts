/**
 * The LSTM encoder-decoder of
 *
 *   N. Srivastava, E. Mansimov, R. Salakhutdinov, "Unsupervised Learning of Video Representations
 *   using LSTMs", ICML 2015 — reference code: github.com/mansimov/unsupervised-videos
 *   (`lstm.py`, `lstm_combo.py`, `util.py`).
 *
 * An encoder LSTM reads the input frames (flattened to frameSize² pixels). Decoder LSTMs start
 * from its final state (every layer's h and c): the reconstruction decoder emits the input frames
 * in reverse order, the future decoder the frames that follow. A decoder's first step gets no
 * input; a conditional decoder then gets the previous frame — the ground truth while training
 * (teacher forcing, as the reference code does) and its own previous output when evaluated
 * free-running; an unconditioned decoder has no input weights at all.
 *
 * The cell has peepholes (Gers et al.): i = σ(W_i[x,h] + p_i⊙c + b_i), f = σ(W_f[x,h] + p_f⊙c + b_f),
 * c' = f⊙c + i⊙tanh(W_a[x,h] + b_a), o = σ(W_o[x,h] + p_o⊙c' + b_o), h' = o⊙tanh(c').
 * Gates come from one fused [x, h]·W matmul per step; gate order i, f, a, o as in the reference.
 *
 * Layout: like the equations (and the reference's weight shapes, w_dense [4U, U], w_input [4U, I],
 * w_output [P, U]), vectors are columns and a batch is a matrix with one column per sequence:
 * states are [U, B], a frame is [P, B], a sequence [T, P, B]. Every per-step slice (a frame, a
 * gate) is then a contiguous block, which the tfjs CPU backend needs to be fast; the public
 * methods take and return batch-major [B, T, …] tensors.
 *
 * Shapes: B batch, T frames, P = frameSize² pixels, U hidden units, I layer inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../config-schema';
import { describeValue } from '../../quote';
import type {
  DataRequirements,
  EvalResult,
  FuturePredictor,
  ModelState,
  SampleView,
  VideoModel,
} from '../types';
import { CheckpointError } from '../../checkpoint/errors';
import { metaRecord } from '../state';
import { lstmSequenceKernelReady } from '../../gpu/kernels/lstm-sequence';
import { fusedLossesReady } from '../../gpu/kernels/losses';
import { sequenceLossTerms } from './sequence-path';
import { LSTM_SCHEMA, lstmDataRequirements } from './config';
import type { LstmConfig } from './config';
import { LiveSettings } from '../kit/live-settings';
import { Optimiser } from '../kit/optimiser';
import { TrainableModel } from '../kit/trainable';
import { Decoder, LstmStack, activate, elementLoss } from './network';
import { lstmFeatureViews } from './features';
import type { DecoderInput } from './network';
import { evaluateLstm, lstmRollout, lstmSampleViews } from './evaluation';
import type { LstmFrames } from './evaluation';

// --- the model -------------------------------------------------------------------------------------

/** The hyperparameters `setHyperparameters` accepts, validated against the config schema. */
type LiveHyperparameter = 'learningRate' | 'momentum' | 'updateClip' | 'weightDecay';

/** Decoder outputs in decoder order: reconstruction frames come out reversed (last input first). */
export interface LstmPredictions {
  reconstruction?: tf.Tensor3D; // [B, inputFrames, P]: frame inputFrames − 1 first
  future?: tf.Tensor3D; // [B, futureFrames, P]
}

/** Per-frame training losses (summed over pixels, averaged over batch and frames). */
export interface LstmLossTerms {
  loss: tf.Scalar; // recon_loss + future_loss
  recon_loss?: tf.Scalar;
  future_loss?: tf.Scalar;
  objective: tf.Scalar; // what the optimiser differentiates (see config.lossReduction)
}

export class LstmEncoderDecoder extends TrainableModel<LiveHyperparameter> implements VideoModel {
  readonly kind = 'lstm' as const;
  readonly data: DataRequirements;
  readonly samplesUseHeldOut = true; // the encoder reads the held-out input frames
  /** Future predictors only: free-running prediction for stress tests. */
  readonly futurePredictor?: FuturePredictor;
  private readonly pixels: number;
  private readonly encoder: LstmStack;
  private readonly reconstruction: Decoder | null;
  private readonly future: Decoder | null;
  private readonly optimiser: Optimiser;
  protected readonly optimisers: readonly Optimiser[];
  protected readonly settings: LiveSettings<LiveHyperparameter>;
  readonly conditional: { reconstruction: boolean; future: boolean };

  constructor(
    readonly config: LstmConfig,
    seed: number,
  ) {
    if (!config.reconstruct && !config.predictFuture) {
      throw new ConfigError('variant', 'A model needs a reconstruction or a future decoder');
    }
    super(seed, 'LSTM');
    this.pixels = config.frameSize * config.frameSize;
    this.data = lstmDataRequirements(config);
    this.conditional = {
      reconstruction: config.reconstruct && config.conditionalReconstruction,
      future: config.predictFuture && config.conditionalFuture,
    };
    const store = this.store;
    this.encoder = new LstmStack(store, 'encoder', this.pixels, config);
    this.reconstruction = config.reconstruct
      ? new Decoder(store, 'recon', config.conditionalReconstruction, this.pixels, config)
      : null;
    this.future = config.predictFuture
      ? new Decoder(store, 'future', config.conditionalFuture, this.pixels, config)
      : null;
    if (this.future) {
      this.futurePredictor = {
        givenFrames: config.inputFrames,
        trainedFrames: config.futureFrames,
        predict: (videos, frames) => lstmRollout(this, videos, frames),
      };
    }
    this.optimiser = new Optimiser(store.params, {
      method: config.optimizer === 'adam' ? 'adam' : 'sgd',
      form: 'kingma',
      maskNonFinite: true,
    });
    this.optimisers = [this.optimiser];
    this.settings = new LiveSettings(LSTM_SCHEMA, {
      learningRate: config.learningRate,
      momentum: config.momentum,
      updateClip: config.updateClip,
      weightDecay: config.weightDecay,
    });
  }

  // --- forward ---

  /** Checks videos [N, T, H, W, 1] and flattens them to [N, frames, P] (no rank-5 op runs). */
  private flatten(videos: tf.Tensor5D, what: string): tf.Tensor3D {
    const [n, t, height, width, channels] = videos.shape;
    const { frames, height: h, width: w } = this.data;
    if (height !== h || width !== w || channels !== 1 || t < frames) {
      throw new Error(
        `${what}: videos must be [N, ≥${frames}, ${h}, ${w}, 1] (got [${videos.shape.join(', ')}])`,
      );
    }
    const flat = videos.reshape([n, t, this.pixels]) as tf.Tensor3D; // [N, T, P]
    return t === frames ? flat : (flat.slice([0, 0, 0], [n, frames, this.pixels]) as tf.Tensor3D);
  }

  /** Batch-major frames [B, T, P] → one column matrix per frame, T × [P, B]. */
  private toColumns(frames: tf.Tensor3D): tf.Tensor2D[] {
    return tf.unstack(tf.transpose(frames, [1, 2, 0]), 0) as tf.Tensor2D[]; // T × [P, B]
  }

  /** Targets in decoder order: the input frames reversed, and the future frames. */
  private targets(steps: tf.Tensor2D[]): { reconstruction: tf.Tensor3D; future?: tf.Tensor3D } {
    const { inputFrames, futureFrames } = this.config;
    const input = steps.slice(0, inputFrames);
    const future = steps.slice(inputFrames, inputFrames + futureFrames);
    return {
      reconstruction: tf.stack(input.reverse(), 0) as tf.Tensor3D, // [Tin, P, B]
      ...(this.future ? { future: tf.stack(future, 0) as tf.Tensor3D } : {}), // [Tf, P, B]
    };
  }

  /**
   * Runs the encoder and the decoders on the frames T × [P, B]; returns logits in decoder order.
   * `teacherForced`: conditional decoders see the previous ground-truth frame (training) rather
   * than their own previous output (free-running evaluation). `rollout`: only the future decoder,
   * free-running for that many frames (any number: stress tests go past the trained horizon).
   */
  private forward(
    steps: tf.Tensor2D[],
    teacherForced: boolean,
    rollout?: number,
  ): { reconstruction?: tf.Tensor3D; future?: tf.Tensor3D } {
    const b = steps[0].shape[1];
    const { inputFrames, output } = this.config;
    const futureFrames = rollout ?? this.config.futureFrames;

    const encode = this.encoder.step();
    let state = this.encoder.zeroState(b);
    for (let t = 0; t < inputFrames; t++) state = encode(steps[t], state);

    const noFrame = tf.zeros([this.pixels, b]) as tf.Tensor2D; // [P, B]: a decoder's first input
    const inputs = (decoder: Decoder, truth: (k: number) => tf.Tensor2D): DecoderInput => {
      if (!decoder.conditional) return () => null;
      return (t, previousLogits) => {
        if (t === 0 || previousLogits === null) return noFrame;
        return teacherForced ? truth(t - 1) : activate(output, previousLogits);
      };
    };

    const result: { reconstruction?: tf.Tensor3D; future?: tf.Tensor3D } = {};
    if (this.reconstruction && rollout === undefined) {
      const truth = (k: number) => steps[inputFrames - 1 - k]; // decoder step k targets frame Tin−1−k
      const decoderInputs = inputs(this.reconstruction, truth);
      result.reconstruction = this.reconstruction.run(state, inputFrames, decoderInputs); // [Tin, P, B]
    }
    if (this.future) {
      const truth = (k: number) => steps[inputFrames + k]; // decoder step k targets frame Tin+k
      result.future = this.future.run(state, futureFrames, inputs(this.future, truth)); // [Tf, P, B]
    }
    return result;
  }

  /** Decoder outputs as images (σ, or the linear outputs), batch-major: [T, P, B] → [B, T, P]. */
  private images(logits: tf.Tensor3D, clip: boolean): tf.Tensor3D {
    const values = this.config.output === 'sigmoid-bce' ? tf.sigmoid(logits) : logits;
    const batchMajor = tf.transpose(values, [2, 0, 1]) as tf.Tensor3D; // [B, T, P]
    return clip ? tf.clipByValue(batchMajor, 0, 1) : batchMajor;
  }

  /**
   * Decoder outputs (σ(logits), or the linear outputs) for videos [B, T, H, W, 1], in decoder
   * order: `reconstruction` starts with the last input frame. The caller disposes them.
   */
  predict(videos: tf.Tensor5D, teacherForced = false): LstmPredictions {
    return tf.tidy(() => {
      const logits = this.forward(this.toColumns(this.flatten(videos, 'predict')), teacherForced);
      const result: LstmPredictions = {};
      if (logits.reconstruction) result.reconstruction = this.images(logits.reconstruction, false);
      if (logits.future) result.future = this.images(logits.future, false);
      return result as Record<string, tf.Tensor3D>;
    });
  }

  /**
   * The encoder's state after each input frame, for probes: every layer's h, concatenated,
   * [N, Tin, layers·U] (Srivastava et al. classify from the encoder, averaging over time).
   */
  features(videos: tf.Tensor5D): tf.Tensor3D {
    return tf.tidy(() => {
      const steps = this.toColumns(this.flatten(videos, 'features')); // T × [P, N]
      const encode = this.encoder.step();
      let state = this.encoder.zeroState(steps[0].shape[1]);
      const perStep: tf.Tensor2D[] = [];
      for (let t = 0; t < this.config.inputFrames; t++) {
        state = encode(steps[t], state);
        perStep.push(tf.concat(state.h, 0) as tf.Tensor2D); // [layers·U, N]
      }
      return tf.transpose(tf.stack(perStep, 0), [2, 0, 1]) as tf.Tensor3D; // [N, Tin, layers·U]
    });
  }

  /** Training losses (teacher-forced) of a batch [B, T, H, W, 1]; the caller disposes them. */
  lossTerms(videos: tf.Tensor5D): LstmLossTerms {
    return tf.tidy(() => {
      const frames = this.flatten(videos, 'lossTerms'); // [B, T, P]
      if (lstmSequenceKernelReady() && fusedLossesReady()) {
        // Optimisations webgpu-lstm-sequence and webgpu-fused-losses: whole-sequence layers.
        const { encoder, reconstruction, future, config } = this;
        return sequenceLossTerms(frames, config, encoder.layers, reconstruction, future);
      }
      const steps = this.toColumns(frames); // T × [P, B]
      const b = steps[0].shape[1];
      const logits = this.forward(steps, true);
      const targets = this.targets(steps);
      const terms: Record<string, tf.Scalar> = {};
      let perFrame = tf.scalar(0);
      let summed = tf.scalar(0);
      const add = (name: string, l: tf.Tensor3D, target: tf.Tensor3D) => {
        const total = elementLoss(this.config.output, l, target).sum() as tf.Scalar; // Σ over T, P, B
        const frameLoss = total.div(b * l.shape[0]) as tf.Scalar; // per frame, paper convention
        terms[name] = frameLoss;
        perFrame = perFrame.add(frameLoss);
        summed = summed.add(total);
      };
      if (logits.reconstruction) add('recon_loss', logits.reconstruction, targets.reconstruction);
      if (logits.future && targets.future) add('future_loss', logits.future, targets.future);
      terms.loss = perFrame;
      // A tensor of its own, so callers may dispose `objective` and `loss` independently.
      terms.objective = this.config.lossReduction === 'sum' ? summed : perFrame.clone();
      return terms;
    }) as unknown as LstmLossTerms;
  }

  // --- training ---

  /** The reported losses (kept) and the gradient of the objective for every parameter. */
  private gradients(videos: tf.Tensor5D): {
    losses: Record<string, tf.Scalar>;
    grads: tf.NamedTensorMap;
  } {
    const losses: Record<string, tf.Scalar> = {};
    const { value, grads } = tf.variableGrads(() => {
      const terms = this.lossTerms(videos);
      for (const [name, t] of Object.entries(terms)) {
        if (name !== 'objective' && t) losses[name] = tf.keep(t);
      }
      return terms.objective;
    }, this.store.variables());
    value.dispose();
    return { losses, grads };
  }

  /**
   * One update of every parameter (kit/optimiser.ts): non-finite gradient elements are zeroed
   * first, so a batch whose loss overflows leaves the weights finite (the runtime still sees the
   * NaN loss and pauses); L2 decay applies to every weight but the biases, as in the reference.
   */
  private applyGradients(grads: tf.NamedTensorMap, commit: boolean): void {
    const { learningRate, momentum, updateClip, weightDecay } = this.settings.values;
    const settings = { learningRate, beta1: momentum, updateClip, weightDecay };
    this.optimiser.apply(grads, settings, commit);
  }

  trainStep(videos: tf.Tensor5D): Record<string, tf.Scalar> {
    this.assertLive();
    const { losses, grads } = this.gradients(videos);
    this.applyGradients(grads, true);
    return losses;
  }

  async warmUp(videos: tf.Tensor5D): Promise<void> {
    this.assertLive();
    const { losses, grads } = this.gradients(videos);
    this.applyGradients(grads, false);
    const stacked = tf.stack(Object.values(losses));
    await stacked.data(); // wait for the kernels to run (and compile)
    tf.dispose([stacked, ...Object.values(losses)]);
  }

  // --- evaluation and views (evaluation.ts) ---

  /** Decoder outputs as images in [0, 1] for frames [B, T, P], in natural frame order. */
  frameOutputs(frames: tf.Tensor3D, teacherForced: boolean, rollout?: number): LstmFrames {
    const logits = this.forward(this.toColumns(frames), teacherForced, rollout);
    const result: LstmFrames = {};
    // The reconstruction decoder's output reversed back into natural order.
    if (logits.reconstruction) {
      result.reconstruction = tf.reverse(this.images(logits.reconstruction, true), 1);
    }
    if (logits.future) result.future = this.images(logits.future, true);
    return result;
  }

  /** Metrics on held-out videos [N, T, H, W, 1]: see `evaluateLstm`. */
  async evaluate(videos: tf.Tensor5D): Promise<EvalResult> {
    this.assertLive();
    const frames = tf.tidy(() => this.flatten(videos, 'evaluate')); // [N, T, P]
    try {
      return await evaluateLstm(this, frames);
    } finally {
      frames.dispose();
    }
  }

  /** Frames of the first `examples` videos: see `lstmSampleViews`. */
  async sample(videos: tf.Tensor5D, examples: number): Promise<SampleView[]> {
    this.assertLive();
    const n = Math.max(0, Math.min(examples, videos.shape[0]));
    if (n === 0) return [];
    const frames = tf.tidy(() => this.flatten(videos, 'sample')); // [N, T, P]
    try {
      return await lstmSampleViews(this, frames, n);
    } finally {
      frames.dispose();
    }
  }

  /** Feature views of the weights and of the units `clip` drives most: see features.ts. */
  async featureViews(clip: tf.Tensor5D): Promise<SampleView[]> {
    this.assertLive();
    const decoder = (this.future ?? this.reconstruction) as Decoder;
    return lstmFeatureViews(this, clip, {
      encoder: this.encoder.layers[0].w,
      readout: decoder.readoutW,
      decoder: this.future ? 'future' : 'reconstruction',
    });
  }

  // --- checkpoints (weights and optimiser slots: kit/trainable.ts) ---

  /**
   * State tensors: every parameter under its name, and the optimiser's slots as
   * `optimizer.<slot>.<name>` (Adam: `m`, `v`; SGD momentum: `velocity`). Meta: the optimiser, its
   * step counters (Adam: β1^t, β2^t) and the live hyperparameters. The LSTM draws no random numbers
   * after construction.
   */
  exportState(): Promise<ModelState> {
    const meta = { optimizer: this.config.optimizer, counters: this.optimiser.counters() };
    return this.saveState(meta);
  }

  importState(state: ModelState): void {
    this.restoreState(state, [], () => {
      if (state.meta?.optimizer !== this.config.optimizer) {
        throw new CheckpointError(
          'bad-state',
          `The checkpoint's optimiser is ${describeValue(state.meta?.optimizer)}, this model's ${this.config.optimizer}`,
        );
      }
      const counters = this.optimiser.checkCounters(metaRecord(state.meta, 'counters'));
      return () => this.optimiser.setCounters(counters);
    });
  }
}

export function createLstmModel(config: LstmConfig, seed: number): VideoModel {
  return new LstmEncoderDecoder(config, seed);
}
