/**
 * Regression tests for the rank ≥5 WebGPU workaround (src/core/gpu/rank5-workaround.ts) and the
 * GPU error guard: every fixed kernel on rank-5/6 tensors (and the gradients that go through them)
 * must equal the CPU backend, leak nothing, and — with the workaround removed — the original bug
 * must still show, so that this test can fail.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../src/core/gpu/backend';
import { createGpuGuard, GpuError } from '../src/core/gpu/gpu-guard';
import {
  collapseBroadcast,
  collapseTranspose,
  installRank5Workaround,
  isRank5WorkaroundInstalled,
  mergePadAxes,
  mergeSliceAxes,
  mergeTileAxes,
  planStages,
  stageView,
  uninstallRank5Workaround,
} from '../src/core/gpu/rank5-workaround';
import { setupNodeWebGpu } from './helpers/node-webgpu';

const hasWebGpu = await setupNodeWebGpu();

describe('shape planning', () => {
  it('collapses broadcast axes with the same pattern', () => {
    // [B,T,H,W,C] + [C]: one axis where the bias repeats, one where both vary.
    expect(collapseBroadcast([2, 3, 4, 5, 6], [6])).toEqual({
      a: [120, 6],
      b: [1, 6],
      out: [120, 6],
    });
    expect(collapseBroadcast([2, 1, 4, 5, 6], [3, 1, 1, 6])).toEqual({
      a: [2, 1, 20, 6],
      b: [1, 3, 1, 6],
      out: [2, 3, 20, 6],
    });
    expect(collapseBroadcast([1, 1, 1, 1, 1], [1])).toEqual({ a: [1], b: [1], out: [1] });
    expect(collapseBroadcast([2, 1, 2, 1, 2], [1, 2, 1, 2, 1])).toBeNull();
  });

  it('plans per-axis stages that fit rank 4', () => {
    // [B,T,H,W,C] acting on T,H,W: B and C stay apart too, so two stages.
    expect(planStages([false, true, true, true, false])).toEqual([[1, 2], [3]]);
    expect(planStages([false, true, true, false, false])).toEqual([[1, 2]]);
    expect(planStages([true, true, true, true, true])).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
    expect(planStages([true, false, true, false, true, false])).toEqual([[0, 2], [4]]);
    expect(stageView([2, 3, 4, 5, 6], [1, 3])).toEqual({
      shape: [2, 3, 4, 5, 6],
      positions: [1, 3],
    });
    expect(stageView([2, 3, 4, 5, 6], [2])).toEqual({ shape: [6, 4, 30], positions: [1] });
  });

  it('merges axes that need no work', () => {
    expect(
      mergePadAxes(
        [2, 3, 4, 5, 6],
        [
          [0, 0],
          [1, 1],
          [1, 1],
          [1, 1],
          [0, 0],
        ],
      ),
    ).toEqual({
      shape: [2, 3, 4, 30],
      paddings: [
        [0, 0],
        [1, 1],
        [1, 1],
        [6, 6],
      ],
    });
    expect(
      mergeSliceAxes([
        { size: 2, begin: 0, stride: 1, out: 2 },
        { size: 8, begin: 1, stride: 1, out: 4 },
        { size: 3, begin: 0, stride: 1, out: 3 },
        { size: 4, begin: 0, stride: 2, out: 2 },
        { size: 5, begin: 0, stride: 1, out: 5 },
      ]),
    ).toEqual([
      { size: 2, begin: 0, stride: 1, out: 2 },
      { size: 24, begin: 3, stride: 1, out: 12 },
      { size: 4, begin: 0, stride: 2, out: 2 },
      { size: 5, begin: 0, stride: 1, out: 5 },
    ]);
    expect(mergeTileAxes([2, 3, 4, 5, 6], [1, 2, 1, 1, 3])).toEqual({
      shape: [2, 60, 6],
      reps: [1, 2, 3],
    });
    expect(collapseTranspose([2, 3, 4, 5, 1], [0, 3, 4, 1, 2])).toEqual({
      shape: [2, 12, 5],
      perm: [0, 2, 1],
    });
  });
});

// ---------------------------------------------------------------------------------------------

const S5 = [2, 3, 2, 2, 3];
const S6 = [2, 1, 2, 3, 2, 3];

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
/** Deterministic values in [-1.75, 2.25] (zero included); `offset` varies the pattern. */
const seq = (shape: number[], offset = 0): tf.Tensor =>
  tf.tensor(
    Array.from({ length: sizeOf(shape) }, (_, i) => ((i * 37 + offset * 11) % 17) / 4 - 1.75),
    shape,
  );
