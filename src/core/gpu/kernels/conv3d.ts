/**
 * WebGPU kernels for the three 3D convolutions the video GAN trains with, replacing
 * tfjs-backend-webgpu 4.22's naive ones (docs/webgpu-pitfalls.md §11):
 *
 * - `Conv3D` (forward, and the input gradient of conv3dTranspose): tfjs computes one output
 *   element per invocation, reading every input value once per output channel. Here an invocation
 *   computes 4 neighbouring output channels, so each input value is read once per 4 channels.
 * - `Conv3DBackpropInputV2` (the input gradient, and conv3dTranspose itself): tfjs tests every
 *   filter tap with float division and `fract`; here taps are skipped with integer arithmetic and
 *   an invocation computes 4 input channels, reading each output gradient value once per 4.
 * - `Conv3DBackpropFilterV2` (the filter gradient): tfjs gives each weight one invocation that
 *   loops serially over batch × output volume — a few hundred invocations doing all the work.
 *   Here a 4 × 4 block of (input, output) channels of one tap is a tile, and each position adds
 *   4 × 4 products from 4 + 4 loads. With many positions a workgroup of 64 owns a tile, splits
 *   the batch × volume sum among its invocations and adds the partial sums in workgroup memory;
 *   with few (deep layers: small volumes) one invocation sums a tile, with no barriers.
 *
 * The 2D filter gradient (`Conv2DBackpropFilter`, tfjs's kernel has the same serial loop) runs
 * as the 3D one at depth 1.
 *
 * On a hardware adapter all three run as the tiled implicit matrix products of conv3d-gemm.ts
 * instead (workgroup-memory tiles, 4 × 4 register blocks, split-K for the filter gradient): the
 * kernels above keep a GPU's compute units mostly idle, while on a CPU-emulated adapter, where
 * every workgroup barrier switches between all of a workgroup's invocations, the barrier-free
 * ones are faster. Both compute the same values; `VMP_KERNEL_PATHS=hardware` tests the tiled
 * ones on SwiftShader.
 *
 * Same sums, in a different order: results match tfjs to float32 rounding (parity tests against
 * the CPU backend). Layout NDHWC, filters [kD, kH, kW, Cin, Cout], dilation 1 (other calls go to
 * tfjs's kernels).
 */
