/**
 * One parameter's Adam update as three WebGPU dispatches (the new m, v and w) instead of about a
 * dozen elementwise ones with a scalar upload each:
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
import { registerOptimization } from '../optimizations';

export const ADAM_OPTIMIZATION = 'webgpu-fused-adam';
const KERNEL = 'VmpAdamUpdate';
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

type Part = 'm' | 'v' | 'w';

class AdamProgram implements WebGPUProgram {
  variableNames: string[];
  uniforms =
    'size : i32, beta1 : f32, beta2 : f32, epsilon : f32, stepSize : f32, vScale : f32, decay : f32, clip : f32,';
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    shape: number[],
    private readonly part: Part,
    private readonly scaled: boolean,
    private readonly mask: boolean,
  ) {
    this.variableNames = ['w', 'g', 'm', 'v', ...(scaled ? ['s'] : [])];
    this.outputShape = shape;
    this.shaderKey = `vmpAdam_${part}_${scaled}_${mask}`;
    const size = shape.reduce((a, b) => a * b, 1);
    this.dispatchLayout = webgpu_util.flatDispatchLayout([size]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [size], this.workgroupSize);
  }

  getUserCode(): string {
    const result = {
      m: 'mNext',
      v: 'vNext',
      w: `w[index] - clamped`,
    }[this.part];
    return `
  fn main(index : i32) {
    if (index >= uniforms.size) { return; }
    var grad = g[index]${this.scaled ? ' * s[0]' : ''};
    ${this.mask ? 'if (isnan(grad) || isinf(grad)) { grad = 0.0; }' : ''}
    grad = grad + uniforms.decay * w[index];
    let mNext = uniforms.beta1 * m[index] + (1.0 - uniforms.beta1) * grad;
    let vNext = uniforms.beta2 * v[index] + (1.0 - uniforms.beta2) * grad * grad;
    let update = uniforms.stepSize * mNext / (sqrt(uniforms.vScale * vNext) + uniforms.epsilon);
    let clamped = select(update, clamp(update, -uniforms.clip, uniforms.clip), uniforms.clip > 0.0);
    result[index] = ${result};
  }`;
  }
}

const adamKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { w, g, m, v, s } = inputs as Record<string, TensorInfo | undefined>;
  const a = attrs as unknown as Required<Omit<AdamSettings, 'gradientScale' | 'maskNonFinite'>> & {
    part: Part;
    mask: boolean;
  };
  const program = new AdamProgram((w as TensorInfo).shape, a.part, s !== undefined, a.mask);
  return (backend as WebGPUBackend).runWebGPUProgram(
    program,
    [w, g, m, v, ...(s ? [s] : [])] as TensorInfo[],
    'float32',
    [
      { type: 'int32', data: [(w as TensorInfo).shape.reduce((x, y) => x * y, 1)] },
      ...[a.beta1, a.beta2, a.epsilon, a.stepSize, a.vScale, a.decay, a.clip].map((value) => ({
        type: 'float32',
        data: [value],
      })),
    ],
  );
};

/** Whether `adamUpdate` can run here (the optimisation is installed on the active backend). */
export function adamKernelReady(): boolean {
  return tf.getKernel(KERNEL, tf.getBackend()) !== undefined;
}

/** The new m, v and w of one parameter (new tensors; the caller assigns and disposes them). */
export function adamUpdate(
  w: tf.Tensor,
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  settings: AdamSettings,
): { m: tf.Tensor; v: tf.Tensor; w: tf.Tensor } {
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
  const inputs = { w, g, m, v, ...(settings.gradientScale ? { s: settings.gradientScale } : {}) };
  const part = (name: Part) =>
    tf.engine().runKernel(KERNEL, inputs, { ...attrs, part: name }) as tf.Tensor;
  return { m: part('m'), v: part('v'), w: part('w') };
}

registerOptimization({
  id: ADAM_OPTIMIZATION,
  description:
    'Adam on WebGPU: each parameter’s new m, v and w in one elementwise kernel each, hyperparameters as uniforms (composed: ~12 dispatches and ~6 scalar uploads per parameter)',
  backends: [BACKEND],
  install() {
    if (tf.getKernel(KERNEL, BACKEND) === undefined) {
      tf.registerKernel({ kernelName: KERNEL, backendName: BACKEND, kernelFunc: adamKernel });
    }
  },
  uninstall() {
    if (tf.getKernel(KERNEL, BACKEND) !== undefined) tf.unregisterKernel(KERNEL, BACKEND);
  },
});
