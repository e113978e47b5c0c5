/**
 * The video GAN of
 *
 *   C. Vondrick, H. Pirsiavash, A. Torralba, "Generating Videos with Scene Dynamics", NIPS 2016 —
 *   reference code: github.com/cvondrick/videogan (`main.lua`, `main_conditional.lua`),
 *
 * behind the playground's `VideoModel` interface: the networks (networks.ts), their losses, the two
 * optimisers, evaluation and samples.
 *
 * Training (one `trainStep`, as the reference's iteration): one Adam step of D on
 * ½[CE(D(x), real) + CE(D(G(z)), fake)], then one Adam step of G on the non-saturating
 * CE(D(G(z)), real) + maskL1Weight·mean(m) (two-stream) + imageL1Weight·mean |G(x₀)₁ − x₀|
 * (image-to-video, x₀ the first frame of the real clip), with the same z and the freshly updated
 * D. Each optimiser owns its network's variables and nothing else. CE is the numerically stable
 * sigmoid cross-entropy; videos are in [-1, 1].
 *
 * Choices where the reference leaves room, each kept simple:
 * - D has one logit and a sigmoid cross-entropy instead of two logits and a softmax: the same
 *   family of functions (the logit is the difference of the two), one output channel fewer.
 * - The reference differentiates the sum of D's two cross-entropies and prints half of it; here
 *   D differentiates and reports the half (Adam's step does not depend on the gradient's scale).
 *   The reference's G step reuses the D-step forward pass; here G's gradient goes through a fresh
 *   forward pass of the updated D (as DCGAN implementations do).
 * - Batch norm always uses the statistics of the batch at hand (as the reference does while it
 *   trains and whenever it shows samples); no running averages are kept, so warm-up, evaluation
 *   and sampling change no state. A generated video therefore depends a little on the other videos
 *   of its batch: sampling and evaluation always run full batches of `batchSize` (fixed shapes
 *   for the WebGPU buffer pool), filled with fixed codes where they need fewer videos.
 * - z comes from a seeded generator on the CPU, so every backend trains on the same noise.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../config-schema';
import type {
  DataRequirements,
  EvalResult,
  FramePanel,
  Hyperparameters,
  ModelState,
  SampleView,
  StateTensor,
  VideoModel,
} from '../types';
import { CheckpointError } from '../../checkpoint/errors';
import { SeededRandom } from '../../data/random';
import {
  assignStateTensors,
  checkStateTensors,
  metaNumber,
  metaRandomState,
  metaRecord,
  restoreHyperparameters,
  snapshotTensors,
} from '../state';
import { FrameMetricAccumulator, accumulateChunk } from '../../train/video-metrics';
import type { ChunkMetrics } from '../../train/video-metrics';
import { VGAN_SCHEMA, vganDataRequirements, vganGeometry } from './config';
import type { VganConfig, VganGeometry } from './config';
import { Discriminator, Generator, StridedConvs } from './networks';
import type { GeneratorOutput, Network } from './networks';
import { LiveSettings } from '../kit/live-settings';
import { Optimiser } from '../kit/optimiser';
import { ParameterStore, checkpointEntries } from '../kit/params';
import { tilePanel } from '../kit/weight-tiles';
import { slerp } from './ops';
import { accuracyOf, crossEntropy, discriminatorLoss, meanValue, weighted } from './losses';
import type { ConvAlgorithm } from './ops';

/** Videos in the fixed-noise grid, and the α values of the interpolation. */
const FIXED_VIEW_SIZE = 8;
const INTERPOLATION_ALPHAS = [0, 0.25, 0.5, 0.75, 1];

// --- the model -------------------------------------------------------------------------------------

/** Settings that may change while a run trains (the loss weights only where the variant has the term). */
type LiveHyperparameter =
  'dLearningRate' | 'gLearningRate' | 'dBeta1' | 'gBeta1' | 'maskL1Weight' | 'imageL1Weight';

/** Maps [-1, 1] values to [0, 1] for display (clamped). */
function toDisplay(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.min(1, Math.max(0, (values[i] + 1) / 2));
  return out;
}

