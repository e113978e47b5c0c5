/**
 * Sum, Mean, Max, Min, ArgMax and ArgMin over a run of neighbouring axes (one axis for the arg
 * reductions) on WebGPU without workgroup barriers.
 *
 * tfjs-backend-webgpu 4.22 gives every output value a workgroup of 64 invocations that add up
 * its inputs in workgroup memory, and first transposes the reduced axes to the end. For the
 * reductions training runs most — many outputs, each over a few to a few thousand inputs: bias
 * and batch-norm gradients (sums over the rows of [N, C]), a softmax's row max over K logits,
 * the LSTM readout's bias gradient (a sum over the batch of [P, B]), the k-means assignment (an
 * argmin over K distances per patch) — that is a workgroup and
 * its barriers for every handful of numbers, and a transpose. Here one invocation computes one
 * output with a serial loop, reading the input where it lies ([outer, reduced, inner] view, no
 * transpose): the inner index is the fastest-moving one, so neighbouring invocations read
 * neighbouring addresses.
 *
 * Long reductions (Sum/Mean/Max/Min reading more than `SERIAL_ROWS` values per output while
 * there are fewer than `TARGET_INVOCATIONS` outputs, e.g. the batch-norm moments of the VGAN
 * paper preset, Sum/Mean of [1024·32·32, 64] → [64]) take two barrier-free passes instead: the
 * first splits each output's run into chunks, one invocation per (output, chunk), and writes the
 * partial results as an [outer, chunks, inner] tensor; the second is the serial loop over the
 * chunks. The chunk count is chosen so that the first pass has about `TARGET_INVOCATIONS`
 * invocations (a GPU needs thousands in flight; a software adapter does not mind), so the shape
 * alone decides the path, on every adapter. Reductions with one output, or with few outputs and
 * much work that is not long per output, keep tfjs's parallel kernel, as do int32/bool inputs,
 * ArgMax/ArgMin over long runs and non-neighbouring axes.
 *
 * Max and Min propagate NaN as tfjs does; ArgMax/ArgMin skip NaN and return the first best index
 * (as tfjs's CPU backend; its WebGPU kernel breaks ties by invocation); sums add in a different
 * order (float32 rounding).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { registerKernelOverride } from './kernel-override';

type ReduceType = 'sum' | 'mean' | 'max' | 'min' | 'argmax' | 'argmin';

/** Outputs from which a serial loop per output keeps the GPU busy enough. */
const MIN_OUTPUTS = 64;
/** Below this much work in total the serial loop is fine whatever the shape. */
const SMALL_WORK = 1 << 16;
/** Values one invocation of the serial loop reads at most before the reduction is split. */
export const SERIAL_ROWS = 4096;
/** Invocations the first pass of a split reduction aims at (outputs × chunks). */
export const TARGET_INVOCATIONS = 1 << 14;
/** Values a chunk of a split reduction holds at least. */
const MIN_CHUNK = 256;

/**
 * Chunks each output's run of `reduced` values is split into (1: no split, the serial loop) and
 * the chunk length, for `outputs` outputs.
 */
export function splitReduction(
  outputs: number,
  reduced: number,
): { chunks: number; chunkLength: number } {
  if (reduced <= SERIAL_ROWS || outputs >= TARGET_INVOCATIONS) {
    return { chunks: 1, chunkLength: reduced };
  }
  const wanted = Math.min(Math.ceil(reduced / MIN_CHUNK), Math.ceil(TARGET_INVOCATIONS / outputs));
  const chunkLength = Math.ceil(reduced / Math.max(wanted, 2));
  return { chunks: Math.ceil(reduced / chunkLength), chunkLength };
}

class SerialReduceProgram implements WebGPUProgram {
  variableNames = ['x'];
  uniforms = 'outputs : i32, reduced : i32, inner : i32, divisor : f32,';
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  /** `type` 'mean' divides the sum by the `divisor` uniform (the values a split run held). */
  constructor(
    outShape: number[],
    outputs: number,
    private readonly type: ReduceType,
  ) {
    this.outputShape = outShape;
    this.shaderKey = `vmpSerialReduce_${type}`;
    this.dispatchLayout = webgpu_util.flatDispatchLayout([outputs]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [outputs], this.workgroupSize);
  }

  getUserCode(): string {
    const arg = this.type === 'argmax' || this.type === 'argmin';
    const extreme = this.type === 'max' || this.type === 'min';
    const better = this.type === 'max' || this.type === 'argmax' ? '>' : '<';
    // Max/Min: NaN wins, as in tfjs. ArgMax/ArgMin: NaN is skipped, the first best index wins.
    const step = arg
      ? `let candidate = x[at];
        if (!isnan(candidate) && candidate ${better} best) {
          best = candidate;
          bestIndex = r;
        }`
      : extreme
        ? `let candidate = x[at];
        if (isnan(candidate)) {
          best = uniforms.NAN;
        } else if (!isnan(best) && candidate ${better} best) {
          best = candidate;
        }`
        : 'best += x[at];';
    const start = arg ? `${better === '>' ? '-' : ''}uniforms.INFINITY` : extreme ? 'x[at]' : '0.0';
    const result = arg ? 'bestIndex' : this.type === 'mean' ? 'best / uniforms.divisor' : 'best';
    return `
  fn main(index : i32) {
    if (index >= uniforms.outputs) { return; }
    let o = index / uniforms.inner;
    let i = index % uniforms.inner;
    var at = o * uniforms.reduced * uniforms.inner + i;
    var best = ${start};
    var bestIndex = 0;
    for (var r = 0; r < uniforms.reduced; r++) {
      ${step}
      at += uniforms.inner;
    }
    result[index] = ${result};
  }`;
  }
}

