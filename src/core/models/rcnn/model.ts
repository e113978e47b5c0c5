/**
 * The video language model of
 *
 *   M. Ranzato, A. Szlam, J. Bruna, M. Mathieu, R. Collobert, S. Chopra, "Video (language)
 *   modeling: a baseline for generative models of natural videos", arXiv:1412.6604, 2014,
 *
 * behind the playground's `VideoModel` interface: a k-means patch dictionary built before training
 * (`prepare`, dictionary.ts), the rCNN / rNN over patch codes (network.ts), its loss and Adam, and
 * the paper's two tasks (generation.ts) with their baselines (scored in evaluation.ts):
 *
 * - extrapolation: given frames 1–2, generate the next `extrapolationFrames` frames code by code,
 *   each generated frame fed back as the next input; baselines: copy the last given frame, and
 *   optical-flow extrapolation (the baseline the paper discusses; here block matching between
 *   frames 1 and 2, carried on at constant velocity);
 * - filling: given frames 1 and 5, predict frames 2–4; baseline: linear interpolation in pixel
 *   space. The text here does not say how the model uses frame 5: it generates `fillCandidates`
 *   fillings forward from frame 1 (the first at argmax, the others sampled at τ) and keeps the one
 *   under which frame 5's codes are most likely — a best-of-N approximation of the most probable
 *   filling given both frames.
 *
 * Generated codes come from softmax(logits / τ) (τ = `temperature`, live; 0 = argmax), sampled by
 * inverse CDF with seeded uniforms from the CPU, so evaluation and samples are repeatable on
 * every backend. Decoding uses the std of the last given frame (extrapolation) or the mean of the
 * stds of frames 1 and 5 (filling) to return from normalised units to pixels.
 *
 * Videos are [B, T, H, W, 1] in [0, 1]. Internally: frames [M, H, W, 1] (M = B·T, clip-major),
 * codes time-major [T, B, G, G] int32, L = B·G·G locations per frame, K dictionary entries.
 */
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../../checkpoint/errors';
import { metaNumber, metaRecord } from '../state';
import type {
  DataRequirements,
  EvalResult,
  ModelState,
  PrepareProgress,
  SampleView,
  VideoModel,
} from '../types';
import type { BatchSource } from '../../data/batch-source';
import { SeededRandom } from '../../data/random';
import { RCNN_SCHEMA, patchGridSize, rcnnDataRequirements } from './config';
import type { RcnnConfig } from './config';
import { buildDictionaries } from './dictionary';
import type { PatchDictionary } from './dictionary';
import { checkDictionaries, dictionarySlots, saveDictionaries } from './dictionary-state';
import type { SweepPoint } from './dictionary';
import { LiveSettings } from '../kit/live-settings';
import { Optimiser } from '../kit/optimiser';
import { TrainableModel } from '../kit/trainable';
import { RecurrentConvNet } from './network';
import { PatchCodec, patchGeometry } from './patches';
import { evaluateRcnn, sampleRcnn } from './evaluation';
import type { ChunkPredictions } from './evaluation';
import { buildFeatureViews } from './views';
import { FILL_GIVEN_LAST, fillCodes, readFrames, rollout } from './generation';

// --- the model ---------------------------------------------------------------------------------

type LiveHyperparameter = 'learningRate' | 'gradientClipNorm' | 'temperature';
/** Adam's β1 (fixed: the step count is what checkpoints keep). */
const ADAM_BETA1 = 0.9;

export class VideoLanguageModel extends TrainableModel<LiveHyperparameter> implements VideoModel {
  readonly kind = 'rcnn' as const;
  readonly data: DataRequirements;
  readonly samplesUseHeldOut = true; // extrapolation and filling start from held-out frames
  readonly net: RecurrentConvNet;
  private readonly codec: PatchCodec;
  private readonly optimiser: Optimiser;
  protected readonly optimisers: readonly Optimiser[];
  protected readonly settings: LiveSettings<LiveHyperparameter>;
  private readonly grid: number;
  private evalSeed: number;
  private sampleSeed: number;
  private dictionaries: PatchDictionary[] = []; // the model's first, then the PSNR-curve sizes
  private sweepPoints: SweepPoint[] = [];

