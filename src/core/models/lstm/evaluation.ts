/**
 * The LSTM encoder-decoder's evaluation metrics and sample views (see model.ts for the model):
 * what its decoders output for held-out clips, scored against the truth and against the
 * copy-last-frame and optical-flow baselines, and the frames the UI shows.
 *
 * Shapes: N clips, B batch, T frames (Tin input, Tf future), P = frameSize² pixels.
 */
import * as tf from '@tensorflow/tfjs';
import type { EvalResult, FramePanel, SampleView } from '../types';
import { extrapolateFlowBatch } from '../../train/flow-baseline';
import { FrameMetricAccumulator, accumulateChunk, frameMetrics } from '../../train/video-metrics';
import type { ChunkMetrics } from '../../train/video-metrics';
import type { LstmConfig } from './config';

/** Decoder outputs as images in [0, 1], batch-major, in natural frame order. */
export interface LstmFrames {
  reconstruction?: tf.Tensor3D; // [B, Tin, P]
  future?: tf.Tensor3D; // [B, Tf, P]
}

/** What the evaluation and the views need from the model. */
export interface LstmOutputs {
  readonly config: LstmConfig;
  /** Which decoders are conditional (they also have teacher-forced outputs). */
  readonly conditional: { reconstruction: boolean; future: boolean };
  /**
   * The decoders' outputs for frames [B, T, P], teacher-forced or free-running; with `rollout`,
   * only the future decoder's, free-running for that many frames (any number).
   */
  frameOutputs(frames: tf.Tensor3D, teacherForced: boolean, rollout?: number): LstmFrames;
}

/**
 * Free-running future frames of videos [N, ≥Tin, H, W, 1] from their first Tin frames, as
 * images clipped to [0, 1]: [N, frames, H, W, 1]. For stress tests (core/train/stress-test.ts),
 * which go past the trained horizon.
 */
export function lstmRollout(model: LstmOutputs, videos: tf.Tensor5D, frames: number): tf.Tensor5D {
  const [n, t, height, width, channels] = videos.shape;
  const { inputFrames, frameSize: size } = model.config;
  if (height !== size || width !== size || channels !== 1 || t < inputFrames) {
    throw new Error(
      `rollout: videos must be [N, ≥${inputFrames}, ${size}, ${size}, 1] (got [${videos.shape.join(', ')}])`,
    );
  }
  return tf.tidy(() => {
    const given = videos
      .reshape([n, t, size * size])
      .slice([0, 0, 0], [n, inputFrames, size * size]) as tf.Tensor3D; // [N, Tin, P]
    const future = model.frameOutputs(given, false, frames).future as tf.Tensor3D; // [N, frames, P]
    return future.reshape([n, frames, size, size, 1]) as tf.Tensor5D;
  });
}

/**
 * Metrics on held-out frames [N, T, P] in chunks of batchSize (the last chunk wraps around to
 * keep shapes fixed; the wrapped rows are not counted). Names, each averaged over sequences and
 * frames, with a per-frame curve:
 *   recon/<metric>            reconstruction, free-running (per input frame, natural order)
 *   future/<metric>           future prediction, free-running (the headline numbers)
 *   recon_tf/, future_tf/     conditional decoders only: teacher-forced (ground-truth inputs,
 *                             how they train and how the reference code validated them)
 *   baseline/future/<metric>  copy-last-frame baseline: the last input frame repeated
 *   baseline/flow/future/…    optical-flow baseline (two or more input frames): the motion
 *                             block matching finds between the last two input frames carried
 *                             on at constant velocity (core/train/flow-baseline.ts)
 * <metric>: cross_entropy (Bernoulli, summed over pixels, predictions clamped to [1e-7, 1−1e-7]),
 * mse and mae (sums over pixels), psnr (dB), ssim. Predictions are clipped to [0, 1] first.
 */
export async function evaluateLstm(model: LstmOutputs, frames: tf.Tensor3D): Promise<EvalResult> {
  const n = frames.shape[0];
  const batch = model.config.batchSize;
  const curves = new FrameMetricAccumulator();
  const scalars = new FrameMetricAccumulator(); // stays empty: every metric has a curve
  for (let start = 0; start < n; start += batch) {
    const index = Array.from({ length: batch }, (_, i) => (start + i) % n);
    const flow = await flowBaseline(model.config, frames, index);
    await accumulateChunk(
      () => {
        const chunk = tf.gather(frames, tf.tensor1d(index, 'int32')) as tf.Tensor3D; // [B, T, P]
        return chunkMetrics(model, chunk, flow);
      },
      Math.min(batch, n - start),
      curves,
      scalars,
    );
  }
  return curves.result();
}

/**
 * The optical-flow baseline's future frames for clips `index` of frames [N, T, P], on the CPU
 * from their last two input frames: [B, Tf, P] values, or null without a future decoder.
 */
