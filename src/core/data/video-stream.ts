/**
 * Turns a data spec into the tensors a model trains and evaluates on. Runs that share a data spec
 * and seed draw identical batches in the same order, because each run regenerates the stream
 * deterministically from that seed.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../models/config-schema';
import type { DataRequirements } from '../models/types';
import type { MnistDigits } from './mnist';
import {
  MovingMnistGenerator,
  makeEvaluationSet,
  resolveMovingMnistOptions,
  toFloatFrames,
} from './moving-mnist';
import type { MovingMnistGeneratorState } from './moving-mnist';
import type { DataSpec, MovingMnistOptions, VideoBytes } from './types';

export const DEFAULT_DATA_SEED = 42; // Srivastava's reference code seeds its data with 42
/** The held-out set never depends on the training seed, so every run is scored on the same one. */
export const EVALUATION_SEED = 20150101;

export interface BatchSource {
  /** The next training batch [B, T, H, W, C] in the model's range; the caller disposes it. */
  nextBatch(): tf.Tensor5D;
}

/** Moving MNIST options for a model: the model fixes frames and canvas size, the spec the rest. */
export function movingMnistOptionsFor(spec: DataSpec, needs: DataRequirements): MovingMnistOptions {
  if (spec.frames !== undefined && spec.frames !== needs.frames) {
    throw new ConfigError(
      'data.frames',
      `data.frames is ${spec.frames} but the model's config needs ${needs.frames}`,
    );
  }
  if (spec.canvasSize !== undefined && spec.canvasSize !== needs.height) {
    throw new ConfigError(
      'data.canvasSize',
      `data.canvasSize is ${spec.canvasSize} but the model's config needs ${needs.height}`,
    );
  }
  const { source: _source, seed: _seed, ...options } = spec;
  return resolveMovingMnistOptions({ ...options, frames: needs.frames, canvasSize: needs.height });
}

/** uint8 [N, T, H, W] → float [N, T, H, W, C] in the model's range (gray replicated for RGB). */
export function bytesToTensor(bytes: VideoBytes, needs: DataRequirements): tf.Tensor5D {
  const gray = toFloatFrames(bytes, needs.range);
  return tf.tidy(() => {
    const video = tf.tensor5d(gray, [bytes.n, bytes.t, bytes.height, bytes.width, 1]);
    return needs.channels === 1 ? video : tf.tile(video, [1, 1, 1, 1, needs.channels]);
  });
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

  /** The generator's position and random streams (see `MovingMnistGeneratorState`). */
  getState(): MovingMnistGeneratorState {
    return this.generator.getState();
  }

  setState(state: MovingMnistGeneratorState): void {
    this.generator.setState(state);
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
