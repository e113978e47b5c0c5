/**
 * A whole peephole-LSTM layer over a sequence on WebGPU: one dispatch per time step forward and
 * one per step backward, where the per-step composition (lstm-cell.ts) needs five forward (the
 * [x, h] concatenation, the product, the cell, two slices) and about fifteen backward.
 *
 * The layer (gates i, f, a, o; peepholes p = [p_i, p_f, p_o]; W = [W_x | W_h] as the model
 * stores it, [4U, I + U]):
 *   z_t = W_x·x_t + b + W_h·h_{t−1},
 *   i = σ(z_i + p_i⊙c_{t−1}), f = σ(z_f + p_f⊙c_{t−1}), c_t = f⊙c_{t−1} + i⊙tanh(z_a),
 *   o = σ(z_o + p_o⊙c_t), h_t = o⊙tanh(c_t).
 *
 * Layout: a sequence of T steps of B columns is a matrix with one column per (step, sequence),
 * step-major: [rows, T·B]. The input projection W_x·x_t + b of every step is one matrix product
 * before the loop. The loop's state lives in one buffer S [6U, (T+1)·B] that every step's
 * dispatch writes in place (runWebGPUProgram with an existing output): rows h, c, z
 * (pre-activations) of U, U and 4U; column block 0 holds h_0, c_0 and block t + 1 step t. Step
 * t's invocation (u, b) reads h_{t−1} and c_{t−1} from block t — written by the previous dispatch,
 * which WebGPU orders before it — computes the four gate rows' products with W_h itself, and
 * writes block t + 1. The backward pass walks the steps in reverse the same way, writing
 * G [9U, (T+1)·B]: per step dz (4U), the gradient of c_{t−1} (U) and the peephole products
 * dz_i⊙c_{t−1}, dz_f⊙c_{t−1}, dz_o⊙c_t (3U); a last dispatch puts W_hᵀ·dz_0 and the gradient of
 * c_0 in block T, and in its first column the bias and peephole gradients (sums of dz and of the
 * products over all steps and sequences, one invocation per unit). The weight gradient is then
 * one product dZ·[X; H_prev]ᵀ over all steps.
 *
 * σ and tanh are tfjs-backend-webgpu's formulas; the products add in another order than tfjs's
 * matMul (float32 rounding). Each invocation's product reads 4U weights and U values of h: fine
 * for the hidden sizes where dispatches, not arithmetic, bound a step. Every program binds at most
 * six storage buffers.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { registerOwnKernels } from './kernel-override';

export const LSTM_SEQUENCE_OPTIMIZATION = 'webgpu-lstm-sequence';
const BACKEND = 'webgpu';
const FORWARD = 'VmpLstmSequence';
const BACKWARD = 'VmpLstmSequenceGrad';

/** Shared by both programs: σ, tanh (as tfjs-backend-webgpu computes them). */
const FUNCTIONS = `
  fn vmpSigmoid(v : f32) -> f32 { return 1.0 / (1.0 + exp(-1.0 * v)); }
  fn vmpTanh(v : f32) -> f32 {
    let e2x = exp(-2.0 * abs(v));
    return sign(v) * (1.0 - e2x) / (1.0 + e2x);
  }`;

/**
 * Uniforms: units U, batch B, steps T, input rows I (W's row stride is I + U), the step t this
 * dispatch runs (−1 for the backward pass's last dispatch), and whether a drive of projected
 * inputs [4U, T·B] (1) or a bias [4U] (0) is given, and an initial state (1) or zeros (0).
 */
const UNIFORMS =
  'units : i32, batch : i32, steps : i32, inputs : i32, step : i32, projected : i32, initial : i32,';

/** WGSL reading W_h[j, k] from W [4U, I + U]. */
const WH = `fn weight(j : i32, k : i32) -> f32 {
    return w[j * (uniforms.inputs + uniforms.units) + uniforms.inputs + k];
  }`;

type Direction = 'forward' | 'backward';

