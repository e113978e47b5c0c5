/**
 * Batch norm in training mode followed by an activation, on [N, C] (rows N, channels C), as
 * a few WebGPU kernels forward and backward with no uploads:
 *
 *   μ = mean(x), σ² = mean((x − μ)²) over the rows of each channel (biased, as tf.moments),
 *   y = act((x − μ)·γ/√(σ² + ε) + β)
 *
 * Composed from tfjs ops this is about ten dispatches forward (moments, rsqrt, the affine map,
 * the activation) and some twenty backward, with a scalar or a whole tensor of ones uploaded by
 * several of the gradients (Mean, Rsqrt, Square, LeakyReLU) — on a real GPU a small model's step
 * is bound by those. Here, with g = dy·act'(pre) and x̂ = (x − μ)/√(σ² + ε), the backward pass
 * is the closed form of the batch-norm gradient (batch statistics):
 *
 *   dβ = Σ g, dγ = Σ g·x̂, dx = γ/√(σ² + ε) · (g − Σg/N − x̂·Σ(g·x̂)/N)
 *
 * which equals what autodiff of the composed ops computes, up to float32 rounding.
 *
 * Kernels, chosen by the rows per channel (the reduction length):
 * - up to `COLUMN_ROWS` rows: one workgroup of 256 invocations per channel runs the whole forward
 *   pass (mean, variance, output) in one dispatch, and the backward pass's sums (μ, σ², Σg,
 *   Σg·x̂) in another; dx is one elementwise dispatch. Forward 1, backward 4 (with the two slices
 *   that hand dγ and dβ out).
 * - beyond: the columns are split into chunks of rows (`splitReduction`, the rule of the split
 *   reductions: about 16k invocations), one barrier-free invocation per (chunk, channel). Forward:
 *   the moments in one fused pass — each invocation writes its chunk's mean and sum of squared
 *   deviations, and a second, per-channel dispatch merges them (Chan's parallel update, no
 *   cancellation of Σx² − (Σx)²/N) into μ and σ² — then one elementwise dispatch for the output.
 *   Backward: the chunk sums of g and g·x̂ in one pass, their sum over chunks, dx, and the slices.
 *   (tf.moments here, the VGAN paper preset's [1024·32·32, 64] columns, read the input three
 *   times over some eight dispatches.)
 * The workgroup uses 1 KiB of workgroup memory and 256 invocations (WebGPU's minimum limits);
 * every program binds at most six storage buffers.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { registerOwnKernels } from './kernel-override';
import { ACTIVATION_UNIFORM, ACTIVATION_WGSL, wgslName } from './activation';
import type { Activation } from './activation';
import { lazyCustomGrad } from '../lazy-grad';
import { splitReduction } from './reduce';

export const BATCH_NORM_OPTIMIZATION = 'webgpu-batch-norm-activation';
const BACKEND = 'webgpu';
const COLUMN_FORWARD = 'VmpBatchNormColumns';
const APPLY = 'VmpBatchNormApply';
const COLUMN_SUMS = 'VmpBatchNormSums';
const CHUNK_MOMENTS = 'VmpBatchNormChunkMoments';
const CHUNK_SUMS = 'VmpBatchNormChunkSums';
const DX = 'VmpBatchNormDx';

/** Invocations of a per-channel workgroup (WebGPU's guaranteed minimum). */
const THREADS = 256;
/**
 * Rows per channel up to which one workgroup per channel does the reductions: each invocation
 * then walks at most 256 rows per pass. Longer columns leave too few workgroups to fill a GPU
 * and go to the split reductions.
 */
export const COLUMN_ROWS = THREADS * 256;

export interface BatchNormOptions {
  epsilon: number;
  activation: Activation;
  /** LeakyReLU's slope (ignored by the other activations). */
  leak?: number;
}

const UNIFORMS = `rows : i32, columns : i32, epsilon : f32, ${ACTIVATION_UNIFORM}`;

/** The tree sum of `partial` over the workgroup (all invocations must reach it). */
function treeSum(): string {
  const steps: string[] = [];
  for (let stride = THREADS / 2; stride >= 1; stride /= 2) {
    steps.push(`if (t < ${stride}) { partial[t] = partial[t] + partial[t + ${stride}]; }
    workgroupBarrier();`);
  }
  return steps.join('\n    ');
}

