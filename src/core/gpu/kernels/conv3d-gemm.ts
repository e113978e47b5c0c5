/**
 * Conv3D, its input gradient and its filter gradient as tiled implicit matrix products (GEMM) on
 * WebGPU, for hardware adapters, where the one-output-per-invocation kernels of conv3d.ts leave
 * most of a GPU idle and read every input value once per output tile of 4 channels.
 *
 * Each is C[M, N] = A[M, K] · B[K, N] with A gathered from the tensors as it is read (no im2col
 * buffer). A workgroup of 256 invocations owns a TM × TN tile of C; per step of TK along K it
 * loads a TM × TK slice of A and a TK × TN slice of B into workgroup memory, and each invocation
 * multiplies them into a 4 × 4 block of C held in registers (16 multiply-adds per 8 loads from
 * workgroup memory). Two tile shapes, chosen by N: 64 × 64 (TK 16), or 256 × 16 (TK 8) when N is
 * at most 16 (the RGB output layer, thin filter gradients). Both use at most 8.5 KiB of workgroup
 * memory and 256 invocations (WebGPU's minimum limits) and bind two storage buffers.
 *
 * - Forward: M = batch × output volume, N = output channels, K = taps × input channels;
 *   A[m, k] = x at the position tap k/inC of output m reads (0 in the padding), B = the filter.
 * - Input gradient (and conv3dTranspose): with stride s only the taps w ≡ x + p (mod s) reach an
 *   input position x, so the positions are split into s_D·s_H·s_W parity classes (the third
 *   dispatch dimension), each a product over its own ⌈k/s⌉ taps per axis: no work on taps that
 *   skip (an 8th of them for the VGAN's stride-2, 4³ kernels). M = batch × class positions,
 *   N = input channels, K = class taps × output channels; A = dy, B = the filter's tap rows.
 * - Filter gradient: M = taps × input channels, N = output channels, K = batch × output volume
 *   (long: a million positions for the VGAN paper preset's first layer). K is split into slices
 *   (split-K) so that there are about `TARGET_WORKGROUPS` workgroups; each writes its slice's
 *   partial product and one more dispatch adds the slices.
 *
 * Sums run in another order than tfjs's (float32 rounding); the parity tests compare to the CPU.
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

type ConvInfo = tf.backend_util.Conv3DInfo;
type Kind = 'forward' | 'input' | 'filter';

/** Workgroups a split-K filter gradient aims at (a GPU needs several per compute unit). */
export const TARGET_WORKGROUPS = 1024;
/** K values a split-K slice holds at least. */
const MIN_SLICE = 256;
const THREADS = 256;

interface Tile {
  tm: number;
  tn: number;
  tk: number;
}

/** The tile shape for N columns of C. */
export function tileFor(n: number): Tile {
  return n <= 16 ? { tm: 256, tn: 16, tk: 8 } : { tm: 64, tn: 64, tk: 16 };
}

/** Geometry uniforms, in this order. */
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
const GEMM = ['M', 'N', 'K', 'mTiles', 'nTiles', 'groups', 'kSteps', 'kPerGroup'] as const;

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

const u = (name: string) => `uniforms.${name}`;

/**
 * WGSL of the kind's gather functions: `loadA(m, k, g)`, `loadB(k, n, g)` (0 outside the
 * tensors) and `at(m, n, g)`, the index C[m, n] of group g is stored at (−1: not stored).
 */
