/**
 * Building blocks of the video GAN that tfjs 4.22 lacks, gets wrong on rank-5 tensors or runs
 * slowly (see docs/webgpu-pitfalls.md §1–3, §11):
 *
 * - `conv3dTranspose` with a gradient: tfjs registers none for `Conv3DBackpropInputV2`. The
 *   transposed conv y = Aᵀx is the adjoint of conv3d A, so dL/dx = conv3d(dy, w) and dL/dw is the
 *   filter gradient of conv3d(y-shaped input → x-shaped output), i.e. the `Conv3DBackpropFilterV2`
 *   kernel with {x: dy, dy: x}.
 * - the kernel-4, stride-2, pad-1 layers of the paper, either as tfjs's convs with 'same' padding
 *   or in a space-to-depth ("blocked") form with the same weights: 8 taps of 8× the channels per
 *   output instead of 64 taps, which the per-output WebGPU conv kernels run several times faster
 *   for layers with fewer than 4 channels on one side (`useBlocked`).
 * - batch norm, ReLU and LeakyReLU on videos run on a rank-4 view [B·T, H, W, C]: their rank-5
 *   gradients throw or silently break on WebGPU/WebGL. Biases are added there too, so no rank-5
 *   tensor ever meets a small rank-1 one (the WebGPU broadcasting bug), and every pad, slice and
 *   transpose here works on views of rank ≤ 4: the model needs no rank-5 workaround.
 * - the two-stream composition m⊙f + (1−m)⊙b on rank-4 views [B, T, H·W, C].
 *
 * Shapes: B batch, T frames, H×W frame, C channels; filters of 3D ops are [kT, kH, kW, in, out]
 * for conv3d and [kT, kH, kW, out, in] for conv3dTranspose (the tfjs conventions).
 */
import * as tf from '@tensorflow/tfjs';
// `splitChannels` on the CPU backend: tfjs's own Slice copies a block of columns element by element.
import '../../gpu/kernels/cpu-direct';
import {
  blockFilterGather,
  blockedLayoutReady,
  fromBlocks,
  toBlocks,
} from '../../gpu/kernels/blocked-layout';

export type Padding = 'same' | 'valid';
/** Strides along T, H and W. */
export type Strides3 = [number, number, number];
type Shape5 = [number, number, number, number, number];

/**
 * dL/dw of a conv3d with input `x` [B, T, H, W, Cin] and output gradient `dy` [B, T', H', W', Cout]:
 * the `Conv3DBackpropFilterV2` kernel, which tfjs registers on every backend but does not export.
 */
export function conv3dFilterGradient(
  x: tf.Tensor5D,
  dy: tf.Tensor5D,
  filterShape: Shape5,
  strides: Strides3,
  pad: Padding,
): tf.Tensor5D {
  return tf
    .engine()
    .runKernel('Conv3DBackpropFilterV2', { x, dy }, { strides, pad, filterShape }) as tf.Tensor5D;
}

/**
 * Trainable 3D transposed convolution: `x` [B, T, H, W, Cin], `w` [kT, kH, kW, Cout, Cin] →
 * `outShape` [B, T', H', W', Cout]. With kernel 4, stride 2 and 'same' padding it doubles T, H
 * and W and equals Torch's VolumetricFullConvolution(k 4, stride 2, pad 1); with kT = 1, stride
 * [1, 2, 2] and T = 1 it is a 2D transposed conv (SpatialFullConvolution).
 */
export function conv3dTranspose(
  x: tf.Tensor5D,
  w: tf.Tensor5D,
  outShape: Shape5,
  strides: Strides3,
  pad: Padding,
): tf.Tensor5D {
  const filterShape = w.shape as Shape5;
  // customGrad passes the tensors, then the save function.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, ws, save] = args as [tf.Tensor5D, tf.Tensor5D, tf.GradSaveFunc];
    save([xs, ws]);
    return {
      value: tf.conv3dTranspose(xs, ws, outShape, strides, pad), // [B, T', H', W', Cout]
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedX, savedW] = saved as [tf.Tensor5D, tf.Tensor5D];
        const g = dy as tf.Tensor5D; // [B, T', H', W', Cout]
        const dx = tf.conv3d(g, savedW, strides, pad); // [B, T, H, W, Cin]
        const dw = conv3dFilterGradient(g, savedX, filterShape, strides, pad); // [kT, kH, kW, Cout, Cin]
        return [dx, dw];
      },
    };
  });
  return op(x, w) as tf.Tensor5D;
}

// --- stride-2 convolutions through space-to-depth -------------------------------------------------

/**
 * Pads [B, T, H, W, C] by one on each side of H and W (and of T when `time`), on rank ≤4 views.
 * Its gradient (a crop) stays on those views too.
 */