export class VideoGan implements VideoModel {
  readonly kind = 'vgan' as const;
  readonly data: DataRequirements;
  readonly samplesUseHeldOut: boolean; // image-to-video animates held-out stills
  private readonly geometry: VganGeometry;
  private readonly store: ParameterStore;
  private readonly generator: Generator;
  private readonly discriminator: Discriminator;
  private readonly gOptimiser: Optimiser;
  private readonly dOptimiser: Optimiser;
  private readonly settings: LiveSettings<LiveHyperparameter>;
  private readonly trainNoise: SeededRandom; // z of the training steps
  private evalSeed: number; // z of every evaluation (the same each time)
  private readonly fixedCodes: Float32Array[]; // batchSize fixed z, drawn at construction
  private readonly hasMask: boolean;
  private readonly conditional: boolean;
  private disposed = false;

  /**
   * `options.convs` picks how the strided convolutions run (tests compare them): 'auto' (blocked
   * for thin layers on GPU backends), 'blocked' or 'standard' everywhere. Same weights, same maps.
   */
  constructor(
    readonly config: VganConfig,
    seed: number,
    options: { convs?: ConvAlgorithm } = {},
  ) {
    this.geometry = vganGeometry(config);
    if (!(this.geometry.levels >= 1 && Number.isInteger(this.geometry.firstFrames))) {
      throw new ConfigError('frames', 'frames must be a multiple of frameSize / 4');
    }
    this.hasMask = config.variant !== 'one-stream';
    this.conditional = config.variant === 'image-to-video';
    this.samplesUseHeldOut = this.conditional;
    this.data = vganDataRequirements(config);
    this.store = new ParameterStore(seed);
    const convs = new StridedConvs(options.convs ?? 'auto');
    this.generator = new Generator(this.store, config, this.geometry, convs);
    this.discriminator = new Discriminator(this.store, config, this.geometry, convs);
    // Adam as Torch's optim.adam (the reference); each network's optimiser owns its weights only.
    const adam = (network: Network) =>
      new Optimiser(this.store.select(network), { method: 'adam', form: 'torch' });
    this.gOptimiser = adam('generator');
    this.dOptimiser = adam('discriminator');
    const live: LiveHyperparameter[] = ['dLearningRate', 'gLearningRate', 'dBeta1', 'gBeta1'];
    if (this.hasMask) live.push('maskL1Weight');
    if (this.conditional) live.push('imageL1Weight');
    const { dLearningRate, gLearningRate, dBeta1, gBeta1, maskL1Weight, imageL1Weight } = config;
    this.settings = new LiveSettings(
      VGAN_SCHEMA,
      { dLearningRate, gLearningRate, dBeta1, gBeta1, maskL1Weight, imageL1Weight },
      live,
    );
    // Separate noise streams, so sampling and evaluating never shift the training noise.
    const root = new SeededRandom(seed);
    this.trainNoise = root.split();
    this.evalSeed = root.uint32();
    const fixed = root.split();
    this.fixedCodes = Array.from({ length: config.batchSize }, () =>
      this.normalVector(fixed, config.zDim),
    );
  }

  // --- inputs ---

  private normalVector(rng: SeededRandom, size: number): Float32Array {
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = rng.normal();
    return values;
  }

  /** z ~ N(0, I) [rows, Z] drawn on the CPU from a seeded stream (identical on every backend). */
  private noise(rng: SeededRandom, rows: number): tf.Tensor2D {
    const values = new Float32Array(rows * this.config.zDim);
    for (let i = 0; i < values.length; i++) values[i] = rng.normal();
    return tf.tensor2d(values, [rows, this.config.zDim]);
  }

  private check(videos: tf.Tensor5D, caller: string): void {
    const [, t, h, w, c] = videos.shape;
    const need = this.data;
    if (t !== need.frames || h !== need.height || w !== need.width || c !== need.channels) {
      throw new Error(
        `VGAN ${caller}: videos must be [B, ${need.frames}, ${need.height}, ${need.width}, ${need.channels}] (got [${videos.shape.join(', ')}])`,
      );
    }
  }

