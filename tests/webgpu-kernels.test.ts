/**
 * The custom WebGPU kernels of the optimisation registry (src/core/gpu/kernels/) against the tfjs
 * CPU backend — values and gradients on odd sizes, strides, both paddings, batch 1, channel
 * counts that are and are not multiples of 4 — and the registry's switch: off restores tfjs's
 * own kernel (its WebGPU program runs again), on brings the custom one back, and neither drops
 * the rank-5 workaround's wrappers. WebGPU runs through Dawn (SwiftShader without a GPU) with
 * CPU forwarding off, under the GPU error guard; skipped where no adapter exists.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createGpuGuard } from '../src/core/gpu/gpu-guard';
import {
  ADAM_OPTIMIZATION,
  CPU_ADAM_OPTIMIZATION,
  adamKernelReady,
  adamUpdate,
  packMoments,
} from '../src/core/gpu/kernels/adam';
import { setKernelPathsOverride } from '../src/core/gpu/adapter-class';
import { splitK, TARGET_WORKGROUPS, tileFor } from '../src/core/gpu/kernels/conv3d-gemm';
import { convLstmCell } from '../src/core/gpu/kernels/convlstm-cell';
import { lstmCell } from '../src/core/gpu/kernels/lstm-cell';
import { splitReduction } from '../src/core/gpu/kernels/reduce';
import {
  applyOptimizations,
  isOptimizationEnabled,
  listOptimizations,
  setOptimizationEnabled,
} from '../src/core/gpu/optimizations';
import {
  installRank5Workaround,
  isRank5WorkaroundInstalled,
  uninstallRank5Workaround,
} from '../src/core/gpu/rank5-workaround';
import { Optimiser } from '../src/core/models/kit/optimiser';
import { ParameterStore, checkpointEntries } from '../src/core/models/kit/params';
import { ADAM_CASES, TORCH_ADAM, adamInputs, composedAdam } from './helpers/adam';
import { maxAbs, size, values } from './helpers/arrays';
import { setupNodeWebGpu } from './helpers/node-webgpu';

const hasWebGpu = await setupNodeWebGpu();
/** The kernel paths this run takes (`VMP_KERNEL_PATHS`), restored after tests that force one. */
const envPaths = process.env.VMP_KERNEL_PATHS === 'hardware' ? 'hardware' : null;

type Arrays = Float32Array[];
type Shape5 = [number, number, number, number, number];
type Strides = [number, number, number];

const input = (shape: number[], seed: number) => tf.tensor(values(size(shape), seed), shape);

/** Each output equals its CPU twin up to `rtol` of the twin's largest magnitude. */
function expectClose(gpu: Arrays, cpu: Arrays, rtol = 1e-5): void {
  expect(gpu.length).toBe(cpu.length);
  cpu.forEach((expected, k) => {
    expect(gpu[k].length, `output ${k}`).toBe(expected.length);
    const tolerance = rtol * maxAbs(expected) + 1e-6;
    let worst = 0;
    for (let i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(gpu[k][i] - expected[i]));
    }
    expect(worst, `output ${k}`).toBeLessThanOrEqual(tolerance);
  });
}

async function run(backend: string, f: () => tf.Tensor[]): Promise<Arrays> {
  await tf.setBackend(backend);
  expect(tf.getBackend()).toBe(backend);
  const outputs = f();
  const arrays = await Promise.all(outputs.map(async (t) => (await t.data()).slice()));
  tf.dispose(outputs);
  return arrays as Arrays;
}

/** `f` (which builds its inputs from seeds) on the CPU and on WebGPU under the GPU guard. */
async function onBoth(f: () => tf.Tensor[]): Promise<{ cpu: Arrays; gpu: Arrays }> {
  const cpu = await run('cpu', f);
  const guard = createGpuGuard();
  try {
    return { cpu, gpu: await guard.run(() => run('webgpu', f)) };
  } finally {
    guard.dispose();
    await tf.setBackend('webgpu');
  }
}

/** The WebGPU programs `f` runs (tf.profile's per-kernel program list). */
async function programsOf(f: () => tf.Tensor): Promise<string> {
  await tf.setBackend('webgpu');
  const info = await tf.profile(() => {
    const y = f();
    return y;
  });
  tf.dispose(info.result as tf.Tensor);
  return info.kernels.map((k) => `${k.name}: ${String(k.extraInfo)}`).join('; ');
}

interface ConvCase {
  name: string;
  x: Shape5;
  filter: Shape5; // [kD, kH, kW, Cin, Cout]
  strides: Strides;
  pad: 'same' | 'valid';
}

