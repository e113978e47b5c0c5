/**
 * The networks of the LSTM encoder-decoder (Srivastava et al. 2015; see model.ts): the peephole
 * LSTM layer, a stack of layers and a decoder — a stack started from the encoder's state with a
 * linear readout to pixels. Vectors are columns and a batch is a matrix with one column per
 * sequence: states [U, B], frames [P, B] (U hidden units, P pixels, B batch, I layer inputs).
 */
import * as tf from '@tensorflow/tfjs';
import { lstmCell, lstmCellKernelReady } from '../../gpu/kernels/lstm-cell';
import type { ParameterStore } from '../kit/params';
import type { LstmConfig } from './config';

// --- the LSTM cell, a stack of cells, a decoder ---------------------------------------------------

/** h and c of every layer, bottom layer first. */
export interface StackState {
  h: tf.Tensor2D[]; // each [U, B]
  c: tf.Tensor2D[]; // each [U, B]
}

/** One step of a stack: (input or null, state) → next state. */
export type StackStep = (x: tf.Tensor2D | null, state: StackState) => StackState;

/** One peephole LSTM layer. `inputs` = 0 for a layer without input (unconditioned decoder). */
export class LstmLayer {
  readonly w: tf.Variable; // [4U, I + U] fused input and recurrent weights, input columns first
  readonly peephole: tf.Variable; // [3U] cell → input, forget, output gate
  readonly bias: tf.Variable; // [4U] gates i, f, a, o; all 0 (the forget bias too, as the reference)

  constructor(
    store: ParameterStore,
    name: string,
    readonly inputs: number,
    readonly units: number,
    config: LstmConfig,
  ) {
    this.w = store.uniform(`${name}.w`, [4 * units, inputs + units], config.initScale);
    this.peephole = store.uniform(`${name}.peephole`, [3 * units], config.peepholeInitScale);
    this.bias = store.zeros(`${name}.bias`, [4 * units]);
  }

  /** The cell, with bias and peepholes shaped once per sequence rather than once per step. */
  cell(): (x: tf.Tensor2D | null, h: tf.Tensor2D, c: tf.Tensor2D) => [tf.Tensor2D, tf.Tensor2D] {
    const u = this.units;
    const bias = this.bias.reshape([4 * u, 1]); // [4U, 1]
    const w = this.w as tf.Tensor2D;
    if (lstmCellKernelReady()) {
      // The fused cell kernel (optimisation webgpu-lstm-cell) where it is installed.
      const peephole = this.peephole as tf.Tensor1D; // [3U]
      return (x, h, c) => {
        const xh = x === null ? h : tf.concat([x, h], 0); // [I + U, B]
        const z = tf.fused.matMul({ a: w, b: xh, bias }) as tf.Tensor2D; // [4U, B]
        return lstmCell(z, c, peephole); // [U, B] each
      };
    }
    const [pi, pf, po] = tf.split(this.peephole.reshape([3 * u, 1]), 3, 0); // each [U, 1]
    return (x, h, c) => {
      const xh = x === null ? h : tf.concat([x, h], 0); // [I + U, B]
      const z = tf.fused.matMul({ a: w, b: xh, bias }) as tf.Tensor2D; // [4U, B]
      const [zi, zf, za, zo] = tf.split(z, 4, 0); // each [U, B]
      const i = tf.sigmoid(zi.add(c.mul(pi))); // [U, B]
      const f = tf.sigmoid(zf.add(c.mul(pf))); // [U, B]
      const cNext = f.mul(c).add(i.mul(tf.tanh(za))) as tf.Tensor2D; // [U, B]
      const o = tf.sigmoid(zo.add(cNext.mul(po))); // [U, B]
      const hNext = o.mul(tf.tanh(cNext)) as tf.Tensor2D; // [U, B]
      return [hNext, cNext];
    };
  }
}

