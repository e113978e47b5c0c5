/**
 * The elementwise part of a peephole LSTM step as one WebGPU kernel, forward and backward.
 *
 * Given the gate pre-activations z = W[x, h] + b ([4U, B], gates i, f, a, o), the cell c [U, B]
 * and the peepholes p = [p_i, p_f, p_o] ([3U]):
 *   i = σ(z_i + p_i⊙c), f = σ(z_f + p_f⊙c), c' = f⊙c + i⊙tanh(z_a), o = σ(z_o + p_o⊙c'),
 *   h' = o⊙tanh(c').
 * Composed from tfjs ops that is 15 kernels forward and about 30 backward per layer and step,
 * each a dispatch over [U, B]; here one dispatch each way (the backward recomputes the gates from
 * z and c instead of saving them), plus the slices that unpack the results and one sum over the
 * batch for the peephole gradient. σ and tanh use tfjs-backend-webgpu's own formulas.
 *
 * The model calls `lstmCell` when `lstmCellKernelReady()`; otherwise it composes the ops itself.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { registerOwnKernels } from './kernel-override';

export const LSTM_CELL_OPTIMIZATION = 'webgpu-lstm-cell';
const FORWARD = 'VmpLstmCell';
const BACKWARD = 'VmpLstmCellGrad';
const BACKEND = 'webgpu';

/** σ and tanh as tfjs-backend-webgpu computes them (the ConvLSTM cell's kernel uses them too). */
export const GATE_FUNCTIONS = `
  fn vmpSigmoid(v : f32) -> f32 { return 1.0 / (1.0 + exp(-1.0 * v)); }
  fn vmpTanh(v : f32) -> f32 {
    let e2x = exp(-2.0 * abs(v));
    return sign(v) * (1.0 - e2x) / (1.0 + e2x);
  }`;

/**
 * The gates' gradients (the ConvLSTM cell's kernel uses them too), after the gate code has set
 * cc (c), ig, fg, ag, og, po, c2 (c') and tc (tanh c'): dy holds dh' at `index` and dc' at
 * `n + index`; sets dzi, dzf, dza, dzo and dct (the gradient reaching c' in total).
 */
export const GATE_GRADIENTS = `
    let dh = dy[index];
    let dzo = dh * tc * og * (1.0 - og);
    let dct = dy[n + index] + dh * og * (1.0 - tc * tc) + dzo * po;
    let dzi = dct * ag * ig * (1.0 - ig);
    let dzf = dct * cc * fg * (1.0 - fg);
    let dza = dct * ig * (1.0 - ag * ag);`;

const GATE_CODE = `
    let u = index / uniforms.batch;
    let n = uniforms.units * uniforms.batch;
    let cc = c[index];
    let ig = vmpSigmoid(z[index] + p[u] * cc);
    let fg = vmpSigmoid(z[n + index] + p[uniforms.units + u] * cc);
    let ag = vmpTanh(z[2 * n + index]);
    let c2 = fg * cc + ig * ag;
    let po = p[2 * uniforms.units + u];
    let og = vmpSigmoid(z[3 * n + index] + po * c2);
    let tc = vmpTanh(c2);`;

class LstmCellProgram implements WebGPUProgram {
  variableNames: string[];
  uniforms = 'units : i32, batch : i32,';
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    units: number,
    batch: number,
    private readonly backward: boolean,
  ) {
    this.variableNames = backward ? ['z', 'c', 'p', 'dy'] : ['z', 'c', 'p'];
    this.outputShape = [(backward ? 8 : 2) * units, batch];
    this.shaderKey = backward ? 'vmpLstmCellGrad' : 'vmpLstmCell';
    this.dispatchLayout = webgpu_util.flatDispatchLayout([units * batch]);
    this.dispatch = webgpu_util.computeDispatch(
      this.dispatchLayout,
      [units * batch],
      this.workgroupSize,
    );
  }

  getUserCode(): string {
    // Forward output [2U, B]: h' then c'. Backward output [8U, B]: dz (4U), dc (U), and the
    // per-column peephole products dz_i⊙c, dz_f⊙c, dz_o⊙c' (3U; summed over B by the caller).
    const body = this.backward
      ? `
    ${GATE_GRADIENTS}
    result[index] = dzi;
    result[n + index] = dzf;
    result[2 * n + index] = dza;
    result[3 * n + index] = dzo;
    result[4 * n + index] = dct * fg + dzi * p[u] + dzf * p[uniforms.units + u];
    result[5 * n + index] = dzi * cc;
    result[6 * n + index] = dzf * cc;
    result[7 * n + index] = dzo * c2;`
      : `
    result[index] = og * tc;
    result[n + index] = c2;`;
    return `
  ${GATE_FUNCTIONS}
  fn main(index : i32) {
    if (index >= uniforms.units * uniforms.batch) { return; }
    ${GATE_CODE}
    ${body}
  }`;
  }
}

function run(backward: boolean): KernelFunc {
  return ({ inputs, backend }) => {
    const { z, c, p, dy } = inputs as Record<string, TensorInfo>;
    const [units, batch] = c.shape;
    const program = new LstmCellProgram(units, batch, backward);
    return (backend as WebGPUBackend).runWebGPUProgram(
      program,
      backward ? [z, c, p, dy] : [z, c, p],
      'float32',
      [
        { type: 'int32', data: [units] },
        { type: 'int32', data: [batch] },
      ],
    );
  };
}

/** Whether `lstmCell` can run here (the optimisation is installed on the active backend). */
export function lstmCellKernelReady(): boolean {
  return tf.getKernel(FORWARD, tf.getBackend()) !== undefined;
}

/**
 * One fused LSTM cell step: z [4U, B] (gates i, f, a, o, bias included), c [U, B], peephole
 * [3U] (i, f, o) → [h', c'], each [U, B]. Differentiable in all three inputs.
 */
export function lstmCell(
  z: tf.Tensor2D,
  c: tf.Tensor2D,
  peephole: tf.Tensor1D,
): [tf.Tensor2D, tf.Tensor2D] {
  const [units, batch] = c.shape;
  // customGrad passes the tensors, then the save function.
  const cell = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [zs, cs, ps, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    save([zs, cs, ps]);
    return {
      value: tf.engine().runKernel(FORWARD, { z: zs, c: cs, p: ps }) as tf.Tensor2D, // [2U, B]
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sz, sc, sp] = saved;
        const g = tf.engine().runKernel(BACKWARD, { z: sz, c: sc, p: sp, dy }) as tf.Tensor2D; // [8U, B]
        return [
          g.slice([0, 0], [4 * units, batch]), // dz [4U, B]
          g.slice([4 * units, 0], [units, batch]), // dc [U, B]
          g.slice([5 * units, 0], [3 * units, batch]).sum(1), // dpeephole [3U]
        ];
      },
    };
  });
  const packed = cell(z, c, peephole) as tf.Tensor2D; // [2U, B]: h', c'
  return tf.split(packed, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
}

registerOwnKernels(
  LSTM_CELL_OPTIMIZATION,
  'LSTM cell on WebGPU: gates, peepholes and cell update in one kernel forward and one backward (composed: ~15 and ~30 dispatches per layer and step)',
  BACKEND,
  { [FORWARD]: run(false), [BACKWARD]: run(true) },
);
