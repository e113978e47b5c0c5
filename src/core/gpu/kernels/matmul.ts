/**
 * Matrix products with a thin side on WebGPU: `BatchMatMul` and `_FusedMatMul` (bias, ReLU) where
 * one of M, N, K is at most 16 — the LSTM's products with the batch (W·[x, h] with B columns, its
 * weight gradient dz·[x, h]ᵀ with K = B, the input gradient Wᵀ·dz), the VGAN's noise projection
 * and D's last layer.
 *
 * tfjs-backend-webgpu 4.22 runs them through its tiled kernels, which stage tiles of A and B in
 * workgroup memory behind barriers: with a thin side most of each tile is padding, and on a
 * software GPU every barrier is a switch between all invocations of a workgroup. Here an
 * invocation computes a 4 × 4 block of the output straight from A and B (4 + 4 loads and 16
 * multiply-adds per step of k, no workgroup memory), with the bias and activation applied
 * before the single write. On a software adapter (SwiftShader, llvmpipe), where barriers are
 * what costs, it takes products of every size. Other products, and activations other than ReLU,
 * stay with tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { kernelPathsFor } from '../adapter-class';
import type { AdapterInfoLike } from '../adapter-class';
import { registerKernelOverride } from './kernel-override';

/** A product is thin when its smallest dimension is at most this. */
const THIN = 16;

/**
 * Whether the barrier-free kernel takes products of every size: on a CPU-emulated GPU every
 * workgroup barrier switches between all the workgroup's invocations, so it beats tfjs's tiled
 * kernels at every size the models use, not only for thin products.
 */
function everySize(backend: WebGPUBackend): boolean {
  return kernelPathsFor(backend.adapterInfo as unknown as AdapterInfoLike) === 'software';
}

interface Product {
  batch: number;
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
  aBatched: boolean;
  bBatched: boolean;
  outShape: number[];
}

class ThinMatMulProgram implements WebGPUProgram {
  variableNames: string[];
  uniforms =
    'count : i32, mBlocks : i32, nBlocks : i32, M : i32, N : i32, K : i32, aStride : i32, bStride : i32, biasBatch : i32, biasRow : i32, biasCol : i32,';
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: WebGPUProgram['dispatchLayout'];
  dispatch: [number, number, number];

  constructor(
    private readonly p: Product,
    private readonly hasBias: boolean,
    private readonly relu: boolean,
    count: number,
  ) {
    this.variableNames = hasBias ? ['a', 'b', 'bias'] : ['a', 'b'];
    this.outputShape = p.outShape;
    this.shaderKey = `vmpThinMatMul_${p.transposeA}_${p.transposeB}_${hasBias}_${relu}`;
    this.dispatchLayout = webgpu_util.flatDispatchLayout([count]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [count], this.workgroupSize);
  }

  getUserCode(): string {
    // Element (row, k) of op(A) and (k, col) of op(B) in the flat buffers.
    const aAt = (row: string) =>
      this.p.transposeA
        ? `a[aBase + k * uniforms.M + ${row}]`
        : `a[aBase + ${row} * uniforms.K + k]`;
    const bAt = (col: string) =>
      this.p.transposeB
        ? `b[bBase + ${col} * uniforms.K + k]`
        : `b[bBase + k * uniforms.N + ${col}]`;
    const lanes = ['x', 'y', 'z', 'w'];
    const value = (j: number, q: number) => {
      const bias = this.hasBias
        ? ` + bias[batch * uniforms.biasBatch + (m0 + ${j}) * uniforms.biasRow + (n0 + ${q}) * uniforms.biasCol]`
        : '';
      const v = `acc${j}.${lanes[q]}${bias}`;
      return this.relu ? `max(${v}, 0.0)` : v;
    };
    const stores = [0, 1, 2, 3]
      .flatMap((j) =>
        [0, 1, 2, 3].map(
          (q) =>
            `if (m0 + ${j} < uniforms.M && n0 + ${q} < uniforms.N) { result[(batch * uniforms.M + m0 + ${j}) * uniforms.N + n0 + ${q}] = ${value(j, q)}; }`,
        ),
      )
      .join('\n    ');
    return `
  fn main(index : i32) {
    if (index >= uniforms.count) { return; }
    let nb = index % uniforms.nBlocks;
    let rest = index / uniforms.nBlocks;
    let m0 = (rest % uniforms.mBlocks) * 4;
    let batch = rest / uniforms.mBlocks;
    let n0 = nb * 4;
    let aBase = batch * uniforms.aStride;
    let bBase = batch * uniforms.bStride;
    // Rows and columns past the edge read the last one (in range); they are never stored.
    let r = min(vec4<i32>(m0, m0 + 1, m0 + 2, m0 + 3), vec4<i32>(uniforms.M - 1));
    let c = min(vec4<i32>(n0, n0 + 1, n0 + 2, n0 + 3), vec4<i32>(uniforms.N - 1));
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var k = 0; k < uniforms.K; k++) {
      let av = vec4<f32>(${aAt('r.x')}, ${aAt('r.y')}, ${aAt('r.z')}, ${aAt('r.w')});
      let bv = vec4<f32>(${bAt('c.x')}, ${bAt('c.y')}, ${bAt('c.z')}, ${bAt('c.w')});
      acc0 += av.x * bv;
      acc1 += av.y * bv;
      acc2 += av.z * bv;
      acc3 += av.w * bv;
    }
    ${stores}
  }`;
  }
}

