/**
 * The ConvLSTM's evaluation metrics and sample views (see model.ts for the model): its forecast of
 * held-out clips scored against the truth and against the last input frame repeated, and the
 * frames the UI shows.
 *
 * Shapes: N clips, B batch, T frames (Tin input, Tf future), H = W = frameSize.
 */
import * as tf from '@tensorflow/tfjs';
import type { EvalResult, FramePanel, SampleView } from '../types';
import { FrameMetricAccumulator, frameMetrics } from '../../train/video-metrics';
import type { ConvLstmConfig } from './config';

/** What the evaluation and the views need from the model. */
export interface ConvLstmPredictor {
  readonly config: ConvLstmConfig;
  /** Future-frame predictions of videos [B, T, H, W, 1] as [B, Tf, H, W]; caller disposes. */
  predict(videos: tf.Tensor5D): tf.Tensor4D;
}

/**
 * Metrics on held-out videos [N, T, H, W, 1] in chunks of batchSize (the last chunk wraps around
 * to keep shapes fixed; the wrapped rows are not counted): `future/<metric>` for the forecast and
 * `baseline/future/<metric>` for the last input frame repeated, each with a per-frame curve.
 * <metric>: cross_entropy, mse, mae (sums over pixels), psnr (dB), ssim.
 */
export async function evaluateConvLstm(
  model: ConvLstmPredictor,
  videos: tf.Tensor5D,
): Promise<EvalResult> {
  const n = videos.shape[0];
  const batch = model.config.batchSize;
  const { inputFrames, futureFrames } = model.config;
  const accumulator = new FrameMetricAccumulator();
  for (let start = 0; start < n; start += batch) {
    const rows = Math.min(batch, n - start);
    const names: string[] = [];
    const flat = tf.tidy(() => {
      const index = Array.from({ length: batch }, (_, i) => (start + i) % n);
      const chunk = tf.gather(videos, tf.tensor1d(index, 'int32')) as tf.Tensor5D; // [B, T, H, W, 1]
      const [, , h, w] = chunk.shape;
      const predicted = model.predict(chunk).reshape([batch, futureFrames, h, w, 1]);
      const truth = chunk.slice([0, inputFrames, 0, 0, 0], [batch, futureFrames, h, w, 1]);
      const last = chunk
        .slice([0, inputFrames - 1, 0, 0, 0], [batch, 1, h, w, 1])
        .reshape([batch, 1, h * w]);
      // Tiled as rank 3: WebGPU's Tile runs rank 5 on the CPU after a synchronous read-back.
      const copies = tf.tile(last, [1, futureFrames, 1]).reshape([batch, futureFrames, h, w, 1]);
      const groups = {
        future: frameMetrics(predicted, truth),
        'baseline/future': frameMetrics(copies as tf.Tensor5D, truth),
      };
      const parts: tf.Tensor[] = [];
      for (const [group, metrics] of Object.entries(groups)) {
        for (const [metric, values] of Object.entries(metrics)) {
          names.push(`${group}/${metric}`);
          parts.push(values.reshape([-1])); // [B·Tf]
        }
      }
      return tf.concat(parts); // one read-back
    });
    const values = await flat.data();
    flat.dispose();
    names.forEach((name, i) => {
      const size = batch * futureFrames;
      accumulator.add(name, values.subarray(i * size, (i + 1) * size), rows, futureFrames);
    });
  }
  return accumulator.result();
}

/** Input, Ground truth and Prediction frames of the first `examples` videos. */
export async function convLstmSampleViews(
  model: ConvLstmPredictor,
  videos: tf.Tensor5D,
  examples: number,
): Promise<SampleView[]> {
  const n = Math.max(0, Math.min(examples, videos.shape[0]));
  if (n === 0) return [];
  const { inputFrames, futureFrames, frameSize: size } = model.config;
  const [input, truth, prediction] = tf.tidy(() => {
    const some = videos.slice([0, 0, 0, 0, 0], [n, -1, -1, -1, -1]) as tf.Tensor5D;
    return [
      some.slice([0, 0, 0, 0, 0], [n, inputFrames, size, size, 1]), // [n, Tin, H, W, 1]
      some.slice([0, inputFrames, 0, 0, 0], [n, futureFrames, size, size, 1]), // [n, Tf, H, W, 1]
      model.predict(some), // [n, Tf, H, W]
    ];
  });
  const data = (await Promise.all(
    [input, truth, prediction].map((x) => x.data()),
  )) as Float32Array[];
  tf.dispose([input, truth, prediction]);
  const pixels = size * size;
  const panel = (
    label: string,
    values: Float32Array,
    example: number,
    t: number,
    offset: number,
  ): FramePanel => ({
    label,
    frames: values.slice(example * t * pixels, (example + 1) * t * pixels), // a copy: safe to transfer
    t,
    height: size,
    width: size,
    channels: 1,
    timeOffset: offset,
  });
  return Array.from({ length: n }, (_, example) => ({
    panels: [
      panel('Input', data[0], example, inputFrames, 0),
      panel('Ground truth', data[1], example, futureFrames, inputFrames),
      panel('Prediction', data[2], example, futureFrames, inputFrames),
    ],
  }));
}
