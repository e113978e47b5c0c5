/**
 * The ConvLSTM encoder-forecaster of
 *
 *   X. Shi, Z. Chen, H. Wang, D.-Y. Yeung, W.-K. Wong, W.-C. Woo, "Convolutional LSTM Network: A
 *   Machine Learning Approach for Precipitation Nowcasting", NeurIPS 2015,
 *
 * behind the playground's `VideoModel` interface. Frames are cut into p×p patches that become
 * channels (Sec. 4.1: 64×64 frames → 16×16×16 tensors). The ConvLSTM cell (eq. 3, cell.ts)
 * replaces the LSTM's products by convolutions, so every state is a map [B, G, G, U]:
 *
 *   i = σ(W_xi * X + W_hi * H + W_ci ∘ C + b_i)      f = σ(W_xf * X + W_hf * H + W_cf ∘ C + b_f)
 *   C' = f ∘ C + i ∘ tanh(W_xc * X + W_hc * H + b_c)  o = σ(W_xo * X + W_ho * H + W_co ∘ C' + b_o)
 *   H' = o ∘ tanh(C')
 *
 * (* a 'same' convolution, ∘ the Hadamard product with a learnt peephole map [G, G, U]). The four
 * gates come from one convolution of [X, H] with a fused kernel [k, k, I + U, 4U], gate order i, f,
 * c, o. The encoder (stacked layers) reads the input frames; the forecaster, a stack of the same
 * channels without input, starts from the encoder's last states layer by layer (Sec. 3.2, Fig. 3)
 * and unrolls for the future frames; at each of its steps a 1×1 convolution of all its layers'
 * hidden states, concatenated, gives the logits of the next frame's patches (Sec. 4.1). Loss:
 * Bernoulli cross-entropy softplus(l) − t·l summed over a frame's pixels, averaged over batch and
 * predicted frames (`loss`). Optimiser: Adam with a global-norm clip (the paper uses RMSProp).
 *
 * Shapes: B batch, T frames, H = W = frameSize, p patch size, G = H / p, U a layer's channels.
 */
import * as tf from '@tensorflow/tfjs';
import { metaRecord } from '../state';
import type { DataRequirements, EvalResult, ModelState, SampleView, VideoModel } from '../types';
import { LiveSettings } from '../kit/live-settings';
import { Optimiser } from '../kit/optimiser';
import { TrainableModel } from '../kit/trainable';
import { cellStep, createStack } from './cell';
import type { Layer, LayerState } from './cell';
import { CONVLSTM_SCHEMA, convLstmDataRequirements, gridSize, layerChannels } from './config';
import { convLstmSampleViews, evaluateConvLstm } from './evaluation';
import { convLstmFeatureViews } from './features';
import type { ConvLstmConfig } from './config';

type LiveHyperparameter = 'learningRate' | 'gradientClipNorm';

export class ConvLstmModel extends TrainableModel<LiveHyperparameter> implements VideoModel {
  readonly kind = 'convlstm' as const;
  readonly data: DataRequirements;
  readonly samplesUseHeldOut = true; // the encoder reads the held-out input frames
  private readonly encoder: Layer[];
  private readonly forecaster: Layer[];
  private readonly readoutW: tf.Variable; // [1, 1, ΣU, p²]
  private readonly readoutB: tf.Variable; // [p²]
  private readonly optimiser: Optimiser;
  protected readonly optimisers: readonly Optimiser[];
  protected readonly settings: LiveSettings<LiveHyperparameter>;
  private readonly grid: number; // G
  private readonly depth: number; // p²

  constructor(
    readonly config: ConvLstmConfig,
    seed: number,
  ) {
    super(seed, 'ConvLSTM');
    this.data = convLstmDataRequirements(config);
    this.grid = gridSize(config);
    this.depth = config.patchSize ** 2;
    const channels = layerChannels(config);
    const k = config.kernelSize;
    const g = this.grid;
    // Weights in a fixed order, each from its own seed (kit/params.ts); biases start at 0.
    const store = this.store;
    const stack = (prefix: string, inputs: number) =>
      createStack(store, prefix, inputs, channels, {
        kernelSize: k,
        grid: g,
        initScale: config.initScale,
      });
    this.encoder = stack('encoder', this.depth);
    this.forecaster = stack('forecaster', 0);
    const total = channels.reduce((a, b) => a + b, 0);
    this.readoutW = store.uniform('readout.w', [1, 1, total, this.depth], config.initScale);
    this.readoutB = store.zeros('readout.b', [this.depth]);
    // Torch's Adam form after a global-norm clip, counting steps (β1 fixed at 0.9).
    this.optimiser = new Optimiser(store.params, {
      method: 'adam',
      form: 'torch',
      counter: 'steps',
    });
    this.optimisers = [this.optimiser];
    this.settings = new LiveSettings(CONVLSTM_SCHEMA, {
      learningRate: config.learningRate,
      gradientClipNorm: config.gradientClipNorm,
    });
  }