class LstmSequenceProgram implements WebGPUProgram {
  variableNames: string[];
  uniforms = UNIFORMS;
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    units: number,
    batch: number,
    steps: number,
    private readonly direction: Direction,
    private readonly withInitial: boolean,
  ) {
    this.variableNames =
      direction === 'forward'
        ? ['drive', 'w', 'p', ...(withInitial ? ['h0', 'c0'] : [])]
        : ['ds', 's', 'w', 'p'];
    const rows = direction === 'forward' ? 6 * units : 9 * units;
    this.outputShape = [rows, (steps + 1) * batch];
    this.shaderKey = `vmpLstmSequence_${direction}_${withInitial}`;
    this.dispatchLayout = webgpu_util.flatDispatchLayout([units * batch]);
    this.dispatch = webgpu_util.computeDispatch(
      this.dispatchLayout,
      [units * batch],
      this.workgroupSize,
    );
  }

  getUserCode(): string {
    return this.direction === 'forward' ? this.forwardCode() : this.backwardCode();
  }

  private forwardCode(): string {
    const initial = this.withInitial;
    return `
  ${FUNCTIONS}
  ${WH}
  fn main(index : i32) {
    let U = uniforms.units;
    let B = uniforms.batch;
    if (index >= U * B) { return; }
    let u = index / B;
    let b = index % B;
    let t = uniforms.step;
    let n = (uniforms.steps + 1) * B; // columns of S
    let previous = t * B + b; // column of h_{t−1}, c_{t−1}
    let column = previous + B;
    var cc = 0.0;
    if (t == 0) {
      ${initial ? 'cc = c0[index]; result[u * n + b] = h0[index]; result[(U + u) * n + b] = cc;' : 'result[u * n + b] = 0.0; result[(U + u) * n + b] = 0.0;'}
    } else {
      cc = result[(U + u) * n + previous];
    }
    var z = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
    for (var g = 0; g < 4; g++) {
      let j = g * U + u;
      var acc = 0.0;
      if (uniforms.projected == 1) {
        acc = drive[j * uniforms.steps * B + t * B + b];
      } else {
        acc = drive[j];
      }
      ${
        initial
          ? `if (t == 0) {
        for (var k = 0; k < U; k++) { acc += weight(j, k) * h0[k * B + b]; }
      } else {
        for (var k = 0; k < U; k++) { acc += weight(j, k) * result[k * n + previous]; }
      }`
          : `if (t > 0) {
        for (var k = 0; k < U; k++) { acc += weight(j, k) * result[k * n + previous]; }
      }`
      }
      z[g] = acc;
    }
    let ig = vmpSigmoid(z[0] + p[u] * cc);
    let fg = vmpSigmoid(z[1] + p[U + u] * cc);
    let ag = vmpTanh(z[2]);
    let c2 = fg * cc + ig * ag;
    let og = vmpSigmoid(z[3] + p[2 * U + u] * c2);
    result[u * n + column] = og * vmpTanh(c2);
    result[(U + u) * n + column] = c2;
    for (var g = 0; g < 4; g++) { result[(2 * U + g * U + u) * n + column] = z[g]; }
  }`;
  }

  private backwardCode(): string {
    return `
  ${FUNCTIONS}
  ${WH}
  fn main(index : i32) {
    let U = uniforms.units;
    let B = uniforms.batch;
    if (index >= U * B) { return; }
    let u = index / B;
    let b = index % B;
    let t = uniforms.step;
    let n = (uniforms.steps + 1) * B; // columns of S, dS and G
    let next = (t + 1) * B + b; // G's column of step t + 1; S's column of step t
    // h_t's gradient: from above (dS) and through step t + 1's gates (W_hᵀ·dz_{t+1}).
    var dh = ds[u * n + next];
    var dcNext = ds[(U + u) * n + next];
    if (t + 1 < uniforms.steps) {
      for (var j = 0; j < 4 * U; j++) { dh += weight(j, u) * result[j * n + next]; }
      dcNext += result[(4 * U + u) * n + next];
    }
    if (t < 0) {
      // Block T: the initial state's gradients (rows h, c) and, in its first column, the bias
      // and peephole gradients: sums over every step and sequence of dz and of the products.
      let last = uniforms.steps * B + b;
      result[u * n + last] = dh;
      result[(U + u) * n + last] = dcNext;
      if (b == 0) {
        let columns = uniforms.steps * B;
        for (var r = 0; r < 4; r++) {
          var sum = 0.0;
          for (var col = 0; col < columns; col++) { sum += result[(r * U + u) * n + col]; }
          result[(2 * U + r * U + u) * n + columns] = sum;
        }
        for (var r = 0; r < 3; r++) {
          var sum = 0.0;
          for (var col = 0; col < columns; col++) { sum += result[((5 + r) * U + u) * n + col]; }
          result[(6 * U + r * U + u) * n + columns] = sum;
        }
      }
      return;
    }
    let own = t * B + b; // G's column of step t; S's column of step t − 1
    let cc = s[(U + u) * n + own];
    let ig = vmpSigmoid(s[(2 * U + u) * n + next] + p[u] * cc);
    let fg = vmpSigmoid(s[(3 * U + u) * n + next] + p[U + u] * cc);
    let ag = vmpTanh(s[(4 * U + u) * n + next]);
    let c2 = fg * cc + ig * ag;
    let po = p[2 * U + u];
    let og = vmpSigmoid(s[(5 * U + u) * n + next] + po * c2);
    let tc = vmpTanh(c2);
    let dzo = dh * tc * og * (1.0 - og);
    let dct = dcNext + dh * og * (1.0 - tc * tc) + dzo * po;
    let dzi = dct * ag * ig * (1.0 - ig);
    let dzf = dct * cc * fg * (1.0 - fg);
    let dza = dct * ig * (1.0 - ag * ag);
    result[u * n + own] = dzi;
    result[(U + u) * n + own] = dzf;
    result[(2 * U + u) * n + own] = dza;
    result[(3 * U + u) * n + own] = dzo;
    result[(4 * U + u) * n + own] = dct * fg + dzi * p[u] + dzf * p[U + u];
    result[(5 * U + u) * n + own] = dzi * cc;
    result[(6 * U + u) * n + own] = dzf * cc;
    result[(7 * U + u) * n + own] = dzo * c2;
  }`;
  }
}