export function padBorder(x: tf.Tensor5D, time: boolean): tf.Tensor5D {
  const [b, t, h, w, c] = x.shape;
  const plane = tf.pad(x.reshape([b * t, h, w, c]), [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]); // [B·T, H+2, W+2, C]
  if (!time) return plane.reshape([b, t, h + 2, w + 2, c]);
  const padded = tf.pad(plane.reshape([b, t, (h + 2) * (w + 2) * c]), [
    [0, 0],
    [1, 1],
    [0, 0],
  ]); // [B, T+2, (H+2)·(W+2)·C]
  return padded.reshape([b, t + 2, h + 2, w + 2, c]);
}

/** The inverse of `padBorder`: drops one border element on each side of H, W (and T). */
export function cropBorder(x: tf.Tensor5D, time: boolean): tf.Tensor5D {
  const [b, t, h, w, c] = x.shape;
  let y = x;
  let frames = t;
  if (time) {
    frames = t - 2;
    y = y
      .reshape([b, t, h * w * c])
      .slice([0, 1, 0], [b, frames, h * w * c])
      .reshape([b, frames, h, w, c]);
  }
  return y
    .reshape([b * frames, h, w, c])
    .slice([0, 1, 1, 0], [b * frames, h - 2, w - 2, c])
    .reshape([b, frames, h - 2, w - 2, c]);
}

/**
 * Space-to-depth by 2 on H and W (and T when `time`): [B, T, H, W, C] → [B, T/2, H/2, W/2, 8C]
 * (or [B, T, H/2, W/2, 4C]); the new channel index is (r_t, r_h, r_w, c), r the offset in a block.
 * Rank-4 transposes only.
 */
export function spaceToDepth(x: tf.Tensor5D, time: boolean): tf.Tensor5D {
  const [b, t, h, w, c] = x.shape;
  // W: a free reshape, [.., W, C] → [.., W/2, 2C]. H: bring the row offset next to it.
  let y = x
    .reshape([b * t * (h / 2), 2, w / 2, 2 * c])
    .transpose([0, 2, 1, 3]) // [B·T·H/2, W/2, 2, 2C]
    .reshape([b, t, h / 2, w / 2, 4 * c]) as tf.Tensor5D;
  if (time) {
    y = y
      .reshape([b * (t / 2), 2, (h / 2) * (w / 2), 4 * c])
      .transpose([0, 2, 1, 3]) // [B·T/2, P, 2, 4C]
      .reshape([b, t / 2, h / 2, w / 2, 8 * c]);
  }
  return y;
}

/** The inverse of `spaceToDepth`. */
export function depthToSpace(x: tf.Tensor5D, time: boolean): tf.Tensor5D {
  const [b, t, h, w, blocked] = x.shape;
  let y = x;
  let frames = t;
  if (time) {
    frames = 2 * t;
    y = y
      .reshape([b * t, h * w, 2, blocked / 2])
      .transpose([0, 2, 1, 3]) // [B·T, 2, P, 4C]
      .reshape([b, frames, h, w, blocked / 2]);
  }
  const c = (time ? blocked / 2 : blocked) / 4;
  return y
    .reshape([b * frames * h, w, 2, 2 * c])
    .transpose([0, 2, 1, 3]) // [B·T·H, 2, W, 2C]
    .reshape([b, frames, 2 * h, 2 * w, c]);
}

/**
 * A standard filter [4, 4, 4, A, B] (or [1, 4, 4, A, B]) in the blocked layout that `convDown` and
 * `convUp` use: [2, 2, 2, 8·A, B] (or [1, 2, 2, 4·A, B]). Tap (k_t, k_h, k_w) = (2q_t + r_t,
 * 2q_h + r_h, 2q_w + r_w) moves to [q_t, q_h, q_w] and channel (r_t, r_h, r_w, a). Two rank-4
 * transposes (one without `time`), differentiable, cheap next to the convolution.
 */
export function blockFilter(w: tf.Tensor5D): tf.Tensor5D {
  const [kt, , , a, b] = w.shape;
  const inner = a * b;
  if (kt === 1) {
    // (q_h, r_h, q_w, [r_w a b]) → (q_h, q_w, r_h, [r_w a b])
    return w
      .reshape([2, 2, 2, 2 * inner])
      .transpose([0, 2, 1, 3])
      .reshape([1, 2, 2, 4 * a, b]);
  }
  return w
    .reshape([2, 2, 2, 8 * inner]) // (q_t, r_t, q_h, [r_h q_w r_w a b])
    .transpose([0, 2, 1, 3]) // (q_t, q_h, r_t, [r_h q_w r_w a b])
    .reshape([4, 4, 2, 2 * inner]) // ([q_t q_h], [r_t r_h], q_w, [r_w a b])
    .transpose([0, 2, 1, 3]) // ([q_t q_h], q_w, [r_t r_h], [r_w a b])
    .reshape([2, 2, 2, 8 * a, b]);
}