const CONV_CASES: ConvCase[] = [
  {
    name: 'odd sizes, 3³ same',
    x: [2, 5, 7, 6, 3],
    filter: [3, 3, 3, 3, 5],
    strides: [1, 1, 1],
    pad: 'same',
  },
  {
    name: 'stride 2, kernel 4, same',
    x: [1, 8, 8, 8, 4],
    filter: [4, 4, 4, 4, 8],
    strides: [2, 2, 2],
    pad: 'same',
  },
  {
    name: 'mixed strides, valid',
    x: [2, 5, 6, 7, 5],
    filter: [2, 3, 2, 5, 6],
    strides: [1, 2, 3],
    pad: 'valid',
  },
  {
    name: 'batch 1, one input channel',
    x: [1, 4, 9, 9, 1],
    filter: [1, 4, 4, 1, 2],
    strides: [1, 2, 2],
    pad: 'same',
  },
  {
    name: 'many positions: the cooperative filter gradient',
    x: [2, 8, 12, 12, 3],
    filter: [3, 3, 3, 3, 5],
    strides: [1, 1, 1],
    pad: 'same',
  },
  {
    name: 'VGAN-like: stride 2, kernel 4, wide channels (64 × 64 tiles)',
    x: [2, 4, 8, 8, 20],
    filter: [4, 4, 4, 20, 24],
    strides: [2, 2, 2],
    pad: 'same',
  },
  {
    name: 'VGAN-like output layer: stride 2 in space only, 3 channels, valid',
    x: [1, 4, 9, 9, 17],
    filter: [1, 4, 4, 17, 3],
    strides: [1, 2, 2],
    pad: 'valid',
  },
  {
    name: 'blocked layer shape (8 taps, 8·C)',
    x: [3, 3, 5, 5, 8],
    filter: [2, 2, 2, 8, 7],
    strides: [1, 1, 1],
    pad: 'valid',
  },
];

