/**
 * Losses and whole-tensor means as single WebGPU kernels, forward and backward, without uploads.
 *
 * Composed from tfjs ops a loss is a chain of elementwise kernels and a reduction, and its
 * gradient uploads constants: every `x.mul(0.5)` a scalar, every Mean or Sum gradient a tensor of
 * ones as large as its input. Here:
 * - `sigmoidCrossEntropyMean(logits [B], label)`: mean of max(l, 0) − l·t + log(1 + e^−|l|) in
 *   one dispatch (one workgroup adds the terms); gradient (σ(l) − t)·dy/B in one.
 * - `fractionAbove(logits [B], label)`: the fraction of logits on the label's side of 0
 *   (accuracy; no gradient), one dispatch.
 * - `meanOf(x)`: tf.mean of all elements, with a gradient that writes dy/N everywhere in one
 *   dispatch instead of ones·dy then a division.
 * The label, scale and count travel as uniforms. Values as the composed ops, up to float32
 * rounding (the sums add in another order).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { registerOwnKernels } from './kernel-override';

export const LOSSES_OPTIMIZATION = 'webgpu-fused-losses';
const BACKEND = 'webgpu';
const TOTAL = 'VmpElementwiseTotal';
const SIGMOID_CE_GRAD = 'VmpSigmoidCrossEntropyGrad';
const FILL = 'VmpFillScaled';
const ELEMENT_LOSS = 'VmpElementLoss';
const ELEMENT_LOSS_GRAD = 'VmpElementLossGrad';

const THREADS = 256;

/** Per-element terms a single workgroup adds up (then divides by the count). */
type Term = 'sigmoid-ce' | 'above-zero' | 'at-most-zero';

const TERM_WGSL: Record<Term, string> = {
  // max(l, 0) − l·t + log1p(e^−|l|), as tfjs's relu, abs, exp and log1p compute it.
  'sigmoid-ce': `select(l, 0.0, l < 0.0) - l * uniforms.label + log(1.0 + exp(-abs(l)))`,
  'above-zero': 'select(0.0, 1.0, l > 0.0)',
  'at-most-zero': 'select(0.0, 1.0, l <= 0.0)',
};

/** One workgroup: mean over all of x of a per-element term → [1]. */
class TotalProgram implements WebGPUProgram {
  variableNames = ['x'];
  uniforms = 'count : i32, label : f32,';
  outputShape = [1];
  shaderKey: string;
  workgroupSize: [number, number, number] = [THREADS, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number] = [1, 1, 1];

  constructor(private readonly term: Term) {
    this.shaderKey = `vmpTotal_${term}`;
    this.dispatchLayout = webgpu_util.flatDispatchLayout([1]);
  }

  getUserCode(): string {
    const steps: string[] = [];
    for (let stride = THREADS / 2; stride >= 1; stride /= 2) {
      steps.push(`if (t < ${stride}) { partial[t] = partial[t] + partial[t + ${stride}]; }
    workgroupBarrier();`);
    }
    return `
  var<workgroup> partial : array<f32, ${THREADS}>;
  fn main(index : i32) {
    let t = i32(localIndex);
    var s = 0.0;
    for (var i = t; i < uniforms.count; i += ${THREADS}) {
      let l = x[i];
      s += ${TERM_WGSL[this.term]};
    }
    partial[t] = s;
    workgroupBarrier();
    ${steps.join('\n    ')}
    if (t == 0) { result[0] = partial[0] / f32(uniforms.count); }
  }`;
  }
}

/** Elementwise: (σ(l) − t)·dy/B, or (FILL) dy·scale everywhere. */
class ScaledProgram implements WebGPUProgram {
  variableNames: string[];
  uniforms = 'size : i32, label : f32, scale : f32,';
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    shape: number[],
    private readonly fill: boolean,
  ) {
    this.variableNames = fill ? ['dy'] : ['x', 'dy'];
    this.outputShape = shape;
    this.shaderKey = fill ? 'vmpFillScaled' : 'vmpSigmoidCeGrad';
    const size = shape.reduce((a, b) => a * b, 1);
    this.dispatchLayout = webgpu_util.flatDispatchLayout([size]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [size], this.workgroupSize);
  }

  getUserCode(): string {
    const value = this.fill
      ? 'dy[0] * uniforms.scale'
      : '(1.0 / (1.0 + exp(-1.0 * x[index])) - uniforms.label) * dy[0] * uniforms.scale';
    return `
  fn main(index : i32) {
    if (index >= uniforms.size) { return; }
    result[index] = ${value};
  }`;
  }
}

