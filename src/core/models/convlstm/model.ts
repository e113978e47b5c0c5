/**
 * The ConvLSTM encoder-forecaster of
 *
 *   X. Shi, Z. Chen, H. Wang, D.-Y. Yeung, W.-K. Wong, W.-C. Woo, "Convolutional LSTM Network: A
 *   Machine Learning Approach for Precipitation Nowcasting", NeurIPS 2015,
 *
 * behind the playground's `VideoModel` interface. Frames are cut into p×p patches that become
 * channels (Sec. 4.1: 64×64 frames → 16×16×16 tensors). The ConvLSTM cell (eq. 3) replaces the
 * LSTM's products by convolutions, so every state is a map [B, G, G, U]:
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
import {
  assignStateTensors,
  checkStateTensors,
  metaRecord,
  restoreHyperparameters,
  snapshotTensors,
} from '../state';
import type {
  DataRequirements,
  EvalResult,
  FramePanel,
  Hyperparameters,
  ModelState,
  SampleView,
  VideoModel,
} from '../types';
import { FrameMetricAccumulator, frameMetrics } from '../../train/video-metrics';
import { LiveSettings } from '../kit/live-settings';
import { Optimiser } from '../kit/optimiser';
import { ParameterStore, checkpointEntries } from '../kit/params';
import { CONVLSTM_SCHEMA, convLstmDataRequirements, gridSize, layerChannels } from './config';
import type { ConvLstmConfig } from './config';

type LiveHyperparameter = 'learningRate' | 'gradientClipNorm';

/** One ConvLSTM layer's weights. */
interface Layer {
  inputs: number; // I: input channels (0 for the forecaster's first layer)
  units: number; // U: hidden channels
  w: tf.Variable; // [k, k, I + U, 4U] gates i, f, c, o
  peephole: tf.Variable; // [G, G, 3U] W_ci, W_cf, W_co
  b: tf.Variable; // [4U]
}

/** H and C of one layer, each [B, G, G, U]. */
interface LayerState {
  h: tf.Tensor4D;
  c: tf.Tensor4D;
}

/**
 * The gradient of a 'same' stride-1 convolution's filter, dw [k, k, C, O] from x [B, G, G, C] and
 * dy [B, G, G, O], as a 'valid' convolution with batch and channels swapped: the padded x as
 * [C, G + k − 1, G + k − 1, B] convolved with dy as a G×G filter [G, G, B, O] is [C, k, k, O].
 */
function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, k: number): tf.Tensor4D {
  const half = (k - 1) / 2;
  const padded = tf.pad(x, [
    [0, 0],
    [half, half],
    [half, half],
    [0, 0],
  ]); // [B, G + k − 1, G + k − 1, C]
  const images = padded.transpose([3, 1, 2, 0]) as tf.Tensor4D; // [C, G + k − 1, G + k − 1, B]
  const filter = dy.transpose([1, 2, 0, 3]) as tf.Tensor4D; // [G, G, B, O]
  return tf.conv2d(images, filter, 1, 'valid').transpose([1, 2, 0, 3]); // [k, k, C, O]
}

/**
 * The gate convolution x [B, G, G, C] * w [k, k, C, O] ('same', stride 1) → [B, G, G, O], with
 * its filter gradient computed by `filterGradient`: tfjs' CPU Conv2DBackpropFilter reads every
 * element through an index computation and took 98% of a tiny training step.
 */
