/**
 * What a model trains from: a stream of batches whose position can be saved in a checkpoint and
 * restored. Types only; the Moving MNIST stream and the clip sources implement it.
 */
import type * as tf from '@tensorflow/tfjs';

/**
 * A data stream's position and random streams, as a checkpoint stores them: integer arrays (each
 * becomes an I32 tensor `data.<name>`) and JSON-safe values.
 */
export interface StreamState {
  arrays: Record<string, Int32Array>;
  meta: Record<string, unknown>;
}

export interface BatchSource {
  /** The next training batch [B, T, H, W, C] in the model's range; the caller disposes it. */
  nextBatch(): tf.Tensor5D;
  /** Everything that decides the batches to come (a snapshot: later batches do not change it). */
  getState(): StreamState;
  /**
   * Continues from `getState()`'s output. Checks all of it first and throws a RangeError naming
   * the problem, so a state that does not fit changes nothing.
   */
  setState(state: StreamState): void;
}