  /** First frames of videos [B, T, S, S, C] → [B, S, S, C] (a rank-3 slice: safe on WebGPU). */
  private firstFrames(videos: tf.Tensor5D): tf.Tensor4D {
    const [b, t, h, w, c] = videos.shape;
    return videos
      .reshape([b, t, h * w * c])
      .slice([0, 0, 0], [b, 1, h * w * c])
      .reshape([b, h, w, c]);
  }

  /**
   * The generator input for a training batch: fresh z [B, Z], or for image-to-video the batch's
   * first frames [B, S, S, C]. The caller disposes it.
   */
  trainingInput(videos: tf.Tensor5D): tf.Tensor {
    return this.conditional
      ? tf.tidy(() => this.firstFrames(videos))
      : this.noise(this.trainNoise, videos.shape[0]);
  }

  // --- losses ---

  /** D's objective and diagnostics on real videos and on fakes from `input`. */
  private discriminatorTerms(
    videos: tf.Tensor5D,
    fake: tf.Tensor5D,
  ): { loss: tf.Scalar; realAccuracy: tf.Scalar; fakeAccuracy: tf.Scalar } {
    const real = this.discriminator.logits(videos); // [B]
    const generated = this.discriminator.logits(fake); // [B] (its own batch statistics)
    const loss = discriminatorLoss(real, generated);
    return { loss, realAccuracy: accuracyOf(real, 1), fakeAccuracy: accuracyOf(generated, 0) };
  }

  /** G's objective: non-saturating adversarial term plus the weighted L1 terms. */
  private generatorTerms(input: tf.Tensor): {
    objective: tf.Scalar;
    terms: Record<string, tf.Scalar>;
  } {
    const out = this.generator.forward(input);
    const adversarial = crossEntropy(this.discriminator.logits(out.video), 1);
    const terms: Record<string, tf.Scalar> = { g_loss: adversarial };
    let objective = adversarial;
    if (out.mask) {
      const maskL1 = meanValue(out.mask); // m ∈ [0, 1]: mean |m| = mean m
      terms.mask_l1 = maskL1;
      objective = objective.add(weighted(maskL1, this.settings.values.maskL1Weight));
    }
    if (this.conditional) {
      const first = this.firstFrames(out.video); // [B, S, S, C]
      const imageL1 = meanValue(tf.abs(first.sub(input)));
      terms.image_l1 = imageL1;
      objective = objective.add(weighted(imageL1, this.settings.values.imageL1Weight));
    }
    return { objective, terms };
  }

  // --- training ---

  /**
   * One Adam step of the discriminator only (G's weights untouched): fakes from `input` (see
   * `trainingInput`; drawn when absent). Returns d_loss, d_real_accuracy, d_fake_accuracy from
   * before the update. `commit: false` runs the same kernels without changing any state.
   */
  discriminatorStep(
    videos: tf.Tensor5D,
    input?: tf.Tensor,
    commit = true,
  ): Record<string, tf.Scalar> {
    this.assertLive();
    this.check(videos, 'discriminatorStep');
    const code = input ?? this.trainingInput(videos);
    const fake = tf.tidy(() => this.generator.forward(code).video); // no gradient to G
    try {
      const kept: Record<string, tf.Scalar> = {};
      const { value, grads } = tf.variableGrads(() => {
        const terms = this.discriminatorTerms(videos, fake);
        kept.d_real_accuracy = tf.keep(terms.realAccuracy);
        kept.d_fake_accuracy = tf.keep(terms.fakeAccuracy);
        return terms.loss;
      }, this.dOptimiser.variables as tf.Variable[]);
      const { dLearningRate: learningRate, dBeta1: beta1 } = this.settings.values;
      this.dOptimiser.apply(grads, { learningRate, beta1 }, commit);
      return { d_loss: value, ...kept };
    } finally {
      fake.dispose();
      if (!input) code.dispose();
    }
  }