function gatherWgsl(kind: Kind): string {
  const g = (name: string) => `let ${name} = ${u(name)};`;
  const geometry = GEOMETRY.map(g).join(' ');
  switch (kind) {
    case 'forward':
      return `
  fn loadA(m : i32, k : i32, g : i32) -> f32 {
    ${geometry}
    let c = k % inC;
    let tap = k / inC;
    let wC = tap % kW;
    let wR = (tap / kW) % kH;
    let wF = tap / (kW * kH);
    let oC = m % outW;
    var rest = m / outW;
    let oR = rest % outH; rest = rest / outH;
    let oF = rest % outD;
    let b = rest / outD;
    let xF = oF * sD - pD + wF;
    let xR = oR * sH - pH + wR;
    let xC = oC * sW - pW + wC;
    if (xF < 0 || xF >= inD || xR < 0 || xR >= inH || xC < 0 || xC >= inW) { return 0.0; }
    return x[(((b * inD + xF) * inH + xR) * inW + xC) * inC + c];
  }
  fn loadB(k : i32, n : i32, g : i32) -> f32 { return W[k * ${u('outC')} + n]; }
  fn at(m : i32, n : i32, g : i32) -> i32 { return m * ${u('outC')} + n; }`;
    case 'input':
      // Group g is the parity class (eF, eR, eC): input positions x = q·s + e. Its taps along an
      // axis are w = r + j·s with r = (e + p) mod s, j < ⌈k/s⌉; the output position is
      // y = (x + p − w)/s, exact.
      return `
  struct Row { b : i32, xF : i32, xR : i32, xC : i32, valid : bool }
  fn row(m : i32, g : i32) -> Row {
    ${geometry}
    let eC = g % sW;
    let eR = (g / sW) % sH;
    let eF = g / (sW * sH);
    let qW = (inW + sW - 1) / sW;
    let qH = (inH + sH - 1) / sH;
    let qD = (inD + sD - 1) / sD;
    let xC = (m % qW) * sW + eC;
    var rest = m / qW;
    let xR = (rest % qH) * sH + eR; rest = rest / qH;
    let xF = (rest % qD) * sD + eF;
    let b = rest / qD;
    return Row(b, xF, xR, xC, xF < inD && xR < inH && xC < inW);
  }
  struct Tap { wF : i32, wR : i32, wC : i32, d2 : i32, valid : bool }
  fn tapOf(k : i32, g : i32) -> Tap {
    ${geometry}
    let jW = (kW + sW - 1) / sW;
    let jH = (kH + sH - 1) / sH;
    let d2 = k % outC;
    let t = k / outC;
    let eC = g % sW;
    let eR = (g / sW) % sH;
    let eF = g / (sW * sH);
    let wC = (eC + pW) % sW + (t % jW) * sW;
    let wR = (eR + pH) % sH + ((t / jW) % jH) * sH;
    let wF = (eF + pD) % sD + (t / (jW * jH)) * sD;
    return Tap(wF, wR, wC, d2, wF < kD && wR < kH && wC < kW);
  }
  fn loadA(m : i32, k : i32, g : i32) -> f32 {
    ${geometry}
    let r = row(m, g);
    let t = tapOf(k, g);
    if (!r.valid || !t.valid) { return 0.0; }
    let tF = r.xF + pD - t.wF;
    let tR = r.xR + pH - t.wR;
    let tC = r.xC + pW - t.wC;
    if (tF < 0 || tR < 0 || tC < 0) { return 0.0; }
    let yF = tF / sD;
    let yR = tR / sH;
    let yC = tC / sW;
    if (yF >= outD || yR >= outH || yC >= outW) { return 0.0; }
    return dy[(((r.b * outD + yF) * outH + yR) * outW + yC) * outC + t.d2];
  }
  fn loadB(k : i32, n : i32, g : i32) -> f32 {
    let t = tapOf(k, g);
    if (!t.valid) { return 0.0; }
    return W[(((t.wF * ${u('kH')} + t.wR) * ${u('kW')} + t.wC) * ${u('inC')} + n) * ${u('outC')} + t.d2];
  }
  fn at(m : i32, n : i32, g : i32) -> i32 {
    let r = row(m, g);
    if (!r.valid) { return -1; }
    return (((r.b * ${u('inD')} + r.xF) * ${u('inH')} + r.xR) * ${u('inW')} + r.xC) * ${u('inC')} + n;
  }`;
    case 'filter':
      // Group g is the slice of K (positions) it sums; C of slice g lies at g·M·N.
      return `
  fn loadA(m : i32, k : i32, g : i32) -> f32 {
    ${geometry}
    let c = m % inC;
    let tap = m / inC;
    let wC = tap % kW;
    let wR = (tap / kW) % kH;
    let wF = tap / (kW * kH);
    let oC = k % outW;
    var rest = k / outW;
    let oR = rest % outH; rest = rest / outH;
    let oF = rest % outD;
    let b = rest / outD;
    let xF = oF * sD - pD + wF;
    let xR = oR * sH - pH + wR;
    let xC = oC * sW - pW + wC;
    if (xF < 0 || xF >= inD || xR < 0 || xR >= inH || xC < 0 || xC >= inW) { return 0.0; }
    return x[(((b * inD + xF) * inH + xR) * inW + xC) * inC + c];
  }
  fn loadB(k : i32, n : i32, g : i32) -> f32 { return dy[k * ${u('outC')} + n]; }
  fn at(m : i32, n : i32, g : i32) -> i32 { return (g * ${u('M')} + m) * ${u('N')} + n; }`;
  }
}

