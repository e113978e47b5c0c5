/**
 * The elementwise part of a ConvLSTM step (Shi et al. 2015, eq. 3) as one WebGPU kernel, forward
 * and backward: the peephole LSTM cell of lstm-cell.ts with channels-last tensors and Hadamard
 * peepholes (one weight per grid cell and channel).
 *
 * Given the gate pre-activations z = W * [x, h] + b ([B, G, G, 4U], gates i, f, c, o along the
 * channels), the cell c [B, G, G, U] and the peepholes p = [p_i, p_f, p_o] ([G, G, 3U]):
 *   i = σ(z_i + p_i⊙c), f = σ(z_f + p_f⊙c), c' = f⊙c + i⊙tanh(z_c), o = σ(z_o + p_o⊙c'),
 *   h' = o⊙tanh(c').
 * Composed from tfjs ops that is about 20 dispatches forward and 40 backward per layer and step;
 * here one each way (the backward recomputes the gates from z and c), plus the slices that
 * unpack the results and one sum over the batch for the peephole gradient.
 *
 * The model calls `convLstmCell` when `convLstmCellKernelReady()`; otherwise it composes the ops.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { GATE_FUNCTIONS, GATE_GRADIENTS } from './lstm-cell';
import { registerOwnKernels } from './kernel-override';

export const CONVLSTM_CELL_OPTIMIZATION = 'webgpu-convlstm-cell';
const FORWARD = 'VmpConvLstmCell';
const BACKWARD = 'VmpConvLstmCellGrad';
const BACKEND = 'webgpu';

/**
 * One invocation per (row r, channel u) of the R = B·G·G rows; n = R·U. z's gates lie at
 * r·4U + gate·U + u, c at r·U + u, the peepholes at (r mod G·G)·3U + gate·U + u.
 */
const GATE_CODE = `
    let units = uniforms.units;
    let row = index / units;
    let u = index - row * units;
    let zb = row * 4 * units + u;
    let pb = (row % uniforms.cells) * 3 * units + u;
    let n = uniforms.rows * units;
    let cc = c[index];
    let ig = vmpSigmoid(z[zb] + p[pb] * cc);
    let fg = vmpSigmoid(z[zb + units] + p[pb + units] * cc);
    let ag = vmpTanh(z[zb + 2 * units]);
    let c2 = fg * cc + ig * ag;
    let po = p[pb + 2 * units];
    let og = vmpSigmoid(z[zb + 3 * units] + po * c2);
    let tc = vmpTanh(c2);`;

class ConvLstmCellProgram implements WebGPUProgram {
  variableNames: string[];
  uniforms = 'units : i32, rows : i32, cells : i32,';
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    rows: number,
    units: number,
    private readonly backward: boolean,
  ) {
    this.variableNames = backward ? ['z', 'c', 'p', 'dy'] : ['z', 'c', 'p'];
    this.outputShape = [(backward ? 8 : 2) * rows * units];
    this.shaderKey = backward ? 'vmpConvLstmCellGrad' : 'vmpConvLstmCell';
    this.dispatchLayout = webgpu_util.flatDispatchLayout([rows * units]);
    this.dispatch = webgpu_util.computeDispatch(
      this.dispatchLayout,
      [rows * units],
      this.workgroupSize,
    );
  }

  getUserCode(): string {
    // Forward output [2n]: h' then c' (each [R, U]). Backward output [8n]: dz in z's layout
    // (4n), dc (n), and the per-row peephole products dz_i⊙c, dz_f⊙c, dz_o⊙c' as [R, 3U] (3n;
    // summed over the batch by the caller). dy is [2n]: dh' then dc'.
    const body = this.backward
      ? `
    ${GATE_GRADIENTS}
    result[zb] = dzi;
    result[zb + units] = dzf;
    result[zb + 2 * units] = dza;
    result[zb + 3 * units] = dzo;
    result[4 * n + index] = dct * fg + dzi * p[pb] + dzf * p[pb + units];
    let pp = 5 * n + row * 3 * units + u;
    result[pp] = dzi * cc;
    result[pp + units] = dzf * cc;
    result[pp + 2 * units] = dzo * c2;`
      : `
    result[index] = og * tc;
    result[n + index] = c2;`;
    return `
  ${GATE_FUNCTIONS}
  fn main(index : i32) {
    if (index >= uniforms.rows * uniforms.units) { return; }
    ${GATE_CODE}
    ${body}
  }`;
  }
}

function run(backward: boolean): KernelFunc {
  return ({ inputs, backend }) => {
    const { z, c, p, dy } = inputs as Record<string, TensorInfo>;
    const [b, g, , units] = c.shape;
    const rows = b * g * g;
    const program = new ConvLstmCellProgram(rows, units, backward);
    return (backend as WebGPUBackend).runWebGPUProgram(
      program,
      backward ? [z, c, p, dy] : [z, c, p],
      'float32',
      [
        { type: 'int32', data: [units] },
        { type: 'int32', data: [rows] },
        { type: 'int32', data: [g * g] },
      ],
    );
  };
}

/** Whether `convLstmCell` can run here (the optimisation is installed on the active backend). */
export function convLstmCellKernelReady(): boolean {
  return tf.getKernel(FORWARD, tf.getBackend()) !== undefined;
}

/**
 * One fused ConvLSTM cell step: z [B, G, G, 4U] (gates i, f, c, o, bias included), c [B, G, G, U],
 * peephole [G, G, 3U] (i, f, o) → [h', c'], each [B, G, G, U]. Differentiable in all three inputs.
 */
export function convLstmCell(
  z: tf.Tensor4D,
  c: tf.Tensor4D,
  peephole: tf.Tensor3D,
): [tf.Tensor4D, tf.Tensor4D] {
  const [b, g, , units] = c.shape;
  const n = b * g * g * units;
  // customGrad passes the tensors, then the save function.
  const cell = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [zs, cs, ps, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor3D, tf.GradSaveFunc];
    save([zs, cs, ps]);
    return {
      value: tf.engine().runKernel(FORWARD, { z: zs, c: cs, p: ps }) as tf.Tensor1D, // [2n]
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sz, sc, sp] = saved;
        const grad = tf.engine().runKernel(BACKWARD, { z: sz, c: sc, p: sp, dy }) as tf.Tensor1D; // [8n]
        return [
          grad.slice(0, 4 * n).reshape(sz.shape), // dz [B, G, G, 4U]
          grad.slice(4 * n, n).reshape(sc.shape), // dc [B, G, G, U]
          grad
            .slice(5 * n, 3 * n)
            .reshape([b, g * g * 3 * units])
            .sum(0)
            .reshape(sp.shape), // dpeephole [G, G, 3U]
        ];
      },
    };
  });
  const packed = cell(z, c, peephole) as tf.Tensor1D; // [2n]: h', c'
  const [h, cNext] = tf.split(packed, 2, 0);
  return [h.reshape(c.shape), cNext.reshape(c.shape)];
}

registerOwnKernels(
  CONVLSTM_CELL_OPTIMIZATION,
  'ConvLSTM cell on WebGPU: gates, Hadamard peepholes and cell update in one kernel forward and one backward (composed: ~20 and ~40 dispatches per layer and step)',
  BACKEND,
  { [FORWARD]: run(false), [BACKWARD]: run(true) },
);