/** WGSL that leaves μ in `mean` and σ² in `variance` for column `col` (all invocations). */
const COLUMN_MOMENTS = `
    var s = 0.0;
    if (live) {
      for (var r = t; r < uniforms.rows; r += ${THREADS}) { s += x[r * uniforms.columns + col]; }
    }
    partial[t] = s;
    workgroupBarrier();
    ${treeSum()}
    let mean = partial[0] / f32(uniforms.rows);
    workgroupBarrier();
    var q = 0.0;
    if (live) {
      for (var r = t; r < uniforms.rows; r += ${THREADS}) {
        let d = x[r * uniforms.columns + col] - mean;
        q += d * d;
      }
    }
    partial[t] = q;
    workgroupBarrier();
    ${treeSum()}
    let variance = partial[0] / f32(uniforms.rows);
    workgroupBarrier();`;

const COLUMN_PROLOGUE = `
    let t = i32(localIndex);
    let col = i32(workgroupId.y * numWorkgroups.x + workgroupId.x);
    let live = col < uniforms.columns;`;

/** One workgroup per channel: statistics, then the normalised and activated column. */
class ColumnForwardProgram implements WebGPUProgram {
  variableNames = ['x', 'scale', 'shift'];
  uniforms = UNIFORMS;
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [THREADS, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    shape: number[],
    private readonly activation: Activation,
  ) {
    this.outputShape = shape;
    this.shaderKey = `vmpBnColumns_${activation}`;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(shape);
    this.dispatch = [shape[1], 1, 1];
  }

  getUserCode(): string {
    return `
  ${ACTIVATION_WGSL}
  var<workgroup> partial : array<f32, ${THREADS}>;
  fn main(index : i32) {
    ${COLUMN_PROLOGUE}
    ${COLUMN_MOMENTS}
    if (!live) { return; }
    let gain = inverseSqrt(variance + uniforms.epsilon) * scale[col];
    let offset = shift[col];
    for (var r = t; r < uniforms.rows; r += ${THREADS}) {
      let at = r * uniforms.columns + col;
      result[at] = vmpActivate_${wgslName(this.activation)}((x[at] - mean) * gain + offset);
    }
  }`;
  }
}

/** One workgroup per channel: [4, C] = μ, σ², Σg, Σg·x̂. */
class ColumnSumsProgram implements WebGPUProgram {
  variableNames = ['x', 'scale', 'shift', 'dy'];
  uniforms = UNIFORMS;
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [THREADS, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    columns: number,
    private readonly activation: Activation,
  ) {
    this.outputShape = [4, columns];
    this.shaderKey = `vmpBnSums_${activation}`;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(this.outputShape);
    this.dispatch = [columns, 1, 1];
  }

  getUserCode(): string {
    const name = wgslName(this.activation);
    return `
  ${ACTIVATION_WGSL}
  var<workgroup> partial : array<f32, ${THREADS}>;
  fn main(index : i32) {
    ${COLUMN_PROLOGUE}
    ${COLUMN_MOMENTS}
    let inv = inverseSqrt(variance + uniforms.epsilon);
    let gain = inv * scale[col];
    var sg = 0.0;
    var sgx = 0.0;
    if (live) {
      let offset = shift[col];
      for (var r = t; r < uniforms.rows; r += ${THREADS}) {
        let at = r * uniforms.columns + col;
        let centred = x[at] - mean;
        let pre = centred * gain + offset;
        let g = vmpActivationGrad_${name}(pre, vmpActivate_${name}(pre), dy[at]);
        sg += g;
        sgx += g * centred * inv;
      }
    }
    partial[t] = sg;
    workgroupBarrier();
    ${treeSum()}
    let sumG = partial[0];
    workgroupBarrier();
    partial[t] = sgx;
    workgroupBarrier();
    ${treeSum()}
    if (live && t == 0) {
      result[col] = mean;
      result[uniforms.columns + col] = variance;
      result[2 * uniforms.columns + col] = sumG;
      result[3 * uniforms.columns + col] = partial[0];
    }
  }`;
  }
}

