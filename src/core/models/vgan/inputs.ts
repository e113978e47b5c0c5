/**
 * The video GAN's generator inputs (see model.ts): codes z ~ N(0, I) drawn on the CPU from seeded
 * streams, so that every backend trains and samples on the same noise; the fixed codes of the
 * sample views; and the first frames that image-to-video starts from.
 *
 * Shapes: B batch, T frames, S frame side, C channels, Z latent size.
 */
import * as tf from '@tensorflow/tfjs';
import type { SeededRandom } from '../../data/random';

/** One code [Z] ~ N(0, I). */
export function normalVector(rng: SeededRandom, size: number): Float32Array {
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.normal();
  return values;
}

/** Codes z ~ N(0, I) [rows, Z]. */
export function normalCodes(rng: SeededRandom, rows: number, zDim: number): tf.Tensor2D {
  const values = new Float32Array(rows * zDim);
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  return tf.tensor2d(values, [rows, zDim]);
}

/** The fixed codes (each [Z]), cycled to `rows` rows, flattened [rows·Z]. */
export function fixedRows(codes: readonly Float32Array[], rows: number): Float32Array {
  const z = codes[0].length;
  const out = new Float32Array(rows * z);
  for (let r = 0; r < rows; r++) out.set(codes[r % codes.length], r * z);
  return out;
}

/** First frames of videos [B, T, S, S, C] → [B, S, S, C] (a rank-3 slice: safe on WebGPU). */
export function firstFrames(videos: tf.Tensor5D): tf.Tensor4D {
  const [b, t, h, w, c] = videos.shape;
  return videos
    .reshape([b, t, h * w * c])
    .slice([0, 0, 0], [b, 1, h * w * c])
    .reshape([b, h, w, c]);
}
