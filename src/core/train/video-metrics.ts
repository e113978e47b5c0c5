/**
 * Frame-quality metrics for video prediction, computed on the GPU with tfjs and shared by every
 * model: per-frame cross-entropy, squared and absolute error (sums over pixels, the Moving MNIST
 * convention of Srivastava et al. 2015 and later work), PSNR and SSIM (Wang, Bovik, Sheikh,
 * Simoncelli 2004: gaussian 11×11 window, σ = 1.5, K1 = 0.01, K2 = 0.03, mean over the 'valid'
 * window positions, as in the authors' reference implementation).
 *
 * Helpers take frames as [N, H, W, C] (rank 4: WebGPU mishandles some rank-5 ops) and return one
 * value per frame ([N]). `FrameMetricAccumulator` turns per-frame values read back from several
 * evaluation chunks into an `EvalResult`.
 */
import * as tf from '@tensorflow/tfjs';
import type { EvalResult } from '../models/types';

export interface SsimOptions {
  windowSize?: number; // 11; shrunk to the frame size for frames smaller than the window
  sigma?: number; // 1.5
  k1?: number; // 0.01
  k2?: number; // 0.03
  dataRange?: number; // 1 for frames in [0, 1]
  filter?: GaussianFilter; // how the window is applied (default: `gaussianFilterFor` the backend)
}

/**
 * How the separable gaussian window is applied: two one-channel convolutions ('convolutions',
 * `size` products a pixel and pass) or two products with band matrices ('band-products', H or W
 * products a pixel and pass, but each one large dispatch).
 */
export type GaussianFilter = 'convolutions' | 'band-products';

/**
 * The filter for the active backend: convolutions on the CPU, where tfjs's conv2d is direct and
 * the band products cost 1.5× (64-px frames) to 2× (128 px) as much; band products elsewhere, as
 * tfjs's WebGPU conv2d on one channel took about a second for an evaluation chunk on SwiftShader
 * (a matrix-product convolution over few workgroups).
 */
export function gaussianFilterFor(backend: string): GaussianFilter {
  return backend === 'cpu' ? 'convolutions' : 'band-products';
}

/**
 * A normalised 1D gaussian [size]: the 2D window of Wang et al. is its outer product with itself,
 * so the window's filter is a pass down the columns and one along the rows.
 */