interface SequenceAttrs {
  steps: number;
  inputs: number;
}

function uniforms(
  units: number,
  batch: number,
  a: SequenceAttrs,
  step: number,
  projected: boolean,
  initial: boolean,
) {
  return [units, batch, a.steps, a.inputs, step, projected ? 1 : 0, initial ? 1 : 0].map(
    (value) => ({ type: 'int32', data: [value] }),
  );
}

/** Forward: S [6U, (T+1)·B], one dispatch per step into the same buffer. */
const forwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const webgpu = backend as WebGPUBackend;
  const { drive, w, p, h0, c0 } = inputs as Record<string, TensorInfo | undefined>;
  const a = attrs as unknown as SequenceAttrs;
  const units = (p as TensorInfo).shape[0] / 3;
  const batch = h0 ? h0.shape[1] : (drive as TensorInfo).shape[1] / a.steps;
  const initial = h0 !== undefined && c0 !== undefined;
  const projected = (drive as TensorInfo).shape.length === 2;
  const program = new LstmSequenceProgram(units, batch, a.steps, 'forward', initial);
  const state = webgpu.makeTensorInfo(program.outputShape, 'float32');
  const operands = [drive, w, p, ...(initial ? [h0, c0] : [])] as TensorInfo[];
  for (let t = 0; t < a.steps; t++) {
    const step = uniforms(units, batch, a, t, projected, initial);
    webgpu.runWebGPUProgram(program, operands, 'float32', step, state);
  }
  return state;
};

/** Backward: G [9U, (T+1)·B], one dispatch per step in reverse, then the initial state's. */
const backwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const webgpu = backend as WebGPUBackend;
  const { ds, s, w, p } = inputs as Record<string, TensorInfo>;
  const a = attrs as unknown as SequenceAttrs;
  const units = p.shape[0] / 3;
  const batch = s.shape[1] / (a.steps + 1);
  const program = new LstmSequenceProgram(units, batch, a.steps, 'backward', false);
  const grads = webgpu.makeTensorInfo(program.outputShape, 'float32');
  for (let t = a.steps - 1; t >= -1; t--) {
    const step = uniforms(units, batch, a, t, false, false);
    webgpu.runWebGPUProgram(program, [ds, s, w, p], 'float32', step, grads);
  }
  return grads;
};

/** Whether `lstmSequence` can run here (the optimisation is installed on the active backend). */
export function lstmSequenceKernelReady(): boolean {
  return tf.getKernel(FORWARD, tf.getBackend()) !== undefined;
}

export interface LstmLayerWeights {
  w: tf.Tensor2D; // [4U, I + U]: input columns, then recurrent ones
  peephole: tf.Tensor1D; // [3U]: cell → input, forget, output gate
  bias: tf.Tensor1D; // [4U]
}

/** The layer's outputs, each sliced from the state buffer when first read. */
export interface LstmSequenceResult {
  /** h_1 … h_T, [U, T·B] (step-major column blocks). */
  hidden: tf.Tensor2D;
  /** h_T and c_T, [U, B] each. */
  lastHidden: tf.Tensor2D;
  lastCell: tf.Tensor2D;
}