/**
 * A kernel-4, stride-2, pad-1 convolution — Torch's VolumetricConvolution(k 4, s 2, p 1), or
 * without `time` a SpatialConvolution applied to every frame — computed as pad → space-to-depth →
 * a kernel-2 'valid' conv with the blocked filter: x [B, T, H, W, Cin] → [B, T/2, H/2, W/2, Cout]
 * (T kept without `time`); `w` is the standard filter [4, 4, 4, Cin, Cout] (or [1, 4, 4, …]).
 * The same map, but each output reads 8 taps of 8·Cin channels instead of 64 taps of Cin.
 */
export function convDown(x: tf.Tensor5D, w: tf.Tensor5D, time: boolean): tf.Tensor5D {
  const gathers = blockedLayoutReady(); // one gather each way (optimisation webgpu-blocked-layout)
  const blocked = gathers ? toBlocks(x, time) : spaceToDepth(padBorder(x, time), time); // [B, T/2+1, H/2+1, W/2+1, 8·Cin]
  const filter = gathers ? blockFilterGather(w) : blockFilter(w); // [2, 2, 2, 8·Cin, Cout]
  return tf.conv3d(blocked, filter, 1, 'valid'); // [B, T/2, H/2, W/2, Cout]
}

/**
 * The transposed (fractionally strided) conv of `convDown` — Torch's VolumetricFullConvolution
 * (k 4, s 2, p 1), or per frame SpatialFullConvolution without `time`: x [B, T, H, W, Cin] →
 * [B, 2T, 2H, 2W, Cout], `w` the standard transposed-conv filter [4, 4, 4, Cout, Cin]. The
 * adjoint of convDown's pipeline: a kernel-2 'valid' transposed conv, depth-to-space, crop.
 */
export function convUp(x: tf.Tensor5D, w: tf.Tensor5D, time: boolean): tf.Tensor5D {
  const [b, t, h, wd] = x.shape;
  const gathers = blockedLayoutReady(); // one gather each way (optimisation webgpu-blocked-layout)
  const filter = gathers ? blockFilterGather(w) : blockFilter(w); // [2, 2, 2, 8·Cout, Cin] or [1, 2, 2, 4·Cout, Cin]
  const outShape: Shape5 = [b, time ? t + 1 : t, h + 1, wd + 1, filter.shape[3]];
  const blocked = conv3dTranspose(x, filter, outShape, [1, 1, 1], 'valid'); // [B, T+1, H+1, W+1, 8·Cout]
  if (gathers) return fromBlocks(blocked, time); // [B, 2T, 2H, 2W, Cout]
  return cropBorder(depthToSpace(blocked, time), time); // [B, 2T, 2H, 2W, Cout]
}

/**
 * A kernel-4 stride-2 pad-1 conv [B, T, H, W, Cin] → [B, T/2 (T without `time`), H/2, W/2, Cout]
 * with the standard filter `w` [4 (1), 4, 4, Cin, Cout]: tf.conv3d with 'same' padding (equal to
 * pad 1 here), or with `blocked` the space-to-depth form `convDown`.
 */
export function strided(
  x: tf.Tensor5D,
  w: tf.Tensor5D,
  time: boolean,
  blocked: boolean,
): tf.Tensor5D {
  if (blocked) return convDown(x, w, time);
  return tf.conv3d(x, w, time ? [2, 2, 2] : [1, 2, 2], 'same');
}

/** Its transpose, [B, T, H, W, Cin] → [B, 2T (T), 2H, 2W, Cout], `w` [4 (1), 4, 4, Cout, Cin]. */
export function stridedTranspose(
  x: tf.Tensor5D,
  w: tf.Tensor5D,
  time: boolean,
  blocked: boolean,
): tf.Tensor5D {
  if (blocked) return convUp(x, w, time);
  const [b, t, h, wd] = x.shape;
  const outShape: Shape5 = [b, time ? 2 * t : t, 2 * h, 2 * wd, w.shape[3]];
  return conv3dTranspose(x, w, outShape, time ? [2, 2, 2] : [1, 2, 2], 'same');
}

/** How a model runs its strided convolutions (see `useBlocked`). */
export type ConvAlgorithm = 'auto' | 'blocked' | 'standard';

/**
 * Whether a strided conv with `inputs` → `outputs` channels runs blocked. 'auto': on GPU backends,
 * when one side has fewer than 4 channels (the input of the first D layer, the generator heads):
 * tfjs's per-output WebGPU/WebGL conv kernels read channels four at a time, so such a layer runs
 * 64 scalar taps per output, and the blocked form is 2–4× faster on SwiftShader; wider layers are
 * faster as they are. The tfjs CPU backend is fastest with its own Conv3D kernels throughout (the
 * tiny two-stream step took 534 ms blocked against 446 ms).
 */