export function gaussianKernel(size: number, sigma: number): Float32Array {
  const half = (size - 1) / 2;
  const weights = Float32Array.from({ length: size }, (_, i) =>
    Math.exp(-((i - half) ** 2) / (2 * sigma * sigma)),
  );
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/**
 * The gaussian window's pass down the columns as a matrix [1, outer, inner] (outer = inner −
 * size + 1, the 'valid' positions): row i holds the kernel at columns i … i + size − 1, so a
 * matMul with it filters every column of a batch of images at once.
 */
function bandMatrix(kernel: Float32Array, inner: number): tf.Tensor3D {
  const size = kernel.length;
  const outer = inner - size + 1;
  const band = new Float32Array(outer * inner);
  for (let i = 0; i < outer; i++) band.set(kernel, i * inner + i);
  return tf.tensor3d(band, [1, outer, inner]);
}

/** Images [K, H, W] filtered by `kernel` down the columns, then along the rows ('valid'): [K, h, w]. */
function separableFilter(
  images: tf.Tensor3D,
  kernel: Float32Array,
  filter: GaussianFilter,
): tf.Tensor3D {
  const [k, height, width] = images.shape;
  const size = kernel.length;
  if (filter === 'band-products') {
    const down = tf.matMul(bandMatrix(kernel, height), images); // [K, h, W]
    return tf.matMul(down, bandMatrix(kernel, width), false, true); // [K, h, w]
  }
  const x = images.reshape([k, height, width, 1]) as tf.Tensor4D;
  const down = tf.conv2d(x, tf.tensor4d(kernel, [size, 1, 1, 1]), 1, 'valid'); // [K, h, W, 1]
  const filtered = tf.conv2d(down, tf.tensor4d(kernel, [1, size, 1, 1]), 1, 'valid'); // [K, h, w, 1]
  return filtered.reshape([k, height - size + 1, width - size + 1]);
}

/**
 * Mean SSIM of each image pair, [N, H, W, C] × [N, H, W, C] → [N]. Channels are scored separately
 * and averaged. All five local statistics come from one filtering of a [5·N·C, H, W] stack.
 */
export function ssimPerImage(
  a: tf.Tensor4D,
  b: tf.Tensor4D,
  options: SsimOptions = {},
): tf.Tensor1D {
  const { sigma = 1.5, k1 = 0.01, k2 = 0.03, dataRange = 1 } = options;
  const [n, height, width, channels] = a.shape;
  const size = Math.min(options.windowSize ?? 11, height, width);
  return tf.tidy(() => {
    // Channels last → separate single-channel images (M = N·C).
    const separate = (image: tf.Tensor4D): tf.Tensor3D =>
      (channels === 1 ? image : tf.transpose(image, [0, 3, 1, 2])).reshape([
        n * channels,
        height,
        width,
      ]);
    const x = separate(a); // [M, H, W]
    const y = separate(b); // [M, H, W]
    const stacked = tf.concat([x, y, x.square(), y.square(), x.mul(y)], 0) as tf.Tensor3D; // [5M, H, W]
    // The gaussian window, separably: down the columns, then along the rows.
    const kernel = gaussianKernel(size, sigma);
    const filtered = separableFilter(
      stacked,
      kernel,
      options.filter ?? gaussianFilterFor(tf.getBackend()),
    ); // [5M, h, w]
    const [muX, muY, xx, yy, xy] = tf.split(filtered, 5, 0); // each [M, h, w]
    const muXX = muX.square();
    const muYY = muY.square();
    const muXY = muX.mul(muY);
    const varX = xx.sub(muXX);
    const varY = yy.sub(muYY);
    const covXY = xy.sub(muXY);
    const c1 = (k1 * dataRange) ** 2;
    const c2 = (k2 * dataRange) ** 2;
    const numerator = muXY.mul(2).add(c1).mul(covXY.mul(2).add(c2));
    const denominator = muXX.add(muYY).add(c1).mul(varX.add(varY).add(c2));
    const map = numerator.div(denominator); // [M, h, w]
    return map.mean([1, 2]).reshape([n, channels]).mean(1) as tf.Tensor1D; // [N]
  });
}

/** Sum over pixels of the squared error of each image: [N, H, W, C] → [N]. */
export function sumSquaredErrorPerImage(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => tf.squaredDifference(a, b).sum([1, 2, 3]) as tf.Tensor1D);
}

/** Sum over pixels of the absolute error of each image: [N, H, W, C] → [N]. */
export function sumAbsoluteErrorPerImage(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => tf.sub(a, b).abs().sum([1, 2, 3]) as tf.Tensor1D);
}

/**
 * PSNR of each image in dB, 10·log10(range² / mean squared error) → [N]. The mean squared error is
 * floored at 1e-10 so identical images score 100 dB (plus 20·log10(range)) instead of Infinity.
 */
export function psnrPerImage(a: tf.Tensor4D, b: tf.Tensor4D, dataRange = 1): tf.Tensor1D {
  return tf.tidy(() => {
    const mse = tf.squaredDifference(a, b).mean([1, 2, 3]).maximum(1e-10); // [N]
    return tf.log(tf.div(dataRange * dataRange, mse)).mul(10 / Math.LN10) as tf.Tensor1D;
  });
}

/**
 * Bernoulli cross-entropy summed over pixels, −Σ t·log p + (1 − t)·log(1 − p), with p clamped to
 * [eps, 1 − eps] → [N]. `targets` in [0, 1] (gray values act as soft targets), `probs` in [0, 1].
 */
export function bernoulliCrossEntropyPerImage(
  targets: tf.Tensor4D,
  probs: tf.Tensor4D,
  eps = 1e-7,
): tf.Tensor1D {
  return tf.tidy(() => {
    const p = probs.clipByValue(eps, 1 - eps);
    const logLikelihood = targets.mul(p.log()).add(tf.sub(1, targets).mul(tf.sub(1, p).log()));
    return logLikelihood.sum([1, 2, 3]).neg() as tf.Tensor1D;
  });
}

export const FRAME_METRICS = ['cross_entropy', 'mse', 'mae', 'psnr', 'ssim'] as const;
export type FrameMetric = (typeof FRAME_METRICS)[number];

