/**
 * A bias added to every row of [R, C], then an activation — act(x + b) — as one WebGPU kernel
 * forward and one backward (plus the column sum that is the bias gradient), without the uploads
 * that tfjs's LeakyReLU, tanh and σ gradients make (a scalar each). The last column may have an
 * activation of its own: the VGAN's video head is tanh on the colour channels and σ on the mask
 * channel, one transposed convolution with C + 1 outputs.
 *
 * Forward: y = act(x + b). Backward: dx = act'(x + b)·dy (the pre-activation recomputed, nothing
 * saved but the inputs), db = Σ_rows dx. Values as tfjs computes them (activation.ts), up to
 * float32 rounding.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { lazyCustomGrad } from '../lazy-grad';
import { ACTIVATION_UNIFORM, ACTIVATION_WGSL, wgslName } from './activation';
import type { Activation } from './activation';
import { registerOwnKernels } from './kernel-override';

export const BIAS_ACTIVATION_OPTIMIZATION = 'webgpu-bias-activation';
const BACKEND = 'webgpu';
const FORWARD = 'VmpBiasActivation';
const BACKWARD = 'VmpBiasActivationGrad';

export interface BiasActivationOptions {
  activation: Activation;
  /** LeakyReLU's slope. */
  leak?: number;
  /** The last column's activation, when it differs (default: `activation`). */
  lastColumn?: Activation;
}

interface KernelAttrs {
  activation: Activation;
  lastColumn: Activation;
  leak: number;
}

class BiasActivationProgram implements WebGPUProgram {
  variableNames: string[];
  uniforms = `size : i32, columns : i32, ${ACTIVATION_UNIFORM}`;
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    shape: number[],
    private readonly attrs: KernelAttrs,
    private readonly backward: boolean,
  ) {
    this.variableNames = backward ? ['x', 'b', 'dy'] : ['x', 'b'];
    this.outputShape = shape;
    this.shaderKey = `vmpBiasAct_${attrs.activation}_${attrs.lastColumn}_${backward}`;
    const size = shape[0] * shape[1];
    this.dispatchLayout = webgpu_util.flatDispatchLayout([size]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [size], this.workgroupSize);
  }

  getUserCode(): string {
    const { activation, lastColumn } = this.attrs;
    const value = (kind: Activation) =>
      this.backward
        ? `vmpActivationGrad_${wgslName(kind)}(pre, vmpActivate_${wgslName(kind)}(pre), dy[index])`
        : `vmpActivate_${wgslName(kind)}(pre)`;
    const body =
      lastColumn === activation
        ? `result[index] = ${value(activation)};`
        : `if (col == uniforms.columns - 1) {
      result[index] = ${value(lastColumn)};
    } else {
      result[index] = ${value(activation)};
    }`;
    return `
  ${ACTIVATION_WGSL}
  fn main(index : i32) {
    if (index >= uniforms.size) { return; }
    let col = index % uniforms.columns;
    let pre = x[index] + b[col];
    ${body}
  }`;
  }
}

function run(backward: boolean): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, b, dy } = inputs as Record<string, TensorInfo>;
    const [rows, columns] = x.shape;
    const program = new BiasActivationProgram(x.shape, attrs as unknown as KernelAttrs, backward);
    return (backend as WebGPUBackend).runWebGPUProgram(
      program,
      backward ? [x, b, dy] : [x, b],
      'float32',
      [
        { type: 'int32', data: [rows * columns] },
        { type: 'int32', data: [columns] },
        { type: 'float32', data: [(attrs as unknown as KernelAttrs).leak] },
      ],
    );
  };
}

/** Whether `biasActivation` can run here (the optimisation is installed on the active backend). */
export function biasActivationKernelReady(): boolean {
  return tf.getKernel(FORWARD, tf.getBackend()) !== undefined;
}

/** act(x + b) for x [R, C] and b [C]; differentiable in both. Needs `biasActivationKernelReady()`. */
export function biasActivation(
  x: tf.Tensor2D,
  b: tf.Tensor1D,
  options: BiasActivationOptions,
): tf.Tensor2D {
  const attrs: KernelAttrs = {
    activation: options.activation,
    lastColumn: options.lastColumn ?? options.activation,
    leak: options.leak ?? 0,
  };
  const named = attrs as unknown as tf.NamedAttrMap;
  // The bias gradient only where backprop asks for it (not for a frozen network's).
  const op = lazyCustomGrad(([xs, bs], save) => {
    save([xs, bs]);
    return {
      value: tf.engine().runKernel(FORWARD, { x: xs, b: bs }, named) as tf.Tensor2D,
      backward: (dy, saved) => {
        const [sx, sb] = saved;
        const dx = tf.engine().runKernel(BACKWARD, { x: sx, b: sb, dy }, named) as tf.Tensor2D;
        const [rows, columns] = dx.shape;
        // One column as a vector: tfjs reduces [R, 1] over rows through a transpose, whose
        // dispatch exceeds WebGPU's limits at a million rows (one-stream small's gray head).
        const db = () => (columns === 1 ? tf.sum(dx.reshape([rows])).reshape([1]) : tf.sum(dx, 0));
        return [() => dx, db];
      },
    };
  });
  return op(x, b) as tf.Tensor2D;
}

registerOwnKernels(
  BIAS_ACTIVATION_OPTIMIZATION,
  'Bias + activation on WebGPU: act(x + b) in one kernel forward and one backward, no scalar uploads (composed: 2 forward, 3–4 backward, a scalar upload per LeakyReLU/tanh/σ gradient)',
  BACKEND,
  { [FORWARD]: run(false), [BACKWARD]: run(true) },
);
