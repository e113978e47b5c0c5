/**
 * The video language model of
 *
 *   M. Ranzato, A. Szlam, J. Bruna, M. Mathieu, R. Collobert, S. Chopra, "Video (language)
 *   modeling: a baseline for generative models of natural videos", arXiv:1412.6604, 2014,
 *
 * behind the playground's `VideoModel` interface: a k-means patch dictionary built before training
 * (`prepare`, dictionary.ts), the rCNN / rNN over patch codes (network.ts), its loss and Adam, and
 * the paper's two tasks with their baselines:
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
import type { TensorSlot } from '../state';
import type {
  DataRequirements,
  EvalResult,
  ModelState,
  PrepareProgress,
  StateTensor,
  SampleView,
  VideoModel,
} from '../types';
import type { BatchSource } from '../../data/batch-source';
import { SeededRandom } from '../../data/random';
import {
  FrameMetricAccumulator,
  accumulateChunk,
  psnrPerImage,
  ssimPerImage,
  sumAbsoluteErrorPerImage,
  sumSquaredErrorPerImage,
} from '../../train/video-metrics';
import type { ChunkMetrics } from '../../train/video-metrics';
import { extrapolateFlowBatch } from '../../train/flow-baseline';
import { RCNN_SCHEMA, patchGridSize, rcnnDataRequirements, sweepDictionarySizes } from './config';
import type { RcnnConfig } from './config';
import { PatchDictionary, buildDictionaries } from './dictionary';
import type { SweepPoint } from './dictionary';
import { LiveSettings } from '../kit/live-settings';
import { Optimiser } from '../kit/optimiser';
import { TrainableModel } from '../kit/trainable';
import { RecurrentConvNet } from './network';
import { PatchCodec, patchGeometry } from './patches';
import { ensureFastCpuSegmentSum } from './cpu-segment-sum';
import { buildSampleViews } from './views';

/** Filling: frames 1 and 5 are given, frames 2–4 predicted. */
const FILL_GIVEN_LAST = 5;
const FILL_FRAMES = 3;
/** Pixel metrics of each task (cross-entropy of pixels is not this model's loss); SSIM optional. */
const PIXEL_METRICS = ['mse', 'mae', 'psnr', 'ssim'] as const;
type PixelMetric = (typeof PIXEL_METRICS)[number];

// --- sampling ----------------------------------------------------------------------------------

/**
 * Codes drawn from softmax(logits / τ), [L, K] → [L] int32: argmax when τ = 0, else the first
 * code whose cumulative probability exceeds u·total, with u [L] uniforms in [0, 1).
 */
export function drawCodes(
  logits: tf.Tensor2D,
  temperature: number,
  uniforms: Float32Array,
): tf.Tensor1D {
  return tf.tidy(() => {
    if (temperature === 0) return tf.argMax(logits, 1) as tf.Tensor1D;
    const [l, k] = logits.shape;
    const cdf = tf.cumsum(tf.softmax(logits.div(temperature)), 1); // [L, K]
    const target = tf.tensor2d(uniforms, [l, 1]).mul(cdf.slice([0, k - 1], [l, 1])); // [L, 1]
    return tf
      .cast(tf.less(cdf, target), 'int32')
      .sum(1)
      .minimum(tf.scalar(k - 1, 'int32')) as tf.Tensor1D;
  });
}

/** Entropy in nats of softmax(logits) per row: [L, K] → [L]. */
export function entropyOf(logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const logZ = tf.logSumExp(logits, 1, true); // [L, 1]
    const logP = logits.sub(logZ);
    return tf.exp(logP).mul(logP).sum(1).neg() as tf.Tensor1D;
  });
}

function uniforms(rng: SeededRandom, count: number): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = rng.next();
  return values;
}

// --- the model ---------------------------------------------------------------------------------

type LiveHyperparameter = 'learningRate' | 'gradientClipNorm' | 'temperature';
/** Adam's β1 (fixed: the step count is what checkpoints keep). */
const ADAM_BETA1 = 0.9;

