/**
 * Mean softmax cross-entropy of logits against integer labels on WebGPU: one dispatch for the rows'
 * losses, one for their mean, one for the gradient — and no uploads.
 *
 * Composed from tfjs ops (the rCNN's `softmaxCrossEntropy`, network.ts) the loss is a max, a
 * subtraction, exp, a sum, log, an add, a range and a gather forward and exp, a subtraction,
 * a one-hot and a product backward, the range and the one-hot uploading or building index
 * tensors. Here, for logits z [N, K] and labels read at `labels[offset + n]` (so a model can pass
 * its whole code tensor and skip slicing the targets out of it):
 * - forward, a workgroup per row: logZ_n = max + log Σ_k e^(z_nk − max) (two workgroup-tree
 *   reductions), loss_n = logZ_n − z_n,label — then tf.mean of the [N] losses;
 * - backward, an invocation per logit: (e^(z_nk − logZ_n) − [k = label])·dy/N, with logZ_n
 *   recovered in closed form as loss_n + z_n,label (nothing else saved).
 * Values as the composed ops up to float32 rounding (sums in another order).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { registerOwnKernels } from './kernel-override';

export const SOFTMAX_CROSS_ENTROPY_OPTIMIZATION = 'webgpu-softmax-cross-entropy';
const BACKEND = 'webgpu';
const FORWARD = 'VmpSoftmaxCrossEntropy';
const BACKWARD = 'VmpSoftmaxCrossEntropyGrad';

/** Invocations per row in the forward pass. */
const LANES = 64;

interface Attrs {
  offset: number;
}

/** A workgroup per row: −log softmax(z_n)[label_n] → [N]. */
class RowLossProgram implements WebGPUProgram {
  variableNames = ['z', 'labels'];
  uniforms = 'rows : i32, classes : i32, offset : i32,';
  outputShape: number[];
  shaderKey = 'vmpSoftmaxCrossEntropy';
  workgroupSize: [number, number, number] = [LANES, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(rows: number) {
    this.outputShape = [rows];
    this.dispatchLayout = webgpu_util.flatDispatchLayout([rows * LANES]);
    this.dispatch = webgpu_util.computeDispatch(
      this.dispatchLayout,
      [rows * LANES],
      this.workgroupSize,
    );
  }

  getUserCode(): string {
    const tree = (op: string) => {
      const steps: string[] = [];
      for (let stride = LANES / 2; stride >= 1; stride /= 2) {
        steps.push(`if (lane < ${stride}) { partial[lane] = ${op}(partial[lane], partial[lane + ${stride}]); }
    workgroupBarrier();`);
      }
      return steps.join('\n    ');
    };
    return `
  var<workgroup> partial : array<f32, ${LANES}>;
  fn plus(a : f32, b : f32) -> f32 { return a + b; }
  fn main(index : i32) {
    let n = index / ${LANES};
    let lane = i32(localIndex);
    let K = uniforms.classes;
    let live = n < uniforms.rows;
    var m = -3.402823e38;
    if (live) {
      for (var k = lane; k < K; k += ${LANES}) { m = max(m, z[n * K + k]); }
    }
    partial[lane] = m;
    workgroupBarrier();
    ${tree('max')}
    let rowMax = partial[0];
    workgroupBarrier();
    var s = 0.0;
    if (live) {
      for (var k = lane; k < K; k += ${LANES}) { s += exp(z[n * K + k] - rowMax); }
    }
    partial[lane] = s;
    workgroupBarrier();
    ${tree('plus')}
    if (live && lane == 0) {
      let label = labels[uniforms.offset + n];
      result[n] = log(partial[0]) + rowMax - z[n * K + label];
    }
  }`;
  }
}

/** An invocation per logit: (softmax − one-hot)·dy·scale. */
class GradProgram implements WebGPUProgram {
  variableNames = ['z', 'loss', 'labels', 'dy'];
  uniforms = 'size : i32, classes : i32, offset : i32, scale : f32,';
  outputShape: number[];
  shaderKey = 'vmpSoftmaxCrossEntropyGrad';
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(shape: number[]) {
    this.outputShape = shape;
    const size = shape[0] * shape[1];
    this.dispatchLayout = webgpu_util.flatDispatchLayout([size]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [size], this.workgroupSize);
  }

  getUserCode(): string {
    return `
  fn main(index : i32) {
    if (index >= uniforms.size) { return; }
    let K = uniforms.classes;
    let n = index / K;
    let k = index % K;
    let label = labels[uniforms.offset + n];
    let logZ = loss[n] + z[n * K + label];
    var g = exp(z[index] - logZ);
    if (k == label) { g = g - 1.0; }
    result[index] = g * dy[0] * uniforms.scale;
  }`;
  }
}

const forwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { z, labels } = inputs as Record<string, TensorInfo>;
  const [rows, classes] = z.shape;
  return (backend as WebGPUBackend).runWebGPUProgram(
    new RowLossProgram(rows),
    [z, labels],
    'float32',
    [rows, classes, (attrs as unknown as Attrs).offset].map((v) => ({ type: 'int32', data: [v] })),
  );
};

const backwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { z, loss, labels, dy } = inputs as Record<string, TensorInfo>;
  const [rows, classes] = z.shape;
  return (backend as WebGPUBackend).runWebGPUProgram(
    new GradProgram(z.shape),
    [z, loss, labels, dy],
    'float32',
    [
      ...[rows * classes, classes, (attrs as unknown as Attrs).offset].map((v) => ({
        type: 'int32',
        data: [v],
      })),
      { type: 'float32', data: [1 / rows] },
    ],
  );
};

/** Whether `softmaxCrossEntropyMean` can run here (the optimisation is installed). */
export function softmaxCrossEntropyKernelReady(): boolean {
  return tf.getKernel(FORWARD, tf.getBackend()) !== undefined;
}

/**
 * Mean over rows n of −log softmax(logits_n)[labels[offset + n]]: logits [N, K], labels int32
 * of any shape with at least offset + N elements. Differentiable in the logits. Needs
 * `softmaxCrossEntropyKernelReady()`.
 */
export function softmaxCrossEntropyMean(
  logits: tf.Tensor2D,
  labels: tf.Tensor,
  offset: number,
): tf.Scalar {
  const rows = logits.shape[0];
  if (labels.dtype !== 'int32') throw new Error('softmaxCrossEntropyMean: labels must be int32');
  if (labels.size < offset + rows) {
    throw new Error(`softmaxCrossEntropyMean: ${rows} rows need ${offset + rows} labels`);
  }
  const attrs = { offset } as unknown as tf.NamedAttrMap;
  // customGrad passes the tensors, then the save function.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [z, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const losses = tf.engine().runKernel(FORWARD, { z, labels }, attrs) as tf.Tensor1D; // [N]
    save([z, losses]);
    return {
      value: tf.mean(losses) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sz, sl] = saved;
        return tf.engine().runKernel(BACKWARD, { z: sz, loss: sl, labels, dy }, attrs) as tf.Tensor;
      },
    };
  });
  return op(logits) as tf.Scalar;
}

registerOwnKernels(
  SOFTMAX_CROSS_ENTROPY_OPTIMIZATION,
  'Softmax cross-entropy against integer labels on WebGPU: a workgroup per row (max and log-sum-exp), the mean, and one gradient kernel, no uploads (composed: ~9 dispatches forward, ~5 backward, range and one-hot tensors)',
  BACKEND,
  { [FORWARD]: forwardKernel, [BACKWARD]: backwardKernel },
);