const positive = (shape: number[], offset = 0) => tf.abs(seq(shape, offset)).add(0.5);
const ints = (shape: number[], offset = 0): tf.Tensor =>
  tf.tensor(
    Array.from({ length: sizeOf(shape) }, (_, i) => ((i * 37 + offset * 11) % 17) - 8),
    shape,
    'int32',
  );
const bools = (shape: number[], offset = 0): tf.Tensor =>
  tf.tensor(
    Array.from({ length: sizeOf(shape) }, (_, i) => (i * 7 + offset) % 3 === 0),
    shape,
    'bool',
  );
/** Weighted sum, so that a gradient checks every element. */
const loss = (y: tf.Tensor) => tf.sum(tf.mul(y, seq(y.shape, 5)));

type Case = () => tf.Tensor;

const BINARY: Record<string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
  add: tf.add,
  sub: tf.sub,
  mul: tf.mul,
  div: tf.div,
  floorDiv: tf.floorDiv,
  mod: tf.mod,
  pow: tf.pow,
  maximum: tf.maximum,
  minimum: tf.minimum,
  squaredDifference: tf.squaredDifference,
  atan2: tf.atan2,
  equal: tf.equal,
  notEqual: tf.notEqual,
  greater: tf.greater,
  greaterEqual: tf.greaterEqual,
  less: tf.less,
  lessEqual: tf.lessEqual,
  prelu: (a, b) => tf.prelu(a, b),
};