  /**
   * One Adam step of the generator only (D's weights untouched), through the current D. Returns
   * g_loss (the adversarial term), mask_l1 (mean mask) and image_l1 (image-to-video) from before
   * the update; the objective adds maskL1Weight·mask_l1 + imageL1Weight·image_l1.
   */
  generatorStep(videos: tf.Tensor5D, input?: tf.Tensor, commit = true): Record<string, tf.Scalar> {
    this.assertLive();
    this.check(videos, 'generatorStep');
    const code = input ?? this.trainingInput(videos);
    try {
      const kept: Record<string, tf.Scalar> = {};
      const { value, grads } = tf.variableGrads(() => {
        const { objective, terms } = this.generatorTerms(code);
        for (const [name, t] of Object.entries(terms)) kept[name] = tf.keep(t);
        return objective;
      }, this.gOptimiser.variables as tf.Variable[]);
      // One-stream's objective is its adversarial term itself: reported, so not disposed.
      if (!Object.values(kept).includes(value)) value.dispose();
      const { gLearningRate: learningRate, gBeta1: beta1 } = this.settings.values;
      this.gOptimiser.apply(grads, { learningRate, beta1 }, commit);
      return kept;
    } finally {
      if (!input) code.dispose();
    }
  }

  trainStep(videos: tf.Tensor5D): Record<string, tf.Scalar> {
    this.assertLive();
    this.check(videos, 'trainStep');
    const code = this.trainingInput(videos); // the same z for both steps, as the reference
    try {
      return { ...this.discriminatorStep(videos, code), ...this.generatorStep(videos, code) };
    } finally {
      code.dispose();
    }
  }

  async warmUp(videos: tf.Tensor5D): Promise<void> {
    this.assertLive();
    this.check(videos, 'warmUp');
    // A fixed code, so that no noise stream advances either.
    const code = this.conditional
      ? tf.tidy(() => this.firstFrames(videos))
      : tf.tensor2d(this.fixedRows(videos.shape[0]), [videos.shape[0], this.config.zDim]);
    try {
      const scalars = {
        ...this.discriminatorStep(videos, code, false),
        ...this.generatorStep(videos, code, false),
      };
      const stacked = tf.stack(Object.values(scalars));
      await stacked.data(); // wait for the kernels to run (and compile)
      tf.dispose([stacked, ...Object.values(scalars)]);
    } finally {
      code.dispose();
    }
  }

  /** The fixed codes, cycled to `rows` rows, flattened. */
  private fixedRows(rows: number, from = 0): Float32Array {
    const z = this.config.zDim;
    const out = new Float32Array(rows * z);
    for (let r = 0; r < rows; r++)
      out.set(this.fixedCodes[(from + r) % this.fixedCodes.length], r * z);
    return out;
  }

  // --- evaluation ---

  /**
   * The discriminator's penultimate features, for probes (Vondrick et al. replace its last layer
   * with a K-way classifier): videos [N, T, S, S, C] → [N, 1, T0·4·4·d_{L−1}], batch norm over
   * the N videos.
   */
  features(videos: tf.Tensor5D): tf.Tensor3D {
    return tf.tidy(() => this.discriminator.penultimate(videos).expandDims(1) as tf.Tensor3D);
  }

  /**
   * Held-out videos [N, T, S, S, C] in chunks of batchSize (the last chunk wraps around to keep
   * shapes fixed; wrapped rows are not counted), each against a batch of generated videos — from
   * the same fixed noise at every evaluation, or (image-to-video) from the chunk's first frames.
   * Names (group/metric):
   *   real/d_accuracy, generated/d_accuracy  fraction D classifies correctly (logit > 0 = real)
   *   real/p_real, generated/p_real          D's mean probability that the video is real
   *   real/spread, generated/spread          mean |x − batch mean| per pixel, in the [-1, 1] range:
   *                                          how much the videos differ (mode collapse: far below
   *                                          the real spread); per frame
   *   real/motion, generated/motion          mean |x_{t+1} − x_t| per pixel, in the [-1, 1] range;
   *                                          per frame: entry t is the change into frame t + 1
   *   generated/mask_l1                      mean mask value (two-stream, image-to-video), per frame
   *   generated/image_l1                     image-to-video: mean |frame 1 − input still|
   *   generated/l1_to_truth                  image-to-video: mean |generated − real| per frame
   * Only spread, motion, mask_l1 and l1_to_truth have per-frame curves.
   */
  async evaluate(videos: tf.Tensor5D): Promise<EvalResult> {
    this.assertLive();
    this.check(videos, 'evaluate');
    const [n, t, h, w, c] = videos.shape;
    const batch = this.config.batchSize;
    const flat = videos.reshape([n, t * h * w * c]); // gather on rank 2
    const evalNoise = new SeededRandom(this.evalSeed);
    const perFrame = new FrameMetricAccumulator();
    const scalars = new FrameMetricAccumulator();
    try {
      for (let start = 0; start < n; start += batch) {
        const rows = Math.min(batch, n - start);
        const z = this.conditional ? null : this.noise(evalNoise, batch);
        try {
          await accumulateChunk(
            () => {
              const index = Array.from({ length: batch }, (_, i) => (start + i) % n);
              const real = tf
                .gather(flat, tf.tensor1d(index, 'int32'))
                .reshape([batch, t, h, w, c]) as tf.Tensor5D;
              return this.chunkMetrics(real, z);
            },
            rows,
            perFrame,
            scalars,
          );
        } finally {
          z?.dispose();
        }
      }
    } finally {
      flat.dispose();
    }
    const curves = perFrame.result();
    return {
      scalars: { ...scalars.result().scalars, ...curves.scalars },
      perFrame: curves.perFrame,
    };
  }