export function useBlocked(algorithm: ConvAlgorithm, inputs: number, outputs: number): boolean {
  if (algorithm !== 'auto') return algorithm === 'blocked';
  return tf.getBackend() !== 'cpu' && Math.min(inputs, outputs) < 4;
}

/** Splits [N, K] into its first `first` columns and the rest. */
export function splitChannels(x: tf.Tensor2D, first: number): [tf.Tensor2D, tf.Tensor2D] {
  return tf.split(x, [first, x.shape[1] - first], 1) as [tf.Tensor2D, tf.Tensor2D];
}

/** Applies a rank-4 op to every frame of a video: [B, T, H, W, C] → [B·T, H, W, C] → back. */
export function overFrames(x: tf.Tensor5D, op: (frames: tf.Tensor4D) => tf.Tensor4D): tf.Tensor5D {
  const [b, t, h, w, c] = x.shape;
  const y = op(x.reshape([b * t, h, w, c])); // [B·T, H, W, C']
  return y.reshape([b, t, h, w, y.shape[3]]);
}

/**
 * Batch norm in training mode on [N, H, W, C]: the statistics of this batch over N, H and W (a
 * video's B·T frames pool into N, as Torch's VolumetricBatchNormalization pools B, T, H, W).
 * Differentiable through the statistics; all ops are rank ≤ 4.
 */
export function batchNorm(
  x: tf.Tensor4D,
  scale: tf.Tensor1D,
  shift: tf.Tensor1D,
  epsilon: number,
): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]); // each [C]
  const gain = tf.rsqrt(variance.add(epsilon)).mul(scale); // [C]
  return x.sub(mean).mul(gain).add(shift); // [N, H, W, C]
}

/**
 * Numerically stable mean sigmoid cross-entropy of `logits` [B] against a constant label:
 * max(l, 0) − l·t + log(1 + e^−|l|) (never exponentiates a large positive number).
 */
export function sigmoidCrossEntropy(logits: tf.Tensor1D, label: 0 | 1): tf.Scalar {
  const positive = tf.relu(logits);
  const log1pExp = tf.log1p(tf.exp(tf.neg(tf.abs(logits))));
  const perExample = label === 1 ? positive.sub(logits).add(log1pExp) : positive.add(log1pExp);
  return perExample.mean() as tf.Scalar;
}

/** Fraction of `logits` [B] on the side of 0 that means `label` (σ(l) > 0.5 ⇔ l > 0). */
export function accuracy(logits: tf.Tensor1D, label: 0 | 1): tf.Scalar {
  const correct = label === 1 ? tf.greater(logits, 0) : tf.lessEqual(logits, 0);
  return tf.cast(correct, 'float32').mean() as tf.Scalar;
}

/**
 * The two-stream video m⊙f + (1−m)⊙b, with the mask repeated over channels and the background
 * over time: f [B, T, H, W, C], m [B, T, H, W, 1], b [B, H, W, C] → [B, T, H, W, C]. Runs on
 * rank-4 views (pixels flattened), so broadcasting and its gradients never see rank 5.
 */
export function composeVideo(
  mask: tf.Tensor5D,
  foreground: tf.Tensor5D,
  background: tf.Tensor4D,
): tf.Tensor5D {
  const [b, t, h, w, c] = foreground.shape;
  const f = foreground.reshape([b, t, h * w, c]); // [B, T, P, C]
  const m = mask.reshape([b, t, h * w, 1]); // [B, T, P, 1]
  const still = background.reshape([b, 1, h * w, c]); // [B, 1, P, C]
  const video = m.mul(f).add(tf.scalar(1).sub(m).mul(still)); // [B, T, P, C]
  return video.reshape([b, t, h, w, c]);
}

/**
 * Spherical interpolation between two latent codes (White 2016, "Sampling generative networks"):
 * stays on the shell where Gaussian codes live instead of cutting through its low-norm interior.
 * Falls back to linear interpolation for (nearly) parallel codes.
 */
export function slerp(a: Float32Array, b: Float32Array, alpha: number): Float32Array {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  const cos = Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb || 1)));
  const omega = Math.acos(cos);
  const sin = Math.sin(omega);
  const out = new Float32Array(a.length);
  const [wa, wb] =
    sin < 1e-6
      ? [1 - alpha, alpha]
      : [Math.sin((1 - alpha) * omega) / sin, Math.sin(alpha * omega) / sin];
  for (let i = 0; i < a.length; i++) out[i] = wa * a[i] + wb * b[i];
  return out;
}
