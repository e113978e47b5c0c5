/**
 * A whole elementwise recurrence over a sequence on WebGPU — the rCNN's h_t = f(z_t + b + U·h_{t−1})
 * with U a 1×1 convolution — in one dispatch forward and one backward, where the per-step
 * composition needs an unstack, then per step a product, an add and the activation forward and
 * about five kernels backward, then a concatenation.
 *
 * Layout: T steps of L locations (rows) of C channels, time-major: row t·L + l, [T·L, C]. U is
 * [C, C] (h_{t−1} [1, C] · U), b [C], h_0 = 0. Every location's recurrence is independent of the
 * others' (U is 1×1), so one workgroup runs one location through all T steps: it keeps h_{t−1}
 * (forward) or dz_{t+1} (backward) in workgroup memory, its invocations compute C / 64 channels
 * each, and a barrier separates the steps — no dispatch per step, unlike lstm-sequence.ts, whose
 * recurrent product mixes all of a batch's columns.
 *
 * Forward: h_t = f(z_t + b + h_{t−1}·U), written to H [T·L, C].
 * Backward, from dH (the gradient of every h_t from above) and H: in reverse,
 *   g_t = dh_t + dz_{t+1}·Uᵀ,   dz_t = f'(h_t)⊙g_t
 * with f' in closed form from the output (tanh 1 − h², σ h(1 − h), ReLU h > 0), written to
 * dZ [T·L, C] (the gradient of z, and of b summed over rows). The weight gradient
 * dU = Σ_{t≥1} h_{t−1}ᵀ·dz_t over all locations is one more dispatch: an invocation per weight
 * reads the two shifted row ranges in place (no slices).
 *
 * Values as tfjs computes the composed ops (activation.ts), up to float32 rounding (the products
 * add in another order). Workgroup memory holds C floats: C ≤ 4,096 (16 KiB, WebGPU's minimum).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { registerOwnKernels } from './kernel-override';
import { ACTIVATION_UNIFORM, ACTIVATION_WGSL, wgslName } from './activation';
import type { Activation } from './activation';

export const RECURRENT_SEQUENCE_OPTIMIZATION = 'webgpu-recurrent-sequence';
const BACKEND = 'webgpu';
const FORWARD = 'VmpRecurrentSequence';
const BACKWARD = 'VmpRecurrentSequenceGrad';
const WEIGHT_GRAD = 'VmpRecurrentWeightGrad';

/** Invocations per workgroup (per location). */
const LANES = 64;
/** Channels whose state fits WebGPU's minimum workgroup memory (16 KiB of f32). */
export const MAX_RECURRENT_CHANNELS = 4096;

export type RecurrentActivation = Extract<Activation, 'tanh' | 'sigmoid' | 'relu'>;

interface Attrs {
  steps: number;
  activation: RecurrentActivation;
}

const UNIFORMS = `locations : i32, channels : i32, steps : i32, ${ACTIVATION_UNIFORM}`;

/** One workgroup per location, walking the steps forward or in reverse. */
class RecurrentSequenceProgram implements WebGPUProgram {
  variableNames: string[];
  uniforms = UNIFORMS;
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [LANES, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    rows: number,
    private readonly channels: number,
    locations: number,
    private readonly activation: RecurrentActivation,
    private readonly backward: boolean,
  ) {
    this.variableNames = backward ? ['dh', 'h', 'u'] : ['z', 'b', 'u'];
    this.outputShape = [rows, channels];
    this.shaderKey = `vmpRecurrentSequence_${activation}_${channels}_${backward}`;
    this.dispatchLayout = webgpu_util.flatDispatchLayout([locations * LANES]);
    this.dispatch = webgpu_util.computeDispatch(
      this.dispatchLayout,
      [locations * LANES],
      this.workgroupSize,
    );
  }

  getUserCode(): string {
    const act = wgslName(this.activation);
    // Forward: `carried` is h_{t−1}; backward: dz_{t+1}. Each invocation reads back only the
    // channels it wrote itself; the workgroup shares them through `carried`.
    const header = `
  ${ACTIVATION_WGSL}
  var<workgroup> carried : array<f32, ${this.channels}>;
  fn main(index : i32) {
    let L = uniforms.locations;
    let C = uniforms.channels;
    let T = uniforms.steps;
    let l = index / ${LANES};
    let lane = i32(localIndex);
    let live = l < L;`;
    if (!this.backward) {
      return `${header}
    for (var t = 0; t < T; t++) {
      for (var c = lane; c < C; c += ${LANES}) {
        var v = 0.0;
        if (live && t > 0) { v = result[((t - 1) * L + l) * C + c]; }
        carried[c] = v;
      }
      workgroupBarrier();
      if (live) {
        let row = (t * L + l) * C;
        for (var c = lane; c < C; c += ${LANES}) {
          var acc = z[row + c] + b[c];
          for (var k = 0; k < C; k++) { acc += carried[k] * u[k * C + c]; }
          result[row + c] = vmpActivate_${act}(acc);
        }
      }
      workgroupBarrier();
    }
  }`;
    }
    // f'(a) from the output: tanh and σ read y only; ReLU's a > 0 is h > 0 (and NaN stays NaN).
    return `${header}
    for (var s = 0; s < T; s++) {
      let t = T - 1 - s;
      for (var c = lane; c < C; c += ${LANES}) {
        var v = 0.0;
        if (live && t + 1 < T) { v = result[((t + 1) * L + l) * C + c]; }
        carried[c] = v;
      }
      workgroupBarrier();
      if (live) {
        let row = (t * L + l) * C;
        for (var c = lane; c < C; c += ${LANES}) {
          var g = dh[row + c];
          for (var k = 0; k < C; k++) { g += carried[k] * u[c * C + k]; }
          let y = h[row + c];
          result[row + c] = vmpActivationGrad_${act}(y, y, g);
        }
      }
      workgroupBarrier();
    }
  }`;
  }
}