  /** Per-video metrics of one chunk, each [B, frames] (frames = 1 for scalars). */
  private chunkMetrics(real: tf.Tensor5D, z: tf.Tensor2D | null): ChunkMetrics {
    const [b, t, h, w, c] = real.shape;
    const input = this.conditional ? this.firstFrames(real) : (z as tf.Tensor2D);
    const out = this.generator.forward(input);
    const realLogits = this.discriminator.logits(real);
    const fakeLogits = this.discriminator.logits(out.video);
    const column = (x: tf.Tensor1D) => x.reshape([b, 1]) as tf.Tensor2D;
    const correct = (l: tf.Tensor1D, label: 0 | 1) =>
      column(
        tf.cast(label === 1 ? tf.greater(l, 0) : tf.lessEqual(l, 0), 'float32') as tf.Tensor1D,
      );
    const frames = (x: tf.Tensor5D) => x.reshape([b, t, h * w * x.shape[4]]); // [B, T, P·C]
    const motion = (x: tf.Tensor5D) => {
      const f = frames(x);
      const next = f.slice([0, 1, 0], [b, t - 1, h * w * c]);
      const previous = f.slice([0, 0, 0], [b, t - 1, h * w * c]);
      return tf.abs(next.sub(previous)).mean(2) as tf.Tensor2D; // [B, T − 1]
    };
    // Mean |x − batch mean| per pixel and frame: how much the videos of a batch differ; a
    // generator that collapses to one video has a spread far below the real one.
    const spread = (x: tf.Tensor5D) => {
      const f = frames(x); // [B, T, P·C]
      return tf.abs(f.sub(f.mean(0, true))).mean(2) as tf.Tensor2D; // [B, T]
    };
    const metrics: ChunkMetrics = {
      'real/d_accuracy': { tensor: correct(realLogits, 1), curve: false },
      'generated/d_accuracy': { tensor: correct(fakeLogits, 0), curve: false },
      'real/p_real': { tensor: column(tf.sigmoid(realLogits)), curve: false },
      'generated/p_real': { tensor: column(tf.sigmoid(fakeLogits)), curve: false },
      'real/spread': { tensor: spread(real), curve: true },
      'generated/spread': { tensor: spread(out.video), curve: true },
    };
    if (t > 1) {
      metrics['real/motion'] = { tensor: motion(real), curve: true };
      metrics['generated/motion'] = { tensor: motion(out.video), curve: true };
    }
    if (out.mask) {
      metrics['generated/mask_l1'] = {
        tensor: frames(out.mask).mean(2) as tf.Tensor2D,
        curve: true,
      };
    }
    if (this.conditional) {
      const first = this.firstFrames(out.video).reshape([b, -1]);
      const still = (input as tf.Tensor4D).reshape([b, -1]);
      metrics['generated/image_l1'] = {
        tensor: tf.abs(first.sub(still)).mean(1, true) as tf.Tensor2D,
        curve: false,
      };
      metrics['generated/l1_to_truth'] = {
        tensor: tf.abs(frames(out.video).sub(frames(real))).mean(2) as tf.Tensor2D,
        curve: true,
      };
    }
    return metrics;
  }

