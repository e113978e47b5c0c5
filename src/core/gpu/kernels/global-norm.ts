/**
 * The factor of global-norm gradient clipping, min(1, clip / (‖(g_1, …, g_n)‖₂ + 1e−12)), on
 * WebGPU in one dispatch per 7 tensors and no uploads.
 *
 * Composed it is a square and a sum per tensor, an AddN, a square root, an add, a division and a
 * minimum, the three constants uploaded as tensors: 2n + 5 dispatches (17 for the rCNN tiny's six
 * parameters). Here one workgroup adds the squares of up to 7 tensors (a shader binds at most 8
 * storage buffers on WebGPU's minimum limits: 7 inputs and the output); with more, the next
 * dispatch adds the running sum that the previous one left in the same output buffer (WebGPU
 * orders the dispatches), and the last turns the sum into the factor. Values as the composed ops
 * up to float32 rounding (the squares add in another order).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { chunk } from '../binding-limits';
import { registerOwnKernels } from './kernel-override';

export const GLOBAL_NORM_OPTIMIZATION = 'webgpu-global-norm-clip';
const BACKEND = 'webgpu';
const KERNEL = 'VmpGlobalNormClip';

const THREADS = 256;
/** Tensors per dispatch: WebGPU's minimum of 8 storage buffers, less the output. */
const PER_DISPATCH = 7;

/** Adds Σ x² of `count` tensors to the running sum (unless first); the last writes the factor. */
class GlobalNormProgram implements WebGPUProgram {
  variableNames: string[];
  uniforms: string;
  outputShape = [1];
  shaderKey: string;
  workgroupSize: [number, number, number] = [THREADS, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number] = [1, 1, 1];

  constructor(
    count: number,
    private readonly first: boolean,
    private readonly last: boolean,
  ) {
    this.variableNames = Array.from({ length: count }, (_, i) => `x${i}`);
    this.uniforms = `${this.variableNames.map((_, i) => `size${i} : i32,`).join(' ')} clip : f32,`;
    this.shaderKey = `vmpGlobalNorm_${count}_${first}_${last}`;
    this.dispatchLayout = webgpu_util.flatDispatchLayout([1]);
  }

  getUserCode(): string {
    const loops = this.variableNames
      .map(
        (name, i) =>
          `for (var i = t; i < uniforms.size${i}; i += ${THREADS}) { let v = ${name}[i]; s += v * v; }`,
      )
      .join('\n    ');
    const steps: string[] = [];
    for (let stride = THREADS / 2; stride >= 1; stride /= 2) {
      steps.push(`if (t < ${stride}) { partial[t] = partial[t] + partial[t + ${stride}]; }
    workgroupBarrier();`);
    }
    const total = this.first ? 'partial[0]' : 'partial[0] + result[0]';
    const value = this.last ? 'min(1.0, uniforms.clip / (sqrt(total) + 1e-12))' : 'total';
    return `
  var<workgroup> partial : array<f32, ${THREADS}>;
  fn main(index : i32) {
    let t = i32(localIndex);
    var s = 0.0;
    ${loops}
    partial[t] = s;
    workgroupBarrier();
    ${steps.join('\n    ')}
    if (t == 0) {
      let total = ${total};
      result[0] = ${value};
    }
  }`;
  }
}

const kernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const webgpu = backend as WebGPUBackend;
  const tensors = inputs as unknown as TensorInfo[];
  const clip = (attrs as unknown as { clip: number }).clip;
  const groups = chunk(tensors, PER_DISPATCH);
  const out = webgpu.makeTensorInfo([1], 'float32');
  groups.forEach((group, i) => {
    const program = new GlobalNormProgram(group.length, i === 0, i === groups.length - 1);
    const uniforms = [
      ...group.map((x) => ({ type: 'int32', data: [x.shape.reduce((a, b) => a * b, 1)] })),
      { type: 'float32', data: [clip] },
    ];
    webgpu.runWebGPUProgram(program, group, 'float32', uniforms, out);
  });
  return out;
};

/** Whether `globalNormClipFactor` can run here (the optimisation is installed). */
export function globalNormKernelReady(): boolean {
  return tf.getKernel(KERNEL, tf.getBackend()) !== undefined;
}

/**
 * min(1, clip / (‖(g_1, …, g_n)‖₂ + 1e−12)) over every element of `tensors` (float32): the scale
 * that clips their joint L2 norm to `clip`. No gradient. Needs `globalNormKernelReady()`.
 */
export function globalNormClipFactor(tensors: readonly tf.Tensor[], clip: number): tf.Scalar {
  if (tensors.length === 0) throw new Error('globalNormClipFactor: no tensors');
  const factor = tf.engine().runKernel(KERNEL, tensors as unknown as tf.NamedTensorMap, {
    clip,
  }) as tf.Tensor;
  return factor.reshape([]);
}

registerOwnKernels(
  GLOBAL_NORM_OPTIMIZATION,
  'Global-norm gradient clipping factor on WebGPU: one workgroup adds the squares of up to 7 tensors per dispatch, no uploads (composed: 2 dispatches per tensor + 5, three constant uploads)',
  BACKEND,
  { [KERNEL]: kernel },
);