/** Elementwise: y from x and the statistics [2, C] (μ, σ²). */
class ApplyProgram implements WebGPUProgram {
  variableNames = ['x', 'scale', 'shift', 'stats'];
  uniforms = UNIFORMS;
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    shape: number[],
    private readonly activation: Activation,
  ) {
    this.outputShape = shape;
    this.shaderKey = `vmpBnApply_${activation}`;
    const size = shape[0] * shape[1];
    this.dispatchLayout = webgpu_util.flatDispatchLayout([size]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [size], this.workgroupSize);
  }

  getUserCode(): string {
    return `
  ${ACTIVATION_WGSL}
  fn main(index : i32) {
    if (index >= uniforms.rows * uniforms.columns) { return; }
    let col = index % uniforms.columns;
    let gain = inverseSqrt(stats[uniforms.columns + col] + uniforms.epsilon) * scale[col];
    let pre = (x[index] - stats[col]) * gain + shift[col];
    result[index] = vmpActivate_${wgslName(this.activation)}(pre);
  }`;
  }
}

const CHUNK_UNIFORMS = `${UNIFORMS} chunks : i32, chunkLength : i32,`;

/** WGSL prologue of a per-(chunk, channel) invocation: rows first…end of column `col`. */
const CHUNK_PROLOGUE = `
    if (index >= uniforms.chunks * uniforms.columns) { return; }
    let c = uniforms.columns;
    let col = index % c;
    let chunk = index / c;
    let first = chunk * uniforms.chunkLength;
    let end = min(first + uniforms.chunkLength, uniforms.rows);`;

/** One invocation per (chunk, channel) of `outputShape`'s [chunks, C] grid, flat. */
abstract class ChunkProgram implements WebGPUProgram {
  abstract variableNames: string[];
  uniforms = CHUNK_UNIFORMS;
  outputShape: number[];
  abstract shaderKey: string;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(chunks: number, columns: number) {
    this.outputShape = [2, chunks, columns];
    const size = chunks * columns;
    this.dispatchLayout = webgpu_util.flatDispatchLayout([size]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [size], this.workgroupSize);
  }

  abstract getUserCode(): string;
}

/** [2, chunks, C]: each chunk's mean and sum of squared deviations from it. */
class ChunkMomentsProgram extends ChunkProgram {
  variableNames = ['x'];
  shaderKey = 'vmpBnChunkMoments';

  getUserCode(): string {
    return `
  fn main(index : i32) {
    ${CHUNK_PROLOGUE}
    var s = 0.0;
    for (var r = first; r < end; r++) { s += x[r * c + col]; }
    let mean = s / f32(end - first);
    var q = 0.0;
    for (var r = first; r < end; r++) {
      let d = x[r * c + col] - mean;
      q += d * d;
    }
    result[index] = mean;
    result[uniforms.chunks * c + index] = q;
  }`;
  }
}

/** [2, C] = μ, σ² of each channel from its chunks' moments [2, chunks, C] (Chan's merge). */
class MergeMomentsProgram implements WebGPUProgram {
  variableNames = ['parts'];
  uniforms = CHUNK_UNIFORMS;
  outputShape: number[];
  shaderKey = 'vmpBnMergeMoments';
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(columns: number) {
    this.outputShape = [2, columns];
    this.dispatchLayout = webgpu_util.flatDispatchLayout([columns]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [columns], this.workgroupSize);
  }

  getUserCode(): string {
    return `
  fn main(index : i32) {
    let c = uniforms.columns;
    if (index >= c) { return; }
    var n = 0.0;
    var mean = 0.0;
    var m2 = 0.0;
    for (var k = 0; k < uniforms.chunks; k++) {
      let nk = f32(min(uniforms.chunkLength, uniforms.rows - k * uniforms.chunkLength));
      let total = n + nk;
      let delta = parts[k * c + index] - mean;
      mean += delta * (nk / total);
      m2 += parts[(uniforms.chunks + k) * c + index] + delta * delta * (n * nk / total);
      n = total;
    }
    result[index] = mean;
    result[c + index] = m2 / f32(uniforms.rows);
  }`;
  }
}

/** [2, chunks, C]: each chunk's Σg and Σg·x̂, for the backward pass of long columns. */
class ChunkSumsProgram extends ChunkProgram {
  variableNames = ['x', 'scale', 'shift', 'dy', 'stats'];
  shaderKey: string;