const FORWARD: Record<string, Case> = {
  // The shared-memory path: a rank-1 operand of <128 elements against rank 5/6.
  ...Object.fromEntries(
    Object.entries(BINARY).map(([name, op]) => [
      `${name}(rank 5, rank 1)`,
      () => op(positive(S5), positive([3], 1)),
    ]),
  ),
  'add(rank 1, rank 5)': () => tf.add(seq([3], 1), seq(S5)),
  'add(rank 6, rank 1)': () => tf.add(seq(S6), seq([3], 1)),
  'add(rank 5, rank 2)': () => tf.add(seq(S5), seq([2, 3], 1)),
  'add(rank 5, alternating broadcast)': () => tf.add(seq([2, 1, 2, 1, 3]), seq([1, 3, 1, 2, 1], 2)),
  'add(rank 6, alternating broadcast)': () =>
    tf.add(seq([2, 1, 2, 1, 3, 1]), seq([1, 3, 1, 2, 1, 2], 2)),
  'add int32 (rank 5, rank 1)': () => tf.add(ints(S5), ints([3], 1)),
  'logicalAnd (rank 5, rank 1)': () => tf.logicalAnd(bools(S5), bools([3], 1)),
  'logicalOr (rank 5, rank 1)': () => tf.logicalOr(bools(S5), bools([3], 1)),
  'pad rank 5 (T, H, W)': () =>
    tf.pad(
      seq(S5),
      [
        [0, 0],
        [1, 1],
        [1, 0],
        [0, 2],
        [0, 0],
      ],
      0.5,
    ),
  'pad rank 5 (every axis)': () =>
    tf.pad(
      seq(S5),
      [
        [1, 0],
        [1, 1],
        [0, 1],
        [2, 0],
        [1, 1],
      ],
      -1,
    ),
  'pad rank 6 int32': () =>
    tf.pad(
      ints(S6),
      [
        [1, 0],
        [0, 0],
        [1, 1],
        [0, 0],
        [0, 1],
        [1, 0],
      ],
      7,
    ),
  'mirrorPad rank 5 reflect': () =>
    tf.mirrorPad(
      seq([1, 3, 3, 3, 2]),
      [
        [0, 0],
        [1, 1],
        [2, 2],
        [1, 1],
        [0, 0],
      ],
      'reflect',
    ),
  'mirrorPad rank 6 symmetric': () =>
    tf.mirrorPad(
      seq(S6),
      [
        [1, 1],
        [0, 0],
        [1, 0],
        [1, 2],
        [0, 1],
        [1, 1],
      ],
      'symmetric',
    ),
  'stridedSlice rank 5 strides': () =>
    tf.stridedSlice(seq(S5), [1, 0, 0, 1, 0], [2, 3, 2, 2, 3], [1, 2, 1, 1, 2]),
  'stridedSlice rank 5 negative strides + masks': () =>
    tf.stridedSlice(
      seq(S5),
      [1, 2, 0, 0, 2],
      [0, 0, 2, 2, 0],
      [-1, -1, 1, 1, -1],
      0b10000,
      0b00011,
    ),
  'stridedSlice rank 5 shrink': () =>
    // tfjs's CPU kernel throws on a shrink axis in a strided (non-simple) slice: the reference
    // keeps the axis and squeezes it.
    tf.getBackend() === 'cpu'
      ? tf.squeeze(tf.stridedSlice(seq(S5), [1, 0, 0, 0, 0], [2, 3, 2, 2, 3], [1, 2, 1, 1, 2]), [0])
      : tf.stridedSlice(seq(S5), [1, 0, 0, 0, 0], [2, 3, 2, 2, 3], [1, 2, 1, 1, 2], 0, 0, 0, 0, 1),
  'stridedSlice rank 6 ellipsis': () =>
    tf.stridedSlice(seq(S6), [0, 0, 1], [2, 0, 3], [2, 1, 2], 0, 0, 0b010),
  'stridedSlice rank 6 new axis': () =>
    tf.stridedSlice(
      seq(S6),
      [0, 0, 0, 0, 0, 1, 0],
      [2, 1, 1, 2, 3, 2, 3],
      [2, 1, 1, 1, 2, 1, 1],
      0,
      0,
      0,
      0b0000100,
    ),
  'stridedSlice rank 5 int32': () =>
    tf.stridedSlice(ints(S5), [1, 0, 0, 1, 0], [2, 3, 2, 2, 3], [1, 2, 1, 1, 2]),
  'tile rank 5': () => tf.tile(seq([2, 1, 2, 1, 3]).add(1), [1, 2, 1, 3, 1]),
  'tile rank 6': () => tf.tile(seq([1, 2, 1, 2, 1, 2]).add(1), [2, 1, 2, 1, 2, 3]),
  'broadcastTo rank 5': () => tf.broadcastTo(seq([1, 3, 1, 1, 3]).add(1), S5),
  'reverse rank 5': () => tf.reverse(seq(S5), [0, 2, 4]),
  'reverse rank 6': () => tf.reverse(seq(S6), [0, 1, 3, 5]),
  'where rank 5': () => tf.where(bools(S5), seq(S5, 1), seq(S5, 2)),
  'where rank 6': () => tf.where(bools(S6), seq(S6, 1), seq(S6, 2)),
  'cumsum rank 5': () => tf.cumsum(seq(S5), 1),
  'cumprod rank 6': () => tf.cumprod(seq(S6), 3),
  'cumsum rank 5 int32 exclusive reverse': () => tf.cumsum(ints(S5), 2, true, true),
  // Bug 2: TransposeProgram does not compile for int32/bool buffers of rank ≥3.
  'transpose rank 5 int32': () => tf.transpose(ints(S5), [4, 0, 3, 1, 2]),
  'transpose int32 up to 2^24 (exact)': () =>
    tf.transpose(
      tf.tensor(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? -1 : 1) * (2 ** 24 - i * 1234567)),
        [2, 3, 2],
        'int32',
      ),
      [2, 0, 1],
    ),
  'transpose rank 4 bool': () => tf.transpose(bools([2, 3, 2, 3]), [3, 1, 0, 2]),
  'transpose rank 3 of int32 cast to float32': () =>
    tf.transpose(tf.cast(ints([2, 3, 4]), 'float32'), [2, 0, 1]),
  'sum rank 5 int32 over outer axes': () => tf.sum(ints(S5), [0, 2], true),
  'sum rank 3 bool': () => tf.sum(bools([2, 3, 4]), 1),
  'max rank 3 int32': () => tf.max(ints([2, 3, 4]), 1),
  'min rank 4 int32': () => tf.min(ints([2, 3, 2, 4]), [0, 3]),
  'mean rank 3 int32': () => tf.mean(ints([2, 3, 4]), 0),
  'any rank 3 bool': () => tf.any(bools([2, 3, 4]), 0),
  'all rank 5 bool': () => tf.all(bools(S5), 1),
  'argMax rank 3 int32': () => tf.argMax(ints([2, 3, 4]), 0),
};

