/**
 * The rCNN's evaluation and samples (see model.ts for the model and its two tasks): everything it predicts for
 * held-out clips, scored per frame against the truth and against the baselines — copying the last
 * given frame, the optical-flow extrapolation and linear interpolation — with the quantization
 * error of the dictionary as the floor any code prediction has.
 *
 * Shapes: N clips, B = batchSize, T frames, N_x extrapolated frames, H·W pixels, G·G locations.
 */
import * as tf from '@tensorflow/tfjs';
import type { SeededRandom } from '../../data/random';
import { extrapolateFlowBatch } from '../../train/flow-baseline';
import {
  FrameMetricAccumulator,
  accumulateChunk,
  psnrPerImage,
  ssimPerImage,
  sumAbsoluteErrorPerImage,
  sumSquaredErrorPerImage,
} from '../../train/video-metrics';
import type { ChunkMetrics } from '../../train/video-metrics';
import type { EvalResult, SampleView } from '../types';
import type { RcnnConfig } from './config';
import type { PatchDictionary, SweepPoint } from './dictionary';
import { buildSampleViews } from './views';

/** Pixel metrics of each task (cross-entropy of pixels is not this model's loss); SSIM optional. */
const PIXEL_METRICS = ['mse', 'mae', 'psnr', 'ssim'] as const;
type PixelMetric = (typeof PIXEL_METRICS)[number];

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

/** What the sample views show besides predictions. */
export interface SampleContext {
  temperature: number;
  grid: number; // G
  dictionaries: readonly PatchDictionary[]; // the model's first, then the PSNR-curve sizes
  sweep: readonly SweepPoint[];
}

