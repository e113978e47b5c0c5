/**
 * Labelled clips for probes, turned into a model's input a batch at a time: Moving MNIST clips
 * kept as uint8 frames (20 KB a clip at 20 × 32 × 32); the user's own in file-labels.ts.
 */
import type * as tf from '@tensorflow/tfjs';
import { movingMnistLabels } from '../data/labels';
import type { ClipLabels, LabelTask } from '../data/labels';
import type { MnistImages, MnistLabels } from '../data/mnist';
import { MovingMnistGenerator } from '../data/moving-mnist';
import type { MovingMnistOptions, VideoBytes } from '../data/types';
import { bytesToTensor } from '../data/video-stream';
import type { DataRequirements } from '../models/types';

/** MNIST digit images with their classes (the train or the test split). */
export interface LabelledDigits {
  images: MnistImages;
  labels: MnistLabels;
}

/** Labelled clips a probe reads: their labels and any of them as a model's input. */
export interface LabelledClips {
  labels: ClipLabels;
  /** Clips `indices` as the input [B, T, H, W, C] of a model that needs `needs`. */
  batch(indices: ArrayLike<number>, needs: DataRequirements): tf.Tensor5D;
}

/** `n` clips drawn from `digits` with generator seed `seed`, labelled for `task`. */
export function drawLabelledClips(
  digits: LabelledDigits,
  options: MovingMnistOptions,
  n: number,
  seed: number,
  task: LabelTask,
): LabelledClips {
  const { videos, layout } = new MovingMnistGenerator(
    digits.images,
    options,
    seed,
  ).nextBatchWithLayout(n);
  return {
    labels: movingMnistLabels(layout, options.digits, digits.labels, task),
    batch: (indices, needs) => clipBatch(videos, indices, needs),
  };
}

/** Clips `indices` of `videos` [N, T, H, W] as a model's input [B, T, H, W, C]. */
function clipBatch(
  videos: VideoBytes,
  indices: ArrayLike<number>,
  needs: DataRequirements,
): tf.Tensor5D {
  const { t, height, width } = videos;
  const size = t * height * width;
  const data = new Uint8Array(indices.length * size);
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j];
    data.set(videos.data.subarray(i * size, (i + 1) * size), j * size);
  }
  return bytesToTensor({ data, n: indices.length, t, height, width }, needs);
}

/** Consecutive runs of at most `batch` of `indices`. */
export function batchesOf(indices: ArrayLike<number>, batch: number): number[][] {
  const out: number[][] = [];
  for (let start = 0; start < indices.length; start += batch) {
    out.push(
      Array.from({ length: Math.min(batch, indices.length - start) }, (_, j) => indices[start + j]),
    );
  }
  return out;
}
