/**
 * The linear-time UnsortedSegmentSum that gpu/kernels/cpu-segment-sum.ts installs on the tfjs CPU
 * backend (on import, and switchable as an optimisation) gives what the definition gives: rows
 * added into their segment, ids outside [0, numSegments) dropped, the input's dtype kept, any
 * trailing shape; gradients of gathers still match; switched off, tfjs's own kernel runs again.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CPU_SEGMENT_SUM_OPTIMIZATION } from '../src/core/gpu/kernels/cpu-segment-sum';
import {
  applyOptimizations,
  isOptimizationEnabled,
  setOptimizationEnabled,
} from '../src/core/gpu/optimizations';

beforeAll(async () => {
  await tf.setBackend('cpu');
  applyOptimizations('cpu'); // installing again changes nothing
});

/** The definition, in plain JavaScript: out[s, …] = Σ_{i: ids[i] = s} x[i, …]. */
function reference(x: number[], inner: number, ids: number[], segments: number): number[] {
  const out = new Array<number>(segments * inner).fill(0);
  ids.forEach((id, row) => {
    if (id < 0 || id >= segments) return;
    for (let j = 0; j < inner; j++) out[id * inner + j] += x[row * inner + j];
  });
  return out;
}

describe('fast CPU UnsortedSegmentSum', () => {
  it('adds rows of any trailing shape into their segments, dropping ids out of range', async () => {
    const x = Array.from({ length: 6 * 2 * 3 }, (_, i) => ((i * 7) % 11) - 5);
    const ids = [2, 0, 2, -1, 4, 1];
    const result = tf.unsortedSegmentSum(tf.tensor3d(x, [6, 2, 3]), tf.tensor1d(ids, 'int32'), 4);
    expect(result.shape).toEqual([4, 2, 3]);
    expect(Array.from(await result.data())).toEqual(reference(x, 6, ids, 4));
  });

  it('keeps int32 inputs int32', async () => {
    const result = tf.unsortedSegmentSum(
      tf.tensor1d([1, 2, 3, 4], 'int32'),
      tf.tensor1d([1, 1, 0, 1], 'int32'),
      2,
    );
    expect(result.dtype).toBe('int32');
    expect(Array.from(await result.data())).toEqual([3, 7]);
  });

  it('gives gathers their usual gradient', async () => {
    const table = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
    const indices = tf.tensor1d([2, 0, 2, 2], 'int32');
    const grad = tf.grad((t: tf.Tensor) =>
      tf
        .gather(t, indices)
        .mul(tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]))
        .sum(),
    );
    // Row 0 gets the weights of the 2nd pick; row 2 those of picks 1, 3 and 4; row 1 nothing.
    expect(Array.from(await grad(table).data())).toEqual([3, 4, 0, 0, 1 + 5 + 7, 2 + 6 + 8]);
  });

  it('is on by default, and switched off tfjs’s own kernel gives the same values', async () => {
    expect(isOptimizationEnabled(CPU_SEGMENT_SUM_OPTIMIZATION)).toBe(true);
    const x = tf.tensor2d(
      Array.from({ length: 40 * 3 }, (_, i) => i % 7),
      [40, 3],
    );
    const ids = tf.tensor1d(
      Array.from({ length: 40 }, (_, i) => ((i * 5) % 11) - 1), // -1 and 9 are dropped
      'int32',
    );
    const fast = await tf.unsortedSegmentSum(x, ids, 9).data();
    setOptimizationEnabled(CPU_SEGMENT_SUM_OPTIMIZATION, false, 'cpu');
    try {
      const plain = await tf.unsortedSegmentSum(x, ids, 9).data();
      expect(Array.from(plain)).toEqual(Array.from(fast));
    } finally {
      setOptimizationEnabled(CPU_SEGMENT_SUM_OPTIMIZATION, true, 'cpu');
    }
    tf.dispose([x, ids]);
  });
});
