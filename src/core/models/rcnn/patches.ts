/**
 * Frames ↔ patches for the video language model: the paper's only preprocessing (gray frames
 * divided by their standard deviation), patch extraction with a configurable stride, and the way
 * back — patches laid onto the frame with overlapping pixels averaged.
 *
 * Non-overlapping patches (stride = P) are a reshape and a rank-4 transpose each way. Overlapping
 * ones are one gather each way with fixed index tables: extraction reads, for every patch value,
 * the frame pixel it copies; assembly reads, for every pixel, the patch values that cover it (a
 * zero where it has fewer than the most covered pixel), sums them and divides by their count.
 * One parallel dispatch each way on every backend (tfjs's WebGPU convolutions with one channel,
 * used before, took about a second for the tiny preset's batch on SwiftShader).
 *
 * Shapes: N frames, H = W = frame side, P patch side, G = grid side (patch locations per row),
 * D = P² values per patch.
 */
import * as tf from '@tensorflow/tfjs';
import type { StdScope } from './config';

/** Below this std a frame is treated as flat (a blank frame stays 0 instead of exploding). */
export const STD_FLOOR = 0.01;

export interface PatchGeometry {
  frameSize: number; // H = W
  patchSize: number; // P
  stride: number;
  grid: number; // G = (H − P) / stride + 1
  dims: number; // D = P²
}

export function patchGeometry(frameSize: number, patchSize: number, stride: number): PatchGeometry {
  if ((frameSize - patchSize) % stride !== 0 || patchSize > frameSize || stride > patchSize) {
    throw new Error(
      `Patches of ${patchSize} px at stride ${stride} do not tile ${frameSize}-px frames`,
    );
  }
  return {
    frameSize,
    patchSize,
    stride,
    grid: (frameSize - patchSize) / stride + 1,
    dims: patchSize * patchSize,
  };
}

/** For each patch value (gy, gx, dy·P + dx), the frame pixel y·H + x it copies: [G·G·D]. */
function patchPixels({ frameSize, patchSize: p, stride, grid: g }: PatchGeometry): Int32Array {
  const pixels = new Int32Array(g * g * p * p);
  let i = 0;
  for (let gy = 0; gy < g; gy++) {
    for (let gx = 0; gx < g; gx++) {
      for (let dy = 0; dy < p; dy++) {
        for (let dx = 0; dx < p; dx++)
          pixels[i++] = (gy * stride + dy) * frameSize + gx * stride + dx;
      }
    }
  }
  return pixels;
}

/**
 * For each frame pixel, the patch values covering it as indices into the patches flattened to
 * [G·G·D], padded with G·G·D (a zero appended to them): [H·W, C], C the most any pixel has; and
 * how many cover each pixel, [H·W].
 */
function pixelSources(
  geometry: PatchGeometry,
  pixels: Int32Array,
): { sources: Int32Array; width: number; coverage: Float32Array } {
  const area = geometry.frameSize * geometry.frameSize;
  const coverage = new Float32Array(area);
  for (const pixel of pixels) coverage[pixel]++;
  const width = coverage.reduce((most, count) => Math.max(most, count), 0);
  const sources = new Int32Array(area * width).fill(pixels.length);
  const filled = new Int32Array(area);
  pixels.forEach((pixel, value) => {
    sources[pixel * width + filled[pixel]++] = value;
  });
  return { sources, width, coverage };
}

/** The index tables of one overlapping patch geometry (see the top of the file). */
interface OverlapTables {
  patchPixels: tf.Tensor1D; // [G·G·D] int32
  pixelSources: tf.Tensor1D; // [H·W·C] int32
  sourcesPerPixel: number; // C
  inverseCoverage: tf.Tensor2D; // [1, H·W]: 1 / patches covering each pixel
}

/**
 * The fixed tensors of one patch geometry (index tables where patches overlap). Owns them until
 * `dispose`.
 */
export class PatchCodec {
  private readonly overlap: OverlapTables | null;