class TiledConvProgram implements WebGPUProgram {
  variableNames: string[];
  uniforms = [...GEMM, ...GEOMETRY].map((name) => `${name} : i32,`).join(' ');
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [THREADS, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    private readonly kind: Kind,
    outputShape: number[],
    workgroups: number,
    private readonly tile: Tile,
  ) {
    this.variableNames =
      kind === 'forward' ? ['x', 'W'] : kind === 'input' ? ['dy', 'W'] : ['x', 'dy'];
    this.outputShape = outputShape;
    this.shaderKey = `vmpTiledConv_${kind}_${tile.tm}_${tile.tn}`;
    // Flat, so that tfjs folds it into 2D/3D past the per-dimension limit.
    this.dispatchLayout = webgpu_util.flatDispatchLayout([workgroups]);
    this.dispatch = [workgroups, 1, 1];
  }

  getUserCode(): string {
    const { tm, tn, tk } = this.tile;
    const across = tn / 4; // invocations along N
    return `
  var<workgroup> tileA : array<f32, ${tk * tm}>; // [k][m]
  var<workgroup> tileB : array<f32, ${tk * tn}>; // [k][n]
  ${gatherWgsl(this.kind)}
  fn main(index : i32) {
    let t = i32(localIndex);
    let wg = i32(workgroupId.z * numWorkgroups.x * numWorkgroups.y +
        workgroupId.y * numWorkgroups.x + workgroupId.x);
    let nTile = wg % uniforms.nTiles;
    let mTile = (wg / uniforms.nTiles) % uniforms.mTiles;
    let g = wg / (uniforms.nTiles * uniforms.mTiles);
    let live = g < uniforms.groups; // the folded dispatch may hold spare workgroups
    let m0 = mTile * ${tm};
    let n0 = nTile * ${tn};
    let rowBlock = (t / ${across}) * 4;
    let colBlock = (t % ${across}) * 4;
    let kFirst = ${this.kind === 'filter' ? 'g * uniforms.kPerGroup' : '0'};
    let kEnd = min(kFirst + uniforms.kPerGroup, uniforms.K);
    var acc : array<vec4<f32>, 4>;
    for (var step = 0; step < uniforms.kSteps; step++) {
      let k0 = kFirst + step * ${tk};
      for (var e = t; e < ${tk * tm}; e += ${THREADS}) {
        let m = m0 + e % ${tm};
        let k = k0 + e / ${tm};
        var v = 0.0;
        if (live && m < uniforms.M && k < kEnd) { v = loadA(m, k, g); }
        tileA[e] = v;
      }
      for (var e = t; e < ${tk * tn}; e += ${THREADS}) {
        let n = n0 + e % ${tn};
        let k = k0 + e / ${tn};
        var v = 0.0;
        if (live && n < uniforms.N && k < kEnd) { v = loadB(k, n, g); }
        tileB[e] = v;
      }
      workgroupBarrier();
      for (var kk = 0; kk < ${tk}; kk++) {
        let bRow = kk * ${tn} + colBlock;
        let b = vec4<f32>(tileB[bRow], tileB[bRow + 1], tileB[bRow + 2], tileB[bRow + 3]);
        let aRow = kk * ${tm} + rowBlock;
        acc[0] += tileA[aRow] * b;
        acc[1] += tileA[aRow + 1] * b;
        acc[2] += tileA[aRow + 2] * b;
        acc[3] += tileA[aRow + 3] * b;
      }
      workgroupBarrier();
    }
    if (!live) { return; }
    for (var i = 0; i < 4; i++) {
      let m = m0 + rowBlock + i;
      if (m >= uniforms.M) { break; }
      for (var j = 0; j < 4; j++) {
        let n = n0 + colBlock + j;
        if (n >= uniforms.N) { break; }
        let to = at(m, n, g);
        if (to >= 0) { result[to] = acc[i][j]; }
      }
    }
  }`;
  }
}

/** Output = Σ over the `slices` leading slices of parts [slices, size]. */
class SliceSumProgram implements WebGPUProgram {
  variableNames = ['parts'];
  uniforms = 'size : i32, slices : i32,';
  outputShape: number[];
  shaderKey = 'vmpSliceSum';
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(outputShape: number[], size: number) {
    this.outputShape = outputShape;
    this.dispatchLayout = webgpu_util.flatDispatchLayout([size]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [size], this.workgroupSize);
  }