const sizeOf = (shape: readonly number[]) => shape.reduce((x, y) => x * y, 1);

/**
 * The product's dimensions, or null when tfjs should run it (broadcast batches, or not thin
 * unless `anySize`).
 */
function planProduct(
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  anySize: boolean,
): Product | null {
  const ar = a.shape.length;
  const br = b.shape.length;
  if (ar < 2 || br < 2) return null;
  const m = transposeA ? a.shape[ar - 1] : a.shape[ar - 2];
  const k = transposeA ? a.shape[ar - 2] : a.shape[ar - 1];
  const n = transposeB ? b.shape[br - 2] : b.shape[br - 1];
  const kb = transposeB ? b.shape[br - 1] : b.shape[br - 2];
  if (k !== kb || (!anySize && Math.min(m, n, k) > THIN) || m * n * k === 0) return null;
  const batchA = sizeOf(a.shape.slice(0, -2));
  const batchB = sizeOf(b.shape.slice(0, -2));
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  const outer = tf.backend_util.assertAndGetBroadcastShape(
    a.shape.slice(0, -2),
    b.shape.slice(0, -2),
  );
  return {
    batch: Math.max(batchA, batchB),
    m,
    n,
    k,
    transposeA,
    transposeB,
    aBatched: batchA > 1,
    bBatched: batchB > 1,
    outShape: [...outer, m, n],
  };
}

/** Element strides of a bias broadcast against [batch, M, N], or null if it does not fit. */
function biasStrides(bias: TensorInfo, p: Product): [number, number, number] | null {
  const shape = [1, 1, 1, ...bias.shape].slice(-3);
  if (bias.shape.length > 3) return null;
  const [bb, bm, bn] = shape;
  if ((bb !== 1 && bb !== p.batch) || (bm !== 1 && bm !== p.m) || (bn !== 1 && bn !== p.n)) {
    return null;
  }
  return [bb === 1 ? 0 : bm * bn, bm === 1 ? 0 : bn, bn === 1 ? 0 : 1];
}

function thinMatMul(
  backend: WebGPUBackend,
  a: TensorInfo,
  b: TensorInfo,
  p: Product,
  bias: TensorInfo | null,
  strides: [number, number, number],
  relu: boolean,
): TensorInfo {
  const mBlocks = Math.ceil(p.m / 4);
  const nBlocks = Math.ceil(p.n / 4);
  const count = p.batch * mBlocks * nBlocks;
  const program = new ThinMatMulProgram(p, bias !== null, relu, count);
  const data = [
    count,
    mBlocks,
    nBlocks,
    p.m,
    p.n,
    p.k,
    p.aBatched ? p.m * p.k : 0,
    p.bBatched ? p.k * p.n : 0,
    ...strides,
  ];
  return backend.runWebGPUProgram(
    program,
    bias ? [a, b, bias] : [a, b],
    'float32',
    data.map((value) => ({ type: 'int32', data: [value] })),
  );
}

const floats = (...inputs: TensorInfo[]) => inputs.every((t) => t.dtype === 'float32');

const batchMatMul =
  (previous: KernelFunc): KernelFunc =>
  (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    const backend = args.backend as WebGPUBackend;
    const p = floats(a, b) ? planProduct(a, b, transposeA, transposeB, everySize(backend)) : null;
    if (p === null) return previous(args);
    return thinMatMul(backend, a, b, p, null, [0, 0, 0], false);
  };

const fusedMatMul =
  (previous: KernelFunc): KernelFunc =>
  (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<
      string,
      TensorInfo | undefined
    >;
    const { transposeA, transposeB, activation } = args.attrs as unknown as tf._FusedMatMulAttrs;
    const relu = activation === 'relu';
    if (!a || !b || preluActivationWeights || !(relu || activation === 'linear' || !activation)) {
      return previous(args);
    }
    const backend = args.backend as WebGPUBackend;
    const p = floats(a, b, ...(bias ? [bias] : []))
      ? planProduct(a, b, transposeA, transposeB, everySize(backend))
      : null;
    const strides = p && bias ? biasStrides(bias, p) : [0, 0, 0];
    if (p === null || strides === null) return previous(args);
    return thinMatMul(backend, a, b, p, bias ?? null, strides as [number, number, number], relu);
  };

registerKernelOverride(
  'webgpu-matmul-thin',
  'BatchMatMul/_FusedMatMul with a side ≤ 16 (the batch), or of any size on a software adapter, on WebGPU: 4×4 output blocks per invocation, no workgroup memory or barriers (tfjs: tiled kernels, mostly padding when thin)',
  'webgpu',
  { [tf.BatchMatMul]: batchMatMul, [tf._FusedMatMul]: fusedMatMul },
);