  // --- samples ---

  /**
   * (a) One view per example (the first `examples`) with panels Generated, Background, Mask and
   * Foreground (m⊙f) (one-stream: Generated only; image-to-video first adds Input still and Ground
   * truth from `videos`). Videos are mapped from [-1, 1] to [0, 1]; the mask is shown as is;
   * Foreground (m⊙f) is m times the foreground in display units (black where the mask is off);
   * Background and Input still are single frames.
   * (b) Group 'fixed-noise': min(8, batchSize) videos, 'z1' …, from z fixed at construction — the
   * main examples are the first of them, so every refresh shows the same codes.
   * Image-to-video: from the stills of the first held-out videos, 'still 1' ….
   * (c) Group 'interpolation': α = 0, 0.25, 0.5, 0.75, 1 along the great circle between z1 and z2
   * (spherical interpolation); image-to-video: linear between the encodings of stills 1 and 2.
   * Two generator passes, each a full batch of batchSize (fixed shapes; batch-norm statistics of a
   * batch like the training ones); the interpolation batch is padded with the other fixed codes.
   */
  async sample(videos: tf.Tensor5D, examples: number): Promise<SampleView[]> {
    this.assertLive();
    this.check(videos, 'sample');
    const batch = this.config.batchSize;
    const count = Math.max(0, Math.min(examples, batch, videos.shape[0]));
    const [n, t, h, w, c] = videos.shape;
    const frameSize = h * w * c;
    const videoSize = t * frameSize;

    // Held-out videos wrapped to a full batch (image-to-video reads their stills and truth).
    const realBatch = this.conditional
      ? tf.tidy(() => {
          const index = Array.from({ length: batch }, (_, i) => i % n);
          return tf
            .gather(videos.reshape([n, videoSize]), tf.tensor1d(index, 'int32'))
            .reshape([batch, t, h, w, c]) as tf.Tensor5D;
        })
      : null;
    const fixed = tf.tidy(() => {
      const input = realBatch
        ? this.firstFrames(realBatch)
        : tf.tensor2d(this.fixedRows(batch), [batch, this.config.zDim]);
      const code = this.generator.encode(input);
      return { code, ...this.generator.decode(code) };
    });
    const path = this.interpolate(fixed.code);
    const read = async (x: tf.Tensor | null | undefined) =>
      x ? ((await x.data()) as Float32Array).slice() : null;
    try {
      const [video, foreground, mask, background, real, ...chunks] = await Promise.all([
        read(fixed.video),
        read(fixed.foreground),
        read(fixed.mask),
        read(fixed.background),
        read(realBatch),
        ...path.map((x) => read(x)),
      ]);
      const ch = this.data.channels;
      const panel = (
        label: string,
        data: Float32Array,
        row: number,
        frames: number,
        channels: 1 | 3,
        display: boolean,
      ): FramePanel => {
        const size = frames * h * w * channels;
        const values = data.slice(row * size, (row + 1) * size); // a copy: safe to transfer
        return {
          label,
          frames: display ? toDisplay(values) : values,
          t: frames,
          height: h,
          width: w,
          channels,
          timeOffset: 0,
        };
      };
      const generated = video as Float32Array;
      const views: SampleView[] = [];
      for (let row = 0; row < count; row++) {
        const panels: FramePanel[] = [];
        if (real) {
          const still = real.slice(row * videoSize, row * videoSize + frameSize);
          panels.push(panel('Input still', still, 0, 1, ch, true));
          panels.push(panel('Ground truth', real, row, t, ch, true));
        }
        panels.push(panel('Generated', generated, row, t, ch, true));
        if (foreground && mask && background) {
          const masked = this.maskedForeground(foreground, mask, row);
          panels.push(panel('Background', background, row, 1, ch, true));
          panels.push(panel('Mask', mask, row, t, 1, false));
          panels.push(panel('Foreground (m⊙f)', masked, 0, t, ch, false));
        }
        views.push({ panels });
      }
      views.push({
        group: 'fixed-noise',
        panels: Array.from({ length: Math.min(FIXED_VIEW_SIZE, batch) }, (_, row) =>
          panel(this.conditional ? `still ${row + 1}` : `z${row + 1}`, generated, row, t, ch, true),
        ),
      });
      const alphas = INTERPOLATION_ALPHAS.map((alpha, i) => ({ alpha, i }));
      views.push({
        group: 'interpolation',
        panels: alphas.map(({ alpha, i }) =>
          panel(
            `α = ${alpha}`,
            chunks[Math.floor(i / batch)] as Float32Array,
            i % batch,
            t,
            ch,
            true,
          ),
        ),
      });
      return views;
    } finally {
      tf.dispose([...(realBatch ? [realBatch] : []), ...Object.values(fixed), ...path]);
    }
  }

