/**
 * Frames ↔ patches for the video language model: the paper's only preprocessing (gray frames
 * divided by their standard deviation), patch extraction with a configurable stride, and the way
 * back — patches laid onto the frame with overlapping pixels averaged.
 *
 * Non-overlapping patches (stride = P) are a reshape and a rank-4 transpose each way. Overlapping
 * ones are one convolution with a fixed one-hot filter [P, P, 1, P²] (output channel dy·P + dx
 * reads pixel (dy, dx) of the window): conv2d extracts every patch as a P²-vector,
 * conv2dTranspose sums patch vectors back onto the frame, and dividing by the same transpose of
 * ones averages where patches overlap. Rank-4 kernels only, on every backend.
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

/** The one-hot filter [P, P, 1, P²]: output channel dy·P + dx copies window pixel (dy, dx). */
function oneHotFilter(patchSize: number): tf.Tensor4D {
  const d = patchSize * patchSize;
  const values = new Float32Array(d * d);
  for (let i = 0; i < d; i++) values[i * d + i] = 1; // [dy, dx] row i, channel i
  return tf.tensor4d(values, [patchSize, patchSize, 1, d]);
}

/**
 * The fixed tensors of one patch geometry: the one-hot filter and the per-pixel coverage count
 * (how many patches contain each pixel, [1, H, W, 1]). Owns them until `dispose`.
 */
export class PatchCodec {
  private readonly filter: tf.Tensor4D;
  private readonly coverage: tf.Tensor4D;

  constructor(readonly geometry: PatchGeometry) {
    const { grid, dims, frameSize, stride } = geometry;
    this.filter = oneHotFilter(geometry.patchSize);
    this.coverage = tf.tidy(() =>
      tf.conv2dTranspose(
        tf.ones([1, grid, grid, dims]) as tf.Tensor4D,
        this.filter,
        [1, frameSize, frameSize, 1],
        stride,
        'valid',
      ),
    );
  }

  /** Whether patches tile the frame without overlap (the fast path). */
  private get tiles(): boolean {
    return this.geometry.stride === this.geometry.patchSize;
  }

  /** Frames [N, H, W, 1] → patches [N, G, G, D]. */
  extract(frames: tf.Tensor4D): tf.Tensor4D {
    const { grid: g, patchSize: p, dims, stride } = this.geometry;
    const n = frames.shape[0];
    if (!this.tiles) return tf.conv2d(frames, this.filter, stride, 'valid');
    return tf.tidy(
      () =>
        frames
          .reshape([n * g, p, g, p]) // [N·G rows of patches, dy, G, dx]
          .transpose([0, 2, 1, 3]) // [N·G, G, dy, dx]
          .reshape([n, g, g, dims]) as tf.Tensor4D,
    );
  }

  /** Patches [N, G, G, D] → frames [N, H, W, 1], overlapping pixels averaged. */
  assemble(patches: tf.Tensor4D): tf.Tensor4D {
    const { frameSize, stride, grid: g, patchSize: p } = this.geometry;
    return tf.tidy(() => {
      const n = patches.shape[0];
      if (this.tiles) {
        return patches
          .reshape([n * g, g, p, p])
          .transpose([0, 2, 1, 3]) // [N·G, dy, G, dx]
          .reshape([n, frameSize, frameSize, 1]) as tf.Tensor4D;
      }
      const summed = tf.conv2dTranspose(
        patches,
        this.filter,
        [n, frameSize, frameSize, 1],
        stride,
        'valid',
      );
      return summed.div(this.coverage) as tf.Tensor4D; // coverage ≥ 1 everywhere (tiling checked)
    });
  }

  dispose(): void {
    this.filter.dispose();
    this.coverage.dispose();
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