const GRADIENTS: Record<string, Case> = {
  'slice rank 5 (gradient is pad)': () =>
    tf.grad((x: tf.Tensor) => loss(tf.slice(x, [0, 1, 0, 1, 1], [2, 2, 2, 1, 2])))(seq(S5)),
  'slice rank 6': () =>
    tf.grad((x: tf.Tensor) => loss(tf.slice(x, [1, 0, 0, 1, 1, 0], [1, 1, 2, 2, 1, 2])))(seq(S6)),
  'pad rank 5': () =>
    tf.grad((x: tf.Tensor) =>
      loss(
        tf.pad(x, [
          [0, 0],
          [1, 1],
          [1, 0],
          [0, 2],
          [0, 0],
        ]),
      ),
    )(seq(S5)),
  'mirrorPad rank 5': () =>
    tf.grad((x: tf.Tensor) =>
      loss(
        tf.mirrorPad(
          x,
          [
            [0, 0],
            [1, 1],
            [1, 0],
            [0, 1],
            [1, 1],
          ],
          'reflect',
        ),
      ),
    )(seq(S5)),
  'add (rank 5, rank 1) wrt both': () =>
    tf.concat(
      tf
        .grads((a: tf.Tensor, b: tf.Tensor) => loss(tf.add(a, b)))([seq(S5), seq([3], 1)])
        .map((g) => g.flatten()),
    ),
  'mul (rank 5, rank 1) wrt both': () =>
    tf.concat(
      tf
        .grads((a: tf.Tensor, b: tf.Tensor) => loss(tf.mul(a, b)))([seq(S5), seq([3], 1)])
        .map((g) => g.flatten()),
    ),
  'div (rank 5, rank 1) wrt the divisor': () =>
    tf.grad((b: tf.Tensor) => loss(tf.div(seq(S5), b)))(positive([3], 1)),
  'squaredDifference (rank 5, rank 1)': () =>
    tf.grad((x: tf.Tensor) => loss(tf.squaredDifference(x, seq([3], 1))))(seq(S5)),
  'pow (rank 5, rank 1)': () =>
    tf.grad((x: tf.Tensor) => loss(tf.pow(x, positive([3], 1))))(positive(S5)),
  'prelu (rank 5, alpha rank 1)': () =>
    tf.grad((x: tf.Tensor) => loss(tf.prelu(x, seq([3], 1))))(seq(S5)),
  'clipByValue rank 5 (gradient uses where)': () =>
    tf.grad((x: tf.Tensor) => loss(tf.clipByValue(x, -1, 0.5)))(seq(S5)),
  'leakyRelu rank 5': () => tf.grad((x: tf.Tensor) => loss(tf.leakyRelu(x, 0.2)))(seq(S5)),
  'where rank 5': () =>
    tf.grad((x: tf.Tensor) => loss(tf.where(bools(S5), x, seq(S5, 2))))(seq(S5)),
  'reverse rank 5': () => tf.grad((x: tf.Tensor) => loss(tf.reverse(x, [0, 2])))(seq(S5)),
};

interface Result {
  shape: number[];
  dtype: tf.DataType;
  values: number[];
}

const guard = createGpuGuard();

/** Runs `f` on `backend` (on WebGPU inside the guard, so that dropped GPU work throws). */
async function evaluate(backend: 'cpu' | 'webgpu', f: Case): Promise<Result> {
  await tf.setBackend(backend);
  return guard.run(async () => {
    const t = tf.tidy(f);
    try {
      return { shape: t.shape, dtype: t.dtype, values: Array.from(await t.data()) };
    } finally {
      t.dispose();
    }
  });
}

