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
  ModelState,
  SampleView,
  StateTensor,
  VideoModel,
} from '../types';
import { CheckpointError } from '../../checkpoint/errors';
import { SeededRandom } from '../../data/random';
import { metaNumber, metaRandomState, metaRecord } from '../state';
import { VGAN_SCHEMA, vganDataRequirements, vganGeometry } from './config';
import type { VganConfig, VganGeometry } from './config';
import { Discriminator, Generator, StridedConvs } from './networks';
import type { GeneratorOutput, Network } from './networks';
import { LiveSettings } from '../kit/live-settings';
import { Optimiser } from '../kit/optimiser';
import { TrainableModel } from '../kit/trainable';
import { firstFrames, fixedRows, normalCodes, normalVector } from './inputs';
import { evaluateVgan } from './evaluation';
import { vganFeatureViews, vganSampleViews } from './views';
import type { VganParts } from './views';
import { accuracyOf, crossEntropy, discriminatorLoss, meanValue, weighted } from './losses';
import type { ConvAlgorithm } from './ops';

// --- the model -------------------------------------------------------------------------------------

/** Settings that may change while a run trains (the loss weights only where the variant has the term). */
type LiveHyperparameter =
  'dLearningRate' | 'gLearningRate' | 'dBeta1' | 'gBeta1' | 'maskL1Weight' | 'imageL1Weight';

export class VideoGan extends TrainableModel<LiveHyperparameter> implements VideoModel {
  readonly kind = 'vgan' as const;
  readonly data: DataRequirements;
  readonly samplesUseHeldOut: boolean; // image-to-video animates held-out stills
  private readonly geometry: VganGeometry;
  private readonly generator: Generator;
  private readonly discriminator: Discriminator;
  private readonly gOptimiser: Optimiser;
  private readonly dOptimiser: Optimiser;
  protected readonly optimisers: readonly Optimiser[];
  protected readonly settings: LiveSettings<LiveHyperparameter>;
  private readonly trainNoise: SeededRandom; // z of the training steps
  private evalSeed: number; // z of every evaluation (the same each time)
  private readonly fixedCodes: Float32Array[]; // batchSize fixed z, drawn at construction
  private readonly hasMask: boolean;
  private readonly conditional: boolean;