  constructor(readonly geometry: PatchGeometry) {
    if (geometry.stride === geometry.patchSize) {
      this.overlap = null;
      return;
    }
    const pixels = patchPixels(geometry);
    const { sources, width, coverage } = pixelSources(geometry, pixels);
    this.overlap = {
      patchPixels: tf.tensor1d(pixels, 'int32'),
      pixelSources: tf.tensor1d(sources, 'int32'),
      sourcesPerPixel: width,
      inverseCoverage: tf.tensor2d(
        coverage.map((count) => 1 / count), // every pixel is covered (tiling checked)
        [1, coverage.length],
      ),
    };
  }

  /** Frames [N, H, W, 1] → patches [N, G, G, D]. */
  extract(frames: tf.Tensor4D): tf.Tensor4D {
    const { grid: g, patchSize: p, dims, frameSize } = this.geometry;
    const n = frames.shape[0];
    const overlap = this.overlap;
    return tf.tidy(() => {
      if (overlap) {
        const flat = frames.reshape([n, frameSize * frameSize]); // [N, H·W]
        return tf.gather(flat, overlap.patchPixels, 1).reshape([n, g, g, dims]) as tf.Tensor4D;
      }
      return frames
        .reshape([n * g, p, g, p]) // [N·G rows of patches, dy, G, dx]
        .transpose([0, 2, 1, 3]) // [N·G, G, dy, dx]
        .reshape([n, g, g, dims]) as tf.Tensor4D;
    });
  }

  /** Patches [N, G, G, D] → frames [N, H, W, 1], overlapping pixels averaged. */
  assemble(patches: tf.Tensor4D): tf.Tensor4D {
    const { frameSize, grid: g, patchSize: p, dims } = this.geometry;
    const overlap = this.overlap;
    return tf.tidy(() => {
      const n = patches.shape[0];
      if (overlap) {
        const area = frameSize * frameSize;
        const values = patches.reshape([n, g * g * dims]).pad([
          [0, 0],
          [0, 1],
        ]); // [N, G·G·D + 1]: the last one a zero
        const covering = tf
          .gather(values, overlap.pixelSources, 1)
          .reshape([n, area, overlap.sourcesPerPixel]); // [N, H·W, C]
        return covering
          .sum(2)
          .mul(overlap.inverseCoverage)
          .reshape([n, frameSize, frameSize, 1]) as tf.Tensor4D;
      }
      return patches
        .reshape([n * g, g, p, p])
        .transpose([0, 2, 1, 3]) // [N·G, dy, G, dx]
        .reshape([n, frameSize, frameSize, 1]) as tf.Tensor4D;
    });
  }

  dispose(): void {
    if (!this.overlap) return;
    const { patchPixels, pixelSources, inverseCoverage } = this.overlap;
    tf.dispose([patchPixels, pixelSources, inverseCoverage]);
  }
}

/**
 * The standard deviation each frame is divided by, [N·T] for frames [N·T, H, W, 1] of N clips
 * of T frames: each frame's own ('frame') or its clip's ('video'), floored at STD_FLOOR.
 */
export function frameStds(frames: tf.Tensor4D, clipFrames: number, scope: StdScope): tf.Tensor1D {
  return tf.tidy(() => {
    const count = frames.shape[0];
    const rows = scope === 'frame' ? count : count / clipFrames;
    const flat = frames.reshape([rows, -1]); // [rows, pixels]
    const { variance } = tf.moments(flat, 1); // [rows]
    const std = tf.sqrt(variance).maximum(STD_FLOOR) as tf.Tensor1D;
    if (scope === 'frame') return std;
    // One std per clip, repeated for each of its frames: [N] → [N, T] → [N·T].
    return std.reshape([rows, 1]).tile([1, clipFrames]).reshape([count]) as tf.Tensor1D;
  });
}

/** frames [M, H, W, 1] / std [M] (one per frame). */
export function divideByStd(frames: tf.Tensor4D, std: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => frames.div(std.reshape([-1, 1, 1, 1])) as tf.Tensor4D);
}

/** Normalised frames [M, H, W, 1] · std [M], clipped to the pixel range [0, 1]. */
export function restoreScale(frames: tf.Tensor4D, std: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => frames.mul(std.reshape([-1, 1, 1, 1])).clipByValue(0, 1) as tf.Tensor4D);
}