describe.skipIf(!hasWebGpu)('custom WebGPU conv3d kernels equal the CPU backend', () => {
  it('are installed by default', () => {
    for (const id of ['webgpu-conv3d', 'webgpu-conv3d-input-grad', 'webgpu-conv3d-filter-grad']) {
      expect(isOptimizationEnabled(id)).toBe(true);
    }
    expect(tf.env().getBool('WEBGPU_CPU_FORWARD')).toBe(false);
  });

  it.each(CONV_CASES)('conv3d, its input and filter gradients ($name)', async (c) => {
    const { cpu, gpu } = await onBoth(() => {
      const x = input(c.x, 1) as tf.Tensor5D;
      const w = input(c.filter, 2) as tf.Tensor5D;
      const y = tf.conv3d(x, w, c.strides, c.pad);
      const dy = input(y.shape, 3);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf
          .conv3d(a as tf.Tensor5D, b as tf.Tensor5D, c.strides, c.pad)
          .mul(dy)
          .sum(),
      )([x, w]);
      return [y, dx, dw];
    });
    expectClose(gpu, cpu);
  });

  it.each(CONV_CASES)('conv3dTranspose, the input-gradient kernel as an op ($name)', async (c) => {
    const { cpu, gpu } = await onBoth(() => {
      const x = input(c.x, 4) as tf.Tensor5D;
      const w = input(c.filter, 5) as tf.Tensor5D;
      const y = tf.conv3d(x, w, c.strides, c.pad); // for the shape only
      const dyLike = input(y.shape, 6) as tf.Tensor5D;
      return [tf.conv3dTranspose(dyLike, w, c.x, c.strides, c.pad)];
    });
    expectClose(gpu, cpu);
  });

  it.each(CONV_CASES)(
    'the tiled implicit-GEMM kernels (hardware paths) of conv3d, its gradients and its transpose ($name)',
    async (c) => {
      setKernelPathsOverride('hardware');
      try {
        const { cpu, gpu } = await onBoth(() => {
          const x = input(c.x, 1) as tf.Tensor5D;
          const w = input(c.filter, 2) as tf.Tensor5D;
          const y = tf.conv3d(x, w, c.strides, c.pad);
          const dy = input(y.shape, 3);
          const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf
              .conv3d(a as tf.Tensor5D, b as tf.Tensor5D, c.strides, c.pad)
              .mul(dy)
              .sum(),
          )([x, w]);
          const up = tf.conv3dTranspose(dy as tf.Tensor5D, w, c.x, c.strides, c.pad);
          return [y, dx, dw, up];
        });
        expectClose(gpu, cpu);
        const programs = await programsOf(() =>
          tf.conv3d(
            input(c.x, 1) as tf.Tensor5D,
            input(c.filter, 2) as tf.Tensor5D,
            c.strides,
            c.pad,
          ),
        );
        expect(programs).toContain('TiledConvProgram');
      } finally {
        setKernelPathsOverride(envPaths);
      }
    },
  );

  it('splits long filter-gradient sums (split-K) and picks the tile by the column count', () => {
    expect(tileFor(3).tn).toBe(16);
    expect(tileFor(64).tn).toBe(64);
    // vgan paper's first layer: 4³ taps × 3 channels by 64, over 1024·16·32·32 positions.
    const { groups, kPerGroup } = splitK(Math.ceil(192 / 64), 1024 * 16 * 32 * 32, 16);
    expect(groups).toBe(Math.ceil(TARGET_WORKGROUPS / 3));
    expect(kPerGroup % 16).toBe(0);
    expect(groups * kPerGroup).toBeGreaterThanOrEqual(1024 * 16 * 32 * 32);
    expect(splitK(2048, 1 << 20, 16).groups).toBe(1);
    expect(splitK(1, 100, 16).groups).toBe(1);
  });

  it.each([
    {
      id: 'webgpu-conv3d',
      custom: 'Conv3DChannels4Program',
      tfjs: 'Conv3DNaiveProgram',
      f: () =>
        tf.conv3d(
          input([1, 3, 4, 4, 2], 1) as tf.Tensor5D,
          input([2, 2, 2, 2, 4], 2) as tf.Tensor5D,
          1,
          'same',
        ),
    },
    {
      id: 'webgpu-conv3d-input-grad',
      custom: 'Conv3DInputGradProgram',
      tfjs: 'Conv3DDerInputProgram',
      f: () =>
        tf.conv3dTranspose(
          input([1, 3, 4, 4, 4], 1) as tf.Tensor5D,
          input([2, 2, 2, 2, 4], 2) as tf.Tensor5D,
          [1, 3, 4, 4, 2],
          1,
          'same',
        ),
    },
    {
      id: 'webgpu-conv3d-filter-grad',
      custom: 'Conv3DFilterGradProgram',
      tfjs: 'Conv3DDerFilterProgram',
      f: () =>
        tf
          .engine()
          .runKernel(
            'Conv3DBackpropFilterV2',
            { x: input([1, 3, 4, 4, 2], 1), dy: input([1, 3, 4, 4, 4], 2) },
            { strides: [1, 1, 1], pad: 'same', filterShape: [2, 2, 2, 2, 4] },
          ) as tf.Tensor,
    },
  ])(
    'switching $id off runs tfjs’s own kernel again, on the custom one',
    async ({ id, custom: barrierFree, tfjs, f }) => {
      const custom = envPaths === 'hardware' ? 'TiledConvProgram' : barrierFree;
      const on = await programsOf(f);
      expect(on).toContain(custom);
      expect(on).not.toContain(tfjs);
      const expected = await run('webgpu', () => [f()]);
      setOptimizationEnabled(id, false, 'webgpu');
      try {
        expect(isOptimizationEnabled(id)).toBe(false);
        const off = await programsOf(f);
        expect(off).toContain(tfjs);
        expect(off).not.toContain(custom);
        expectClose(await run('webgpu', () => [f()]), expected);
      } finally {
        setOptimizationEnabled(id, true, 'webgpu');
      }
      expect(await programsOf(f)).toContain(custom);
    },
  );
});

describe.skipIf(!hasWebGpu)(
  'the 2D filter gradient through the 3D kernel equals the CPU backend',
  () => {
    it.each([
      {
        name: '3×3 same (the rCNN’s layer)',
        x: [20, 8, 8, 16],
        filter: [3, 3, 16, 32],
        strides: 1,
        pad: 'same' as const,
      },
      {
        name: 'odd sizes, stride 2, valid',
        x: [3, 9, 7, 3],
        filter: [3, 2, 3, 5],
        strides: 2,
        pad: 'valid' as const,
      },
      {
        name: 'batch 1, many positions',
        x: [1, 40, 40, 2],
        filter: [5, 5, 2, 3],
        strides: 1,
        pad: 'same' as const,
      },
    ])('conv2d and its gradients ($name)', async (c) => {
      const { cpu, gpu } = await onBoth(() => {
        const x = input(c.x, 1) as tf.Tensor4D;
        const w = input(c.filter, 2) as tf.Tensor4D;
        const y = tf.conv2d(x, w, c.strides, c.pad);
        const dy = input(y.shape, 3);
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf
            .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad)
            .mul(dy)
            .sum(),
        )([x, w]);
        return [y, ...grads];
      });
      expectClose(gpu, cpu);
    });

    it('switching webgpu-conv2d-filter-grad off runs tfjs’s kernel again', async () => {
      const f = () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x: input([2, 6, 6, 3], 1), dy: input([2, 6, 6, 4], 2) },
            { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] },
          ) as tf.Tensor;
      const custom = envPaths === 'hardware' ? 'TiledConvProgram' : 'Conv3DFilterGradProgram';
      expect(await programsOf(f)).toContain(custom);
      const expected = await run('webgpu', () => [f()]);
      setOptimizationEnabled('webgpu-conv2d-filter-grad', false, 'webgpu');
      try {
        const off = await programsOf(f);
        expect(off).toContain('Conv2DDerFilterProgram');
        expect(off).not.toContain(custom);
        expectClose(await run('webgpu', () => [f()]), expected);
      } finally {
        setOptimizationEnabled('webgpu-conv2d-filter-grad', true, 'webgpu');
      }
    });
  },
);

