/**
 * The re-layouts around the VGAN's blocked (space-to-depth) stride-2 convolutions as one gather
 * each, forward and backward, instead of chains of rank-4 pads, transposes and slices:
 *
 * - `toBlocks` (pad by one on H and W, and T with `time`, then space-to-depth by 2):
 *   x [B, T, H, W, C] → [B, T/2 + 1 (T), H/2 + 1, W/2 + 1, K·C], K = 8 with `time`, else 4; the
 *   blocked channel is (r_t, r_h, r_w, c), r the offset inside a 2×2(×2) block of the padded
 *   video, and padding reads as 0. Composed: 2 pads + 2 transposes (1 + 1 without `time`).
 * - `fromBlocks`, its inverse on the cropped part (depth-to-space, then drop the border):
 *   [B, Tb, Hb, Wb, K·C] → [B, 2Tb − 2 (Tb), 2Hb − 2, 2Wb − 2, C]. Composed: 2 transposes +
 *   2 slices (1 + 1).
 * - `blockFilter`: a filter [4 (1), 4, 4, A, B] → [2 (1), 2, 2, K·A, B], tap (2q + r) moved to
 *   q and channel (r_t, r_h, r_w, a). Composed: 2 transposes (1).
 *
 * Each map sends every element of its input to at most one place and fills the rest with 0, so
 * its gradient is the inverse gather: toBlocks ↔ fromBlocks, blockFilter ↔ its inverse. One
 * dispatch forward, one backward, no uploads. Every program indexes flat buffers (no rank-5
 * coordinate helpers), binds one input, and moves values unchanged (results are bit-identical to
 * the composed ops).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { registerOwnKernels } from './kernel-override';

export const BLOCKED_LAYOUT_OPTIMIZATION = 'webgpu-blocked-layout';
const BACKEND = 'webgpu';
const KERNEL = 'VmpBlockedLayout';

/** to-blocks / from-blocks of a video; filter / unfilter of a filter. */
type Mode = 'to-blocks' | 'from-blocks' | 'filter' | 'unfilter';

interface KernelAttrs {
  mode: Mode;
  time: boolean;
}

type Shape5 = [number, number, number, number, number];

/** The block offsets (r_t, r_h, r_w) of a blocked channel group r, and back. */
const OFFSETS_WGSL = (time: boolean) =>
  time
    ? `fn vmpOffsets(r : i32) -> vec3<i32> { return vec3<i32>(r / 4, (r / 2) % 2, r % 2); }
  fn vmpGroup(o : vec3<i32>) -> i32 { return o.x * 4 + o.y * 2 + o.z; }`
    : `fn vmpOffsets(r : i32) -> vec3<i32> { return vec3<i32>(0, r / 2, r % 2); }
  fn vmpGroup(o : vec3<i32>) -> i32 { return o.y * 2 + o.z; }`;

/**
 * The plain shape [n, t, h, w, c] and the blocked one [n, tb, hb, wb, K·c] travel as uniforms (for
 * filters: n ↔ nothing, [t, h, w, c, d] = [kT, 4, 4, A, B] and blocked [kT/2, 2, 2, K·A, B]).
 */