/** Per-element losses of outputs l against targets t. */
export type ElementLoss = 'sigmoid-bce' | 'half-squared';

const ELEMENT_LOSS_WGSL: Record<ElementLoss, { value: string; grad: string }> = {
  // softplus(l) − t·l as tfjs's Softplus computes it; its gradient σ(l) − t.
  'sigmoid-bce': {
    value: `vmpSoftplus(l) - t * l`,
    grad: '1.0 / (1.0 + exp(-1.0 * l)) - t',
  },
  // ½(l − t)², gradient l − t.
  'half-squared': { value: '(l - t) * (l - t) * 0.5', grad: 'l - t' },
};

const SOFTPLUS_WGSL = `
  fn vmpSoftplus(a : f32) -> f32 {
    let epsilon = 1.1920928955078125e-7;
    let threshold = log(epsilon) + 2.0;
    let exp_a = exp(a);
    if (a > -threshold) { return a; } else if (a < threshold) { return exp_a; }
    return log(exp_a + 1.0);
  }`;

/** Elementwise: scale·loss(l, t), or (backward) scale·loss'(l, t)·dy. */
class ElementLossProgram implements WebGPUProgram {
  variableNames: string[];
  uniforms = 'size : i32, scale : f32,';
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    shape: number[],
    private readonly loss: ElementLoss,
    private readonly backward: boolean,
  ) {
    this.variableNames = backward ? ['x', 'goal', 'dy'] : ['x', 'goal'];
    this.outputShape = shape;
    this.shaderKey = `vmpElementLoss_${loss}_${backward}`;
    const size = shape.reduce((a, b) => a * b, 1);
    this.dispatchLayout = webgpu_util.flatDispatchLayout([size]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [size], this.workgroupSize);
  }

  getUserCode(): string {
    const { value, grad } = ELEMENT_LOSS_WGSL[this.loss];
    return `
  ${SOFTPLUS_WGSL}
  fn main(index : i32) {
    if (index >= uniforms.size) { return; }
    let l = x[index];
    let t = goal[index];
    result[index] = ${this.backward ? `(${grad}) * dy[0] * uniforms.scale` : `(${value}) * uniforms.scale`};
  }`;
  }
}

function elementLossKernel(backward: boolean): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, target, dy } = inputs as Record<string, TensorInfo>;
    const a = attrs as unknown as { loss: ElementLoss; scale: number };
    return (backend as WebGPUBackend).runWebGPUProgram(
      new ElementLossProgram(x.shape, a.loss, backward),
      backward ? [x, target, dy] : [x, target],
      'float32',
      [
        { type: 'int32', data: [sizeOf(x.shape)] },
        { type: 'float32', data: [a.scale] },
      ],
    );
  };
}

interface Attrs {
  term?: Term;
  label?: number;
  scale?: number;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

const totalKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputs.x as TensorInfo;
  const a = attrs as unknown as Attrs;
  return (backend as WebGPUBackend).runWebGPUProgram(
    new TotalProgram(a.term as Term),
    [x],
    'float32',
    [
      { type: 'int32', data: [sizeOf(x.shape)] },
      { type: 'float32', data: [a.label ?? 0] },
    ],
  );
};

function scaledKernel(fill: boolean): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as Record<string, TensorInfo>;
    const a = attrs as unknown as Attrs & { shape?: number[] };
    const shape = fill ? (a.shape as number[]) : x.shape;
    return (backend as WebGPUBackend).runWebGPUProgram(
      new ScaledProgram(shape, fill),
      fill ? [dy] : [x, dy],
      'float32',
      [
        { type: 'int32', data: [sizeOf(shape)] },
        { type: 'float32', data: [a.label ?? 0] },
        { type: 'float32', data: [a.scale ?? 1] },
      ],
    );
  };
}

const KERNEL_FUNCS: Record<string, KernelFunc> = {
  [TOTAL]: totalKernel,
  [SIGMOID_CE_GRAD]: scaledKernel(false),
  [FILL]: scaledKernel(true),
  [ELEMENT_LOSS]: elementLossKernel(false),
  [ELEMENT_LOSS_GRAD]: elementLossKernel(true),
};