  // --- patches ---

  /** Checks videos [N, T, H, W, 1] and cuts the model's frames into patches, T × [N, G, G, p²]. */
  private patches(videos: tf.Tensor5D, what: string): tf.Tensor4D[] {
    const [n, t, height, width, channels] = videos.shape;
    const { frames, height: h, width: w } = this.data;
    if (height !== h || width !== w || channels !== 1 || t < frames) {
      throw new Error(
        `${what}: videos must be [N, ≥${frames}, ${h}, ${w}, 1] (got [${videos.shape.join(', ')}])`,
      );
    }
    const g = this.grid;
    const p = this.config.patchSize;
    const clip = t === frames ? videos : videos.slice([0, 0, 0, 0, 0], [n, frames, h, w, 1]);
    const cut = clip
      .reshape([n * frames * g, p, g, p]) // rows of patches
      .transpose([0, 2, 1, 3]) // [N·T·G, G, p, p]
      .reshape([n, frames, g * g * this.depth]); // [N, T, G·G·p²], channel = py·p + px
    const timeMajor = tf.transpose(cut, [1, 0, 2]); // [T, N, G·G·p²]
    return tf.unstack(timeMajor, 0).map((x) => x.reshape([n, g, g, this.depth]) as tf.Tensor4D);
  }

  /** Patches [N, G, G, p²] back into frames [N, H, W]. */
  private frames(patches: tf.Tensor4D): tf.Tensor3D {
    const n = patches.shape[0];
    const g = this.grid;
    const p = this.config.patchSize;
    return patches
      .reshape([n * g, g, p, p])
      .transpose([0, 2, 1, 3]) // [N·G, p, G, p]
      .reshape([n, g * p, g * p]) as tf.Tensor3D;
  }

  // --- forward ---

  /** The encoder's states (one per layer) after each input frame of Tin × [B, G, G, p²]. */
  private encode(inputs: tf.Tensor4D[]): LayerState[][] {
    const b = inputs[0].shape[0];
    const g = this.grid;
    let states: LayerState[] = this.encoder.map((layer) => {
      const zero = tf.zeros([b, g, g, layer.units]) as tf.Tensor4D;
      return { h: zero, c: zero };
    });
    return inputs.map((frame) => {
      let x: tf.Tensor4D = frame;
      states = this.encoder.map((layer, l) => {
        const next = cellStep(layer, x, states[l]);
        x = next.h;
        return next;
      });
      return states;
    });
  }

  /**
   * Encodes the input frames (Tin × [B, G, G, p²]) and forecasts: logits of the future frames'
   * patches, time-major [Tf·B, G, G, p²].
   */
  private forecast(inputs: tf.Tensor4D[]): tf.Tensor4D {
    const encoded = this.encode(inputs);
    let states = encoded[encoded.length - 1]; // the forecaster starts from the last
    const outputs: tf.Tensor4D[] = [];
    for (let t = 0; t < this.config.futureFrames; t++) {
      let x: tf.Tensor4D | null = null; // the forecaster has no input
      states = this.forecaster.map((layer, l) => {
        const next = cellStep(layer, x, states[l]);
        x = next.h;
        return next;
      });
      outputs.push(
        tf.concat(
          states.map((s) => s.h),
          3,
        ) as tf.Tensor4D,
      ); // [B, G, G, ΣU]
    }
    const all = tf.concat(outputs, 0) as tf.Tensor4D; // [Tf·B, G, G, ΣU]
    const [n, , , total] = all.shape;
    const logits = tf.add(
      tf.matMul(all.reshape([-1, total]), this.readoutW.reshape([total, this.depth])),
      this.readoutB,
    ); // the 1×1 convolution as [Tf·B·G·G, ΣU]·[ΣU, p²]
    return logits.reshape([n, this.grid, this.grid, this.depth]); // [Tf·B, G, G, p²]
  }

  /** Future-frame predictions σ(logits) of videos [B, T, H, W, 1] as [B, Tf, H, W]; caller disposes. */
  predict(videos: tf.Tensor5D): tf.Tensor4D {
    return tf.tidy(() => {
      const steps = this.patches(videos, 'predict');
      return this.predictionFrames(this.forecast(steps.slice(0, this.config.inputFrames)));
    });
  }