/** Stacked layers: layer 0 reads the frame (if any), layer l > 0 reads layer l − 1's h. */
export class LstmStack {
  readonly layers: LstmLayer[] = [];

  constructor(store: ParameterStore, name: string, inputs: number, config: LstmConfig) {
    for (let l = 0; l < config.layers; l++) {
      const layerInputs = l === 0 ? inputs : config.hiddenUnits;
      this.layers.push(
        new LstmLayer(store, `${name}.${l}`, layerInputs, config.hiddenUnits, config),
      );
    }
  }

  get hasInput(): boolean {
    return this.layers[0].inputs > 0;
  }

  step(): StackStep {
    const cells = this.layers.map((layer) => layer.cell());
    return (x, state) => {
      const h: tf.Tensor2D[] = [];
      const c: tf.Tensor2D[] = [];
      let input = x;
      cells.forEach((cell, l) => {
        const [hNext, cNext] = cell(input, state.h[l], state.c[l]); // [U, B] each
        h.push(hNext);
        c.push(cNext);
        input = hNext;
      });
      return { h, c };
    };
  }

  zeroState(batch: number): StackState {
    const zeros = () => this.layers.map((layer) => tf.zeros([layer.units, batch]) as tf.Tensor2D);
    return { h: zeros(), c: zeros() };
  }
}

/** Where a decoder's step-t input comes from: (t, previous output logits) → frame [P, B] or null. */
export type DecoderInput = (t: number, previousLogits: tf.Tensor2D | null) => tf.Tensor2D | null;

/** An LSTM stack started from the encoder's state, with a linear readout to pixels. */
export class Decoder {
  readonly stack: LstmStack;
  readonly readoutW: tf.Variable; // [P, U]
  readonly readoutB: tf.Variable; // [P]

  constructor(
    store: ParameterStore,
    name: string,
    readonly conditional: boolean,
    pixels: number,
    config: LstmConfig,
  ) {
    this.stack = new LstmStack(store, name, conditional ? pixels : 0, config);
    this.readoutW = store.uniform(
      `${name}.readout.w`,
      [pixels, config.hiddenUnits],
      config.initScale,
    );
    this.readoutB = store.zeros(`${name}.readout.b`, [pixels]);
  }

  /** Unrolls `steps` steps from `init`; returns the output logits [steps, P, B]. */
  run(init: StackState, steps: number, inputFor: DecoderInput): tf.Tensor3D {
    const step = this.stack.step();
    const top = this.stack.layers.length - 1;
    const bias = this.readoutB.reshape([-1, 1]); // [P, 1]
    let state = init;
    let previous: tf.Tensor2D | null = null;
    const logits: tf.Tensor2D[] = [];
    for (let t = 0; t < steps; t++) {
      state = step(inputFor(t, previous), state);
      const y = tf.fused.matMul({ a: this.readoutW as tf.Tensor2D, b: state.h[top], bias }); // [P, B]
      logits.push(y as tf.Tensor2D);
      previous = y as tf.Tensor2D;
    }
    return tf.stack(logits, 0) as tf.Tensor3D; // [steps, P, B]
  }
}

/**
 * Per-element loss from output logits: Bernoulli cross-entropy in its stable softplus form
 * softplus(l) − t·l (= −t·log σ(l) − (1 − t)·log(1 − σ(l))), or half squared error (the reference
 * code's `0.5·‖y − t‖²`) for linear outputs.
 */
export function elementLoss(
  output: LstmConfig['output'],
  logits: tf.Tensor,
  targets: tf.Tensor,
): tf.Tensor {
  return output === 'sigmoid-bce'
    ? tf.softplus(logits).sub(targets.mul(logits))
    : tf.squaredDifference(logits, targets).mul(0.5);
}

/** Outputs as images: σ(logits), or the linear outputs themselves. */
export function activate(output: LstmConfig['output'], logits: tf.Tensor2D): tf.Tensor2D {
  return output === 'sigmoid-bce' ? tf.sigmoid(logits) : logits;
}
