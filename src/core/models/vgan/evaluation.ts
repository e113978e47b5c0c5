/**
 * The video GAN's evaluation (see model.ts for the model): held-out videos against generated ones,
 * through the discriminator and simple statistics of motion and variety.
 *
 * Shapes: N clips, B batch, T frames, S frame side (H = W = S), C channels.
 */
import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '../../data/random';
import { FrameMetricAccumulator, accumulateChunk } from '../../train/video-metrics';
import type { ChunkMetrics } from '../../train/video-metrics';
import type { EvalResult } from '../types';
import { firstFrames, normalCodes } from './inputs';
import type { VganParts } from './views';

/**
 * Held-out videos [N, T, S, S, C] in chunks of batchSize (the last chunk wraps around to keep
 * shapes fixed; wrapped rows are not counted), each against a batch of generated videos — from
 * the same fixed noise at every evaluation, or (image-to-video) from the chunk's first frames.
 * Names (group/metric):
 *   real/d_accuracy, generated/d_accuracy  fraction D classifies correctly (logit > 0 = real)
 *   real/p_real, generated/p_real          D's mean probability that the video is real
 *   real/spread, generated/spread          mean |x − batch mean| per pixel, in the [-1, 1] range:
 *                                          how much the videos differ (mode collapse: far below
 *                                          the real spread); per frame
 *   real/motion, generated/motion          mean |x_{t+1} − x_t| per pixel, in the [-1, 1] range;
 *                                          per frame: entry t is the change into frame t + 1
 *   generated/mask_l1                      mean mask value (two-stream, image-to-video), per frame
 *   generated/image_l1                     image-to-video: mean |frame 1 − input still|
 *   generated/l1_to_truth                  image-to-video: mean |generated − real| per frame
 * Only spread, motion, mask_l1 and l1_to_truth have per-frame curves.
 */
export async function evaluateVgan(
  m: VganParts,
  videos: tf.Tensor5D,
  evalSeed: number,
): Promise<EvalResult> {
  const [n, t, h, w, c] = videos.shape;
  const batch = m.config.batchSize;
  const flat = videos.reshape([n, t * h * w * c]); // gather on rank 2
  const evalNoise = new SeededRandom(evalSeed);
  const perFrame = new FrameMetricAccumulator();
  const scalars = new FrameMetricAccumulator();
  try {
    for (let start = 0; start < n; start += batch) {
      const rows = Math.min(batch, n - start);
      const z = m.conditional ? null : normalCodes(evalNoise, batch, m.config.zDim);
      try {
        await accumulateChunk(
          () => {
            const index = Array.from({ length: batch }, (_, i) => (start + i) % n);
            const real = tf
              .gather(flat, tf.tensor1d(index, 'int32'))
              .reshape([batch, t, h, w, c]) as tf.Tensor5D;
            return chunkMetrics(m, real, z);
          },
          rows,
          perFrame,
          scalars,
        );
      } finally {
        z?.dispose();
      }
    }
  } finally {
    flat.dispose();
  }
  const curves = perFrame.result();
  return {
    scalars: { ...scalars.result().scalars, ...curves.scalars },
    perFrame: curves.perFrame,
  };
}

/** Per-video metrics of one chunk, each [B, frames] (frames = 1 for scalars). */
function chunkMetrics(m: VganParts, real: tf.Tensor5D, z: tf.Tensor2D | null): ChunkMetrics {
  const [b, t, h, w, c] = real.shape;
  const input = m.conditional ? firstFrames(real) : (z as tf.Tensor2D);
  const out = m.generator.forward(input);
  const realLogits = m.discriminator.logits(real);
  const fakeLogits = m.discriminator.logits(out.video);
  const column = (x: tf.Tensor1D) => x.reshape([b, 1]) as tf.Tensor2D;
  const correct = (l: tf.Tensor1D, label: 0 | 1) =>
    column(tf.cast(label === 1 ? tf.greater(l, 0) : tf.lessEqual(l, 0), 'float32') as tf.Tensor1D);
  const frames = (x: tf.Tensor5D) => x.reshape([b, t, h * w * x.shape[4]]); // [B, T, P·C]
  const motion = (x: tf.Tensor5D) => {
    const f = frames(x);
    const next = f.slice([0, 1, 0], [b, t - 1, h * w * c]);
    const previous = f.slice([0, 0, 0], [b, t - 1, h * w * c]);
    return tf.abs(next.sub(previous)).mean(2) as tf.Tensor2D; // [B, T − 1]
  };
  // Mean |x − batch mean| per pixel and frame: how much the videos of a batch differ; a
  // generator that collapses to one video has a spread far below the real one.
  const spread = (x: tf.Tensor5D) => {
    const f = frames(x); // [B, T, P·C]
    return tf.abs(f.sub(f.mean(0, true))).mean(2) as tf.Tensor2D; // [B, T]
  };
  const metrics: ChunkMetrics = {
    'real/d_accuracy': { tensor: correct(realLogits, 1), curve: false },
    'generated/d_accuracy': { tensor: correct(fakeLogits, 0), curve: false },
    'real/p_real': { tensor: column(tf.sigmoid(realLogits)), curve: false },
    'generated/p_real': { tensor: column(tf.sigmoid(fakeLogits)), curve: false },
    'real/spread': { tensor: spread(real), curve: true },
    'generated/spread': { tensor: spread(out.video), curve: true },
  };
  if (t > 1) {
    metrics['real/motion'] = { tensor: motion(real), curve: true };
    metrics['generated/motion'] = { tensor: motion(out.video), curve: true };
  }
  if (out.mask) {
    metrics['generated/mask_l1'] = {
      tensor: frames(out.mask).mean(2) as tf.Tensor2D,
      curve: true,
    };
  }
  if (m.conditional) {
    const first = firstFrames(out.video).reshape([b, -1]);
    const still = (input as tf.Tensor4D).reshape([b, -1]);
    metrics['generated/image_l1'] = {
      tensor: tf.abs(first.sub(still)).mean(1, true) as tf.Tensor2D,
      curve: false,
    };
    metrics['generated/l1_to_truth'] = {
      tensor: tf.abs(frames(out.video).sub(frames(real))).mean(2) as tf.Tensor2D,
      curve: true,
    };
  }
  return metrics;
}
