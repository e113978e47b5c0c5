/**
 * The ConvLSTM cell of Shi et al. 2015 (eq. 3; see model.ts for the encoder-forecaster): a layer's
 * weights, created from the model's parameter store, and one step of the cell, with the gate
 * convolution's filter gradient written out for tfjs' CPU backend.
 *
 * Shapes: B batch, G grid side, I a layer's input channels, U its hidden channels, k kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { convLstmCell, convLstmCellKernelReady } from '../../gpu/kernels/convlstm-cell';
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

/**
 * The gradient of a 'same' stride-1 convolution's filter, dw [k, k, C, O] from x [B, G, G, C] and
 * dy [B, G, G, O], as a 'valid' convolution with batch and channels swapped: the padded x as
 * [C, G + k − 1, G + k − 1, B] convolved with dy as a G×G filter [G, G, B, O] is [C, k, k, O].
 */
function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, k: number): tf.Tensor4D {
  const half = (k - 1) / 2;
  const padded = tf.pad(x, [
    [0, 0],
    [half, half],
    [half, half],
    [0, 0],
  ]); // [B, G + k − 1, G + k − 1, C]
  const images = padded.transpose([3, 1, 2, 0]) as tf.Tensor4D; // [C, G + k − 1, G + k − 1, B]
  const filter = dy.transpose([1, 2, 0, 3]) as tf.Tensor4D; // [G, G, B, O]
  return tf.conv2d(images, filter, 1, 'valid').transpose([1, 2, 0, 3]); // [k, k, C, O]
}

/**
 * The gate convolution x [B, G, G, C] * w [k, k, C, O] ('same', stride 1) → [B, G, G, O], with
 * its filter gradient computed by `filterGradient`: tfjs' CPU Conv2DBackpropFilter reads every
 * element through an index computation and took 98% of a tiny training step.
 */
const gateConvolution = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  // customGrad passes the tensors, then the save function.
  const [x, w, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.conv2d(x, w, 1, 'same'), // [B, G, G, O]
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
      const g = dy as tf.Tensor4D; // [B, G, G, O]
      const dx = tf.conv2dTranspose(g, ws, xs.shape, 1, 'same'); // [B, G, G, C]
      return [dx, filterGradient(xs, g, ws.shape[0])];
    },
  };
}) as (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D;

/**
 * The gate convolution for the active backend: `gateConvolution` on the CPU; elsewhere tfjs's own
 * gradients, whose filter gradient on WebGPU (a kernel of src/core/gpu) is 3–5× faster than the
 * convolution `filterGradient` runs, at the tiny preset's shapes on SwiftShader.
 */
function gates(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return tf.getBackend() === 'cpu' ? gateConvolution(x, w) : tf.conv2d(x, w, 1, 'same');
}

/** One ConvLSTM step (eq. 3): input x [B, G, G, I] or null, state → next state. */
export function cellStep(layer: Layer, x: tf.Tensor4D | null, state: LayerState): LayerState {
  const xh = x ? tf.concat([x, state.h], 3) : state.h; // [B, G, G, I + U]
  const z = tf.add(gates(xh, layer.w as tf.Tensor4D), layer.b) as tf.Tensor4D; // [B, G, G, 4U]
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
