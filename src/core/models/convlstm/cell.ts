/**
 * The ConvLSTM cell of Shi et al. 2015 (eq. 3; see model.ts for the encoder-forecaster): a layer's
 * weights, created from the model's parameter store, and one step of the cell.
 *
 * Shapes: B batch, G grid side, I a layer's input channels, U its hidden channels, k kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { convLstmCell, convLstmCellKernelReady } from '../../gpu/kernels/convlstm-cell';
// The gate convolution's filter gradient and the gates' split on the CPU backend: tfjs's own
// kernels read every element through index arithmetic (70× slower for the filter gradient).
import '../../gpu/kernels/cpu-direct';
import type { ParameterStore } from '../kit/params';

/** One ConvLSTM layer's weights. */
export interface Layer {
  inputs: number; // I: input channels (0 for the forecaster's first layer)
  units: number; // U: hidden channels
  w: tf.Variable; // [k, k, I + U, 4U] gates i, f, c, o
  peephole: tf.Variable; // [G, G, 3U] W_ci, W_cf, W_co
  b: tf.Variable; // [4U]
}

/** H and C of one layer, each [B, G, G, U]. */
export interface LayerState {
  h: tf.Tensor4D;
  c: tf.Tensor4D;
}

/** One ConvLSTM step (eq. 3): input x [B, G, G, I] or null, state → next state. */
export function cellStep(layer: Layer, x: tf.Tensor4D | null, state: LayerState): LayerState {
  const xh = x ? tf.concat([x, state.h], 3) : state.h; // [B, G, G, I + U]
  const gates = tf.conv2d(xh, layer.w as tf.Tensor4D, 1, 'same'); // [B, G, G, 4U]
  const z = tf.add(gates, layer.b) as tf.Tensor4D;
  if (convLstmCellKernelReady()) {
    const [h, c] = convLstmCell(z, state.c, layer.peephole as tf.Tensor3D); // [B, G, G, U] each
    return { h, c };
  }
  const [zi, zf, zc, zo] = tf.split(z, 4, 3); // each [B, G, G, U]
  const [pi, pf, po] = tf.split(layer.peephole, 3, 2); // each [G, G, U]
  const i = tf.sigmoid(zi.add(pi.mul(state.c)));
  const f = tf.sigmoid(zf.add(pf.mul(state.c)));
  const c = f.mul(state.c).add(i.mul(tf.tanh(zc))) as tf.Tensor4D; // [B, G, G, U]
  const o = tf.sigmoid(zo.add(po.mul(c)));
  return { h: o.mul(tf.tanh(c)) as tf.Tensor4D, c };
}

/**
 * A stack of layers of `channels` (layer l reads layer l − 1, the first reads `inputs` channels),
 * each created as `<prefix>.<l>.w`, `.peephole` (U(±initScale)) and `.b` (zeros), in that order.
 */
export function createStack(
  store: ParameterStore,
  prefix: string,
  inputs: number,
  channels: readonly number[],
  { kernelSize: k, grid: g, initScale }: { kernelSize: number; grid: number; initScale: number },
): Layer[] {
  return channels.map((u, l) => {
    const i = l === 0 ? inputs : channels[l - 1];
    return {
      inputs: i,
      units: u,
      w: store.uniform(`${prefix}.${l}.w`, [k, k, i + u, 4 * u], initScale),
      peephole: store.uniform(`${prefix}.${l}.peephole`, [g, g, 3 * u], initScale),
      b: store.zeros(`${prefix}.${l}.b`, [4 * u]),
    };
  });
}