/**
 * Every frame metric for predicted videos against targets, both [N, T, H, W, C] in [0, 1]
 * (reshaped to [N·T, H, W, C] before any op). Returns one [N, T] tensor per metric:
 * cross_entropy and mse/mae are sums over pixels, psnr in dB, ssim in [-1, 1].
 */
export function frameMetrics(
  predictions: tf.Tensor,
  targets: tf.Tensor,
): Record<FrameMetric, tf.Tensor2D> {
  const [n, t, height, width, channels] = targets.shape;
  if (predictions.shape.join() !== targets.shape.join()) {
    throw new Error(
      `frameMetrics: predictions ${predictions.shape} and targets ${targets.shape} differ`,
    );
  }
  return tf.tidy(() => {
    const p = predictions.reshape([n * t, height, width, channels]) as tf.Tensor4D; // [NT, H, W, C]
    const y = targets.reshape([n * t, height, width, channels]) as tf.Tensor4D; // [NT, H, W, C]
    const perFrame = (values: tf.Tensor1D) => values.reshape([n, t]) as tf.Tensor2D; // [N, T]
    return {
      cross_entropy: perFrame(bernoulliCrossEntropyPerImage(y, p)),
      mse: perFrame(sumSquaredErrorPerImage(p, y)),
      mae: perFrame(sumAbsoluteErrorPerImage(p, y)),
      psnr: perFrame(psnrPerImage(p, y)),
      ssim: perFrame(ssimPerImage(p, y)),
    };
  });
}

/**
 * Accumulates per-sequence, per-frame values ([rows, T], read back from the GPU chunk by chunk)
 * and reports their means: `perFrame[name][t]` averages over sequences, `scalars[name]` over
 * sequences and frames.
 */
export class FrameMetricAccumulator {
  private readonly sums = new Map<string, Float64Array>();
  private readonly counts = new Map<string, number>();

  /** Adds the first `rows` rows of `values` (row-major [≥rows, frames]). */
  add(name: string, values: ArrayLike<number>, rows: number, frames: number): void {
    let sums = this.sums.get(name);
    if (!sums) {
      sums = new Float64Array(frames);
      this.sums.set(name, sums);
    }
    if (sums.length !== frames) {
      throw new Error(`Metric ${name}: ${frames} frames given, ${sums.length} before`);
    }
    for (let row = 0; row < rows; row++) {
      for (let t = 0; t < frames; t++) sums[t] += values[row * frames + t];
    }
    this.counts.set(name, (this.counts.get(name) ?? 0) + rows);
  }

  result(): EvalResult {
    const scalars: Record<string, number> = {};
    const perFrame: Record<string, number[]> = {};
    for (const [name, sums] of this.sums) {
      const count = this.counts.get(name) ?? 0;
      const curve = Array.from(sums, (sum) => sum / count);
      perFrame[name] = curve;
      scalars[name] = curve.reduce((a, b) => a + b, 0) / curve.length;
    }
    return { scalars, perFrame };
  }
}

/**
 * Per-example metric tensors of one evaluation chunk, each [B, frames] (frames = 1 for a scalar);
 * `curve` marks the ones that also get a per-frame curve.
 */
export type ChunkMetrics = Record<string, { tensor: tf.Tensor2D; curve: boolean }>;

/**
 * Computes one chunk's metrics (inside a tidy), reads them all back with one GPU→CPU transfer,
 * and adds the first `rows` examples of each to `curves` or `scalars` (the others are padding).
 */
export async function accumulateChunk(
  compute: () => ChunkMetrics,
  rows: number,
  curves: FrameMetricAccumulator,
  scalars: FrameMetricAccumulator,
): Promise<void> {
  const layout: { name: string; size: number; frames: number; curve: boolean }[] = [];
  const values = tf.tidy(() => {
    const metrics = compute();
    for (const [name, m] of Object.entries(metrics)) {
      layout.push({ name, size: m.tensor.size, frames: m.tensor.shape[1], curve: m.curve });
    }
    return tf.concat(Object.values(metrics).map((m) => m.tensor.reshape([-1])));
  });
  const data = await values.data();
  values.dispose();
  let offset = 0;
  for (const { name, size, frames, curve } of layout) {
    (curve ? curves : scalars).add(name, data.subarray(offset, offset + size), rows, frames);
    offset += size;
  }
}