  constructor(
    readonly config: RcnnConfig,
    private readonly seed: number,
  ) {
    super(seed, 'rCNN');
    this.codec = new PatchCodec(
      patchGeometry(config.frameSize, config.patchSize, config.patchStride),
    );
    this.grid = patchGridSize(config);
    this.data = rcnnDataRequirements(config);
    this.net = new RecurrentConvNet(config, this.store);
    // Torch's Adam form after a global-norm clip, counting steps (β1 fixed).
    this.optimiser = new Optimiser(this.store.params, {
      method: 'adam',
      form: 'torch',
      counter: 'steps',
    });
    this.optimisers = [this.optimiser];
    this.settings = new LiveSettings(RCNN_SCHEMA, {
      learningRate: config.learningRate,
      gradientClipNorm: config.gradientClipNorm,
      temperature: config.temperature,
    });
    const root = new SeededRandom(seed);
    this.evalSeed = root.uint32();
    this.sampleSeed = root.uint32();
  }

  // --- dictionary ---

  /** Builds the patch dictionaries from the first batches of `source` (see dictionary.ts). */
  async prepare(
    source: BatchSource,
    onProgress: (progress: PrepareProgress) => void,
    signal: AbortSignal,
  ): Promise<void> {
    this.assertLive();
    const built = await buildDictionaries(
      this.codec,
      source,
      this.config,
      this.seed,
      onProgress,
      signal,
    );
    for (const dictionary of this.dictionaries) dictionary.dispose();
    this.dictionaries = built.dictionaries;
    this.sweepPoints = built.sweep;
  }

  /** The dictionary the model predicts codes of (K = dictionarySize). */
  get dictionary(): PatchDictionary {
    const dictionary = this.dictionaries[0];
    if (!dictionary) throw new Error('The rCNN has no patch dictionary yet: call prepare() first');
    return dictionary;
  }

  /** Quantization PSNR of every fitted dictionary size, largest first. */
  get sweep(): readonly SweepPoint[] {
    return this.sweepPoints;
  }

  // --- encoding ---

  private check(videos: tf.Tensor5D, caller: string): void {
    const [, t, h, w, c] = videos.shape;
    const need = this.data;
    if (t !== need.frames || h !== need.height || w !== need.width || c !== 1) {
      throw new Error(
        `rCNN ${caller}: videos must be [B, ${need.frames}, ${need.height}, ${need.width}, 1] (got [${videos.shape.join(', ')}])`,
      );
    }
  }

  /** Videos [B, T, H, W, 1] → time-major codes [T, B, G, G] and stds [T, B]. */
  encode(videos: tf.Tensor5D): { codes: tf.Tensor4D; std: tf.Tensor2D } {
    return tf.tidy(() => {
      const [b, t, h, w] = videos.shape;
      const g = this.grid;
      const frames = videos.reshape([b * t, h, w, 1]) as tf.Tensor4D;
      const { codes, std } = this.dictionary.encode(frames, t); // clip-major [B·T, G, G], [B·T]
      // Reordered by a gather of rows, not a transpose: tfjs-webgpu 4.22's Transpose shader does
      // not compile for int32 data (nor for int32 relabelled float32 by a cast).
      const order = Int32Array.from({ length: t * b }, (_, i) => (i % b) * t + Math.floor(i / b));
      const timeMajor = tf
        .gather(codes.reshape([b * t, g * g]), tf.tensor1d(order, 'int32'))
        .reshape([t, b, g, g]);
      return {
        codes: timeMajor as tf.Tensor4D,
        std: tf.transpose(std.reshape([b, t])) as tf.Tensor2D,
      };
    });
  }

  // --- training ---