  /** Logits [Tf·B, G, G, p²] → predicted frames [B, Tf, H, W] in [0, 1]. */
  private predictionFrames(logits: tf.Tensor4D): tf.Tensor4D {
    const perStep = tf.split(tf.sigmoid(logits), this.config.futureFrames, 0) as tf.Tensor4D[]; // Tf × [B, G, G, p²]
    return tf.stack(
      perStep.map((x) => this.frames(x)),
      1,
    ) as tf.Tensor4D; // [B, Tf, H, W]
  }

  /** The mean per-frame cross-entropy of a batch [B, T, H, W, 1] (teacher forcing is moot: no input). */
  loss(videos: tf.Tensor5D): tf.Scalar {
    return tf.tidy(() => {
      const steps = this.patches(videos, 'loss');
      const { inputFrames } = this.config;
      const logits = this.forecast(steps.slice(0, inputFrames)); // [Tf·B, G, G, p²]
      const targets = tf.concat(steps.slice(inputFrames), 0); // [Tf·B, G, G, p²]
      const total = tf.softplus(logits).sub(targets.mul(logits)).sum(); // Σ over frames, pixels
      return total.div(logits.shape[0]) as tf.Scalar; // per frame, averaged over batch and frames
    });
  }

  /**
   * The encoder's hidden states averaged over the grid after each input frame, for probes (as
   * Srivastava et al. read the LSTM encoder's state): videos [N, T, H, W, 1] → [N, Tin, ΣU], the
   * layers' channels side by side.
   */
  features(videos: tf.Tensor5D): tf.Tensor3D {
    return tf.tidy(() => {
      const steps = this.patches(videos, 'features').slice(0, this.config.inputFrames);
      const perStep = this.encode(steps).map(
        (states) =>
          tf.concat(
            states.map((s) => s.h.mean([1, 2])),
            1,
          ), // [N, ΣU]
      );
      return tf.stack(perStep, 1) as tf.Tensor3D; // [N, Tin, ΣU]
    });
  }

  /**
   * Feature views of the first encoder layer's input kernels and of the channels `clip`
   * [1, T, H, W, 1] drives most: see `convLstmFeatureViews`.
   */
  async featureViews(clip: tf.Tensor5D): Promise<SampleView[]> {
    this.assertLive();
    const hidden = tf.tidy(() => {
      const steps = this.patches(clip, 'featureViews').slice(0, this.config.inputFrames);
      return tf.concat(this.encode(steps).map((states) => states[0].h)); // [Tin, G, G, U]
    });
    try {
      return await convLstmFeatureViews(this.config, this.encoder[0], hidden);
    } finally {
      hidden.dispose();
    }
  }

  // --- training ---

  private gradients(videos: tf.Tensor5D): { loss: tf.Scalar; grads: tf.NamedTensorMap } {
    const { value, grads } = tf.variableGrads(() => this.loss(videos), this.store.variables());
    return { loss: value, grads };
  }

  trainStep(videos: tf.Tensor5D): Record<string, tf.Scalar> {
    this.assertLive();
    const { loss, grads } = this.gradients(videos);
    this.optimiser.apply(grads, this.stepSettings(), true); // disposes grads
    return { loss };
  }

  async warmUp(videos: tf.Tensor5D): Promise<void> {
    this.assertLive();
    const { loss, grads } = this.gradients(videos);
    this.optimiser.apply(grads, this.stepSettings(), false); // disposes grads
    await loss.data(); // wait for the kernels to run (and compile)
    loss.dispose();
  }

  // --- evaluation and views (evaluation.ts) ---

  async evaluate(videos: tf.Tensor5D): Promise<EvalResult> {
    this.assertLive();
    return evaluateConvLstm(this, videos);
  }

  async sample(videos: tf.Tensor5D, examples: number): Promise<SampleView[]> {
    this.assertLive();
    return convLstmSampleViews(this, videos, examples);
  }

  // --- checkpoints ---

  /** Weights, Adam's moments and step count, and the live hyperparameters (no random streams). */
  exportState(): Promise<ModelState> {
    return this.saveState({ optimizer: this.optimiser.counters() }); // { steps }
  }

  importState(state: ModelState): void {
    this.restoreState(state, [], () => {
      const counters = this.optimiser.checkCounters(metaRecord(state.meta, 'optimizer'));
      return () => this.optimiser.setCounters(counters);
    });
  }

  /** This step's optimiser settings from the live hyperparameters. */
  private stepSettings() {
    const { learningRate, gradientClipNorm } = this.settings.values;
    return { learningRate, beta1: 0.9, clipNorm: gradientClipNorm };
  }
}

export function createConvLstmModel(config: ConvLstmConfig, seed: number): VideoModel {
  return new ConvLstmModel(config, seed);
}
