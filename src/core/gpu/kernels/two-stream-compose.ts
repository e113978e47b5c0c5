/**
 * The two-stream generator's composition (Vondrick et al., eq. 2), video = m⊙f + (1 − m)⊙b,
 * read straight from the joint heads output [B, T, P, C + 1] (the foreground f in the first C
 * channels, the mask m in the last) and the still background b [B, P, C] replicated over the T
 * frames — one dispatch forward, and backward one for the heads' gradient
 *
 *   df = dy·m,  dm = Σ_c dy·(f − b)
 *
 * and one for the background's, db = Σ_t dy·(1 − m), each only when backprop needs it. Composed
 * from tfjs ops this is two slices to split the heads, four elementwise ops forward, and some
 * seven ops backward (a broadcast's sum over T, the split's concatenation).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { lazyCustomGrad } from '../lazy-grad';
import { registerOwnKernels } from './kernel-override';

export const TWO_STREAM_COMPOSE_OPTIMIZATION = 'webgpu-two-stream-compose';
const BACKEND = 'webgpu';
const FORWARD = 'VmpTwoStreamCompose';
const HEADS_GRAD = 'VmpTwoStreamComposeHeadsGrad';
const BACKGROUND_GRAD = 'VmpTwoStreamComposeBackgroundGrad';

type Part = 'video' | 'heads-grad' | 'background-grad';

/** The bindings each part reads (an unread binding fails validation). */
const INPUTS: Record<Part, string[]> = {
  video: ['heads', 'still'],
  'heads-grad': ['heads', 'still', 'dy'],
  'background-grad': ['heads', 'dy'],
};

const UNIFORMS = 'size : i32, frames : i32, pixels : i32, channels : i32,';

/** WGSL of the heads' and the background's element for (batch, frame, pixel, channel). */
const INDEXING = `
  fn headIndex(n : i32, t : i32, p : i32, c : i32) -> i32 {
    return ((n * uniforms.frames + t) * uniforms.pixels + p) * (uniforms.channels + 1) + c;
  }
  fn stillIndex(n : i32, p : i32, c : i32) -> i32 {
    return (n * uniforms.pixels + p) * uniforms.channels + c;
  }`;

class ComposeProgram implements WebGPUProgram {
  variableNames: string[];
  uniforms = UNIFORMS;
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    shape: number[],
    private readonly part: Part,
  ) {
    this.variableNames = INPUTS[part];
    this.outputShape = shape;
    this.shaderKey = `vmpTwoStreamCompose_${part}`;
    const size = shape.reduce((a, b) => a * b, 1);
    this.dispatchLayout = webgpu_util.flatDispatchLayout([size]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [size], this.workgroupSize);
  }

  getUserCode(): string {
    return `
  ${INDEXING}
  fn main(index : i32) {
    if (index >= uniforms.size) { return; }
    ${BODIES[this.part]}
  }`;
  }
}

const BODIES: Record<Part, string> = {
  // index over [B, T, P, C]
  video: `
    let c = index % uniforms.channels;
    let p = (index / uniforms.channels) % uniforms.pixels;
    let t = (index / (uniforms.channels * uniforms.pixels)) % uniforms.frames;
    let n = index / (uniforms.channels * uniforms.pixels * uniforms.frames);
    let m = heads[headIndex(n, t, p, uniforms.channels)];
    result[index] = m * heads[headIndex(n, t, p, c)] + (1.0 - m) * still[stillIndex(n, p, c)];`,
  // index over [B, T, P, C + 1]
  'heads-grad': `
    let k = uniforms.channels + 1;
    let c = index % k;
    let p = (index / k) % uniforms.pixels;
    let t = (index / (k * uniforms.pixels)) % uniforms.frames;
    let n = index / (k * uniforms.pixels * uniforms.frames);
    let videoIndex = ((n * uniforms.frames + t) * uniforms.pixels + p) * uniforms.channels;
    if (c < uniforms.channels) {
      result[index] = dy[videoIndex + c] * heads[headIndex(n, t, p, uniforms.channels)];
      return;
    }
    var dm = 0.0;
    for (var j = 0; j < uniforms.channels; j++) {
      dm += dy[videoIndex + j] * (heads[headIndex(n, t, p, j)] - still[stillIndex(n, p, j)]);
    }
    result[index] = dm;`,
  // index over [B, P, C]
  'background-grad': `
    let c = index % uniforms.channels;
    let p = (index / uniforms.channels) % uniforms.pixels;
    let n = index / (uniforms.channels * uniforms.pixels);
    var db = 0.0;
    for (var t = 0; t < uniforms.frames; t++) {
      let videoIndex = ((n * uniforms.frames + t) * uniforms.pixels + p) * uniforms.channels + c;
      db += dy[videoIndex] * (1.0 - heads[headIndex(n, t, p, uniforms.channels)]);
    }
    result[index] = db;`,
};

function kernel(part: Part): KernelFunc {
  return ({ inputs, backend }) => {
    const named = inputs as Record<string, TensorInfo>;
    const { heads, still } = named;
    const [b, t, p, k] = heads.shape; // [B, T, P, C + 1]
    const shape = {
      video: [b, t, p, k - 1],
      'heads-grad': heads.shape,
      'background-grad': still.shape,
    }[part];
    return (backend as WebGPUBackend).runWebGPUProgram(
      new ComposeProgram(shape, part),
      INPUTS[part].map((name) => named[name]),
      'float32',
      [
        { type: 'int32', data: [shape.reduce((x, y) => x * y, 1)] },
        { type: 'int32', data: [t] },
        { type: 'int32', data: [p] },
        { type: 'int32', data: [k - 1] },
      ],
    );
  };
}

const KERNEL_FUNCS: Record<string, KernelFunc> = {
  [FORWARD]: kernel('video'),
  [HEADS_GRAD]: kernel('heads-grad'),
  [BACKGROUND_GRAD]: kernel('background-grad'),
};

/** Whether `composeTwoStream` can run here (the optimisation is installed on the active backend). */
export function twoStreamComposeReady(): boolean {
  return tf.getKernel(FORWARD, tf.getBackend()) !== undefined;
}

/**
 * m⊙f + (1 − m)⊙b for `heads` [B, T, P, C + 1] (f, then m as the last channel) and `still`
 * [B, P, C] (b, the same for every frame) → [B, T, P, C]; differentiable in both. Needs
 * `twoStreamComposeReady()`.
 */
export function composeTwoStream(heads: tf.Tensor4D, still: tf.Tensor3D): tf.Tensor4D {
  const run = (name: string, inputs: Record<string, tf.Tensor>) =>
    tf.engine().runKernel(name, inputs) as tf.Tensor;
  const op = lazyCustomGrad(([h, s], save) => {
    save([h, s]);
    return {
      value: run(FORWARD, { heads: h, still: s }),
      backward: (dy, [sh, ss]) => [
        () => run(HEADS_GRAD, { heads: sh, still: ss, dy }),
        () => run(BACKGROUND_GRAD, { heads: sh, still: ss, dy }),
      ],
    };
  });
  return op(heads, still) as tf.Tensor4D;
}

registerOwnKernels(
  TWO_STREAM_COMPOSE_OPTIMIZATION,
  'The VGAN two-stream composition m⊙f + (1 − m)⊙b on WebGPU: one kernel from the joint heads output and the still, one per gradient (composed: 2 slices and 4 ops forward, ~7 backward)',
  BACKEND,
  KERNEL_FUNCS,
);