/** The cell as the LSTM composes it from tfjs ops (what the kernel replaces). */
function composedCell(z: tf.Tensor2D, c: tf.Tensor2D, peephole: tf.Tensor1D): tf.Tensor2D[] {
  const u = c.shape[0];
  const [pi, pf, po] = tf.split(peephole.reshape([3 * u, 1]), 3, 0);
  const [zi, zf, za, zo] = tf.split(z, 4, 0);
  const i = tf.sigmoid(zi.add(c.mul(pi)));
  const f = tf.sigmoid(zf.add(c.mul(pf)));
  const cNext = f.mul(c).add(i.mul(tf.tanh(za))) as tf.Tensor2D;
  const o = tf.sigmoid(zo.add(cNext.mul(po)));
  return [o.mul(tf.tanh(cNext)) as tf.Tensor2D, cNext];
}

describe.skipIf(!hasWebGpu)(
  'the fused LSTM cell kernel equals the composed cell on the CPU',
  () => {
    it.each([
      { units: 5, batch: 3 },
      { units: 64, batch: 8 },
      { units: 7, batch: 1 },
    ])(
      'h′, c′ and the gradients of z, c and the peepholes (U $units, B $batch)',
      async ({ units, batch }) => {
        const cell = () => (tf.getBackend() === 'webgpu' ? lstmCell : composedCell);
        const { cpu, gpu } = await onBoth(() => {
          // Pre-activations up to ±4 reach the saturating parts of σ and tanh.
          const z = input([4 * units, batch], 1).mul(4) as tf.Tensor2D;
          const c = input([units, batch], 2).mul(2) as tf.Tensor2D;
          const p = input([3 * units], 3) as tf.Tensor1D;
          const wh = input([units, batch], 4);
          const wc = input([units, batch], 5);
          const [h, cNext] = cell()(z, c, p);
          const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, q: tf.Tensor) => {
            const [hh, cc] = cell()(a as tf.Tensor2D, b as tf.Tensor2D, q as tf.Tensor1D);
            return hh.mul(wh).add(cc.mul(wc)).sum();
          })([z, c, p]);
          return [h, cNext, ...grads];
        });
        expectClose(gpu, cpu);
      },
    );

    it('switching webgpu-lstm-cell off removes the kernel; the composed cell runs instead', async () => {
      const f = () =>
        lstmCell(
          input([8, 2], 1) as tf.Tensor2D,
          input([2, 2], 2) as tf.Tensor2D,
          input([6], 3) as tf.Tensor1D,
        )[0];
      expect(await programsOf(f)).toContain('LstmCellProgram');
      setOptimizationEnabled('webgpu-lstm-cell', false, 'webgpu');
      try {
        expect(tf.getKernel('VmpLstmCell', 'webgpu')).toBeUndefined();
        expect(() => f()).toThrow(/VmpLstmCell/);
      } finally {
        setOptimizationEnabled('webgpu-lstm-cell', true, 'webgpu');
      }
      expect(await programsOf(f)).toContain('LstmCellProgram');
    });
  },
);

/** The ConvLSTM cell as composed from tfjs ops (what the kernel replaces), channels last. */
function composedConvLstmCell(
  z: tf.Tensor4D,
  c: tf.Tensor4D,
  peephole: tf.Tensor3D,
): tf.Tensor4D[] {
  const [zi, zf, zc, zo] = tf.split(z, 4, 3);
  const [pi, pf, po] = tf.split(peephole, 3, 2);
  const i = tf.sigmoid(zi.add(pi.mul(c)));
  const f = tf.sigmoid(zf.add(pf.mul(c)));
  const cNext = f.mul(c).add(i.mul(tf.tanh(zc))) as tf.Tensor4D;
  const o = tf.sigmoid(zo.add(po.mul(cNext)));
  return [o.mul(tf.tanh(cNext)) as tf.Tensor4D, cNext];
}