  /**
   * `options.convs` picks how the strided convolutions run (tests compare them): 'auto' (blocked
   * for thin layers on GPU backends), 'blocked' or 'standard' everywhere. Same weights, same maps.
   */
  constructor(
    readonly config: VganConfig,
    seed: number,
    options: { convs?: ConvAlgorithm } = {},
  ) {
    super(seed, 'VGAN');
    this.geometry = vganGeometry(config);
    if (!(this.geometry.levels >= 1 && Number.isInteger(this.geometry.firstFrames))) {
      throw new ConfigError('frames', 'frames must be a multiple of frameSize / 4');
    }
    this.hasMask = config.variant !== 'one-stream';
    this.conditional = config.variant === 'image-to-video';
    this.samplesUseHeldOut = this.conditional;
    this.data = vganDataRequirements(config);
    const convs = new StridedConvs(options.convs ?? 'auto');
    this.generator = new Generator(this.store, config, this.geometry, convs);
    this.discriminator = new Discriminator(this.store, config, this.geometry, convs);
    // Adam as Torch's optim.adam (the reference); each network's optimiser owns its weights only.
    const adam = (network: Network) =>
      new Optimiser(this.store.select(network), { method: 'adam', form: 'torch' });
    this.gOptimiser = adam('generator');
    this.dOptimiser = adam('discriminator');
    this.optimisers = [this.gOptimiser, this.dOptimiser];
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
      normalVector(fixed, config.zDim),
    );
  }

  // --- inputs ---

  private check(videos: tf.Tensor5D, caller: string): void {
    const [, t, h, w, c] = videos.shape;
    const need = this.data;
    if (t !== need.frames || h !== need.height || w !== need.width || c !== need.channels) {
      throw new Error(
        `VGAN ${caller}: videos must be [B, ${need.frames}, ${need.height}, ${need.width}, ${need.channels}] (got [${videos.shape.join(', ')}])`,
      );
    }
  }

  /**
   * The generator input for a training batch: fresh z [B, Z], or for image-to-video the batch's
   * first frames [B, S, S, C]. The caller disposes it.
   */
  trainingInput(videos: tf.Tensor5D): tf.Tensor {
    return this.conditional
      ? tf.tidy(() => firstFrames(videos))
      : normalCodes(this.trainNoise, videos.shape[0], this.config.zDim);
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
    const out = this.generator.forward(input, 'mask'); // f is not read
    const adversarial = crossEntropy(this.discriminator.logits(out.video), 1);
    const terms: Record<string, tf.Scalar> = { g_loss: adversarial };
    let objective = adversarial;
    if (out.mask) {
      const maskL1 = meanValue(out.mask); // m ∈ [0, 1]: mean |m| = mean m
      terms.mask_l1 = maskL1;
      const weight = this.settings.values.maskL1Weight;
      // Reported either way; a zero weight (image-to-video) adds nothing to backpropagate.
      if (weight !== 0) objective = objective.add(weighted(maskL1, weight));
    }
    if (this.conditional) {
      const first = firstFrames(out.video); // [B, S, S, C]
      const imageL1 = meanValue(tf.abs(first.sub(input)));
      terms.image_l1 = imageL1;
      const weight = this.settings.values.imageL1Weight;
      if (weight !== 0) objective = objective.add(weighted(imageL1, weight));
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
    const fake = tf.tidy(() => this.generator.forward(code, 'video').video); // no gradient to G
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
      ? tf.tidy(() => firstFrames(videos))
      : tf.tensor2d(fixedRows(this.fixedCodes, videos.shape[0]), [
          videos.shape[0],
          this.config.zDim,
        ]);
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

  // --- evaluation ---

  /**
   * The discriminator's penultimate features, for probes (Vondrick et al. replace its last layer
   * with a K-way classifier): videos [N, T, S, S, C] → [N, 1, T0·4·4·d_{L−1}], batch norm over
   * the N videos.
   */
  features(videos: tf.Tensor5D): tf.Tensor3D {
    return tf.tidy(() => this.discriminator.penultimate(videos).expandDims(1) as tf.Tensor3D);
  }

  // --- evaluation and views (evaluation.ts, views.ts) ---

  /** What the evaluation and the views read: the networks, the config and the fixed codes. */
  private get parts(): VganParts {
    const { config, conditional, generator, discriminator, fixedCodes } = this;
    return { config, conditional, generator, discriminator, fixedCodes };
  }

  /** Held-out videos against generated ones from fixed noise: see `evaluateVgan`. */
  async evaluate(videos: tf.Tensor5D): Promise<EvalResult> {
    this.assertLive();
    this.check(videos, 'evaluate');
    return evaluateVgan(this.parts, videos, this.evalSeed);
  }

  /** Generated videos, their parts, fixed-noise and interpolation views: see `vganSampleViews`. */
  async sample(videos: tf.Tensor5D, examples: number): Promise<SampleView[]> {
    this.assertLive();
    this.check(videos, 'sample');
    return vganSampleViews(this.parts, videos, examples);
  }

  // --- checkpoints (weights and optimiser slots: kit/trainable.ts) ---

  private fixedCodeShape(): number[] {
    return [this.fixedCodes.length, this.config.zDim];
  }

  /**
   * Feature views of the discriminator's first-layer filters and of those that respond most to
   * `clip` [1, T, S, S, C]: see `vganFeatureViews`.
   */
  async featureViews(clip: tf.Tensor5D): Promise<SampleView[]> {
    this.assertLive();
    this.check(clip, 'featureViews');
    const responses = tf.tidy(() => this.discriminator.firstLayer(clip));
    try {
      return await vganFeatureViews(this.namedParameters().get('d.conv0.w'), responses);
    } finally {
      responses.dispose();
    }
  }

  /**
   * State tensors: every parameter under its name; Adam's moments as `optimizer.m.<name>` and
   * `optimizer.v.<name>` (each network's optimiser owns its own names: `g.…` or `d.…`); the
   * fixed codes of the sample views as `state.fixed_z` [batchSize, zDim]. Meta: β1^t and β2^t of
   * both optimisers, the training-noise stream's state, the evaluation noise seed and the live
   * hyperparameters.
   */
  exportState(): Promise<ModelState> {
    const meta = {
      optimizers: {
        generator: this.gOptimiser.counters(),
        discriminator: this.dOptimiser.counters(),
      },
      trainNoise: this.trainNoise.getState(),
      evalSeed: this.evalSeed,
    };
    const fixed: StateTensor = {
      dtype: 'float32',
      shape: this.fixedCodeShape(),
      data: fixedRows(this.fixedCodes, this.fixedCodes.length),
    };
    return this.saveState(meta, [], { 'state.fixed_z': fixed });
  }

  importState(state: ModelState): void {
    const fixedSlot = { shape: this.fixedCodeShape(), dtype: 'float32' };
    this.restoreState(state, [['state.fixed_z', fixedSlot]], () => {
      const optimizers = metaRecord(state.meta, 'optimizers');
      const generator = this.gOptimiser.checkCounters(metaRecord(optimizers, 'generator'));
      const discriminator = this.dOptimiser.checkCounters(metaRecord(optimizers, 'discriminator'));
      const trainNoise = metaRandomState(state.meta, 'trainNoise');
      const evalSeed = metaNumber(state.meta, 'evalSeed', 0, 2 ** 32 - 1);
      if (!Number.isInteger(evalSeed)) {
        throw new CheckpointError('bad-state', 'Model state field "evalSeed" must be an integer');
      }
      return () => {
        this.gOptimiser.setCounters(generator);
        this.dOptimiser.setCounters(discriminator);
        this.trainNoise.setState(trainNoise);
        this.evalSeed = evalSeed;
        const fixed = state.tensors['state.fixed_z'].data;
        const z = this.config.zDim;
        this.fixedCodes.forEach((code, row) => code.set(fixed.subarray(row * z, (row + 1) * z)));
      };
    });
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
}

export function createVganModel(config: VganConfig, seed: number): VideoModel {
  return new VideoGan(config, seed);
}