async function flowBaseline(
  config: LstmConfig,
  frames: tf.Tensor3D,
  index: number[],
): Promise<Float32Array | null> {
  const { inputFrames, futureFrames, frameSize: size } = config;
  if (!config.predictFuture || inputFrames < 2) return null;
  const pairs = tf.tidy(() =>
    tf
      .gather(frames, tf.tensor1d(index, 'int32'))
      .slice([0, inputFrames - 2, 0], [index.length, 2, size * size]),
  ); // [B, 2, P]
  const values = (await pairs.data()) as Float32Array;
  pairs.dispose();
  return extrapolateFlowBatch(values, index.length, size, size, futureFrames);
}

/** [B, T_d] per-frame metrics of one chunk [B, T, P], keyed `group/metric`. */
function chunkMetrics(
  model: LstmOutputs,
  frames: tf.Tensor3D,
  flow: Float32Array | null,
): ChunkMetrics {
  const [b, , pixels] = frames.shape;
  const { inputFrames, futureFrames, frameSize: size } = model.config;
  const out: ChunkMetrics = {};
  const addGroup = (group: string, predictions: tf.Tensor3D, truth: tf.Tensor3D) => {
    const t = truth.shape[1];
    const asVideo = (x: tf.Tensor3D) => x.reshape([b, t, size, size, 1]); // [B, T_d, H, W, 1]
    const metrics = frameMetrics(asVideo(predictions), asVideo(truth));
    for (const [metric, tensor] of Object.entries(metrics)) {
      out[`${group}/${metric}`] = { tensor, curve: true };
    }
  };

  const { conditional } = model;
  const free = model.frameOutputs(frames, false);
  const forced =
    conditional.reconstruction || conditional.future ? model.frameOutputs(frames, true) : null;
  if (free.reconstruction) {
    const truth = frames.slice([0, 0, 0], [b, inputFrames, pixels]) as tf.Tensor3D;
    addGroup('recon', free.reconstruction, truth); // [B, Tin, P]
    if (conditional.reconstruction && forced?.reconstruction) {
      addGroup('recon_tf', forced.reconstruction, truth);
    }
  }
  if (free.future) {
    const truth = frames.slice([0, inputFrames, 0], [b, futureFrames, pixels]) as tf.Tensor3D;
    addGroup('future', free.future, truth); // [B, Tf, P]
    if (conditional.future && forced?.future) addGroup('future_tf', forced.future, truth);
    const last = frames.slice([0, inputFrames - 1, 0], [b, 1, pixels]); // [B, 1, P]
    addGroup('baseline/future', tf.tile(last, [1, futureFrames, 1]) as tf.Tensor3D, truth);
    if (flow) addGroup('baseline/flow/future', tf.tensor3d(flow, [b, futureFrames, pixels]), truth);
  }
  return out;
}

/**
 * Frames of the first `n` clips of frames [N, T, P]: Input, Reconstruction (free-running, in
 * natural order), Ground truth and Prediction (free-running) — panels the variant lacks are left out.
 */
export async function lstmSampleViews(
  model: LstmOutputs,
  frames: tf.Tensor3D,
  n: number,
): Promise<SampleView[]> {
  const { inputFrames, futureFrames, frameSize: size } = model.config;
  const pixels = size * size;
  const parts = tf.tidy(() => {
    const some = frames.slice([0, 0, 0], [n, frames.shape[1], pixels]) as tf.Tensor3D; // [n, T, P]
    const outputs = model.frameOutputs(some, false);
    const result: Record<string, tf.Tensor3D> = {
      input: some.slice([0, 0, 0], [n, inputFrames, pixels]), // [n, Tin, P]
    };
    if (outputs.reconstruction) result.reconstruction = outputs.reconstruction; // [n, Tin, P]
    if (outputs.future) {
      result.truth = some.slice([0, inputFrames, 0], [n, futureFrames, pixels]); // [n, Tf, P]
      result.prediction = outputs.future; // [n, Tf, P]
    }
    return result;
  });
  const names = Object.keys(parts);
  const values = await Promise.all(
    names.map((name) => parts[name].data() as Promise<Float32Array>),
  );
  tf.dispose(Object.values(parts));
  const byName = Object.fromEntries(names.map((name, i) => [name, values[i]]));

  const panel = (
    label: string,
    data: Float32Array,
    example: number,
    t: number,
    offset: number,
  ): FramePanel => {
    const length = t * pixels;
    return {
      label,
      frames: data.slice(example * length, (example + 1) * length), // a copy: safe to transfer
      t,
      height: size,
      width: size,
      channels: 1,
      timeOffset: offset,
    };
  };
  return Array.from({ length: n }, (_, example) => {
    const panels = [panel('Input', byName.input, example, inputFrames, 0)];
    if (byName.reconstruction) {
      panels.push(panel('Reconstruction', byName.reconstruction, example, inputFrames, 0));
    }
    if (byName.prediction) {
      panels.push(panel('Ground truth', byName.truth, example, futureFrames, inputFrames));
      panels.push(panel('Prediction', byName.prediction, example, futureFrames, inputFrames));
    }
    return { panels };
  });
}