  getUserCode(): string {
    return `
  fn main(index : i32) {
    if (index >= uniforms.size) { return; }
    var s = 0.0;
    for (var k = 0; k < uniforms.slices; k++) { s += parts[k * uniforms.size + index]; }
    result[index] = s;
  }`;
  }
}

/** Split-K slices for a product with `tiles` output tiles and a reduction of length k. */
export function splitK(
  tiles: number,
  k: number,
  tk: number,
): { groups: number; kPerGroup: number } {
  const wanted = Math.max(
    1,
    Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), Math.ceil(k / MIN_SLICE)),
  );
  const kPerGroup = Math.ceil(Math.ceil(k / wanted) / tk) * tk;
  return { groups: Math.ceil(k / kPerGroup), kPerGroup };
}

interface Plan {
  m: number;
  n: number;
  k: number;
  groups: number;
  kPerGroup: number;
  tile: Tile;
}

function run(
  backend: WebGPUBackend,
  kind: Kind,
  inputs: TensorInfo[],
  info: ConvInfo,
  plan: Plan,
  outputShape: number[],
): TensorInfo {
  const { m, n, k, groups, kPerGroup, tile } = plan;
  const mTiles = Math.ceil(m / tile.tm);
  const nTiles = Math.ceil(n / tile.tn);
  const program = new TiledConvProgram(kind, outputShape, mTiles * nTiles * groups, tile);
  const data = [m, n, k, mTiles, nTiles, groups, kPerGroup / tile.tk, kPerGroup];
  return backend.runWebGPUProgram(
    program,
    inputs,
    'float32',
    [...data, ...geometryData(info)].map((value) => ({ type: 'int32', data: [value] })),
  );
}

const taps = (info: ConvInfo) => info.filterDepth * info.filterHeight * info.filterWidth;

/** y = conv3d(x, W), NDHWC. */
export function tiledConv3d(
  backend: WebGPUBackend,
  x: TensorInfo,
  filter: TensorInfo,
  info: ConvInfo,
): TensorInfo {
  const [b, d, h, w, c] = info.outShape;
  const k = taps(info) * info.inChannels;
  const tile = tileFor(c);
  const plan = {
    m: b * d * h * w,
    n: c,
    k,
    groups: 1,
    kPerGroup: Math.ceil(k / tile.tk) * tile.tk,
    tile,
  };
  return run(backend, 'forward', [x, filter], info, plan, info.outShape);
}

/** dx of conv3d(x, W) from dy (conv3dTranspose of dy), NDHWC. */
export function tiledConv3dInputGrad(
  backend: WebGPUBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  info: ConvInfo,
): TensorInfo {
  const { strideDepth: sD, strideHeight: sH, strideWidth: sW } = info;
  const positions =
    info.batchSize *
    Math.ceil(info.inDepth / sD) *
    Math.ceil(info.inHeight / sH) *
    Math.ceil(info.inWidth / sW);
  const classTaps =
    Math.ceil(info.filterDepth / sD) *
    Math.ceil(info.filterHeight / sH) *
    Math.ceil(info.filterWidth / sW);
  const k = classTaps * info.outChannels;
  const tile = tileFor(info.inChannels);
  const plan = {
    m: positions,
    n: info.inChannels,
    k,
    groups: sD * sH * sW,
    kPerGroup: Math.ceil(k / tile.tk) * tile.tk,
    tile,
  };
  return run(backend, 'input', [dy, filter], info, plan, info.inShape);
}

/** dW of conv3d(x, W) from dy, as a tensor of `outShape` (the filter's, [kD, kH, kW, Cin, Cout]). */
export function tiledConv3dFilterGrad(
  backend: WebGPUBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: ConvInfo,
  outShape: number[],
): TensorInfo {
  const m = taps(info) * info.inChannels;
  const n = info.outChannels;
  const k = info.batchSize * info.outDepth * info.outHeight * info.outWidth;
  const tile = tileFor(n);
  const tiles = Math.ceil(m / tile.tm) * Math.ceil(n / tile.tn);
  const { groups, kPerGroup } = splitK(tiles, k, tile.tk);
  const plan = { m, n, k, groups, kPerGroup, tile };
  if (groups === 1) return run(backend, 'filter', [x, dy], info, plan, outShape);
  const parts = run(backend, 'filter', [x, dy], info, plan, [groups, m * n]);
  const sum = backend.runWebGPUProgram(new SliceSumProgram(outShape, m * n), [parts], 'float32', [
    { type: 'int32', data: [m * n] },
    { type: 'int32', data: [groups] },
  ]);
  backend.disposeData(parts.dataId);
  return sum;
}