  constructor(
    chunks: number,
    columns: number,
    private readonly activation: Activation,
  ) {
    super(chunks, columns);
    this.shaderKey = `vmpBnChunkSums_${activation}`;
  }

  getUserCode(): string {
    const name = wgslName(this.activation);
    return `
  ${ACTIVATION_WGSL}
  fn main(index : i32) {
    ${CHUNK_PROLOGUE}
    let mean = stats[col];
    let inv = inverseSqrt(stats[c + col] + uniforms.epsilon);
    let gain = inv * scale[col];
    let offset = shift[col];
    var sg = 0.0;
    var sgx = 0.0;
    for (var r = first; r < end; r++) {
      let at = r * c + col;
      let centred = x[at] - mean;
      let pre = centred * gain + offset;
      let g = vmpActivationGrad_${name}(pre, vmpActivate_${name}(pre), dy[at]);
      sg += g;
      sgx += g * centred * inv;
    }
    result[index] = sg;
    result[uniforms.chunks * c + index] = sgx;
  }`;
  }
}

/** Elementwise: dx from dy and the statistics [4, C] (μ, σ², Σg, Σg·x̂). */
class DxProgram implements WebGPUProgram {
  variableNames = ['x', 'scale', 'shift', 'dy', 'stats'];
  uniforms = UNIFORMS;
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    shape: number[],
    private readonly activation: Activation,
  ) {
    this.outputShape = shape;
    this.shaderKey = `vmpBnDx_${activation}`;
    const size = shape[0] * shape[1];
    this.dispatchLayout = webgpu_util.flatDispatchLayout([size]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [size], this.workgroupSize);
  }

  getUserCode(): string {
    const name = wgslName(this.activation);
    return `
  ${ACTIVATION_WGSL}
  fn main(index : i32) {
    if (index >= uniforms.rows * uniforms.columns) { return; }
    let c = uniforms.columns;
    let col = index % c;
    let n = f32(uniforms.rows);
    let inv = inverseSqrt(stats[c + col] + uniforms.epsilon);
    let centred = x[index] - stats[col];
    let gain = inv * scale[col];
    let pre = centred * gain + shift[col];
    let g = vmpActivationGrad_${name}(pre, vmpActivate_${name}(pre), dy[index]);
    result[index] = gain * (g - stats[2 * c + col] / n - centred * inv * stats[3 * c + col] / n);
  }`;
  }
}

interface KernelAttrs {
  activation: Activation;
  epsilon: number;
  leak: number;
}

function uniformsOf(rows: number, columns: number, attrs: KernelAttrs) {
  return [
    { type: 'int32', data: [rows] },
    { type: 'int32', data: [columns] },
    { type: 'float32', data: [attrs.epsilon] },
    { type: 'float32', data: [attrs.leak] },
  ];
}

/** A kernel running `program(x's shape, activation)` on the named inputs, in this order. */
function kernel(
  names: string[],
  program: (shape: number[], activation: Activation) => WebGPUProgram,
): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as KernelAttrs;
    const tensors = names.map((name) => inputs[name] as TensorInfo);
    const [rows, columns] = tensors[0].shape;
    return (backend as WebGPUBackend).runWebGPUProgram(
      program(tensors[0].shape, a.activation),
      tensors,
      'float32',
      uniformsOf(rows, columns, a),
    );
  };
}

/**
 * A kernel over the chunks of x's columns: `program(chunks, columns, activation)` on the named
 * inputs, with the chunk count and length of `splitReduction(columns, rows)`.
 */
function chunkKernel(
  names: string[],
  program: (chunks: number, columns: number, activation: Activation) => WebGPUProgram,
): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as KernelAttrs;
    const tensors = names.map((name) => inputs[name] as TensorInfo);
    const [rows, columns] = (inputs.x as TensorInfo).shape;
    const { chunks, chunkLength } = splitReduction(columns, rows);
    return (backend as WebGPUBackend).runWebGPUProgram(
      program(chunks, columns, a.activation),
      tensors,
      'float32',
      [
        ...uniformsOf(rows, columns, a),
        { type: 'int32', data: [chunks] },
        { type: 'int32', data: [chunkLength] },
      ],
    );
  };
}