class BlockedLayoutProgram implements WebGPUProgram {
  variableNames = ['x'];
  uniforms =
    'size : i32, t : i32, h : i32, w : i32, c : i32, d : i32, tb : i32, hb : i32, wb : i32,';
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    outputShape: number[],
    private readonly attrs: KernelAttrs,
  ) {
    this.outputShape = outputShape;
    this.shaderKey = `vmpBlockedLayout_${attrs.mode}_${attrs.time}`;
    const size = outputShape.reduce((a, b) => a * b, 1);
    this.dispatchLayout = webgpu_util.flatDispatchLayout([size]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [size], this.workgroupSize);
  }

  getUserCode(): string {
    const { mode, time } = this.attrs;
    const k = time ? 8 : 4;
    // Padded video coordinates p = 2q + r ↔ plain ones p − 1 (T unpadded without `time`).
    const shift = time ? 1 : 0;
    const body = {
      'to-blocks': `
    let kc = ${k} * uniforms.c;
    var rest = index;
    let ch = rest % kc; rest = rest / kc;
    let qw = rest % uniforms.wb; rest = rest / uniforms.wb;
    let qh = rest % uniforms.hb; rest = rest / uniforms.hb;
    let qt = rest % uniforms.tb; let n = rest / uniforms.tb;
    let o = vmpOffsets(ch / uniforms.c);
    let st = ${time ? '2 * qt + o.x - 1' : 'qt'};
    let sh = 2 * qh + o.y - 1;
    let sw = 2 * qw + o.z - 1;
    if (st < 0 || st >= uniforms.t || sh < 0 || sh >= uniforms.h || sw < 0 || sw >= uniforms.w) {
      result[index] = 0.0;
      return;
    }
    result[index] = x[(((n * uniforms.t + st) * uniforms.h + sh) * uniforms.w + sw) * uniforms.c + ch % uniforms.c];`,
      'from-blocks': `
    var rest = index;
    let cc = rest % uniforms.c; rest = rest / uniforms.c;
    let pw = rest % uniforms.w + 1; rest = rest / uniforms.w;
    let ph = rest % uniforms.h + 1; rest = rest / uniforms.h;
    let pt = rest % uniforms.t + ${shift}; let n = rest / uniforms.t;
    let qt = ${time ? 'pt / 2' : 'pt'};
    let r = vmpGroup(vec3<i32>(${time ? 'pt % 2' : '0'}, ph % 2, pw % 2));
    result[index] = x[(((n * uniforms.tb + qt) * uniforms.hb + ph / 2) * uniforms.wb + pw / 2) * (${k} * uniforms.c) + r * uniforms.c + cc];`,
      filter: `
    let ka = ${k} * uniforms.c;
    var rest = index;
    let bb = rest % uniforms.d; rest = rest / uniforms.d;
    let ch = rest % ka; rest = rest / ka;
    let qw = rest % 2; rest = rest / 2;
    let qh = rest % 2; let qt = rest / 2;
    let o = vmpOffsets(ch / uniforms.c);
    let kt = ${time ? '2 * qt + o.x' : '0'};
    result[index] = x[(((kt * 4 + 2 * qh + o.y) * 4 + 2 * qw + o.z) * uniforms.c + ch % uniforms.c) * uniforms.d + bb];`,
      unfilter: `
    var rest = index;
    let bb = rest % uniforms.d; rest = rest / uniforms.d;
    let a = rest % uniforms.c; rest = rest / uniforms.c;
    let kw = rest % 4; rest = rest / 4;
    let kh = rest % 4; let kt = rest / 4;
    let r = vmpGroup(vec3<i32>(${time ? 'kt % 2' : '0'}, kh % 2, kw % 2));
    let qt = ${time ? 'kt / 2' : '0'};
    result[index] = x[(((qt * 2 + kh / 2) * 2 + kw / 2) * (${k} * uniforms.c) + r * uniforms.c + a) * uniforms.d + bb];`,
    }[mode];
    return `
  ${OFFSETS_WGSL(time)}
  fn main(index : i32) {
    if (index >= uniforms.size) { return; }${body}
  }`;
  }
}

/** The blocked shape of a plain video or filter shape. */
function blockedShape(plain: readonly number[], attrs: KernelAttrs): Shape5 {
  const k = attrs.time ? 8 : 4;
  const [n, t, h, w, c] = plain;
  if (attrs.mode === 'filter' || attrs.mode === 'unfilter') {
    // [kT, 4, 4, A, B]
    return [attrs.time ? 2 : 1, 2, 2, k * w, c];
  }
  return [n, attrs.time ? t / 2 + 1 : t, h / 2 + 1, w / 2 + 1, k * c];
}

