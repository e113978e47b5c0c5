/**
 * Stress tests of a future predictor, after Srivastava, Mansimov, Salakhutdinov, "Unsupervised
 * learning of video representations using LSTMs" (ICML 2015): the model trained on Moving MNIST with d digits predicts clips with one
 * digit fewer and one more than it ever saw (out-of-domain inputs), and is rolled out far past the
 * number of frames it was trained to predict (longer time scales) — each scored beside its
 * in-domain score and the copy-last-frame and optical-flow baselines on the same clips.
 *
 * Clips come from the 10,000 MNIST test digits with a fixed seed of their own, so every run and
 * checkpoint of a data spec is tested on the same clips. Any model with a `futurePredictor` can be tested.
 *
 * Shapes: clips [N, Tin + K, H, W, 1]; predictions [N, K, H, W, 1] in [0, 1].
 */
import * as tf from '@tensorflow/tfjs';
import type { MnistImages } from '../data/mnist';
import { ConfigError } from '../models/config-schema';
import { MovingMnistGenerator } from '../data/moving-mnist';
import type { MovingMnistOptions } from '../data/types';
import { bytesToTensor } from '../data/video-stream';
import type { EvalResult, FramePanel, FuturePredictor, VideoModel } from '../models/types';
import { extrapolateFlowBatch } from './flow-baseline';
import { FrameMetricAccumulator, frameMetrics } from './video-metrics';

/** The seed of the stress-test clips (the held-out set has its own). */
export const STRESS_TEST_SEED = 20150208;

export type StressCase = 'in-domain' | 'fewer-digits' | 'more-digits' | 'long-horizon';

export interface StressTestOptions {
  /** Clips per case (default 64). */
  clips?: number;
  /** Frames the long-horizon case predicts (default 3 × the frames the model was trained on). */
  horizon?: number;
  /** Clips per model call (default: the model's batch size). */
  batchSize?: number;
}

/** Metrics scored, each per predicted frame (sums over a frame's pixels; PSNR in dB). */
export const STRESS_METRICS = ['mse', 'cross_entropy', 'psnr'] as const;

export interface StressCaseResult {
  case: StressCase;
  digits: number;
  givenFrames: number;
  predictedFrames: number;
  /** Frames the model was trained to predict: the long-horizon case goes past them. */
  trainedFrames: number;
  clips: number;
  /**
   * `prediction/<metric>`, `baseline/<metric>` (copy the last given frame) and
   * `baseline/flow/<metric>` (optical-flow extrapolation), averaged over clips, with per-frame
   * curves over the predicted frames.
   */
  scores: EvalResult;
  /** The first clip: its given frames, the true future and the model's prediction. */
  example: FramePanel[];
}

export interface StressReport {
  trainedDigits: number;
  cases: StressCaseResult[];
}

/**
 * Runs every case on `model` (it must have a `futurePredictor`), trained on Moving MNIST with `trained`
 * options (digits, canvas, speed…), on clips of the MNIST test digits `testDigits`.
 */
export async function stressTest(
  model: VideoModel,
  testDigits: MnistImages,
  trained: MovingMnistOptions,
  options: StressTestOptions = {},
): Promise<StressReport> {
  const rollout = model.futurePredictor;
  if (!rollout) {
    throw new ConfigError(
      'model',
      `Stress tests need a model that predicts frames from given ones; this ${model.kind} model does not`,
    );
  }
  const { givenFrames, trainedFrames } = rollout;
  const clips = options.clips ?? 64;
  const horizon = options.horizon ?? 3 * trainedFrames;
  const batchSize = options.batchSize ?? model.data.batchSize;
  for (const [name, value, least] of [
    ['clips', clips, 1],
    ['horizon', horizon, 1],
    ['batchSize', batchSize, 1],
  ] as const) {
    if (!Number.isInteger(value) || value < least || value > 1000) {
      throw new ConfigError(name, `${name} must be a whole number in ${least}…1000, got ${value}`);
    }
  }
  const cases: { case: StressCase; digits: number; frames: number }[] = [
    { case: 'in-domain', digits: trained.digits, frames: trainedFrames },
    ...(trained.digits > 1
      ? [{ case: 'fewer-digits' as const, digits: trained.digits - 1, frames: trainedFrames }]
      : []),
    { case: 'more-digits', digits: trained.digits + 1, frames: trainedFrames },
    { case: 'long-horizon', digits: trained.digits, frames: horizon },
  ];
  // Fewer clips than a batch are scored as one batch of that many, not padded to a full one.
  const batch = Math.min(batchSize, clips);
  const results: StressCaseResult[] = [];
  for (const c of cases) {
    const generatorOptions = { ...trained, digits: c.digits, frames: givenFrames + c.frames };
    const bytes = new MovingMnistGenerator(
      testDigits,
      generatorOptions,
      STRESS_TEST_SEED,
    ).nextBatch(clips);
    results.push(
      await scoreCase(model, bytes, { ...c, givenFrames, trainedFrames, clips, batchSize: batch }),
    );
  }
  return { trainedDigits: trained.digits, cases: results };
}