/** μ, σ² [2, C] of x [N, C]: the chunk moments and their merge (two dispatches). */
const mergedMoments: KernelFunc = (args) => {
  const backend = args.backend as WebGPUBackend;
  const parts = chunkKernel(['x'], (k, c) => new ChunkMomentsProgram(k, c))(args) as TensorInfo;
  const merged = chunkKernel(
    ['parts'],
    (_, c) => new MergeMomentsProgram(c),
  )({
    ...args,
    inputs: { x: args.inputs.x, parts },
  });
  backend.disposeData(parts.dataId);
  return merged;
};

const KERNEL_FUNCS: Record<string, KernelFunc> = {
  [COLUMN_FORWARD]: kernel(['x', 'scale', 'shift'], (s, a) => new ColumnForwardProgram(s, a)),
  [APPLY]: kernel(['x', 'scale', 'shift', 'stats'], (s, a) => new ApplyProgram(s, a)),
  [COLUMN_SUMS]: kernel(['x', 'scale', 'shift', 'dy'], (s, a) => new ColumnSumsProgram(s[1], a)),
  [CHUNK_MOMENTS]: mergedMoments,
  [CHUNK_SUMS]: chunkKernel(
    ['x', 'scale', 'shift', 'dy', 'stats'],
    (k, c, a) => new ChunkSumsProgram(k, c, a),
  ),
  [DX]: kernel(['x', 'scale', 'shift', 'dy', 'stats'], (s, a) => new DxProgram(s, a)),
};

/** Whether `batchNormActivation` can run here (the optimisation is installed on the active backend). */
export function batchNormKernelReady(): boolean {
  return tf.getKernel(COLUMN_FORWARD, tf.getBackend()) !== undefined;
}

/**
 * act(batch norm of x [N, C] with scale γ [C] and shift β [C]), the statistics of this batch;
 * differentiable in x, γ and β. Needs `batchNormKernelReady()`.
 */
export function batchNormActivation(
  x: tf.Tensor2D,
  scale: tf.Tensor1D,
  shift: tf.Tensor1D,
  options: BatchNormOptions,
): tf.Tensor2D {
  const [rows, columns] = x.shape;
  const attrs = {
    activation: options.activation,
    epsilon: options.epsilon,
    leak: options.leak ?? 0,
  };
  const run = (name: string, inputs: Record<string, tf.Tensor>) =>
    tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  const short = rows <= COLUMN_ROWS;
  // Scale and shift gradients only where backprop asks for them (not for a frozen network's).
  const op = lazyCustomGrad(([xs, gamma, beta], save) => {
    let value: tf.Tensor;
    if (short) {
      save([xs, gamma, beta]);
      value = run(COLUMN_FORWARD, { x: xs, scale: gamma, shift: beta });
    } else {
      const stats = run(CHUNK_MOMENTS, { x: xs }); // [2, C]: μ, σ²
      save([xs, gamma, beta, stats]);
      value = run(APPLY, { x: xs, scale: gamma, shift: beta, stats });
    }
    return {
      value,
      backward: (dy, saved) => {
        const [sx, sGamma, sBeta, moments] = saved;
        const common = { x: sx, scale: sGamma, shift: sBeta, dy };
        let stats: tf.Tensor; // [4, C]: μ, σ², Σg, Σg·x̂
        if (short) {
          stats = run(COLUMN_SUMS, common);
        } else {
          const parts = run(CHUNK_SUMS, { ...common, stats: moments }); // [2, chunks, C]
          stats = tf.concat([moments, tf.sum(parts, 1)]);
        }
        return [
          () => run(DX, { ...common, stats }), // [N, C]
          () => stats.slice([3, 0], [1, columns]).reshape([columns]), // dγ
          () => stats.slice([2, 0], [1, columns]).reshape([columns]), // dβ
        ];
      },
    };
  });
  return op(x, scale, shift) as tf.Tensor2D;
}

registerOwnKernels(
  BATCH_NORM_OPTIMIZATION,
  'Batch norm + activation on WebGPU: statistics, normalisation and activation in one kernel (one workgroup per channel), the closed-form gradient in three (composed: ~10 dispatches forward, ~20 backward, scalar and ones uploads from the gradients)',
  BACKEND,
  KERNEL_FUNCS,
);
