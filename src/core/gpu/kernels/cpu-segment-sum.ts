/**
 * A linear-time UnsortedSegmentSum for the tfjs CPU backend (optimisation cpu-linear-segment-sum).
 *
 * tfjs-backend-cpu 4.22 computes it as one equal + cast + multiply + sum pass over the whole input
 * per segment: O(segments · size), 1.3 s for a [2560, 32] input into 64 segments, and hopeless
 * for a 10,000-code dictionary. The gradient of every gather is a segment sum (the rCNN's code
 * embedding and output rows take two per step) and k-means takes one per update. This kernel
 * adds each input row into its segment's row once. Same semantics: ids outside [0, numSegments)
 * are dropped; the output has x's dtype.
 *
 * Unlike the WebGPU optimisations, which `selectBackend` installs, this one is installed when the
 * module is imported as well (it stays switchable like the others): tests and tools use the CPU
 * backend through `tf.setBackend('cpu')` without selecting it, and the tfjs kernel is quadratic.
 */
import * as tf from '@tensorflow/tfjs';
import { setOptimizationEnabled } from '../optimizations';
import type { CpuBackendLike } from './cpu-backend';
import { registerKernelOverride } from './kernel-override';

export const CPU_SEGMENT_SUM_OPTIMIZATION = 'cpu-linear-segment-sum';

const fastSegmentSum: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as { numSegments: number };
  const cpu = backend as unknown as CpuBackendLike;
  const values = cpu.data.get(x.dataId).values;
  const ids = cpu.data.get(segmentIds.dataId).values;
  const rows = ids.length;
  const inner = rows === 0 ? 0 : values.length / rows; // elements per segment id
  const shape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const out =
    x.dtype === 'int32'
      ? new Int32Array(numSegments * inner)
      : new Float32Array(numSegments * inner);
  for (let row = 0; row < rows; row++) {
    const segment = ids[row];
    if (segment < 0 || segment >= numSegments) continue;
    const from = row * inner;
    const to = segment * inner;
    for (let j = 0; j < inner; j++) out[to + j] += values[from + j];
  }
  return cpu.makeTensorInfo(shape, x.dtype, out);
};

registerKernelOverride(
  CPU_SEGMENT_SUM_OPTIMIZATION,
  "UnsortedSegmentSum on the CPU backend in one pass over the input (tfjs's makes one pass per segment): the gradient of every gather, and k-means",
  'cpu',
  { [tf.UnsortedSegmentSum]: () => fastSegmentSum },
);
setOptimizationEnabled(CPU_SEGMENT_SUM_OPTIMIZATION, true, 'cpu');