  /** m ⊙ (f + 1)/2 of one example: the foreground in display units where the mask lets it through. */
  private maskedForeground(
    foreground: Float32Array,
    mask: Float32Array,
    row: number,
  ): Float32Array {
    const { frames: t, frameSize: s } = this.config;
    const c = this.data.channels;
    const pixels = t * s * s;
    const out = new Float32Array(pixels * c);
    for (let p = 0; p < pixels; p++) {
      const m = mask[row * pixels + p];
      for (let k = 0; k < c; k++) {
        const f = foreground[(row * pixels + p) * c + k];
        out[p * c + k] = m * Math.min(1, Math.max(0, (f + 1) / 2));
      }
    }
    return out;
  }

  /**
   * Videos along the interpolation path, in batches of batchSize whose first rows are the path
   * and whose other rows are fixed codes (noise: the fixed z; image-to-video: `encoded`, the
   * encodings of the held-out stills).
   */
  private interpolate(encoded: tf.Tensor): tf.Tensor5D[] {
    const batch = this.config.batchSize;
    const chunks: tf.Tensor5D[] = [];
    for (let start = 0; start < INTERPOLATION_ALPHAS.length; start += batch) {
      const alphas = INTERPOLATION_ALPHAS.slice(start, start + batch);
      chunks.push(
        tf.tidy(() => {
          let code: tf.Tensor;
          if (this.conditional) {
            // Linear between the first two encodings; the rest of the batch keeps its encodings.
            const [a, b] = tf.split(encoded.slice([0], [2]), 2, 0); // each [1, 4, 4, g0]
            const path = alphas.map((alpha) => a.mul(1 - alpha).add(b.mul(alpha)));
            const rest = encoded.slice([alphas.length], [batch - alphas.length]);
            code = tf.concat([...path, rest], 0); // [B, 4, 4, g0]
          } else {
            const z = this.config.zDim;
            const rows = this.fixedRows(batch);
            alphas.forEach((alpha, row) => {
              rows.set(slerp(this.fixedCodes[0], this.fixedCodes[1 % batch], alpha), row * z);
            });
            code = tf.tensor2d(rows, [batch, z]);
          }
          return this.generator.decode(code).video;
        }),
      );
    }
    return chunks;
  }

  // --- hyperparameters, bookkeeping ---

  getHyperparameters(): Hyperparameters {
    return this.settings.get();
  }

  setHyperparameters(values: Hyperparameters): void {
    this.settings.set(values);
  }

  parameterCount(): number {
    return this.store.size();
  }

  /**
   * State tensors: every parameter under its name; Adam's moments as `optimizer.m.<name>` and
   * `optimizer.v.<name>` (each network's optimiser owns its own names: `g.…` or `d.…`); the
   * fixed codes of the sample views as `state.fixed_z` [batchSize, zDim]. Meta: β1^t and β2^t of
   * both optimisers, the training-noise stream's state, the evaluation noise seed and the live
   * hyperparameters.
   */
  /**
   * Feature views: the discriminator's first-layer 4×4×4 filters over time (averaged over the
   * input channels), one mosaic per time slice. `clip` is not used yet: the units that respond
   * most to a clip are not shown for the VGAN.
   */
  async featureViews(_clip: tf.Tensor5D): Promise<SampleView[]> {
    this.assertLive();
    const filter = this.stateVariables().find(([name]) => name === 'd.conv0.w')?.[1];
    if (!filter) throw new Error('The discriminator has no first-layer filter d.conv0.w');
    const [kt, kh, kw, , outputs] = filter.shape;
    const tiles = tf.tidy(() => filter.mean(3).transpose([3, 0, 1, 2])); // [Cout, kT, kH, kW]
    const values = (await tiles.data()) as Float32Array;
    tiles.dispose();
    return [
      {
        group: 'features',
        title: 'First-layer filters over time',
        caption: `The discriminator's ${outputs} first-layer filters (${kt}×${kh}×${kw}, averaged over the input channels), one mosaic per time step of the filter: play it to see the motion each one looks for; gray is 0.`,
        panels: [tilePanel('Filters', values, outputs, kt, kh, kw)],
      },
    ];
  }

