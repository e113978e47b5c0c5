/**
 * One parameter's Adam update as two WebGPU dispatches instead of about a dozen elementwise ones
 * with a scalar upload each: one writes the new m and v, kept packed in one [2, …shape] tensor (a
 * tfjs WebGPU program has one output), the other the new w from them:
 *
 *   g ← s·g (optional scale tensor, e.g. a global-norm clip) + decay·w; non-finite g → 0 (option)
 *   m' = β1·m + (1 − β1)·g,  v' = β2·v + (1 − β2)·g²
 *   u  = stepSize · m' / (√(vScale·v') + ε), clipped to ±clip when clip > 0
 *   w' = w − u
 *
 * which is Torch's form (stepSize = lr·√(1 − β2ᵗ)/(1 − β1ᵗ), vScale = 1: the VGAN and the rCNN)
 * and Kingma & Ba's with the bias corrections folded in (stepSize = lr/(1 − β1ᵗ),
 * vScale = 1/(1 − β2ᵗ): the LSTM). Hyperparameters travel as uniforms, not tensors. The models
 * call `adamUpdate` when `adamKernelReady()`; otherwise they compose the ops themselves.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { setOptimizationEnabled } from '../optimizations';
import type { CpuBackendLike } from './cpu-backend';
import { registerOwnKernels } from './kernel-override';

export const ADAM_OPTIMIZATION = 'webgpu-fused-adam';
export const CPU_ADAM_OPTIMIZATION = 'cpu-fused-adam';
const MOMENTS_KERNEL = 'VmpAdamMoments';
const PARAMETER_KERNEL = 'VmpAdamParameter';
const BACKEND = 'webgpu';

export interface AdamSettings {
  beta1: number;
  beta2: number;
  epsilon: number;
  stepSize: number;
  /** Multiplies v' under the root (1 for Torch's form). */
  vScale?: number;
  /** L2 coefficient added to the gradient (decay·w); 0 = none. */
  decay?: number;
  /** Clips each element of the update to ±clip; 0 = off. */
  clip?: number;
  /** Non-finite gradient elements count as 0. */
  maskNonFinite?: boolean;
  /** A scalar the gradient is multiplied by first (e.g. a global-norm clip factor). */
  gradientScale?: tf.Scalar;
}

/** The moments program writes m′ then v′ into one [2, …shape] tensor; the parameter program w′. */
class AdamMomentsProgram implements WebGPUProgram {
  variableNames: string[];
  uniforms = 'size : i32, beta1 : f32, beta2 : f32, decay : f32,';
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    momentsShape: number[],
    private readonly scaled: boolean,
    private readonly mask: boolean,
  ) {
    this.variableNames = ['w', 'g', 'moments', ...(scaled ? ['s'] : [])];
    this.outputShape = momentsShape;
    this.shaderKey = `vmpAdamMoments_${scaled}_${mask}`;
    const size = momentsShape.reduce((a, b) => a * b, 1);
    this.dispatchLayout = webgpu_util.flatDispatchLayout([size]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [size], this.workgroupSize);
  }

  getUserCode(): string {
    return `
  fn main(index : i32) {
    if (index >= 2 * uniforms.size) { return; }
    let isV = index >= uniforms.size;
    let i = select(index, index - uniforms.size, isV);
    var grad = g[i]${this.scaled ? ' * s[0]' : ''};
    ${this.mask ? 'if (isnan(grad) || isinf(grad)) { grad = 0.0; }' : ''}
    grad = grad + uniforms.decay * w[i];
    if (isV) {
      result[index] = uniforms.beta2 * moments[index] + (1.0 - uniforms.beta2) * grad * grad;
    } else {
      result[index] = uniforms.beta1 * moments[index] + (1.0 - uniforms.beta1) * grad;
    }
  }`;
  }
}

class AdamParameterProgram implements WebGPUProgram {
  variableNames = ['w', 'moments'];
  uniforms = 'size : i32, epsilon : f32, stepSize : f32, vScale : f32, clip : f32,';
  outputShape: number[];
  shaderKey = 'vmpAdamParameter';
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(shape: number[]) {
    this.outputShape = shape;
    const size = shape.reduce((a, b) => a * b, 1);
    this.dispatchLayout = webgpu_util.flatDispatchLayout([size]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [size], this.workgroupSize);
  }

  getUserCode(): string {
    return `
  fn main(index : i32) {
    if (index >= uniforms.size) { return; }
    let mNext = moments[index];
    let vNext = moments[index + uniforms.size];
    let update = uniforms.stepSize * mNext / (sqrt(uniforms.vScale * vNext) + uniforms.epsilon);
    let clamped = select(update, clamp(update, -uniforms.clip, uniforms.clip), uniforms.clip > 0.0);
    result[index] = w[index] - clamped;
  }`;
  }
}

type Attrs = Required<Omit<AdamSettings, 'gradientScale' | 'maskNonFinite'>> & { mask: boolean };

const floats = (values: number[]) => values.map((value) => ({ type: 'float32', data: [value] }));
const sizeOf = (t: TensorInfo) => t.shape.reduce((x, y) => x * y, 1);

const momentsKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { w, g, moments, s } = inputs as Record<string, TensorInfo | undefined>;
  const a = attrs as unknown as Attrs;
  const program = new AdamMomentsProgram((moments as TensorInfo).shape, s !== undefined, a.mask);
  return (backend as WebGPUBackend).runWebGPUProgram(
    program,
    [w, g, moments, ...(s ? [s] : [])] as TensorInfo[],
    'float32',
    [{ type: 'int32', data: [sizeOf(w as TensorInfo)] }, ...floats([a.beta1, a.beta2, a.decay])],
  );
};

const parameterKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { w, moments } = inputs as Record<string, TensorInfo>;
  const a = attrs as unknown as Attrs;
  return (backend as WebGPUBackend).runWebGPUProgram(
    new AdamParameterProgram(w.shape),
    [w, moments],
    'float32',
    [{ type: 'int32', data: [sizeOf(w)] }, ...floats([a.epsilon, a.stepSize, a.vScale, a.clip])],
  );
};

const KERNELS: [string, KernelFunc][] = [
  [MOMENTS_KERNEL, momentsKernel],
  [PARAMETER_KERNEL, parameterKernel],
];

// The same two kernels on the CPU backend, as plain loops: composed, the update is about a dozen
// tfjs ops per parameter, each a pass over it that allocates its result.

const cpuMomentsKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { w, g, moments, s } = inputs as Record<string, TensorInfo | undefined>;
  const a = attrs as unknown as Attrs;
  const cpu = backend as unknown as CpuBackendLike;
  const read = (t: TensorInfo) => cpu.data.get(t.dataId).values as Float32Array;
  const [ws, gs, ms] = [read(w!), read(g!), read(moments!)];
  const scale = s ? read(s)[0] : 1;
  const n = ws.length;
  const next = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    let grad = s ? gs[i] * scale : gs[i];
    if (a.mask && !Number.isFinite(grad)) grad = 0;
    grad += a.decay * ws[i];
    next[i] = a.beta1 * ms[i] + (1 - a.beta1) * grad;
    next[n + i] = a.beta2 * ms[n + i] + (1 - a.beta2) * grad * grad;
  }
  return cpu.makeTensorInfo([...moments!.shape], 'float32', next);
};

const cpuParameterKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { w, moments } = inputs as Record<string, TensorInfo>;
  const a = attrs as unknown as Attrs;
  const cpu = backend as unknown as CpuBackendLike;
  const ws = cpu.data.get(w.dataId).values as Float32Array;
  const ms = cpu.data.get(moments.dataId).values as Float32Array;
  const n = ws.length;
  const next = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const update = (a.stepSize * ms[i]) / (Math.sqrt(a.vScale * ms[n + i]) + a.epsilon);
    next[i] = ws[i] - (a.clip > 0 ? Math.min(Math.max(update, -a.clip), a.clip) : update);
  }
  return cpu.makeTensorInfo([...w.shape], 'float32', next);
};

/** Whether `adamUpdate` can run here (an optimisation installed it on the active backend). */
export function adamKernelReady(): boolean {
  return [MOMENTS_KERNEL, PARAMETER_KERNEL].every(
    (name) => tf.getKernel(name, tf.getBackend()) !== undefined,
  );
}

/** m and v of one parameter as the packed moments `adamUpdate` takes: [2, …shape]. */
export function packMoments(m: tf.Tensor, v: tf.Tensor): tf.Tensor {
  return tf.stack([m, v]);
}

/**
 * The new packed moments (m′ then v′, see `packMoments`) and the new w of one parameter (new
 * tensors; the caller assigns and disposes them).
 */
export function adamUpdate(
  w: tf.Tensor,
  g: tf.Tensor,
  moments: tf.Tensor,
  settings: AdamSettings,
): { moments: tf.Tensor; w: tf.Tensor } {
  const attrs = {
    beta1: settings.beta1,
    beta2: settings.beta2,
    epsilon: settings.epsilon,
    stepSize: settings.stepSize,
    vScale: settings.vScale ?? 1,
    decay: settings.decay ?? 0,
    clip: settings.clip ?? 0,
    mask: settings.maskNonFinite ?? false,
  };
  const inputs: tf.NamedTensorMap = { w, g, moments };
  if (settings.gradientScale) inputs.s = settings.gradientScale;
  const engine = tf.engine();
  const next = engine.runKernel(MOMENTS_KERNEL, inputs, attrs) as tf.Tensor;
  return {
    moments: next,
    w: engine.runKernel(PARAMETER_KERNEL, { w, moments: next }, attrs) as tf.Tensor,
  };
}

registerOwnKernels(
  ADAM_OPTIMIZATION,
  'Adam on WebGPU: each parameter’s new m and v (packed in one tensor) in one elementwise kernel and its new w in another, hyperparameters as uniforms (composed: ~12 dispatches and ~6 scalar uploads per parameter)',
  BACKEND,
  Object.fromEntries(KERNELS),
);

// Installed on import like the other CPU kernels (cpu-segment-sum.ts), switchable like them.
registerOwnKernels(
  CPU_ADAM_OPTIMIZATION,
  "Adam on the CPU backend: each parameter's new m and v in one loop and its new w in another (composed: about a dozen tfjs ops, each a pass that allocates its result)",
  'cpu',
  { [MOMENTS_KERNEL]: cpuMomentsKernel, [PARAMETER_KERNEL]: cpuParameterKernel },
);
setOptimizationEnabled(CPU_ADAM_OPTIMIZATION, true, 'cpu');