/** Whether the functions here can run (the optimisation is installed on the active backend). */
export function fusedLossesReady(): boolean {
  return tf.getKernel(TOTAL, tf.getBackend()) !== undefined;
}

const total = (x: tf.Tensor, term: Term, label = 0): tf.Scalar =>
  (tf.engine().runKernel(TOTAL, { x }, { term, label }) as tf.Tensor).reshape([]);

/**
 * `weight` × the mean sigmoid cross-entropy of `logits` [B] against a constant label 0 or 1,
 * differentiable in the logits. Needs `fusedLossesReady()`.
 */
export function sigmoidCrossEntropyMean(logits: tf.Tensor1D, label: 0 | 1, weight = 1): tf.Scalar {
  // customGrad passes the tensors, then the save function.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [l, save] = args as [tf.Tensor1D, tf.GradSaveFunc];
    save([l]);
    return {
      value:
        weight === 1
          ? total(l, 'sigmoid-ce', label)
          : scaled(total(l, 'sigmoid-ce', label), weight),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf
          .engine()
          .runKernel(
            SIGMOID_CE_GRAD,
            { x: saved[0], dy },
            { label, scale: weight / l.shape[0] },
          ) as tf.Tensor,
    };
  });
  return op(logits) as tf.Scalar;
}

/** Fraction of `logits` [B] that say `label` (l > 0 for 1, l ≤ 0 for 0). No gradient. */
export function fractionAbove(logits: tf.Tensor1D, label: 0 | 1): tf.Scalar {
  return total(logits, label === 1 ? 'above-zero' : 'at-most-zero');
}

/**
 * scale·Σ loss(outputs, targets) over all elements: Bernoulli cross-entropy of logits in its
 * stable form softplus(l) − t·l, or half the squared error. Differentiable in `outputs` (the
 * targets are data). Two dispatches forward (the scaled terms, their sum), one backward.
 */
export function elementLossSum(
  outputs: tf.Tensor,
  targets: tf.Tensor,
  loss: ElementLoss,
  scale = 1,
): tf.Scalar {
  const attrs = { loss, scale };
  // customGrad passes the tensors, then the save function.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [l, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([l]);
    const terms = tf.engine().runKernel(ELEMENT_LOSS, { x: l, target: targets }, attrs);
    return {
      value: tf.sum(terms as tf.Tensor) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf
          .engine()
          .runKernel(ELEMENT_LOSS_GRAD, { x: saved[0], target: targets, dy }, attrs) as tf.Tensor,
    };
  });
  return op(outputs) as tf.Scalar;
}

/** factor·x for a scalar x (a dispatch, no upload of the factor). No gradient. */
function scaled(x: tf.Scalar, factor: number): tf.Scalar {
  return tf.engine().runKernel(FILL, { dy: x }, { shape: [], scale: factor }) as tf.Scalar;
}

/** factor·x for a scalar x, differentiable (the factor travels as a uniform, not a tensor). */
export function scaledBy(x: tf.Scalar, factor: number): tf.Scalar {
  // customGrad passes the tensors, then the save function.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: scaled(args[0] as tf.Scalar, factor),
    gradFunc: (dy: tf.Tensor) => scaled(dy as tf.Scalar, factor),
  }));
  return op(x) as tf.Scalar;
}

/** The mean of every element of x, differentiable (gradient dy/N everywhere). */
export function meanOf(x: tf.Tensor): tf.Scalar {
  const shape = x.shape;
  // customGrad passes the tensors, then the save function.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs] = args as [tf.Tensor];
    return {
      value: tf.mean(xs) as tf.Scalar,
      gradFunc: (dy: tf.Tensor) =>
        tf.engine().runKernel(FILL, { dy }, { shape, scale: 1 / sizeOf(shape) }) as tf.Tensor,
    };
  });
  return op(x) as tf.Scalar;
}

registerOwnKernels(
  LOSSES_OPTIMIZATION,
  'Losses on WebGPU: sigmoid cross-entropy, accuracy and whole-tensor means in one kernel each way, no uploads (composed: 6–9 dispatches and a scalar or ones upload per gradient)',
  BACKEND,
  KERNEL_FUNCS,
);