function expectClose(actual: Result, expected: Result): void {
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.dtype).toBe(expected.dtype);
  if (actual.dtype !== 'float32') {
    expect(actual.values).toEqual(expected.values); // int32 and bool: exact
    return;
  }
  expect(actual.values.length).toBe(expected.values.length);
  const bad = actual.values.findIndex((v, i) => {
    const e = expected.values[i];
    return !(Object.is(v, e) || Math.abs(v - e) <= 1e-4 * (1 + Math.abs(e)));
  });
  expect(bad, `element ${bad}: ${actual.values[bad]} vs ${expected.values[bad]}`).toBe(-1);
}

describe.skipIf(!hasWebGpu)('rank ≥5 on WebGPU (Dawn in Node)', () => {
  it('selectBackend picks WebGPU, describes the adapter and installs the workaround', async () => {
    const report = await selectBackend();
    expect(report.backend).toBe('webgpu');
    expect(report.fallbacks).toEqual([]);
    expect(report.adapter?.description).toBeTruthy();
    if (process.env.VK_ICD_FILENAMES?.includes('swiftshader')) {
      expect(report.adapter?.isSoftware).toBe(true);
    }
    expect(isRank5WorkaroundInstalled()).toBe(true);
    tf.env().set('WEBGPU_CPU_FORWARD', false); // keep every op on the GPU
  });

  it('installs idempotently and restores the original kernels', () => {
    const wrapped = installRank5Workaround();
    expect(installRank5Workaround()).toEqual(wrapped);
    expect(wrapped).toEqual(expect.arrayContaining(['Add', 'PadV2', 'StridedSlice', 'Select']));
    const wrapper = tf.getKernel('Add', 'webgpu')?.kernelFunc;
    uninstallRank5Workaround();
    expect(tf.getKernel('Add', 'webgpu')?.kernelFunc).not.toBe(wrapper);
    installRank5Workaround();
  });

  it.each(Object.keys(FORWARD))('%s equals the CPU backend', async (name) => {
    expectClose(await evaluate('webgpu', FORWARD[name]), await evaluate('cpu', FORWARD[name]));
  });

  it.each(Object.keys(GRADIENTS))('gradient of %s equals the CPU backend', async (name) => {
    expectClose(await evaluate('webgpu', GRADIENTS[name]), await evaluate('cpu', GRADIENTS[name]));
  });

  it('leaks no tensors or GPU buffers through the wrappers', async () => {
    // Every case has run (and compiled) once above; a second round must not grow anything.
    await tf.setBackend('webgpu');
    const before = tf.memory();
    for (const f of [...Object.values(FORWARD), ...Object.values(GRADIENTS)]) {
      await evaluate('webgpu', f);
    }
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
  });

  it('fails without the workaround: wrong numbers, and the guard throws', async () => {
    const add5d: Case = () => tf.ones([2, 2, 2, 2, 3]).add(tf.tensor1d([1, 2, 3]));
    const expected = await evaluate('cpu', add5d);
    uninstallRank5Workaround();
    try {
      await tf.setBackend('webgpu');
      // Unguarded: the shader does not compile and the read silently returns stale data.
      const t = add5d();
      const values = Array.from(await t.data());
      t.dispose();
      expect(values).not.toEqual(expected.values);
      // That error was raised outside any run: the guard reports it on the next one.
      await expect(guard.run(async () => 0)).rejects.toBeInstanceOf(GpuError);
      await expect(guard.run(async () => 0)).resolves.toBe(0);
      // Guarded: the dropped GPU work becomes a GpuError instead of wrong numbers.
      await expect(evaluate('webgpu', add5d)).rejects.toMatchObject({
        name: 'GpuError',
        kind: 'validation',
      });
    } finally {
      installRank5Workaround();
    }
    expectClose(await evaluate('webgpu', add5d), expected);
  });

  it('reports a lost device on the next run', async () => {
    // Last test: the backend is unusable afterwards.
    await tf.setBackend('webgpu');
    const device = (tf.backend() as WebGPUBackend).device;
    await guard.run(async () => 0); // make sure the guard watches this device
    device.destroy();
    await device.lost;
    await expect(guard.run(async () => 0)).rejects.toMatchObject({ kind: 'device-lost' });
    guard.dispose();
  });
});