  /** Mean cross-entropy of a batch and its gradients (no weight changes). */
  private lossAndGrads(videos: tf.Tensor5D): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    const codes = tf.tidy(() => this.encode(videos).codes);
    try {
      return tf.variableGrads(() => this.net.loss(codes), this.store.variables());
    } finally {
      codes.dispose();
    }
  }

  /** One Adam step on the next-code cross-entropy; returns loss (nats per code) and perplexity. */
  trainStep(videos: tf.Tensor5D): Record<string, tf.Scalar> {
    this.assertLive();
    this.check(videos, 'trainStep');
    const { value, grads } = this.lossAndGrads(videos);
    this.optimiser.apply(grads, this.stepSettings(), true); // disposes grads
    return { loss: value, perplexity: tf.tidy(() => tf.exp(value)) as tf.Scalar };
  }

  async warmUp(videos: tf.Tensor5D): Promise<void> {
    this.assertLive();
    this.check(videos, 'warmUp');
    const { value, grads } = this.lossAndGrads(videos);
    this.optimiser.apply(grads, this.stepSettings(), false); // disposes grads
    await value.data(); // wait for the kernels to run (and compile)
    value.dispose();
  }

  /** This step's optimiser settings from the live hyperparameters. */
  private stepSettings() {
    const { learningRate, gradientClipNorm } = this.settings.values;
    return { learningRate, beta1: ADAM_BETA1, clipNorm: gradientClipNorm };
  }

  // --- generation ---

  /** Decoded frames of codes (steps × [B, G, G]) with stds [B] → [B, steps, H·W]. */
  private decodeSteps(codes: tf.Tensor3D[], std: tf.Tensor1D): tf.Tensor3D {
    const [b] = std.shape;
    const pixels = this.config.frameSize ** 2;
    const frames = codes.map((c) => this.dictionary.decode(c, std).reshape([b, pixels]));
    return tf.stack(frames, 1) as tf.Tensor3D;
  }

  /**
   * The rCNN's recurrent state after frames 1 … T−1 (teacher-forced on the clip's codes), for
   * probes: clips [B, T, H, W, 1] → [B, T−1, G·G·C].
   */
  features(videos: tf.Tensor5D): tf.Tensor3D {
    const [b, t] = videos.shape;
    return tf.tidy(() => {
      const { codes } = this.encode(videos); // [T, B, G, G]
      const { states } = this.net.unroll(codes); // [(T−1)·B·G·G, C], time-major
      return states.reshape([t - 1, b, -1]).transpose([1, 0, 2]) as tf.Tensor3D; // [B, T−1, G·G·C]
    });
  }

  /** Every prediction for clips [B, T, H, W, 1]; call inside tf.tidy. */
  predict(videos: tf.Tensor5D, rng: SeededRandom): ChunkPredictions {
    const [b, t, h, w] = videos.shape;
    const pixels = h * w;
    const g = this.grid;
    const n = this.config.extrapolationFrames;
    const { codes, std } = this.encode(videos); // [T, B, G, G], [T, B]
    const truth = videos.reshape([b, t, pixels]) as tf.Tensor3D;
    const frameOf = (k: number) => truth.slice([0, k, 0], [b, 1, pixels]); // [B, 1, H·W]
    const stdOf = (k: number) => std.slice([k, 0], [1, b]).reshape([b]) as tf.Tensor1D;

    const quantized = this.dictionary
      .decode(codes.reshape([t * b, g, g]) as tf.Tensor3D, std.reshape([-1]) as tf.Tensor1D)
      .reshape([t, b, pixels])
      .transpose([1, 0, 2]) as tf.Tensor3D;

    // Teacher-forced next-code scores of frames 2 … T.
    const { states, targets } = this.net.unroll(codes);
    const logits = this.net.logits(states); // [(T−1)·L, K]
    const perFrame = (x: tf.Tensor) =>
      x
        .reshape([t - 1, b, g * g])
        .mean(2)
        .transpose() as tf.Tensor2D;
    const nextCodeLoss = perFrame(this.net.crossEntropy(states, targets));
    const nextCodeCorrect = perFrame(tf.equal(tf.argMax(logits, 1), targets).toFloat());

    // Extrapolation from frames 1–2.
    const given = codes.slice([0, 0, 0, 0], [2, b, g, g]) as tf.Tensor4D;
    const temperature = this.settings.values.temperature;
    const run = rollout(this.net, readFrames(this.net, given), [b, g], n, temperature, rng, true);
    const extrapolated = this.decodeSteps(run.codes, stdOf(1));
    const entropy = tf
      .stack(run.entropy)
      .reshape([n, b, g * g])
      .transpose([1, 0, 2]) as tf.Tensor3D; // [B, N, G·G]
    const copyLast = frameOf(1).tile([1, n, 1]) as tf.Tensor3D;

    // Filling frames 2–4 from frames 1 and 5.
    const fillStd = stdOf(0)
      .add(stdOf(FILL_GIVEN_LAST - 1))
      .div(2) as tf.Tensor1D;
    const filled = this.decodeSteps(
      fillCodes(this.net, codes, temperature, this.config.fillCandidates, rng),
      fillStd,
    );
    const firstFrame = frameOf(0);
    const lastFrame = frameOf(FILL_GIVEN_LAST - 1);
    const alphas = tf.tensor1d([1, 2, 3].map((k) => k / (FILL_GIVEN_LAST - 1))).reshape([1, 3, 1]);
    const interpolated = firstFrame.add(lastFrame.sub(firstFrame).mul(alphas)) as tf.Tensor3D;

    return {
      truth,
      quantized,
      extrapolated,
      copyLast,
      entropy,
      filled,
      interpolated,
      nextCodeLoss,
      nextCodeCorrect,
    };
  }

  // --- evaluation (evaluation.ts) ---

  /** Scores held-out clips [N, T, H, W, 1]: see evaluation.ts for the metrics. */
  async evaluate(videos: tf.Tensor5D): Promise<EvalResult> {
    this.assertLive();
    this.check(videos, 'evaluate');
    return evaluateRcnn(this, videos, new SeededRandom(this.evalSeed));
  }

  // --- samples ---

  /** Views of the first `examples` held-out clips and of the dictionary (evaluation.ts). */
  async sample(videos: tf.Tensor5D, examples: number): Promise<SampleView[]> {
    this.assertLive();
    this.check(videos, 'sample');
    return sampleRcnn(this, videos, examples, new SeededRandom(this.sampleSeed), {
      temperature: this.settings.values.temperature,
      grid: this.grid,
      dictionaries: this.dictionaries,
      sweep: this.sweepPoints,
    });
  }

  /**
   * Feature views of the patch dictionary and of the recurrent channels `clip` [1, T, H, W, 1]
   * drives most: see `buildFeatureViews`.
   */
  async featureViews(clip: tf.Tensor5D): Promise<SampleView[]> {
    this.assertLive();
    this.check(clip, 'featureViews');
    const states = this.features(clip); // [1, T − 1, G·G·C]
    try {
      const [centroids, values] = (await Promise.all([
        this.dictionary.centroids.data(),
        states.data(),
      ])) as Float32Array[];
      return buildFeatureViews({
        config: this.config,
        grid: this.grid,
        centroids,
        counts: this.dictionary.counts,
        states: values,
      });
    } finally {
      states.dispose();
    }
  }

  // --- checkpoints ---

  /**
   * Weights, Adam's moments and step count, the patch dictionaries with their k-means curves and
   * the PSNR-against-size points (dictionary-state.ts), the evaluation and sample seeds and the
   * live hyperparameters.
   */
  exportState(): Promise<ModelState> {
    this.assertLive();
    if (this.dictionaries.length === 0) {
      throw new Error('The rCNN has no patch dictionary to save yet');
    }
    const saved = saveDictionaries(this.dictionaries, this.sweepPoints);
    const meta = {
      optimizer: this.optimiser.counters(), // { steps }
      evalSeed: this.evalSeed,
      sampleSeed: this.sampleSeed,
      ...saved.meta,
    };
    return this.saveState(meta, saved.tensors, saved.counts);
  }

  importState(state: ModelState): void {
    const slots = dictionarySlots(this.config, this.codec.geometry.dims);
    this.restoreState(state, slots, () => {
      const counters = this.optimiser.checkCounters(metaRecord(state.meta, 'optimizer'));
      const evalSeed = metaNumber(state.meta, 'evalSeed', 0, 2 ** 32 - 1);
      const sampleSeed = metaNumber(state.meta, 'sampleSeed', 0, 2 ** 32 - 1);
      if (![evalSeed, sampleSeed].every(Number.isInteger)) {
        throw new CheckpointError('bad-state', 'Model state seeds must be integers');
      }
      const restore = checkDictionaries(state, slots.length / 2);
      return () => {
        this.optimiser.setCounters(counters);
        this.evalSeed = evalSeed;
        this.sampleSeed = sampleSeed;
        const restored = restore(this.codec, this.config.stdScope);
        for (const dictionary of this.dictionaries) dictionary.dispose();
        this.dictionaries = restored.dictionaries;
        this.sweepPoints = restored.sweep;
      };
    });
  }

  protected disposeOwn(): void {
    for (const dictionary of this.dictionaries) dictionary.dispose();
    this.dictionaries = [];
    this.codec.dispose();
  }
}

export function createRcnnModel(config: RcnnConfig, seed: number): VideoModel {
  return new VideoLanguageModel(config, seed);
}