import * as tf from '@tensorflow/tfjs';
import type {
  Conv3DAttrs,
  Conv3DBackpropFilterV2Attrs,
  Conv3DBackpropInputV2Attrs,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { kernelPathsFor } from '../adapter-class';
import type { AdapterInfoLike } from '../adapter-class';
import { tiledConv3d, tiledConv3dFilterGrad, tiledConv3dInputGrad } from './conv3d-gemm';
import { registerKernelOverride } from './kernel-override';

type ConvInfo = tf.backend_util.Conv3DInfo;

/** Geometry uniforms shared by the three programs (declared in this order). */
const GEOMETRY = [
  'inD',
  'inH',
  'inW',
  'inC',
  'outD',
  'outH',
  'outW',
  'outC',
  'kD',
  'kH',
  'kW',
  'sD',
  'sH',
  'sW',
  'pD',
  'pH',
  'pW',
] as const;

const geometryUniforms = (extra: string[]): string =>
  [...extra, ...GEOMETRY].map((name) => `${name} : i32,`).join(' ');

function geometryData(info: ConvInfo): number[] {
  return [
    info.inDepth,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outDepth,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterDepth,
    info.filterHeight,
    info.filterWidth,
    info.strideDepth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.front,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

const int = (data: number[]) => data.map((value) => ({ type: 'int32', data: [value] }));

/** A flat dispatch of `count` invocations in workgroups of 64. */
function flat(count: number): Pick<WebGPUProgram, 'dispatchLayout' | 'dispatch' | 'workgroupSize'> {
  const workgroupSize: [number, number, number] = [64, 1, 1];
  const dispatchLayout = webgpu_util.flatDispatchLayout([count]);
  return {
    workgroupSize,
    dispatchLayout,
    dispatch: webgpu_util.computeDispatch(dispatchLayout, [count], workgroupSize),
  };
}

/** `u.name` for each geometry uniform, as WGSL `let`s. */
const lets = GEOMETRY.map((name) => `let ${name} = uniforms.${name};`).join('\n    ');

/** 4 consecutive values of `buffer` from `start` with step `step`, clamped to index `last`. */
const load4 = (buffer: string, start: string, step: string, clamp: boolean): string => {
  const at = (k: number) => {
    const index = k === 0 ? start : `${start} + ${k} * ${step}`;
    return clamp && k > 0 ? `${buffer}[min(${index}, last)]` : `${buffer}[${index}]`;
  };
  return `vec4<f32>(${at(0)}, ${at(1)}, ${at(2)}, ${at(3)})`;
};

/** Writes acc.x … acc.w to result[base + k·step] for the channels below `limit`. */
const store4 = (base: string, step: string, first: string, limit: string): string =>
  ['x', 'y', 'z', 'w']
    .map(
      (lane, k) =>
        `if (${first} + ${k} < ${limit}) { result[${base} + ${k} * ${step}] = acc.${lane}; }`,
    )
    .join('\n    ');

class Conv3DChannels4Program implements WebGPUProgram {
  variableNames = ['x', 'W'];
  uniforms = geometryUniforms(['count', 'chunks']);
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    info: ConvInfo,
    readonly count: number,
    private readonly aligned: boolean,
  ) {
    this.outputShape = info.outShape;
    ({
      workgroupSize: this.workgroupSize,
      dispatchLayout: this.dispatchLayout,
      dispatch: this.dispatch,
    } = flat(count));
    this.shaderKey = `vmpConv3DChannels4_${aligned}`;
  }

  getUserCode(): string {
    return `
  fn main(index : i32) {
    if (index >= uniforms.count) { return; }
    ${lets}
    let last = kD * kH * kW * inC * outC - 1;
    let d2 = (index % uniforms.chunks) * 4;
    var rest = index / uniforms.chunks;
    let oC = rest % outW; rest = rest / outW;
    let oR = rest % outH; rest = rest / outH;
    let oF = rest % outD;
    let b = rest / outD;
    var acc = vec4<f32>(0.0);
    for (var wF = 0; wF < kD; wF++) {
      let xF = oF * sD - pD + wF;
      if (xF < 0 || xF >= inD) { continue; }
      for (var wR = 0; wR < kH; wR++) {
        let xR = oR * sH - pH + wR;
        if (xR < 0 || xR >= inH) { continue; }
        for (var wC = 0; wC < kW; wC++) {
          let xC = oC * sW - pW + wC;
          if (xC < 0 || xC >= inW) { continue; }
          let xBase = (((b * inD + xF) * inH + xR) * inW + xC) * inC;
          var wIndex = ((wF * kH + wR) * kW + wC) * inC * outC + d2;
          for (var d1 = 0; d1 < inC; d1++) {
            acc += x[xBase + d1] * ${load4('W', 'wIndex', '1', !this.aligned)};
            wIndex += outC;
          }
        }
      }
    }
    let outBase = (((b * outD + oF) * outH + oR) * outW + oC) * outC + d2;
    ${store4('outBase', '1', 'd2', 'outC')}
  }`;
  }
}

class Conv3DInputGradProgram implements WebGPUProgram {
  variableNames = ['dy', 'W'];
  uniforms = geometryUniforms(['count', 'chunks']);
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    info: ConvInfo,
    readonly count: number,
    private readonly aligned: boolean,
  ) {
    this.outputShape = info.inShape;
    ({
      workgroupSize: this.workgroupSize,
      dispatchLayout: this.dispatchLayout,
      dispatch: this.dispatch,
    } = flat(count));
    this.shaderKey = `vmpConv3DInputGrad_${aligned}`;
  }

  getUserCode(): string {
    return `
  fn main(index : i32) {
    if (index >= uniforms.count) { return; }
    ${lets}
    let last = kD * kH * kW * inC * outC - 1;
    let d1 = (index % uniforms.chunks) * 4;
    var rest = index / uniforms.chunks;
    let xC = rest % inW; rest = rest / inW;
    let xR = rest % inH; rest = rest / inH;
    let xF = rest % inD;
    let b = rest / inD;
    var acc = vec4<f32>(0.0);
    // dx[x] = Σ dy[y]·W[tap] over the taps with y·s − p + tap = x.
    for (var wF = 0; wF < kD; wF++) {
      let tF = xF + pD - wF;
      if (tF < 0 || tF % sD != 0 || tF / sD >= outD) { continue; }
      let yF = tF / sD;
      for (var wR = 0; wR < kH; wR++) {
        let tR = xR + pH - wR;
        if (tR < 0 || tR % sH != 0 || tR / sH >= outH) { continue; }
        let yR = tR / sH;
        for (var wC = 0; wC < kW; wC++) {
          let tC = xC + pW - wC;
          if (tC < 0 || tC % sW != 0 || tC / sW >= outW) { continue; }
          let yC = tC / sW;
          let dyBase = (((b * outD + yF) * outH + yR) * outW + yC) * outC;
          let wBase = (((wF * kH + wR) * kW + wC) * inC + d1) * outC;
          for (var d2 = 0; d2 < outC; d2++) {
            acc += dy[dyBase + d2] * ${load4('W', 'wBase + d2', 'outC', !this.aligned)};
          }
        }
      }
    }
    let outBase = (((b * inD + xF) * inH + xR) * inW + xC) * inC + d1;
    ${store4('outBase', '1', 'd1', 'inC')}
  }`;
  }
}

/** Invocations per filter-gradient workgroup (a power of two: the partial sums add as a tree). */
const FILTER_GRAD_THREADS = 64;
/**
 * Below this many positions per weight a workgroup's split would leave its invocations a few
 * positions each and the barriers would dominate: one invocation then sums a whole tile.
 */
const COOPERATIVE_POSITIONS = 16 * FILTER_GRAD_THREADS;

class Conv3DFilterGradProgram implements WebGPUProgram {
  variableNames = ['x', 'dy'];
  uniforms = geometryUniforms(['tiles', 'inChunks', 'outChunks', 'positions']);
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [FILTER_GRAD_THREADS, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  /** `cooperative`: a workgroup per tile splits its sum; else an invocation per tile. */
  constructor(
    info: ConvInfo,
    tiles: number,
    private readonly cooperative: boolean,
  ) {
    this.outputShape = info.filterShape;
    this.shaderKey = `vmpConv3DFilterGrad_${cooperative}`;
    this.dispatchLayout = webgpu_util.flatDispatchLayout([tiles]);
    // tfjs folds the dispatch into 2D/3D past the per-dimension limit.
    this.dispatch = cooperative
      ? [tiles, 1, 1]
      : webgpu_util.computeDispatch(this.dispatchLayout, [tiles], this.workgroupSize);
  }

  getUserCode(): string {
    const threads = FILTER_GRAD_THREADS;
    const tile = this.cooperative
      ? `let lid = i32(localIndex);
    let tile = i32(workgroupId.z * numWorkgroups.x * numWorkgroups.y +
        workgroupId.y * numWorkgroups.x + workgroupId.x);`
      : 'let tile = index;';
    const [first, stride] = this.cooperative ? ['lid', threads] : ['0', 1];
    const rows = [0, 1, 2, 3];
    // Cooperative: add the workgroup's partial sums as a tree; invocation k < 4 stores input
    // channel d1 + k. Serial: the invocation stores its 4 × 4 block itself.
    const finish = this.cooperative
      ? `${rows.map((k) => `partial[4 * lid + ${k}] = a${k};`).join('\n    ')}
    workgroupBarrier();
    for (var s = ${threads / 2}; s > 0; s = s >> 1u) {
      if (lid < s) {
        for (var k = 0; k < 4; k++) {
          partial[4 * lid + k] += partial[4 * (lid + s) + k];
        }
      }
      workgroupBarrier();
    }
    if (lid < 4 && tile < uniforms.tiles && d1 + lid < inC) {
      let acc = partial[lid];
      let outBase = ((tap * inC) + d1 + lid) * outC + d2;
      ${store4('outBase', '1', 'd2', 'outC')}
    }`
      : rows
          .map(
            (k) => `if (d1 + ${k} < inC) {
      let acc = a${k};
      let outBase = ((tap * inC) + d1 + ${k}) * outC + d2;
      ${store4('outBase', '1', 'd2', 'outC')}
    }`,
          )
          .join('\n    ');
    return `
  ${this.cooperative ? `var<workgroup> partial : array<vec4<f32>, ${4 * threads}>;` : ''}

  fn main(index : i32) {
    ${lets}
    ${tile}
    ${this.cooperative ? '' : 'if (tile >= uniforms.tiles) { return; }'}
    let d2 = (tile % uniforms.outChunks) * 4;
    let d1 = ((tile / uniforms.outChunks) % uniforms.inChunks) * 4;
    let tap = tile / (uniforms.outChunks * uniforms.inChunks);
    let wC = tap % kW;
    let wR = (tap / kW) % kH;
    let wF = tap / (kW * kH);
    // Channels past the end read channel 0 (in range); their sums are never stored.
    let c1 = vec4<i32>(d1, d1 + 1, d1 + 2, d1 + 3) * vec4<i32>(vec4<i32>(d1, d1 + 1, d1 + 2, d1 + 3) < vec4<i32>(inC));
    let c2 = vec4<i32>(d2, d2 + 1, d2 + 2, d2 + 3) * vec4<i32>(vec4<i32>(d2, d2 + 1, d2 + 2, d2 + 3) < vec4<i32>(outC));
    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0);
    var a3 = vec4<f32>(0.0);
    if (tile < uniforms.tiles) {
      for (var p = ${first}; p < uniforms.positions; p += ${stride}) {
        let oC = p % outW;
        var rest = p / outW;
        let oR = rest % outH; rest = rest / outH;
        let oF = rest % outD;
        let b = rest / outD;
        let xF = oF * sD - pD + wF;
        let xR = oR * sH - pH + wR;
        let xC = oC * sW - pW + wC;
        if (xF < 0 || xF >= inD || xR < 0 || xR >= inH || xC < 0 || xC >= inW) { continue; }
        let xBase = (((b * inD + xF) * inH + xR) * inW + xC) * inC;
        let dyBase = p * outC;
        let xv = vec4<f32>(x[xBase + c1.x], x[xBase + c1.y], x[xBase + c1.z], x[xBase + c1.w]);
        let g = vec4<f32>(dy[dyBase + c2.x], dy[dyBase + c2.y], dy[dyBase + c2.z], dy[dyBase + c2.w]);
        a0 += xv.x * g;
        a1 += xv.y * g;
        a2 += xv.z * g;
        a3 += xv.w * g;
      }
    }
    ${finish}
  }`;
  }
}

const webgpu = (backend: unknown) => backend as WebGPUBackend;
/** Whether the tiled implicit-GEMM kernels run (the hardware paths; see the header). */
const tiled = (backend: WebGPUBackend) =>
  kernelPathsFor(backend.adapterInfo as unknown as AdapterInfoLike) === 'hardware';
const chunksOf = (channels: number) => Math.ceil(channels / 4);
const isOne = (d: number | [number, number, number] | undefined) =>
  d === undefined || (typeof d === 'number' ? d === 1 : d.every((v) => v === 1));

/** Whether the replacement handles the call (NDHWC, dilation 1, float32). */
const handles = (
  dataFormat: string | undefined,
  dilations: Conv3DAttrs['dilations'] | undefined,
  ...inputs: TensorInfo[]
) =>
  (dataFormat === undefined || dataFormat === 'NDHWC') &&
  isOne(dilations) &&
  inputs.every((t) => t.dtype === 'float32' && t.shape.length === 5);

const conv3d =
  (previous: KernelFunc): KernelFunc =>
  (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const { strides, pad, dilations, dataFormat } = args.attrs as unknown as Conv3DAttrs;
    if (!handles(dataFormat, dilations, x, filter)) return previous(args);
    const info = tf.backend_util.computeConv3DInfo(
      x.shape as [number, number, number, number, number],
      filter.shape as [number, number, number, number, number],
      strides,
      1,
      pad,
    );
    if (tiled(webgpu(args.backend))) return tiledConv3d(webgpu(args.backend), x, filter, info);
    const chunks = chunksOf(info.outChannels);
    const [b, d, h, w] = info.outShape;
    const count = b * d * h * w * chunks;
    const program = new Conv3DChannels4Program(info, count, info.outChannels % 4 === 0);
    return webgpu(args.backend).runWebGPUProgram(
      program,
      [x, filter],
      'float32',
      int([count, chunks, ...geometryData(info)]),
    );
  };

const conv3dInputGrad =
  (previous: KernelFunc): KernelFunc =>
  (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, inputShape } = args.attrs as unknown as Conv3DBackpropInputV2Attrs;
    if (!handles(undefined, undefined, dy, filter)) return previous(args);
    const info = tf.backend_util.computeConv3DInfo(
      inputShape,
      filter.shape as [number, number, number, number, number],
      strides,
      1,
      pad,
    );
    if (tiled(webgpu(args.backend))) {
      return tiledConv3dInputGrad(webgpu(args.backend), dy, filter, info);
    }
    const chunks = chunksOf(info.inChannels);
    const [b, d, h, w] = info.inShape;
    const count = b * d * h * w * chunks;
    const program = new Conv3DInputGradProgram(info, count, info.inChannels % 4 === 0);
    return webgpu(args.backend).runWebGPUProgram(
      program,
      [dy, filter],
      'float32',
      int([count, chunks, ...geometryData(info)]),
    );
  };

/** The filter gradient of the convolution `info` describes, as a tensor of `outShape`. */
function filterGradient(
  backend: WebGPUBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: ConvInfo,
  outShape: number[],
): TensorInfo {
  if (tiled(backend)) return tiledConv3dFilterGrad(backend, x, dy, info, outShape);
  const inChunks = chunksOf(info.inChannels);
  const outChunks = chunksOf(info.outChannels);
  const tiles = info.filterDepth * info.filterHeight * info.filterWidth * inChunks * outChunks;
  const positions = info.batchSize * info.outDepth * info.outHeight * info.outWidth;
  const program = new Conv3DFilterGradProgram(info, tiles, positions >= COOPERATIVE_POSITIONS);
  program.outputShape = outShape;
  return backend.runWebGPUProgram(
    program,
    [x, dy],
    'float32',
    int([tiles, inChunks, outChunks, positions, ...geometryData(info)]),
  );
}

const conv3dFilterGrad =
  (previous: KernelFunc): KernelFunc =>
  (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, filterShape } = args.attrs as unknown as Conv3DBackpropFilterV2Attrs;
    if (!handles(undefined, undefined, x, dy)) return previous(args);
    const info = tf.backend_util.computeConv3DInfo(
      x.shape as [number, number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
    );
    return filterGradient(webgpu(args.backend), x, dy, info, info.filterShape);
  };

/**
 * Conv2DBackpropFilter as the 3D filter gradient of depth 1 (the programs index flat buffers, so
 * [N, H, W, C] is [N, 1, H, W, C] as it lies). NHWC, 'same' or 'valid' padding; else tfjs.
 */
const conv2dFilterGrad =
  (previous: KernelFunc): KernelFunc =>
  (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, filterShape } =
      args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const floats = [x, dy].every((t) => t.dtype === 'float32' && t.shape.length === 4);
    if (!floats || dataFormat !== 'NHWC' || (pad !== 'same' && pad !== 'valid')) {
      return previous(args);
    }
    const [n, h, w, c] = x.shape;
    const [kh, kw, cin, cout] = filterShape;
    const stride = typeof strides === 'number' ? [strides, strides] : strides;
    const info = tf.backend_util.computeConv3DInfo(
      [n, 1, h, w, c],
      [1, kh, kw, cin, cout],
      [1, stride[0], stride[1]],
      1,
      pad,
    );
    return filterGradient(webgpu(args.backend), x, dy, info, [...filterShape]);
  };

registerKernelOverride(
  'webgpu-conv3d',
  'Conv3D forward on WebGPU: 4 output channels per invocation (tfjs: 1), each input value read once per 4 channels',
  'webgpu',
  { [tf.Conv3D]: conv3d },
);

registerKernelOverride(
  'webgpu-conv3d-input-grad',
  'Conv3DBackpropInputV2 (conv3d input gradient, conv3dTranspose) on WebGPU: integer tap skipping, 4 input channels per invocation',
  'webgpu',
  { [tf.Conv3DBackpropInputV2]: conv3dInputGrad },
);

registerKernelOverride(
  'webgpu-conv3d-filter-grad',
  'Conv3DBackpropFilterV2 on WebGPU: a 64-invocation workgroup per 4×4 channel block of a tap splits the batch×volume sum (tfjs: one serial loop per weight)',
  'webgpu',
  { [tf.Conv3DBackpropFilterV2]: conv3dFilterGrad },
);

registerKernelOverride(
  'webgpu-conv2d-filter-grad',
  'Conv2DBackpropFilter on WebGPU through the 3D filter-gradient kernel at depth 1 (tfjs: one serial loop per weight)',
  'webgpu',
  { [tf.Conv2DBackpropFilter]: conv2dFilterGrad },
);