/** What the evaluation needs from the model. */
export interface RcnnPredictor {
  readonly config: RcnnConfig;
  /** Every prediction for clips [B, T, H, W, 1] (called inside tf.tidy). */
  predict(videos: tf.Tensor5D, rng: SeededRandom): ChunkPredictions;
}

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
export async function evaluateRcnn(
  model: RcnnPredictor,
  videos: tf.Tensor5D,
  rng: SeededRandom,
): Promise<EvalResult> {
  const config = model.config;
  const [n, t, h, w] = videos.shape;
  const batch = config.batchSize;
  const curves = new FrameMetricAccumulator();
  const scalars = new FrameMetricAccumulator();
  const flat = videos.reshape([n, t * h * w]) as tf.Tensor2D;
  try {
    for (let start = 0; start < n; start += batch) {
      const rows = Math.min(batch, n - start);
      const flow = await flowBaseline(config, flat, start, [t, h, w]);
      await accumulateChunk(
        () => {
          const clips = batchFrom(flat, start, batch).reshape([batch, t, h, w, 1]) as tf.Tensor5D;
          const flowed = tf.tensor3d(flow, [batch, config.extrapolationFrames, h * w]);
          return chunkMetrics(config, model.predict(clips, rng), flowed);
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
async function flowBaseline(
  config: RcnnConfig,
  flat: tf.Tensor2D,
  start: number,
  [t, h, w]: [number, number, number],
): Promise<Float32Array> {
  const batch = config.batchSize;
  const pairs = tf.tidy(() =>
    batchFrom(flat, start, batch)
      .reshape([batch, t, h * w])
      .slice([0, 0, 0], [batch, 2, h * w]),
  ); // [B, 2, H·W]
  const values = (await pairs.data()) as Float32Array;
  pairs.dispose();
  return extrapolateFlowBatch(values, batch, h, w, config.extrapolationFrames);
}

/**
 * Pixel metrics of predicted frames against the true ones, both [B, n, H·W], per frame [B, n]:
 * the project's conventions (video-metrics.ts: sums over a frame's pixels, PSNR floored at
 * 100 dB), SSIM only with `config.evalSsim`.
 */
function pixelMetrics(
  config: RcnnConfig,
  predicted: tf.Tensor3D,
  truth: tf.Tensor3D,
): Partial<Record<PixelMetric, tf.Tensor2D>> {
  const [b, n] = predicted.shape;
  const side = config.frameSize;
  const images = (x: tf.Tensor3D) => x.reshape([b * n, side, side, 1]) as tf.Tensor4D;
  const perFrame = (x: tf.Tensor1D) => x.reshape([b, n]) as tf.Tensor2D;
  const [p, y] = [images(predicted), images(truth)];
  return {
    mse: perFrame(sumSquaredErrorPerImage(p, y)),
    mae: perFrame(sumAbsoluteErrorPerImage(p, y)),
    psnr: perFrame(psnrPerImage(p, y)),
    ...(config.evalSsim ? { ssim: perFrame(ssimPerImage(p, y)) } : {}),
  };
}

/**
 * `batch` clips from row `start` of flattened clips [N, T·H·W], wrapping around to the first
 * ones: every chunk of evaluation and samples has the same shape (one set of GPU buffers).
 */
export function batchFrom(flat: tf.Tensor2D, start: number, batch: number): tf.Tensor2D {
  const n = flat.shape[0];
  const rows = Int32Array.from({ length: batch }, (_, i) => (start + i) % n);
  return tf.tidy(() => tf.gather(flat, tf.tensor1d(rows, 'int32')) as tf.Tensor2D);
}

/** Per-sequence metrics of one chunk, each [B, frames] (frames = 1 for scalars). */
function chunkMetrics(config: RcnnConfig, p: ChunkPredictions, flow: tf.Tensor3D): ChunkMetrics {
  const [b, , pixels] = p.truth.shape;
  const truthFrames = (from: number, count: number) =>
    p.truth.slice([0, from, 0], [b, count, pixels]) as tf.Tensor3D;
  const out: ChunkMetrics = {
    'test/loss': { tensor: p.nextCodeLoss, curve: true },
    'test/accuracy': { tensor: p.nextCodeCorrect.mean(1, true) as tf.Tensor2D, curve: false },
  };
  const add = (group: string, predicted: tf.Tensor3D, from: number) => {
    const metrics = pixelMetrics(config, predicted, truthFrames(from, predicted.shape[1]));
    for (const [metric, tensor] of Object.entries(metrics)) {
      out[`${group}/${metric}`] = { tensor, curve: true };
    }
  };
  add('extrapolation', p.extrapolated, 2);
  add('baseline/extrapolation', p.copyLast, 2);
  add('baseline/flow/extrapolation', flow, 2);
  add('filling', p.filled, 1);
  add('baseline/filling', p.interpolated, 1);
  const quantization = pixelMetrics(config, p.quantized, p.truth);
  for (const metric of ['mse', 'psnr'] as const) {
    out[`quantization/${metric}`] = {
      tensor: (quantization[metric] as tf.Tensor2D).mean(1, true) as tf.Tensor2D,
      curve: false,
    };
  }
  return out;
}

/**
 * Views of the first `examples` held-out clips (one batch, repeatable noise) and of the
 * dictionary (the model's first, then the PSNR-curve sizes): see views.ts for what each shows.
 */
export async function sampleRcnn(
  model: RcnnPredictor,
  videos: tf.Tensor5D,
  examples: number,
  rng: SeededRandom,
  { temperature, grid, dictionaries, sweep }: SampleContext,
): Promise<SampleView[]> {
  const config = model.config;
  const [dictionary] = dictionaries;
  const [n, t, h, w] = videos.shape;
  const batch = config.batchSize;
  const count = Math.max(0, Math.min(examples, batch, n));
  const tensors = tf.tidy(() => {
    const clips = batchFrom(videos.reshape([n, t * h * w]) as tf.Tensor2D, 0, batch).reshape([
      batch,
      t,
      h,
      w,
      1,
    ]) as tf.Tensor5D;
    const predictions = model.predict(clips, rng);
    const frames = clips.reshape([batch * t, h, w, 1]) as tf.Tensor4D;
    // The same clips through each smaller dictionary of the PSNR curve.
    const sizes = dictionaries
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
    const centroids = await read(dictionary.centroids);
    return buildSampleViews({
      config,
      temperature,
      grid,
      examples: count,
      truth,
      quantized,
      extrapolated,
      copyLast,
      entropy,
      filled,
      interpolated,
      centroids,
      counts: dictionary.counts,
      history: dictionary.history,
      sweep,
      sizes: sizes.map((frames, i) => ({ size: dictionaries[i + 1].size, frames })),
    });
  } finally {
    tf.dispose([...Object.values(tensors.predictions), ...tensors.sizes]);
  }
}