/**
 * Runs one LSTM layer over `steps` steps, differentiable in the weights, in `inputs` when
 * `inputsNeedGradient`, and in the initial state. `inputs`: x_1 … x_T as [I, T·B] (step-major
 * column blocks), or null for a layer without input (I = 0); `initial`: h_0, c_0 [U, B], or
 * null for zeros (then `batch` gives B). Needs `lstmSequenceKernelReady()`.
 */
export function lstmSequence(
  weights: LstmLayerWeights,
  inputs: tf.Tensor2D | null,
  inputsNeedGradient: boolean,
  initial: { h: tf.Tensor2D; c: tf.Tensor2D } | null,
  steps: number,
  batch: number,
): LstmSequenceResult {
  const [rows, width] = weights.w.shape;
  const units = rows / 4;
  const inputRows = width - units;
  const columns = steps * batch;
  const attrs = { steps, inputs: inputRows };
  const differentiable: tf.Tensor[] = [weights.w, weights.peephole, weights.bias];
  if (inputs && inputsNeedGradient) differentiable.push(inputs);
  if (initial) differentiable.push(initial.h, initial.c);
  // customGrad passes the tensors, then the save function.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [w, peephole, bias] = args as tf.Tensor[];
    const own = inputs && inputsNeedGradient; // inputs among the differentiable arguments
    const x = own ? (args[3] as tf.Tensor2D) : inputs;
    const h0 = initial ? (args[own ? 4 : 3] as tf.Tensor2D) : null;
    const c0 = initial ? (args[own ? 5 : 4] as tf.Tensor2D) : null;
    const wx = x ? (w.slice([0, 0], [rows, inputRows]) as tf.Tensor2D) : null; // [4U, I]
    const drive = x
      ? tf.fused.matMul({ a: wx as tf.Tensor2D, b: x, bias: bias.reshape([rows, 1]) }) // [4U, T·B]
      : bias;
    const state = tf
      .engine()
      .runKernel(
        FORWARD,
        { drive, w, p: peephole, ...(h0 && c0 ? { h0, c0 } : {}) },
        attrs,
      ) as tf.Tensor2D; // [6U, (T+1)·B]
    save([w, peephole, state, ...(x ? [x] : [])]);
    return {
      value: state,
      gradFunc: (ds: tf.Tensor, saved: tf.Tensor[]) => {
        const [sw, sp, s, sx] = saved;
        const g = tf.engine().runKernel(BACKWARD, { ds, s, w: sw, p: sp }, attrs) as tf.Tensor2D;
        const dz = g.slice([0, 0], [rows, columns]); // [4U, T·B]
        const previous = s.slice([0, 0], [units, columns]); // h_0 … h_{T−1}, [U, T·B]
        const operand = sx ? tf.concat([sx, previous]) : previous; // [I + U, T·B]
        const grads: tf.Tensor[] = [
          tf.matMul(dz, operand, false, true), // dW [4U, I + U]
          g.slice([6 * units, columns], [3 * units, 1]).reshape([3 * units]), // dpeephole
          g.slice([2 * units, columns], [rows, 1]).reshape([rows]), // dbias [4U]
        ];
        if (inputs && inputsNeedGradient) {
          grads.push(tf.matMul(sw.slice([0, 0], [rows, inputRows]), dz, true, false)); // dx
        }
        if (initial) {
          grads.push(g.slice([0, columns], [units, batch])); // dh_0
          grads.push(g.slice([units, columns], [units, batch])); // dc_0
        }
        return grads;
      },
    };
  });
  const state = op(...differentiable) as tf.Tensor2D; // [6U, (T+1)·B]
  // Each view is a slice (a dispatch), taken only when asked for.
  const view = (begin: [number, number], size: [number, number]) => {
    let slice: tf.Tensor2D | null = null;
    return () => (slice ??= state.slice(begin, size));
  };
  const hidden = view([0, batch], [units, columns]);
  const lastHidden = view([0, columns], [units, batch]);
  const lastCell = view([units, columns], [units, batch]);
  return {
    get hidden() {
      return hidden();
    },
    get lastHidden() {
      return lastHidden();
    },
    get lastCell() {
      return lastCell();
    },
  };
}

registerOwnKernels(
  LSTM_SEQUENCE_OPTIMIZATION,
  'LSTM layer over a whole sequence on WebGPU: the input projection as one product, then one kernel per step (recurrent product, gates, cell) writing a shared state buffer in place, one per step backward (composed: ~5 dispatches per step forward, ~15 backward)',
  BACKEND,
  { [FORWARD]: forwardKernel, [BACKWARD]: backwardKernel },
);