describe.skipIf(!hasWebGpu)(
  'the fused ConvLSTM cell kernel equals the composed cell on the CPU',
  () => {
    it.each([
      { batch: 2, grid: 3, units: 5 },
      { batch: 4, grid: 8, units: 16 },
      { batch: 1, grid: 2, units: 7 },
    ])(
      'h′, c′ and the gradients of z, c and the peepholes (B $batch, G $grid, U $units)',
      async ({ batch, grid, units }) => {
        const cell = () => (tf.getBackend() === 'webgpu' ? convLstmCell : composedConvLstmCell);
        const { cpu, gpu } = await onBoth(() => {
          // Pre-activations up to ±4 reach the saturating parts of σ and tanh.
          const z = input([batch, grid, grid, 4 * units], 1).mul(4) as tf.Tensor4D;
          const c = input([batch, grid, grid, units], 2).mul(2) as tf.Tensor4D;
          const p = input([grid, grid, 3 * units], 3) as tf.Tensor3D;
          const wh = input([batch, grid, grid, units], 4);
          const wc = input([batch, grid, grid, units], 5);
          const [h, cNext] = cell()(z, c, p);
          const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, q: tf.Tensor) => {
            const [hh, cc] = cell()(a as tf.Tensor4D, b as tf.Tensor4D, q as tf.Tensor3D);
            return hh.mul(wh).add(cc.mul(wc)).sum();
          })([z, c, p]);
          return [h, cNext, ...grads];
        });
        expectClose(gpu, cpu);
      },
    );

    it('switching webgpu-convlstm-cell off removes the kernel; the composed cell runs instead', async () => {
      const f = () =>
        convLstmCell(
          input([1, 2, 2, 8], 1) as tf.Tensor4D,
          input([1, 2, 2, 2], 2) as tf.Tensor4D,
          input([2, 2, 6], 3) as tf.Tensor3D,
        )[0];
      expect(await programsOf(f)).toContain('ConvLstmCellProgram');
      setOptimizationEnabled('webgpu-convlstm-cell', false, 'webgpu');
      try {
        expect(tf.getKernel('VmpConvLstmCell', 'webgpu')).toBeUndefined();
        expect(() => f()).toThrow(/VmpConvLstmCell/);
      } finally {
        setOptimizationEnabled('webgpu-convlstm-cell', true, 'webgpu');
      }
      expect(await programsOf(f)).toContain('ConvLstmCellProgram');
    });
  },
);