async function scoreCase(
  model: VideoModel,
  bytes: ReturnType<MovingMnistGenerator['nextBatch']>,
  c: {
    case: StressCase;
    digits: number;
    frames: number;
    givenFrames: number;
    trainedFrames: number;
    clips: number;
    batchSize: number;
  },
): Promise<StressCaseResult> {
  const rollout = model.futurePredictor as FuturePredictor;
  const { givenFrames, frames, clips, batchSize } = c;
  const { height, width } = bytes;
  const pixels = height * width;
  const input = bytesToTensor(bytes, model.data); // [N, Tin + K, H, W, C] in the model's range
  const unit = bytesToTensor(bytes, { ...model.data, range: 'unit', channels: 1 }); // [N, Tin + K, H, W, 1]
  const accumulator = new FrameMetricAccumulator();
  let example: FramePanel[] = [];
  try {
    for (let start = 0; start < clips; start += batchSize) {
      const rows = Math.min(batchSize, clips - start);
      const index = tf.tensor1d(
        Array.from({ length: batchSize }, (_, i) => (start + i) % clips),
        'int32',
      );
      const lastTwo = tf.tidy(() =>
        tf
          .gather(unit, index)
          .slice([0, givenFrames - 2, 0, 0, 0], [batchSize, 2, height, width, 1]),
      );
      const pairs = (await lastTwo.data()) as Float32Array;
      lastTwo.dispose();
      const flow = extrapolateFlowBatch(pairs, batchSize, height, width, frames);
      const parts = tf.tidy(() => {
        const clipsIn = tf.gather(input, index) as tf.Tensor5D;
        const truthAll = tf.gather(unit, index) as tf.Tensor5D;
        const truth = truthAll.slice(
          [0, givenFrames, 0, 0, 0],
          [batchSize, frames, height, width, 1],
        ) as tf.Tensor5D; // [B, K, H, W, 1]
        const predicted = rollout.predict(clipsIn, frames); // [B, K, H, W, 1]
        const last = truthAll.slice(
          [0, givenFrames - 1, 0, 0, 0],
          [batchSize, 1, height, width, 1],
        );
        const copied = tf.tile(last, [1, frames, 1, 1, 1]) as tf.Tensor5D;
        const flowed = tf.tensor5d(flow, [batchSize, frames, height, width, 1]);
        const named: Record<string, tf.Tensor2D> = {};
        for (const [group, p] of [
          ['prediction', predicted],
          ['baseline', copied],
          ['baseline/flow', flowed],
        ] as const) {
          const m = frameMetrics(p, truth);
          for (const metric of STRESS_METRICS) named[`${group}/${metric}`] = m[metric];
        }
        return {
          named,
          given: truthAll.slice([0, 0, 0, 0, 0], [1, givenFrames, height, width, 1]),
          future: truth.slice([0, 0, 0, 0, 0], [1, frames, height, width, 1]),
          prediction: predicted.slice([0, 0, 0, 0, 0], [1, frames, height, width, 1]),
        };
      });
      index.dispose();
      const names = Object.keys(parts.named);
      const values = await Promise.all(names.map((n) => parts.named[n].data()));
      const metrics = Object.fromEntries(names.map((n, i) => [n, values[i] as Float32Array]));
      for (const name of names) accumulator.add(name, metrics[name], rows, frames);
      if (start === 0) {
        const [given, future, prediction] = (await Promise.all([
          parts.given.data(),
          parts.future.data(),
          parts.prediction.data(),
        ])) as Float32Array[];
        const panel = (label: string, data: Float32Array, t: number, timeOffset: number) => ({
          label,
          frames: data.slice(0, t * pixels),
          t,
          height,
          width,
          channels: 1 as const,
          timeOffset,
        });
        example = [
          panel('Given', given, givenFrames, 0),
          panel('Ground truth', future, frames, givenFrames),
          panel('Prediction', prediction, frames, givenFrames),
        ];
      }
      tf.dispose([...Object.values(parts.named), parts.given, parts.future, parts.prediction]);
    }
  } finally {
    tf.dispose([input, unit]);
  }
  return {
    case: c.case,
    digits: c.digits,
    givenFrames,
    predictedFrames: frames,
    trainedFrames: c.trainedFrames,
    clips,
    scores: accumulator.result(),
    example,
  };
}

/** Mean of a per-frame curve over frames [from, to) (predicted-frame indices, 0-based). */
export function meanOver(curve: readonly number[], from: number, to: number): number {
  const part = curve.slice(from, to);
  return part.length ? part.reduce((a, b) => a + b, 0) / part.length : NaN;
}