/** dU[i, j] = Σ_{r < (T−1)·L} h[r, i]·dz[r + L, j]: one invocation per weight. */
class RecurrentWeightGradProgram implements WebGPUProgram {
  variableNames = ['h', 'dz'];
  uniforms = 'locations : i32, channels : i32, steps : i32,';
  outputShape: number[];
  shaderKey = 'vmpRecurrentWeightGrad';
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(channels: number) {
    this.outputShape = [channels, channels];
    const size = channels * channels;
    this.dispatchLayout = webgpu_util.flatDispatchLayout([size]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [size], this.workgroupSize);
  }

  getUserCode(): string {
    return `
  fn main(index : i32) {
    let C = uniforms.channels;
    if (index >= C * C) { return; }
    let i = index / C;
    let j = index % C;
    let shift = uniforms.locations * C;
    let rows = (uniforms.steps - 1) * uniforms.locations;
    var acc = 0.0;
    for (var r = 0; r < rows; r++) { acc += h[r * C + i] * dz[r * C + shift + j]; }
    result[index] = acc;
  }`;
  }
}

const uniformsOf = (locations: number, channels: number, steps: number, leak = true) => [
  { type: 'int32', data: [locations] },
  { type: 'int32', data: [channels] },
  { type: 'int32', data: [steps] },
  ...(leak ? [{ type: 'float32', data: [0] }] : []),
];

function sequenceKernel(backward: boolean): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as Attrs;
    const names = backward ? ['dh', 'h', 'u'] : ['z', 'b', 'u'];
    const operands = names.map((name) => (inputs as Record<string, TensorInfo>)[name]);
    const [rows, channels] = operands[0].shape;
    const locations = rows / a.steps;
    const program = new RecurrentSequenceProgram(rows, channels, locations, a.activation, backward);
    return (backend as WebGPUBackend).runWebGPUProgram(
      program,
      operands,
      'float32',
      uniformsOf(locations, channels, a.steps),
    );
  };
}

const weightGradKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { h, dz } = inputs as Record<string, TensorInfo>;
  const a = attrs as unknown as Attrs;
  const [rows, channels] = h.shape;
  return (backend as WebGPUBackend).runWebGPUProgram(
    new RecurrentWeightGradProgram(channels),
    [h, dz],
    'float32',
    uniformsOf(rows / a.steps, channels, a.steps, false),
  );
};

const KERNEL_FUNCS: Record<string, KernelFunc> = {
  [FORWARD]: sequenceKernel(false),
  [BACKWARD]: sequenceKernel(true),
  [WEIGHT_GRAD]: weightGradKernel,
};

/** Whether `recurrentSequence` can run here for `channels` channels. */
export function recurrentSequenceKernelReady(channels: number): boolean {
  return channels <= MAX_RECURRENT_CHANNELS && tf.getKernel(FORWARD, tf.getBackend()) !== undefined;
}

/**
 * h_1 … h_T of h_t = f(z_t + b + h_{t−1}·U), h_0 = 0, for drives z [T·L, C] (time-major rows),
 * bias b [C] and U [C, C]: [T·L, C], differentiable in all three. Needs
 * `recurrentSequenceKernelReady(C)`.
 */
export function recurrentSequence(
  drive: tf.Tensor2D,
  bias: tf.Tensor1D,
  recurrent: tf.Tensor2D,
  activation: RecurrentActivation,
  steps: number,
): tf.Tensor2D {
  const attrs = { steps, activation } as unknown as tf.NamedAttrMap;
  // customGrad passes the tensors, then the save function.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [z, b, u, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.GradSaveFunc];
    const h = tf.engine().runKernel(FORWARD, { z, b, u }, attrs) as tf.Tensor2D; // [T·L, C]
    save([h, u]);
    return {
      value: h,
      gradFunc: (dh: tf.Tensor, saved: tf.Tensor[]) => {
        const [sh, su] = saved;
        const dz = tf.engine().runKernel(BACKWARD, { dh, h: sh, u: su }, attrs) as tf.Tensor2D;
        const du = tf.engine().runKernel(WEIGHT_GRAD, { h: sh, dz }, attrs) as tf.Tensor2D;
        return [dz, tf.sum(dz, 0), du]; // dz [T·L, C], db [C], dU [C, C]
      },
    };
  });
  return op(drive, bias, recurrent) as tf.Tensor2D;
}

registerOwnKernels(
  RECURRENT_SEQUENCE_OPTIMIZATION,
  'rCNN recurrence h_t = f(z_t + b + U·h_{t−1}) over a whole sequence on WebGPU: a workgroup per location walks all steps, one dispatch forward, one backward, one for dU (composed: ~3 dispatches per step forward, ~6 backward, plus unstack and concat)',
  BACKEND,
  KERNEL_FUNCS,
);