  stateVariables(): [string, tf.Variable][] {
    return checkpointEntries(this.store, [this.gOptimiser, this.dOptimiser]);
  }

  private fixedCodeShape(): number[] {
    return [this.fixedCodes.length, this.config.zDim];
  }

  exportState(): Promise<ModelState> {
    this.assertLive();
    const meta = {
      optimizers: {
        generator: this.gOptimiser.counters(),
        discriminator: this.dOptimiser.counters(),
      },
      trainNoise: this.trainNoise.getState(),
      evalSeed: this.evalSeed,
      hyperparameters: this.getHyperparameters(),
    };
    const fixed: StateTensor = {
      dtype: 'float32',
      shape: this.fixedCodeShape(),
      data: this.fixedRows(this.fixedCodes.length),
    };
    return snapshotTensors(this.stateVariables()).then((tensors) => ({
      tensors: { ...tensors, 'state.fixed_z': fixed },
      meta,
    }));
  }

  importState(state: ModelState): void {
    this.assertLive();
    const entries = this.stateVariables();
    const fixedSlot = { shape: this.fixedCodeShape(), dtype: 'float32' };
    checkStateTensors(state, [...entries, ['state.fixed_z', fixedSlot]], 'VGAN');
    const optimizers = metaRecord(state.meta, 'optimizers');
    const generator = this.gOptimiser.checkCounters(metaRecord(optimizers, 'generator'));
    const discriminator = this.dOptimiser.checkCounters(metaRecord(optimizers, 'discriminator'));
    const trainNoise = metaRandomState(state.meta, 'trainNoise');
    const evalSeed = metaNumber(state.meta, 'evalSeed', 0, 2 ** 32 - 1);
    if (!Number.isInteger(evalSeed)) {
      throw new CheckpointError('bad-state', 'Model state field "evalSeed" must be an integer');
    }
    restoreHyperparameters(this, state.meta); // the last check; applies all or nothing
    this.gOptimiser.setCounters(generator);
    this.dOptimiser.setCounters(discriminator);
    this.trainNoise.setState(trainNoise);
    this.evalSeed = evalSeed;
    const fixed = state.tensors['state.fixed_z'].data;
    const z = this.config.zDim;
    this.fixedCodes.forEach((code, row) => code.set(fixed.subarray(row * z, (row + 1) * z)));
    assignStateTensors(state, entries);
  }

  /** Parameters by name (`g.fg.up1.w`, `d.conv0.b`, …), for tests. */
  namedParameters(): Map<string, tf.Variable> {
    return this.store.named();
  }

  /** The variables each optimiser updates (and nothing else). */
  optimisedVariables(network: Network): readonly tf.Variable[] {
    return network === 'generator' ? this.gOptimiser.variables : this.dOptimiser.variables;
  }

  /** Generator outputs for an input (z [B, Z] or stills [B, S, S, C]); the caller disposes them. */
  generate(input: tf.Tensor): GeneratorOutput {
    this.assertLive();
    return tf.tidy(() => {
      const out = this.generator.forward(input);
      return out as unknown as Record<string, tf.Tensor>;
    }) as unknown as GeneratorOutput;
  }

  /** Discriminator logits [B] of videos; the caller disposes them. */
  discriminate(videos: tf.Tensor5D): tf.Tensor1D {
    this.assertLive();
    return tf.tidy(() => this.discriminator.logits(videos));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.store.dispose();
    this.gOptimiser.dispose();
    this.dOptimiser.dispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('This VGAN model has been disposed');
  }
}

export function createVganModel(config: VganConfig, seed: number): VideoModel {
  return new VideoGan(config, seed);
}