/**
 * First pass of a split reduction: x viewed as [outer, reduced, inner] → [outer, chunks, inner],
 * one invocation per chunk of `chunkLength` values of one output's run (sums for Sum and Mean).
 */
class SplitReduceProgram implements WebGPUProgram {
  variableNames = ['x'];
  uniforms = 'size : i32, reduced : i32, inner : i32, chunks : i32, chunkLength : i32,';
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    outer: number,
    chunks: number,
    inner: number,
    private readonly type: 'sum' | 'max' | 'min',
  ) {
    this.outputShape = [outer, chunks, inner];
    this.shaderKey = `vmpSplitReduce_${type}`;
    const size = outer * chunks * inner;
    this.dispatchLayout = webgpu_util.flatDispatchLayout([size]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [size], this.workgroupSize);
  }

  getUserCode(): string {
    const better = this.type === 'max' ? '>' : '<';
    const step =
      this.type === 'sum'
        ? 'best += x[at];'
        : `let candidate = x[at];
        if (isnan(candidate)) {
          best = uniforms.NAN;
        } else if (!isnan(best) && candidate ${better} best) {
          best = candidate;
        }`;
    return `
  fn main(index : i32) {
    if (index >= uniforms.size) { return; }
    let i = index % uniforms.inner;
    let c = (index / uniforms.inner) % uniforms.chunks;
    let o = index / (uniforms.inner * uniforms.chunks);
    let first = c * uniforms.chunkLength;
    let end = min(first + uniforms.chunkLength, uniforms.reduced);
    var at = (o * uniforms.reduced + first) * uniforms.inner + i;
    var best = ${this.type === 'sum' ? '0.0' : 'x[at]'};
    for (var r = first; r < end; r++) {
      ${step}
      at += uniforms.inner;
    }
    result[index] = best;
  }`;
  }
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function replacement(type: ReduceType, axisAttr: string): (previous: KernelFunc) => KernelFunc {
  return (previous) => (args) => {
    const x = args.inputs.x as TensorInfo;
    const backend = args.backend as WebGPUBackend;
    // int32/bool (even relabelled as float32 by a cast) go to tfjs (and the rank-5 workaround).
    const stored = backend.tensorMap.get(x.dataId)?.dtype ?? x.dtype;
    if (x.dtype !== 'float32' || stored !== 'float32') return previous(args);
    const axes = [
      ...new Set(tf.util.parseAxisParam(args.attrs?.[axisAttr] as number | number[], x.shape)),
    ].sort((a, b) => a - b);
    // Reduced axes of size 1 change nothing; the others must be neighbours (size-1 axes between
    // them do not count): then the input is an [outer, reduced, inner] view.
    const effective = axes.filter((axis) => x.shape[axis] > 1);
    if (effective.length === 0) return previous(args);
    const first = effective[0];
    const last = effective[effective.length - 1];
    for (let axis = first; axis <= last; axis++) {
      if (!axes.includes(axis) && x.shape[axis] !== 1) return previous(args);
    }
    const outer = sizeOf(x.shape.slice(0, first));
    const reduced = sizeOf(effective.map((axis) => x.shape[axis]));
    const inner = sizeOf(x.shape.slice(last + 1));
    const outputs = outer * inner;
    if (reduced === 0 || outputs <= 1) return previous(args);
    const arg = type === 'argmax' || type === 'argmin';
    const { chunks, chunkLength } = arg
      ? { chunks: 1, chunkLength: reduced }
      : splitReduction(outputs, reduced);
    if (chunks === 1 && outputs < MIN_OUTPUTS && outputs * reduced > SMALL_WORK) {
      return previous(args);
    }
    const outShape =
      args.attrs?.keepDims === true
        ? x.shape.map((n, axis) => (axes.includes(axis) ? 1 : n))
        : x.shape.filter((_, axis) => !axes.includes(axis));
    const serial = (input: TensorInfo, run: number) =>
      backend.runWebGPUProgram(
        new SerialReduceProgram(outShape, outputs, type),
        [input],
        arg ? 'int32' : 'float32',
        [
          { type: 'int32', data: [outputs] },
          { type: 'int32', data: [run] },
          { type: 'int32', data: [inner] },
          { type: 'float32', data: [reduced] },
        ],
      );
    if (chunks === 1) return serial(x, reduced);
    // [outer, chunks, inner] partial sums (or extremes), then the serial loop over the chunks.
    const partial = backend.runWebGPUProgram(
      new SplitReduceProgram(
        outer,
        chunks,
        inner,
        type === 'mean' ? 'sum' : (type as 'sum' | 'max' | 'min'),
      ),
      [x],
      'float32',
      [
        { type: 'int32', data: [outer * chunks * inner] },
        { type: 'int32', data: [reduced] },
        { type: 'int32', data: [inner] },
        { type: 'int32', data: [chunks] },
        { type: 'int32', data: [chunkLength] },
      ],
    );
    const out = serial(partial, chunks);
    backend.disposeData(partial.dataId);
    return out;
  };
}

registerKernelOverride(
  'webgpu-reduce-serial',
  'Sum/Mean/Max/Min/ArgMax/ArgMin with many outputs on WebGPU: one invocation per output reading in place, long runs split into chunks over two passes (tfjs: a 64-invocation workgroup per output, after a transpose)',
  'webgpu',
  {
    [tf.Sum]: replacement('sum', 'axis'),
    [tf.Mean]: replacement('mean', 'axis'),
    [tf.Max]: replacement('max', 'reductionIndices'),
    [tf.Min]: replacement('min', 'axis'),
    [tf.ArgMax]: replacement('argmax', 'axis'),
    [tf.ArgMin]: replacement('argmin', 'axis'),
  },
);
