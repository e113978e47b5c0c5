/**
 * Turns a data spec into the tensors a model trains and evaluates on. Runs that share a data spec
 * and seed draw identical batches in the same order, because each run regenerates the stream
 * deterministically from that seed.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataRequirements, ValueRange } from '../models/types';
import type { BatchSource, StreamState } from './batch-source';
import type { MnistDigits } from './mnist';
import { MovingMnistGenerator, makeEvaluationSet, toFloatFrames } from './moving-mnist';
import type { RandomState } from './random';
import type { MovingMnistOptions, VideoBytes } from './types';

// Pure (no tfjs): also used where run specs are checked, in the app.
export { DEFAULT_DATA_SEED, defaultDigitSize, movingMnistOptionsFor } from './moving-mnist';
/** The held-out set never depends on the training seed, so every run is scored on the same one. */
export const EVALUATION_SEED = 20150101;

/** uint8 [N, T, H, W] → float [N, T, H, W, C] in the model's range (gray replicated for RGB). */
export function bytesToTensor(bytes: VideoBytes, needs: DataRequirements): tf.Tensor5D {
  const gray = toFloatFrames(bytes, needs.range);
  const shape: [number, number, number, number, number] = [
    bytes.n,
    bytes.t,
    bytes.height,
    bytes.width,
    needs.channels,
  ];
  if (needs.channels === 1) return tf.tensor5d(gray, shape);
  // Replicated on the host: tfjs's WebGPU Tile runs rank-5 tensors on the CPU through a blocking read.
  const colour = new Float32Array(gray.length * needs.channels);
  for (let i = 0; i < gray.length; i++)
    colour.fill(gray[i], i * needs.channels, (i + 1) * needs.channels);
  return tf.tensor5d(colour, shape);
}

export class MovingMnistStream implements BatchSource {
  private readonly generator: MovingMnistGenerator;

  constructor(
    digits: MnistDigits,
    readonly options: MovingMnistOptions,
    private readonly needs: DataRequirements,
    seed: number,
  ) {
    this.generator = new MovingMnistGenerator(digits.train, options, seed);
  }

  nextBatch(): tf.Tensor5D {
    return bytesToTensor(this.generator.nextBatch(this.needs.batchSize), this.needs);
  }

  /** The generator's digit order (`digit_order`), its cursor and its random streams. */
  getState(): StreamState {
    const { order, ...meta } = this.generator.getState();
    // Digit indices < 2^31: the same bits read as int32 (I32 loads everywhere, U32 does not).
    return { arrays: { digit_order: new Int32Array(order.buffer.slice(0)) }, meta };
  }

  setState(state: StreamState): void {
    const order = state.arrays.digit_order;
    const extra = Object.keys(state.arrays).filter((name) => name !== 'digit_order');
    if (!(order instanceof Int32Array)) throw new RangeError('the digit order is missing');
    if (extra.length > 0) throw new RangeError(`unknown data arrays: ${extra.join(', ')}`);
    const { cursor, orderRng, motionRng, textureRng } = state.meta as {
      cursor: number;
      orderRng: RandomState;
      motionRng: RandomState;
      textureRng: RandomState;
    };
    this.generator.setState({
      order: new Uint32Array(order.buffer, order.byteOffset, order.length),
      cursor,
      orderRng,
      motionRng,
      textureRng,
    });
  }
}

/** The fixed held-out set: test digits, fixed seed. */
export function evaluationVideos(
  digits: MnistDigits,
  options: MovingMnistOptions,
  count: number,
): VideoBytes {
  return makeEvaluationSet(digits.test, options, count, EVALUATION_SEED);
}

/** Sequences `indices` of videos [N, T, H, W, C], gathered on rank 2 (safe on WebGPU). */
export function gatherSequences(videos: tf.Tensor5D, indices: number[]): tf.Tensor5D {
  const [n, t, h, w, c] = videos.shape;
  return tf.tidy(() =>
    tf
      .gather(videos.reshape([n, t * h * w * c]), tf.tensor1d(indices, 'int32'))
      .reshape([indices.length, t, h, w, c]),
  );
}

/** Maps values in the model's range to [0, 1] for display (clamped). */
function displayRange(x: tf.Tensor, range: ValueRange): tf.Tensor {
  return range === 'symmetric' ? x.add(1).div(2).clipByValue(0, 1) : x.clipByValue(0, 1);
}

async function readFloats(x: tf.Tensor): Promise<Float32Array> {
  try {
    return ((await x.data()) as Float32Array).slice(); // a copy: safe to transfer
  } finally {
    x.dispose();
  }
}

/** Every frame of videos [N, T, H, W, C], flattened, mapped to [0, 1]. */
export function framesForDisplay(videos: tf.Tensor5D, range: ValueRange): Promise<Float32Array> {
  return readFloats(tf.tidy(() => displayRange(videos.reshape([-1]), range)));
}

/** First frames of the first `count` sequences of videos [N, T, H, W, C], mapped to [0, 1]. */
export function firstFramesForDisplay(
  videos: tf.Tensor5D,
  count: number,
  range: ValueRange,
): Promise<Float32Array> {
  const [n, t, h, w, c] = videos.shape;
  const rows = Math.min(count, n);
  return readFloats(
    tf.tidy(() =>
      displayRange(videos.reshape([n, t * h * w * c]).slice([0, 0], [rows, h * w * c]), range),
    ),
  );
}