describe.skipIf(!hasWebGpu)('serial WebGPU reductions equal the CPU backend', () => {
  it.each([
    { name: 'rows of [P, B] (the readout bias gradient)', shape: [1024, 8], axis: [1] },
    {
      name: 'axes 0 and 2 of [1, P, B] (size-1 axes are skipped)',
      shape: [1, 300, 8],
      axis: [0, 2],
    },
    { name: 'axes 0 and 2 of [2, P, B] (not neighbours: tfjs)', shape: [2, 70, 3], axis: [0, 2] },
    { name: 'columns of [N, C] (bias and batch-norm gradients)', shape: [1280, 7], axis: [0] },
    { name: 'a middle run of axes, rank 5', shape: [3, 4, 5, 6, 7], axis: [1, 2] },
    { name: 'inner axes, rank 4', shape: [70, 3, 5, 2], axis: [2, 3] },
    { name: 'odd rows, few outputs, little work', shape: [9, 13], axis: [0] },
  ])('sum, mean, max and min over $name, with and without keepDims', async ({ shape, axis }) => {
    const { cpu, gpu } = await onBoth(() => {
      const x = input(shape, 7);
      return [false, true].flatMap((keepDims) => [
        x.sum(axis, keepDims),
        x.mean(axis, keepDims),
        x.max(axis, keepDims),
        x.min(axis, keepDims),
      ]);
    });
    expectClose(gpu, cpu);
  });

  it.each([
    { name: 'rows of distances [L, K] (k-means assignment)', shape: [1536, 64], axis: 1 },
    { name: 'an outer axis', shape: [37, 70], axis: 0 },
    { name: 'a middle axis, rank 4', shape: [5, 9, 4, 3], axis: 1 },
  ])('argMin and argMax over $name', async ({ shape, axis }) => {
    const { cpu, gpu } = await onBoth(() => {
      const x = input(shape, 8);
      return [x.argMin(axis), x.argMax(axis)].map((t) => t.cast('float32'));
    });
    expectClose(gpu, cpu, 0);
    expect(await programsOf(() => input(shape, 8).argMin(axis))).toContain('SerialReduceProgram');
  });

  it('propagates NaN through max and min; leaves int32 and few-output reductions to tfjs', async () => {
    const { cpu, gpu } = await onBoth(() => {
      const x = tf.tensor2d([1, NaN, 3, 4, 5, 6, 7, 8], [4, 2]).tile([32, 1]);
      return [x.max(1), x.min(0), x.sum(1)];
    });
    expectClose(
      gpu.map((a) => a.map((v) => (Number.isNaN(v) ? -99 : v))),
      cpu.map((a) => a.map((v) => (Number.isNaN(v) ? -99 : v))),
    );
    expect(gpu[0].filter(Number.isNaN).length).toBe(32);
    const f = () => tf.ones([4, 128], 'int32').sum(1);
    expect(await programsOf(f)).toContain('ReduceProgram');
    expect(await programsOf(f)).not.toContain('SerialReduceProgram');
    expect(await programsOf(() => tf.ones([64, 4096]).sum())).not.toContain('SerialReduceProgram');
    expect(await programsOf(() => tf.ones([128, 8]).sum(1))).toContain('SerialReduceProgram');
    expect(await programsOf(() => tf.ones([1, 128, 8]).sum([0, 2]))).toContain(
      'SerialReduceProgram',
    );
    expect(await programsOf(() => tf.ones([2, 128, 8]).sum([0, 2]))).not.toContain(
      'SerialReduceProgram',
    );
  });

  it.each([
    { name: 'long columns of [N, C] (batch-norm moments)', shape: [20000, 64], axis: [0] },
    { name: 'long rows, few outputs', shape: [5, 70001], axis: [1] },
    { name: 'just past the serial limit, odd', shape: [4097, 3], axis: [0] },
    { name: 'a long middle run, rank 4', shape: [3, 70, 101, 5], axis: [1, 2] },
    { name: 'huge rows, two outputs', shape: [2, 1 << 19], axis: [1] },
  ])('split (two-pass) sum, mean, max and min over $name', async ({ shape, axis }) => {
    const { cpu, gpu } = await onBoth(() => {
      const x = input(shape, 11).add(0.25);
      return [x.sum(axis), x.mean(axis, true), x.max(axis), x.min(axis)];
    });
    expectClose(gpu, cpu, 1e-4);
    const outputs = size(shape) / axis.reduce((n, a) => n * shape[a], 1);
    const reduced = size(shape) / outputs;
    expect(splitReduction(outputs, reduced).chunks).toBeGreaterThan(1);
    const programs = await programsOf(() => input(shape, 11).mean(axis));
    expect(programs).toContain('SplitReduceProgram');
    expect(programs).toContain('SerialReduceProgram');
  });

  it('splits by shape only: long runs with few outputs, never short runs or many outputs', async () => {
    expect(splitReduction(64, 1024 * 32 * 32)).toEqual({ chunks: 256, chunkLength: 4096 });
    expect(splitReduction(7, 1280).chunks).toBe(1);
    expect(splitReduction(1 << 14, 1 << 20).chunks).toBe(1);
    const { chunks, chunkLength } = splitReduction(3, 5000);
    expect(chunks * chunkLength).toBeGreaterThanOrEqual(5000);
    expect((chunks - 1) * chunkLength).toBeLessThan(5000);
    expect(await programsOf(() => tf.ones([1280, 7]).sum(0))).not.toContain('SplitReduceProgram');
    const nan = await run('webgpu', () => {
      const x = tf.ones([9000, 2]).concat(tf.tensor2d([NaN, 1], [1, 2]));
      return [x.max(0), x.min(0)];
    });
    expect([...nan[0]]).toEqual([NaN, 1]);
    expect([...nan[1]]).toEqual([NaN, 1]);
  });

  it('switching webgpu-reduce-serial off runs tfjs’s reduction again', async () => {
    const f = () => input([200, 6], 1).sum(1);
    const expected = await run('webgpu', () => [f()]);
    setOptimizationEnabled('webgpu-reduce-serial', false, 'webgpu');
    try {
      const off = await programsOf(f);
      expect(off).toContain('ReduceProgram');
      expect(off).not.toContain('SerialReduceProgram');
      expectClose(await run('webgpu', () => [f()]), expected);
    } finally {
      setOptimizationEnabled('webgpu-reduce-serial', true, 'webgpu');
    }
    expect(await programsOf(f)).toContain('SerialReduceProgram');
  });
});