/** The plain shape of a blocked video or filter shape. */
function plainShape(blocked: readonly number[], attrs: KernelAttrs): Shape5 {
  const k = attrs.time ? 8 : 4;
  const [n, tb, hb, wb, kc] = blocked;
  if (attrs.mode === 'filter' || attrs.mode === 'unfilter') {
    return [attrs.time ? 4 : 1, 4, 4, wb / k, kc];
  }
  return [n, attrs.time ? 2 * tb - 2 : tb, 2 * hb - 2, 2 * wb - 2, kc / k];
}

const layoutKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  const a = attrs as unknown as KernelAttrs;
  const toBlocked = a.mode === 'to-blocks' || a.mode === 'filter';
  const plain = toBlocked ? x.shape : plainShape(x.shape, a);
  const blocked = toBlocked ? blockedShape(x.shape, a) : x.shape;
  const outputShape = toBlocked ? blocked : plain;
  const filter = a.mode === 'filter' || a.mode === 'unfilter';
  // Videos: t, h, w, c = plain [1..4]; filters: t, h, w, c, d = plain [0..4].
  const [t, h, w, c, d] = filter ? plain : [...plain.slice(1), 1];
  const program = new BlockedLayoutProgram(outputShape, a);
  return (backend as WebGPUBackend).runWebGPUProgram(program, [x], 'float32', [
    { type: 'int32', data: [outputShape.reduce((p, q) => p * q, 1)] },
    ...[t, h, w, c, d, blocked[1], blocked[2], blocked[3]].map((value) => ({
      type: 'int32',
      data: [value],
    })),
  ]);
};

/** Whether the gathers below can run here (the optimisation is installed on the active backend). */
export function blockedLayoutReady(): boolean {
  return tf.getKernel(KERNEL, tf.getBackend()) !== undefined;
}

const INVERSE: Record<Mode, Mode> = {
  'to-blocks': 'from-blocks',
  'from-blocks': 'to-blocks',
  filter: 'unfilter',
  unfilter: 'filter',
};

function gather(x: tf.Tensor5D, mode: Mode, time: boolean): tf.Tensor5D {
  const run = (input: tf.Tensor, m: Mode) =>
    tf.engine().runKernel(KERNEL, { x: input }, { mode: m, time }) as tf.Tensor5D;
  // customGrad passes the tensors, then the save function.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs] = args as [tf.Tensor5D];
    return {
      value: run(xs, mode),
      gradFunc: (dy: tf.Tensor) => [run(dy, INVERSE[mode])],
    };
  });
  return op(x) as tf.Tensor5D;
}

/** Pad by one, then space-to-depth by 2 (see above): [B, T, H, W, C] → blocked. Needs `blockedLayoutReady()`. */
export function toBlocks(x: tf.Tensor5D, time: boolean): tf.Tensor5D {
  return gather(x, 'to-blocks', time);
}

/** Depth-to-space by 2, then crop by one: blocked → [B, T, H, W, C]. Needs `blockedLayoutReady()`. */
export function fromBlocks(x: tf.Tensor5D, time: boolean): tf.Tensor5D {
  return gather(x, 'from-blocks', time);
}

/** A filter [4 (1), 4, 4, A, B] in the blocked layout [2 (1), 2, 2, K·A, B]. Needs `blockedLayoutReady()`. */
export function blockFilterGather(w: tf.Tensor5D): tf.Tensor5D {
  return gather(w, 'filter', w.shape[0] !== 1);
}

registerOwnKernels(
  BLOCKED_LAYOUT_OPTIMIZATION,
  'The VGAN’s blocked stride-2 convolutions on WebGPU: pad + space-to-depth, depth-to-space + crop and the filter re-layout as one gather each, forward and backward (composed: 2–4 pads, transposes and slices each way)',
  BACKEND,
  { [KERNEL]: layoutKernel },
);