const gateConvolution = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  // customGrad passes the tensors, then the save function.
  const [x, w, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.conv2d(x, w, 1, 'same'), // [B, G, G, O]
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
      const g = dy as tf.Tensor4D; // [B, G, G, O]
      const dx = tf.conv2dTranspose(g, ws, xs.shape, 1, 'same'); // [B, G, G, C]
      return [dx, filterGradient(xs, g, ws.shape[0])];
    },
  };
}) as (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D;

/** One ConvLSTM step (eq. 3): input x [B, G, G, I] or null, state → next state. */
function cellStep(layer: Layer, x: tf.Tensor4D | null, state: LayerState): LayerState {
  const xh = x ? tf.concat([x, state.h], 3) : state.h; // [B, G, G, I + U]
  const z = tf.add(gateConvolution(xh, layer.w as tf.Tensor4D), layer.b); // [B, G, G, 4U]
  const [zi, zf, zc, zo] = tf.split(z, 4, 3); // each [B, G, G, U]
  const [pi, pf, po] = tf.split(layer.peephole, 3, 2); // each [G, G, U]
  const i = tf.sigmoid(zi.add(pi.mul(state.c)));
  const f = tf.sigmoid(zf.add(pf.mul(state.c)));
  const c = f.mul(state.c).add(i.mul(tf.tanh(zc))) as tf.Tensor4D; // [B, G, G, U]
  const o = tf.sigmoid(zo.add(po.mul(c)));
  return { h: o.mul(tf.tanh(c)) as tf.Tensor4D, c };
}

export class ConvLstmModel implements VideoModel {
  readonly kind = 'convlstm' as const;
  readonly data: DataRequirements;
  readonly samplesUseHeldOut = true; // the encoder reads the held-out input frames
  private readonly store: ParameterStore;
  private readonly encoder: Layer[];
  private readonly forecaster: Layer[];
  private readonly readoutW: tf.Variable; // [1, 1, ΣU, p²]
  private readonly readoutB: tf.Variable; // [p²]
  private readonly optimiser: Optimiser;
  private readonly settings: LiveSettings<LiveHyperparameter>;
  private readonly grid: number; // G
  private readonly depth: number; // p²
  private disposed = false;

  constructor(
    readonly config: ConvLstmConfig,
    seed: number,
  ) {
    this.data = convLstmDataRequirements(config);
    this.grid = gridSize(config);
    this.depth = config.patchSize ** 2;
    const channels = layerChannels(config);
    const k = config.kernelSize;
    const g = this.grid;
    // Weights in a fixed order, each from its own seed (kit/params.ts); biases start at 0.
    const store = new ParameterStore(seed);
    this.store = store;
    const weight = (name: string, shape: number[]) => store.uniform(name, shape, config.initScale);
    const stack = (prefix: string, inputs: number): Layer[] =>
      channels.map((u, l) => {
        const i = l === 0 ? inputs : channels[l - 1];
        return {
          inputs: i,
          units: u,
          w: weight(`${prefix}.${l}.w`, [k, k, i + u, 4 * u]),
          peephole: weight(`${prefix}.${l}.peephole`, [g, g, 3 * u]),
          b: store.zeros(`${prefix}.${l}.b`, [4 * u]),
        };
      });
    this.encoder = stack('encoder', this.depth);
    this.forecaster = stack('forecaster', 0);
    const total = channels.reduce((a, b) => a + b, 0);
    this.readoutW = weight('readout.w', [1, 1, total, this.depth]);
    this.readoutB = store.zeros('readout.b', [this.depth]);
    // Torch's Adam form after a global-norm clip, counting steps (β1 fixed at 0.9).
    this.optimiser = new Optimiser(store.params, {
      method: 'adam',
      form: 'torch',
      counter: 'steps',
    });
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

  /**
   * Encodes the input frames (Tin × [B, G, G, p²]) and forecasts: logits of the future frames'
   * patches, time-major [Tf·B, G, G, p²].
   */
  private forecast(inputs: tf.Tensor4D[]): tf.Tensor4D {
    const b = inputs[0].shape[0];
    const g = this.grid;
    let states: LayerState[] = this.encoder.map((layer) => {
      const zero = tf.zeros([b, g, g, layer.units]) as tf.Tensor4D;
      return { h: zero, c: zero };
    });
    for (const frame of inputs) {
      let x: tf.Tensor4D = frame;
      states = this.encoder.map((layer, l) => {
        const next = cellStep(layer, x, states[l]);
        x = next.h;
        return next;
      });
    }
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
    return logits.reshape([n, g, g, this.depth]); // [Tf·B, G, G, p²]
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

  // --- evaluation ---

  /**
   * Metrics on held-out videos [N, T, H, W, 1] in chunks of batchSize (the last chunk wraps around
   * to keep shapes fixed; the wrapped rows are not counted): `future/<metric>` for the forecast and
   * `baseline/future/<metric>` for the last input frame repeated, each with a per-frame curve.
   * <metric>: cross_entropy, mse, mae (sums over pixels), psnr (dB), ssim.
   */
  async evaluate(videos: tf.Tensor5D): Promise<EvalResult> {
    this.assertLive();
    const n = videos.shape[0];
    const batch = this.config.batchSize;
    const { inputFrames, futureFrames } = this.config;
    const accumulator = new FrameMetricAccumulator();
    for (let start = 0; start < n; start += batch) {
      const rows = Math.min(batch, n - start);
      const names: string[] = [];
      const flat = tf.tidy(() => {
        const index = Array.from({ length: batch }, (_, i) => (start + i) % n);
        const chunk = tf.gather(videos, tf.tensor1d(index, 'int32')) as tf.Tensor5D; // [B, T, H, W, 1]
        const [, , h, w] = chunk.shape;
        const predicted = this.predict(chunk).reshape([batch, futureFrames, h, w, 1]);
        const truth = chunk.slice([0, inputFrames, 0, 0, 0], [batch, futureFrames, h, w, 1]);
        const last = chunk
          .slice([0, inputFrames - 1, 0, 0, 0], [batch, 1, h, w, 1])
          .reshape([batch, 1, h * w]);
        // Tiled as rank 3: WebGPU's Tile runs rank 5 on the CPU after a synchronous read-back.
        const copies = tf.tile(last, [1, futureFrames, 1]).reshape([batch, futureFrames, h, w, 1]);
        const groups = {
          future: frameMetrics(predicted, truth),
          'baseline/future': frameMetrics(copies as tf.Tensor5D, truth),
        };
        const parts: tf.Tensor[] = [];
        for (const [group, metrics] of Object.entries(groups)) {
          for (const [metric, values] of Object.entries(metrics)) {
            names.push(`${group}/${metric}`);
            parts.push(values.reshape([-1])); // [B·Tf]
          }
        }
        return tf.concat(parts); // one read-back
      });
      const values = await flat.data();
      flat.dispose();
      names.forEach((name, i) => {
        const size = batch * futureFrames;
        accumulator.add(name, values.subarray(i * size, (i + 1) * size), rows, futureFrames);
      });
    }
    return accumulator.result();
  }

  /** Input, Ground truth and Prediction frames of the first `examples` videos. */
  async sample(videos: tf.Tensor5D, examples: number): Promise<SampleView[]> {
    this.assertLive();
    const n = Math.max(0, Math.min(examples, videos.shape[0]));
    if (n === 0) return [];
    const { inputFrames, futureFrames, frameSize: size } = this.config;
    const [input, truth, prediction] = tf.tidy(() => {
      const some = videos.slice([0, 0, 0, 0, 0], [n, -1, -1, -1, -1]) as tf.Tensor5D;
      return [
        some.slice([0, 0, 0, 0, 0], [n, inputFrames, size, size, 1]), // [n, Tin, H, W, 1]
        some.slice([0, inputFrames, 0, 0, 0], [n, futureFrames, size, size, 1]), // [n, Tf, H, W, 1]
        this.predict(some), // [n, Tf, H, W]
      ];
    });
    const data = (await Promise.all(
      [input, truth, prediction].map((x) => x.data()),
    )) as Float32Array[];
    tf.dispose([input, truth, prediction]);
    const pixels = size * size;
    const panel = (
      label: string,
      values: Float32Array,
      example: number,
      t: number,
      offset: number,
    ): FramePanel => ({
      label,
      frames: values.slice(example * t * pixels, (example + 1) * t * pixels), // a copy: safe to transfer
      t,
      height: size,
      width: size,
      channels: 1,
      timeOffset: offset,
    });
    return Array.from({ length: n }, (_, example) => ({
      panels: [
        panel('Input', data[0], example, inputFrames, 0),
        panel('Ground truth', data[1], example, futureFrames, inputFrames),
        panel('Prediction', data[2], example, futureFrames, inputFrames),
      ],
    }));
  }

  // --- hyperparameters, bookkeeping ---

  getHyperparameters(): Hyperparameters {
    return this.settings.get();
  }

  /** Validated against the config schema (kit/live-settings.ts); all or nothing. */
  setHyperparameters(values: Hyperparameters): void {
    this.settings.set(values);
  }

  parameterCount(): number {
    return this.store.size();
  }

  /** Weights by name, then Adam's moments as `optimizer.m.<name>` and `optimizer.v.<name>`. */
  stateVariables(): [string, tf.Variable][] {
    return checkpointEntries(this.store, [this.optimiser]);
  }

  /** Weights, Adam's moments and step count, and the live hyperparameters (no random streams). */
  exportState(): Promise<ModelState> {
    this.assertLive();
    const meta = {
      optimizer: this.optimiser.counters(), // { steps }
      hyperparameters: this.getHyperparameters(),
    };
    return snapshotTensors(this.stateVariables()).then((tensors) => ({ tensors, meta }));
  }

  importState(state: ModelState): void {
    this.assertLive();
    const variables = this.stateVariables();
    checkStateTensors(state, variables, 'ConvLSTM');
    const counters = this.optimiser.checkCounters(metaRecord(state.meta, 'optimizer'));
    restoreHyperparameters(this, state.meta); // the last check; applies all or nothing
    this.optimiser.setCounters(counters);
    assignStateTensors(state, variables);
  }

  /** Parameters by name (`encoder.0.w`, `forecaster.1.peephole`, `readout.b`, …), for tests. */
  namedParameters(): Map<string, tf.Variable> {
    return this.store.named();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.store.dispose();
    this.optimiser.dispose();
  }

  /** This step's optimiser settings from the live hyperparameters. */
  private stepSettings() {
    const { learningRate, gradientClipNorm } = this.settings.values;
    return { learningRate, beta1: 0.9, clipNorm: gradientClipNorm };
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('This ConvLSTM model has been disposed');
  }
}

export function createConvLstmModel(config: ConvLstmConfig, seed: number): VideoModel {
  return new ConvLstmModel(config, seed);
}