describe.skipIf(!hasWebGpu)('thin WebGPU matrix products equal the CPU backend', () => {
  it.each([
    { name: 'W·[x, h] (N = B)', a: [256, 70], b: [70, 8], ta: false, tb: false },
    { name: 'dz·[x, h]ᵀ (K = B)', a: [37, 5], b: [53, 5], ta: false, tb: true },
    { name: 'Wᵀ·dz (N = B)', a: [33, 65], b: [33, 3], ta: true, tb: false },
    { name: 'both transposed, batch 1 column', a: [9, 6], b: [1, 9], ta: true, tb: true },
    {
      name: 'batched, B broadcast (tfjs has no gradient)',
      a: [3, 5, 7],
      b: [7, 10],
      ta: false,
      tb: false,
    },
    { name: 'batched on both sides', a: [2, 4, 18], b: [2, 18, 19], ta: false, tb: false },
  ])('$name, with its gradients', async ({ a, b, ta, tb }) => {
    const { cpu, gpu } = await onBoth(() => {
      const x = input(a, 1);
      const y = input(b, 2);
      const product = tf.matMul(x, y, ta, tb);
      if (a.length !== b.length) return [product];
      const w = input(product.shape, 3);
      const grads = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q, ta, tb).mul(w).sum())([
        x,
        y,
      ]);
      return [product, ...grads];
    });
    expectClose(gpu, cpu);
  });

  it.each([
    { name: 'column bias [M, 1], linear', bias: [12, 1], activation: 'linear' as const },
    { name: 'row bias [N], ReLU', bias: [6], activation: 'relu' as const },
    { name: 'full bias [M, N]', bias: [12, 6], activation: 'linear' as const },
  ])('fused matMul: $name, with its gradients', async ({ bias, activation }) => {
    const { cpu, gpu } = await onBoth(() => {
      const x = input([12, 20], 4);
      const y = input([20, 6], 5);
      const b = input(bias, 6);
      const f = (p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) =>
        tf.fused.matMul({ a: p as tf.Tensor2D, b: q as tf.Tensor2D, bias: r, activation });
      const w = input([12, 6], 7);
      return [
        f(x, y, b),
        ...tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => f(p, q, r).mul(w).sum())([
          x,
          y,
          b,
        ]),
      ];
    });
    expectClose(gpu, cpu);
  });

  it('takes wide products only on a software adapter; switching webgpu-matmul-thin off restores tfjs’s kernels', async () => {
    const info = (
      tf.backend() as unknown as { adapterInfo: { vendor: string; architecture: string } }
    ).adapterInfo;
    const software =
      envPaths !== 'hardware' &&
      /swiftshader|llvmpipe|lavapipe/i.test(`${info.vendor} ${info.architecture}`);
    const wide = await programsOf(() => tf.matMul(input([64, 64], 1), input([64, 64], 2)));
    if (software) expect(wide).toContain('ThinMatMulProgram');
    else expect(wide).not.toContain('ThinMatMulProgram');
    const f = () => tf.matMul(input([40, 30], 1), input([30, 4], 2));
    expect(await programsOf(f)).toContain('ThinMatMulProgram');
    const expected = await run('webgpu', () => [f()]);
    setOptimizationEnabled('webgpu-matmul-thin', false, 'webgpu');
    try {
      const off = await programsOf(f);
      expect(off).toMatch(/MatMul\w*Program/);
      expect(off).not.toContain('ThinMatMulProgram');
      expectClose(await run('webgpu', () => [f()]), expected);
    } finally {
      setOptimizationEnabled('webgpu-matmul-thin', true, 'webgpu');
    }
    expect(await programsOf(f)).toContain('ThinMatMulProgram');
  });
});

describe.skipIf(!hasWebGpu)('the fused Adam kernel equals composed Adam on the CPU', () => {
  it.each(ADAM_CASES)('$name', async ({ settings, shape, scaled }) => {
    const { cpu, gpu } = await onBoth(() => {
      const { w, g, m, v, full } = adamInputs(shape, settings, scaled);
      if (tf.getBackend() === 'cpu') return composedAdam(w, g, m, v, full);
      const next = adamUpdate(w, g, packMoments(m, v), full);
      return [...tf.unstack(next.moments), next.w];
    });
    expectClose(gpu, cpu);
    for (const values of gpu) expect(values.every(Number.isFinite)).toBe(true);
  });

  it('the optimiser’s packed moments reach checkpoints as m and v, take a restore, survive switching the kernel off and allocate nothing when checked', async () => {
    const { cpu, gpu } = await onBoth(() => {
      const store = new ParameterStore(3);
      const w = store.uniform('w', [5, 3], 1);
      const b = store.zeros('b', [3]);
      const optimiser = new Optimiser(store.params, { method: 'adam' });
      const step = (t: number) =>
        optimiser.apply(
          { [w.name]: input([5, 3], 10 + t), [b.name]: input([3], 20 + t) },
          { learningRate: 0.01, beta1: 0.5 },
          true,
        );
      const entries = () => checkpointEntries(store, [optimiser]).map(([, x]) => x);
      step(0);
      step(1);
      const saved = entries().map((x) => x.clone()); // an export mid-run
      step(2);
      entries().forEach((x, k) => x.assign(saved[k])); // an import of it
      step(2);
      const backend = tf.getBackend();
      const fusedAdam = backend === 'webgpu' ? ADAM_OPTIMIZATION : CPU_ADAM_OPTIMIZATION;
      setOptimizationEnabled(fusedAdam, false, backend);
      try {
        step(3); // composed from the moments the kernel left
      } finally {
        setOptimizationEnabled(fusedAdam, true, backend);
      }
      step(4); // the kernel again, from the composed step's moments
      const tensors = tf.memory().numTensors;
      // Reading the moments as held (as the trainer's non-finite check does) and the step after
      // it allocate nothing: the benchmark's memory check would count it as growth.
      expect(optimiser.currentEntries().map(([name]) => name)).toEqual([
        'optimizer.moments.w',
        'optimizer.moments.b',
      ]);
      expect(tf.memory().numTensors).toBe(tensors);
      step(5);
      expect(tf.memory().numTensors).toBe(tensors);
      const final = entries().map((x) => x.clone());
      optimiser.dispose();
      store.dispose();
      return [...saved, ...final];
    });
    expectClose(gpu, cpu);
  });

  it('switching webgpu-fused-adam off removes the kernel, so the models compose Adam again', async () => {
    expect(adamKernelReady()).toBe(true);
    const f = () =>
      adamUpdate(
        input([10], 1),
        input([10], 2),
        packMoments(input([10], 3), input([10], 4).abs()),
        TORCH_ADAM,
      ).w;
    const programs = await programsOf(f);
    expect(programs).toContain('AdamMomentsProgram');
    expect(programs).toContain('AdamParameterProgram');
    setOptimizationEnabled('webgpu-fused-adam', false, 'webgpu');
    try {
      expect(adamKernelReady()).toBe(false);
    } finally {
      setOptimizationEnabled('webgpu-fused-adam', true, 'webgpu');
    }
    expect(adamKernelReady()).toBe(true);
  });
});