/** Everything the model predicts for one batch of held-out clips (all in [0, 1] pixels). */
export type ChunkPredictions = {
  truth: tf.Tensor3D; // [B, T, H·W]
  quantized: tf.Tensor3D; // [B, T, H·W] every frame through the dictionary and back
  extrapolated: tf.Tensor3D; // [B, N, H·W] frames 3 … N + 2 from frames 1–2
  copyLast: tf.Tensor3D; // [B, N, H·W] frame 2 repeated (baseline)
  entropy: tf.Tensor3D; // [B, N, G·G] nats of each generated code's distribution (τ = 1)
  filled: tf.Tensor3D; // [B, 3, H·W] frames 2–4 from frames 1 and 5
  interpolated: tf.Tensor3D; // [B, 3, H·W] linear interpolation of frames 1 and 5 (baseline)
  nextCodeLoss: tf.Tensor2D; // [B, T − 1] teacher-forced nats per code of frames 2 … T
  nextCodeCorrect: tf.Tensor2D; // [B, T − 1] fraction of codes of frames 2 … T ranked first
};

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
    ensureFastCpuSegmentSum(); // gather gradients and k-means are segment sums
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

  /** State after reading frames of codes (time-major [F, B, G, G]) from a zero state: [L, C]. */
  private readFrames(codes: tf.Tensor4D): tf.Tensor2D {
    const [f, b, g] = codes.shape;
    const drives = tf.unstack(
      this.net.inputDrive(codes.reshape([f * b, g, g]) as tf.Tensor3D).reshape([f, b * g * g, -1]),
    ) as tf.Tensor2D[];
    let state: tf.Tensor2D | null = null;
    for (const drive of drives) state = this.net.step(drive, state);
    return state as tf.Tensor2D;
  }

  /**
   * Generates `steps` frames of codes from `state` (after the last given frame), each fed back:
   * returns the codes (steps × [B, G, G]), with `withEntropy` each step's entropy (steps × [L]),
   * and the final state.
   */
  private rollout(
    state: tf.Tensor2D,
    batch: number,
    steps: number,
    temperature: number,
    rng: SeededRandom,
    withEntropy = false,
  ): { codes: tf.Tensor3D[]; entropy: tf.Tensor1D[]; state: tf.Tensor2D } {
    const g = this.grid;
    const codes: tf.Tensor3D[] = [];
    const entropy: tf.Tensor1D[] = [];
    let h = state;
    for (let s = 0; s < steps; s++) {
      // One tidy per step: the K-wide logits and their softmax never pile up over the steps.
      const next = tf.tidy(() => {
        const logits = this.net.logits(h); // [L, K]
        const drawn = drawCodes(logits, temperature, uniforms(rng, logits.shape[0]));
        const frame = drawn.reshape([batch, g, g]) as tf.Tensor3D;
        const fed = this.net.step(this.net.inputDrive(frame), h);
        return { frame, state: fed, ...(withEntropy ? { entropy: entropyOf(logits) } : {}) };
      });
      if (h !== state) h.dispose();
      codes.push(next.frame);
      if (next.entropy) entropy.push(next.entropy);
      h = next.state;
    }
    return { codes, entropy, state: h };
  }

  /** Decoded frames of codes (steps × [B, G, G]) with stds [B] → [B, steps, H·W]. */
  private decodeSteps(codes: tf.Tensor3D[], std: tf.Tensor1D): tf.Tensor3D {
    const [b] = std.shape;
    const pixels = this.config.frameSize ** 2;
    const frames = codes.map((c) => this.dictionary.decode(c, std).reshape([b, pixels]));
    return tf.stack(frames, 1) as tf.Tensor3D;
  }

  /**
   * Filling from frame 1 and frame 5: `fillCandidates` rollouts of frames 2–4 from frame 1 (the
   * first at argmax), each scored by the log-likelihood of frame 5's codes after it; the best
   * candidate per sequence is kept. Returns its codes, 3 × [B, G, G].
   */
  private fill(codes: tf.Tensor4D, rng: SeededRandom): tf.Tensor3D[] {
    const [, b, g] = codes.shape;
    const first = codes.slice([0, 0, 0, 0], [1, b, g, g]) as tf.Tensor4D;
    const fifth = codes
      .slice([FILL_GIVEN_LAST - 1, 0, 0, 0], [1, b, g, g])
      .reshape([-1]) as tf.Tensor1D;
    const start = this.readFrames(first);
    const temperature = this.settings.values.temperature;
    const candidates = temperature === 0 ? 1 : this.config.fillCandidates;
    // The best candidate so far, [B, 3·G·G] as float (exact for K ≤ 2^24), and its score [B].
    let best: { codes: tf.Tensor2D; score: tf.Tensor1D } | null = null;
    for (let i = 0; i < candidates; i++) {
      const previous = best;
      best = tf.tidy((): { codes: tf.Tensor2D; score: tf.Tensor1D } => {
        const run = this.rollout(start, b, FILL_FRAMES, i === 0 ? 0 : temperature, rng);
        const score = this.net
          .crossEntropy(run.state, fifth)
          .reshape([b, g * g])
          .sum(1)
          .neg() as tf.Tensor1D; // [B]: log p(frame 5's codes | frame 1, candidate)
        const candidate = tf.stack(run.codes, 1).reshape([b, -1]).toFloat() as tf.Tensor2D;
        if (previous === null) return { codes: candidate, score };
        const better: tf.Tensor2D = tf.greater(score, previous.score).toFloat().reshape([b, 1]);
        return {
          codes: candidate.mul(better).add(previous.codes.mul(tf.sub(1, better))) as tf.Tensor2D,
          score: tf.maximum(score, previous.score) as tf.Tensor1D,
        };
      });
      if (previous) tf.dispose([previous.codes, previous.score]);
    }
    const chosen = (best as { codes: tf.Tensor2D }).codes;
    return tf.unstack(chosen.round().toInt().reshape([b, FILL_FRAMES, g, g]), 1) as tf.Tensor3D[];
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
    const run = this.rollout(
      this.readFrames(given),
      b,
      n,
      this.settings.values.temperature,
      rng,
      true,
    );
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
    const filled = this.decodeSteps(this.fill(codes, rng), fillStd);
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

  // --- evaluation ---

  /**
   * On held-out clips [N, T, H, W, 1], in chunks of batchSize (the last wrapped around):
   *   test/loss          teacher-forced next-code cross-entropy, nats per patch; per frame 2 … T
   *   test/perplexity    exp(test/loss)
   *   test/accuracy      fraction of next codes ranked first by the model
   *   extrapolation/…    mse, mae (sums over a frame's pixels), psnr (and ssim with evalSsim)
   *                      of frames 3 … N + 2
   *                      generated from frames 1–2; baseline/extrapolation/…: copy frame 2;
   *                      baseline/flow/extrapolation/…: the motion block matching finds
   *                      between frames 1 and 2 carried on (core/train/flow-baseline.ts)
   *   filling/…          the same for frames 2–4 from frames 1 and 5; baseline/filling/…: linear
   *                      interpolation in pixel space
   *   quantization/…     mse and psnr of every frame through the dictionary and back: the best
   *                      any code prediction can do
   * Per-frame curves start at the frame they describe (EvalResult.firstFrame).
   */
  async evaluate(videos: tf.Tensor5D): Promise<EvalResult> {
    this.assertLive();
    this.check(videos, 'evaluate');
    const [n, t, h, w] = videos.shape;
    const batch = this.config.batchSize;
    const rng = new SeededRandom(this.evalSeed);
    const curves = new FrameMetricAccumulator();
    const scalars = new FrameMetricAccumulator();
    const flat = videos.reshape([n, t * h * w]) as tf.Tensor2D;
    try {
      for (let start = 0; start < n; start += batch) {
        const rows = Math.min(batch, n - start);
        const flow = await this.flowBaseline(flat, start, [t, h, w]);
        await accumulateChunk(
          () => {
            const clips = this.batchFrom(flat, start).reshape([batch, t, h, w, 1]) as tf.Tensor5D;
            const flowed = tf.tensor3d(flow, [batch, this.config.extrapolationFrames, h * w]);
            return this.chunkMetrics(this.predict(clips, rng), flowed);
          },
          rows,
          curves,
          scalars,
        );
      }
    } finally {
      flat.dispose();
    }
    const perFrame = curves.result();
    const scalarValues = { ...scalars.result().scalars, ...perFrame.scalars };
    scalarValues['test/perplexity'] = Math.exp(scalarValues['test/loss']);
    const firstFrame: Record<string, number> = { 'test/loss': 2 };
    for (const metric of PIXEL_METRICS) {
      firstFrame[`extrapolation/${metric}`] = 3;
      firstFrame[`baseline/extrapolation/${metric}`] = 3;
      firstFrame[`baseline/flow/extrapolation/${metric}`] = 3;
      firstFrame[`filling/${metric}`] = 2;
      firstFrame[`baseline/filling/${metric}`] = 2;
    }
    return { scalars: scalarValues, perFrame: perFrame.perFrame, firstFrame };
  }

  /**
   * The optical-flow baseline's extrapolation of the batchSize clips from row `start` of
   * flattened clips [N, T·H·W], on the CPU from frames 1–2: [B, N_x, H·W] values.
   */
  private async flowBaseline(
    flat: tf.Tensor2D,
    start: number,
    [t, h, w]: [number, number, number],
  ): Promise<Float32Array> {
    const batch = this.config.batchSize;
    const pairs = tf.tidy(() =>
      this.batchFrom(flat, start)
        .reshape([batch, t, h * w])
        .slice([0, 0, 0], [batch, 2, h * w]),
    ); // [B, 2, H·W]
    const values = (await pairs.data()) as Float32Array;
    pairs.dispose();
    return extrapolateFlowBatch(values, batch, h, w, this.config.extrapolationFrames);
  }

  /**
   * Pixel metrics of predicted frames against the true ones, both [B, n, H·W], per frame [B, n]:
   * the project's conventions (video-metrics.ts: sums over a frame's pixels, PSNR floored at
   * 100 dB), SSIM only with `config.evalSsim`.
   */
  private pixelMetrics(
    predicted: tf.Tensor3D,
    truth: tf.Tensor3D,
  ): Partial<Record<PixelMetric, tf.Tensor2D>> {
    const [b, n] = predicted.shape;
    const side = this.config.frameSize;
    const images = (x: tf.Tensor3D) => x.reshape([b * n, side, side, 1]) as tf.Tensor4D;
    const perFrame = (x: tf.Tensor1D) => x.reshape([b, n]) as tf.Tensor2D;
    const [p, y] = [images(predicted), images(truth)];
    return {
      mse: perFrame(sumSquaredErrorPerImage(p, y)),
      mae: perFrame(sumAbsoluteErrorPerImage(p, y)),
      psnr: perFrame(psnrPerImage(p, y)),
      ...(this.config.evalSsim ? { ssim: perFrame(ssimPerImage(p, y)) } : {}),
    };
  }

  /**
   * batchSize clips from row `start` of flattened clips [N, T·H·W], wrapping around to the first
   * ones: every chunk of evaluation and samples has the same shape (one set of GPU buffers).
   */
  private batchFrom(flat: tf.Tensor2D, start: number): tf.Tensor2D {
    const n = flat.shape[0];
    const rows = Int32Array.from({ length: this.config.batchSize }, (_, i) => (start + i) % n);
    return tf.tidy(() => tf.gather(flat, tf.tensor1d(rows, 'int32')) as tf.Tensor2D);
  }

  /** Per-sequence metrics of one chunk, each [B, frames] (frames = 1 for scalars). */
  private chunkMetrics(p: ChunkPredictions, flow: tf.Tensor3D): ChunkMetrics {
    const [b, , pixels] = p.truth.shape;
    const truthFrames = (from: number, count: number) =>
      p.truth.slice([0, from, 0], [b, count, pixels]) as tf.Tensor3D;
    const out: ChunkMetrics = {
      'test/loss': { tensor: p.nextCodeLoss, curve: true },
      'test/accuracy': { tensor: p.nextCodeCorrect.mean(1, true) as tf.Tensor2D, curve: false },
    };
    const add = (group: string, predicted: tf.Tensor3D, from: number) => {
      const metrics = this.pixelMetrics(predicted, truthFrames(from, predicted.shape[1]));
      for (const [metric, tensor] of Object.entries(metrics)) {
        out[`${group}/${metric}`] = { tensor, curve: true };
      }
    };
    add('extrapolation', p.extrapolated, 2);
    add('baseline/extrapolation', p.copyLast, 2);
    add('baseline/flow/extrapolation', flow, 2);
    add('filling', p.filled, 1);
    add('baseline/filling', p.interpolated, 1);
    const quantization = this.pixelMetrics(p.quantized, p.truth);
    for (const metric of ['mse', 'psnr'] as const) {
      out[`quantization/${metric}`] = {
        tensor: (quantization[metric] as tf.Tensor2D).mean(1, true) as tf.Tensor2D,
        curve: false,
      };
    }
    return out;
  }

  // --- samples ---

  /**
   * Views of the first `examples` held-out clips (one batch, repeatable noise) and of the
   * dictionary: see views.ts for what each shows.
   */
  async sample(videos: tf.Tensor5D, examples: number): Promise<SampleView[]> {
    this.assertLive();
    this.check(videos, 'sample');
    const [n, t, h, w] = videos.shape;
    const batch = this.config.batchSize;
    const count = Math.max(0, Math.min(examples, batch, n));
    const rng = new SeededRandom(this.sampleSeed);
    const tensors = tf.tidy(() => {
      const clips = this.batchFrom(videos.reshape([n, t * h * w]) as tf.Tensor2D, 0).reshape([
        batch,
        t,
        h,
        w,
        1,
      ]) as tf.Tensor5D;
      const predictions = this.predict(clips, rng);
      const frames = clips.reshape([batch * t, h, w, 1]) as tf.Tensor4D;
      // The same clips through each smaller dictionary of the PSNR curve.
      const sizes = this.dictionaries
        .slice(1)
        .map((d) => d.quantize(frames, t).reshape([batch, t, h * w]) as tf.Tensor3D);
      return { predictions, sizes };
    });
    const read = async (x: tf.Tensor) => ((await x.data()) as Float32Array).slice();
    try {
      const p = tensors.predictions;
      const [truth, quantized, extrapolated, copyLast, entropy, filled, interpolated, ...sizes] =
        await Promise.all(
          [
            p.truth,
            p.quantized,
            p.extrapolated,
            p.copyLast,
            p.entropy,
            p.filled,
            p.interpolated,
            ...tensors.sizes,
          ].map(read),
        );
      const centroids = await read(this.dictionary.centroids);
      return buildSampleViews({
        config: this.config,
        temperature: this.settings.values.temperature,
        grid: this.grid,
        examples: count,
        truth,
        quantized,
        extrapolated,
        copyLast,
        entropy,
        filled,
        interpolated,
        centroids,
        counts: this.dictionary.counts,
        history: this.dictionary.history,
        sweep: this.sweepPoints,
        sizes: sizes.map((frames, i) => ({ size: this.dictionaries[i + 1].size, frames })),
      });
    } finally {
      tf.dispose([...Object.values(tensors.predictions), ...tensors.sizes]);
    }
  }

  // --- checkpoints ---

  /** The fitted dictionaries (the model's K first, then the PSNR-curve sizes): `state.dictionary.<i>.…`. */
  private dictionarySlots(): [string, TensorSlot][] {
    const dims = this.codec.geometry.dims;
    return sweepDictionarySizes(this.config).flatMap((size, i) => [
      [`state.dictionary.${i}.centroids`, { shape: [size, dims], dtype: 'float32' }],
      [`state.dictionary.${i}.counts`, { shape: [size], dtype: 'float32' }],
    ]);
  }

  /**
   * Weights, Adam's moments and step count, the patch dictionaries with their k-means curves and
   * the PSNR-against-size points, the evaluation and sample seeds and the live hyperparameters.
   */
  exportState(): Promise<ModelState> {
    this.assertLive();
    const dictionaries = this.dictionaries;
    if (dictionaries.length === 0) throw new Error('The rCNN has no patch dictionary to save yet');
    const meta = {
      optimizer: this.optimiser.counters(), // { steps }
      evalSeed: this.evalSeed,
      sampleSeed: this.sampleSeed,
      dictionaries: dictionaries.map((d) => ({ history: [...d.history] })),
      sweep: this.sweepPoints.map((point) => ({ ...point })),
    };
    const centroids = dictionaries.map(
      (d, i) => [`state.dictionary.${i}.centroids`, d.centroids] as const,
    );
    const counts: Record<string, StateTensor> = Object.fromEntries(
      dictionaries.map((d, i) => [
        `state.dictionary.${i}.counts`,
        { dtype: 'float32', shape: [d.size], data: Float32Array.from(d.counts) },
      ]),
    );
    return this.saveState(meta, centroids, counts);
  }

  importState(state: ModelState): void {
    const slots = this.dictionarySlots();
    this.restoreState(state, slots, () => {
      const counters = this.optimiser.checkCounters(metaRecord(state.meta, 'optimizer'));
      const evalSeed = metaNumber(state.meta, 'evalSeed', 0, 2 ** 32 - 1);
      const sampleSeed = metaNumber(state.meta, 'sampleSeed', 0, 2 ** 32 - 1);
      const saved = state.meta.dictionaries;
      const sweep = state.meta.sweep;
      const count = slots.length / 2;
      const histories = Array.isArray(saved)
        ? saved.map((d) => (d as { history?: unknown }).history)
        : [];
      const numbers = (value: unknown) =>
        Array.isArray(value) && value.every((x) => typeof x === 'number' && Number.isFinite(x));
      if (histories.length !== count || !histories.every(numbers)) {
        throw new CheckpointError(
          'bad-state',
          `Model state field "dictionaries" must list ${count} k-means curves`,
        );
      }
      const points = Array.isArray(sweep) ? (sweep as SweepPoint[]) : [];
      const validPoint = (p: SweepPoint) =>
        [p?.size, p?.psnr, p?.meanDistance].every(
          (x) => typeof x === 'number' && Number.isFinite(x),
        );
      if (points.length !== count || !points.every(validPoint)) {
        throw new CheckpointError(
          'bad-state',
          `Model state field "sweep" must hold ${count} points of {size, psnr, meanDistance}`,
        );
      }
      if (![evalSeed, sampleSeed].every(Number.isInteger)) {
        throw new CheckpointError('bad-state', 'Model state seeds must be integers');
      }
      return () => {
        this.optimiser.setCounters(counters);
        this.evalSeed = evalSeed;
        this.sampleSeed = sampleSeed;
        const restored = histories.map((history, i) => {
          const centroids = state.tensors[`state.dictionary.${i}.centroids`];
          const counts = state.tensors[`state.dictionary.${i}.counts`].data;
          return new PatchDictionary(
            this.codec,
            tf.tensor2d(centroids.data, centroids.shape as [number, number], 'float32'),
            Float32Array.from(counts),
            this.config.stdScope,
            [...(history as number[])],
          );
        });
        for (const dictionary of this.dictionaries) dictionary.dispose();
        this.dictionaries = restored;
        this.sweepPoints = points.map(({ size, psnr, meanDistance }) => ({
          size,
          psnr,
          meanDistance,
        }));
      };
    });
  }

  protected disposeOwn(): void {
    this.net.dispose();
    for (const dictionary of this.dictionaries) dictionary.dispose();
    this.dictionaries = [];
    this.codec.dispose();
  }
}

export function createRcnnModel(config: RcnnConfig, seed: number): VideoModel {
  return new VideoLanguageModel(config, seed);
}