describe.skipIf(!hasWebGpu)('optimisations and the rank-5 workaround', () => {
  it('registers every optimisation once, each with a description and backends', () => {
    const ids = listOptimizations().map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining([
        'webgpu-conv3d',
        'webgpu-conv3d-input-grad',
        'webgpu-conv3d-filter-grad',
        'webgpu-lstm-cell',
        'webgpu-reduce-serial',
        'webgpu-matmul-thin',
        'webgpu-two-stream-compose',
        'webgpu-conv2d-filter-grad',
        'webgpu-fused-adam',
      ]),
    );
    for (const o of listOptimizations()) {
      expect(o.description.length).toBeGreaterThan(20);
      expect(o.backends.length).toBeGreaterThan(0);
    }
  });

  it('installing either first keeps both: the wrappers and the custom kernels', async () => {
    const conv = () =>
      tf.conv3d(
        input([1, 2, 3, 3, 1], 1) as tf.Tensor5D,
        input([1, 2, 2, 1, 4], 2) as tf.Tensor5D,
        1,
        'same',
      );
    const custom = 'Conv3DChannels4Program';
    // The optimisations were installed first (setupNodeWebGpu); now the workaround on top.
    installRank5Workaround();
    const wrapper = tf.getKernel('Add', 'webgpu')?.kernelFunc;
    applyOptimizations('webgpu'); // idempotent
    expect(isRank5WorkaroundInstalled()).toBe(true);
    expect(tf.getKernel('Add', 'webgpu')?.kernelFunc).toBe(wrapper);
    expect(await programsOf(conv)).toContain(custom);
    // Switching every optimisation off and on leaves the workaround's wrappers alone.
    for (const o of listOptimizations()) setOptimizationEnabled(o.id, false, 'webgpu');
    expect(tf.getKernel('Add', 'webgpu')?.kernelFunc).toBe(wrapper);
    expect(await programsOf(conv)).not.toContain(custom);
    for (const o of listOptimizations()) setOptimizationEnabled(o.id, true, 'webgpu');
    expect(tf.getKernel('Add', 'webgpu')?.kernelFunc).toBe(wrapper);
    expect(await programsOf(conv)).toContain(custom);
    // The workaround's uninstall leaves the custom kernels in place.
    uninstallRank5Workaround();
    expect(tf.getKernel('Add', 'webgpu')?.kernelFunc).not.toBe(wrapper);
    expect(await programsOf(conv)).toContain(custom);
    expect(tf.getKernel('VmpLstmCell', 'webgpu')).not.toBeUndefined();
    // The workaround installed first, the optimisations on top: both in place.
    installRank5Workaround();
    applyOptimizations('webgpu');
    expect(tf.getKernel('Add', 'webgpu')?.kernelFunc).not.toBe(wrapper); // a fresh wrapper
    expect(isRank5WorkaroundInstalled()).toBe(true);
    expect(await programsOf(conv)).toContain(custom);
    // Sum is wrapped by both: float32 rows take the serial kernel, int32 ones the workaround.
    expect(await programsOf(() => tf.ones([128, 8]).sum(1))).toContain('SerialReduceProgram');
    const { cpu, gpu } = await onBoth(() => [tf.ones([3, 4, 5], 'int32').sum(0).cast('float32')]);
    expectClose(gpu, cpu);
  });
});
