/**
 * The direct CPU kernels of gpu/kernels/cpu-direct.ts (Conv2DBackpropFilter, Slice, SplitV) give
 * what tfjs's own CPU kernels give — the same op with the optimisation switched off — over
 * strides, paddings, kernel shapes, ranks, dtypes and split sizes; and they are on by default.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CPU_CONV2D_FILTER_GRAD_OPTIMIZATION,
  CPU_STRIDED_SLICE_OPTIMIZATION,
} from '../src/core/gpu/kernels/cpu-direct';
import { isOptimizationEnabled, setOptimizationEnabled } from '../src/core/gpu/optimizations';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => {
  setOptimizationEnabled(CPU_CONV2D_FILTER_GRAD_OPTIMIZATION, true, 'cpu');
  setOptimizationEnabled(CPU_STRIDED_SLICE_OPTIMIZATION, true, 'cpu');
});

/** `compute` with the optimisation on and with tfjs's kernel: both results' values. */
async function onAndOff(
  id: string,
  compute: () => tf.Tensor | tf.Tensor[],
): Promise<{ on: number[][]; off: number[][]; shapes: number[][] }> {
  const read = async () => {
    const result = compute();
    const list = Array.isArray(result) ? result : [result];
    const values = await Promise.all(list.map(async (t) => Array.from(await t.data())));
    const shapes = list.map((t) => [...t.shape]);
    tf.dispose(list);
    return { values, shapes };
  };
  expect(isOptimizationEnabled(id)).toBe(true);
  const on = await read();
  setOptimizationEnabled(id, false, 'cpu');
  try {
    const off = await read();
    expect(on.shapes).toEqual(off.shapes);
    return { on: on.values, off: off.values, shapes: on.shapes };
  } finally {
    setOptimizationEnabled(id, true, 'cpu');
  }
}

/** Deterministic values in [−1, 1) with some exact zeros. */
function values(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => (((i * 37 + seed * 11) % 23) - 11) / 11);
}

function expectClose(a: number[], b: number[], tolerance: number): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(worst).toBeLessThan(tolerance);
}

describe('direct CPU Conv2DBackpropFilter', () => {
  const cases: {
    name: string;
    x: [number, number, number, number];
    filter: [number, number, number, number];
    strides: number | [number, number];
    pad: 'same' | 'valid' | number;
  }[] = [
    {
      name: "the ConvLSTM's gate convolution",
      x: [4, 8, 8, 32],
      filter: [3, 3, 32, 64],
      strides: 1,
      pad: 'same',
    },
    {
      name: 'valid, non-square kernel',
      x: [2, 7, 9, 3],
      filter: [2, 4, 3, 5],
      strides: 1,
      pad: 'valid',
    },
    {
      name: 'stride 2, same, odd sizes',
      x: [3, 9, 11, 2],
      filter: [3, 3, 2, 4],
      strides: 2,
      pad: 'same',
    },
    {
      name: 'mixed strides, explicit padding',
      x: [1, 10, 6, 4],
      filter: [5, 3, 4, 3],
      strides: [2, 1],
      pad: 2,
    },
    { name: '1×1, one channel', x: [5, 4, 4, 1], filter: [1, 1, 1, 1], strides: 1, pad: 'valid' },
  ];
  it.each(cases)('matches tfjs: $name', async ({ x: xShape, filter, strides, pad }) => {
    const x = tf.tensor4d(values(tf.util.sizeFromShape(xShape), 1), xShape);
    const w = tf.tensor4d(values(tf.util.sizeFromShape(filter), 2), filter);
    const dy = tf.conv2d(x, w, strides, pad); // only for its shape
    const g = tf.tensor4d(values(dy.size, 3), dy.shape);
    const { on, off } = await onAndOff(CPU_CONV2D_FILTER_GRAD_OPTIMIZATION, () =>
      tf.grad((filterVar) =>
        tf
          .conv2d(x, filterVar as tf.Tensor4D, strides, pad)
          .mul(g)
          .sum(),
      )(w),
    );
    expectClose(on[0], off[0], 1e-4);
    expect(on[0].some((v) => v !== 0)).toBe(true);
    tf.dispose([x, w, dy, g]);
  });

  it('propagates NaN as the definition does', async () => {
    const x = tf.tensor4d([0, 1, 2, 3], [1, 2, 2, 1]);
    const g = tf.tensor4d([NaN, 1, 1, 1], [1, 2, 2, 1]);
    const dw = tf.grad((w) =>
      tf
        .conv2d(x, w as tf.Tensor4D, 1, 'same')
        .mul(g)
        .sum(),
    )(tf.ones([1, 1, 1, 1]) as tf.Tensor4D);
    expect(Number.isNaN((await dw.data())[0])).toBe(true);
  });
});

describe('strided CPU Slice and SplitV', () => {
  const source = (shape: number[], dtype: 'float32' | 'int32' | 'bool' = 'float32') =>
    tf.tensor(
      Array.from({ length: tf.util.sizeFromShape(shape) }, (_, i) =>
        dtype === 'bool' ? Number(i % 3 === 0) : i,
      ),
      shape,
      dtype,
    );

  it.each([
    { shape: [4, 8, 8, 64], begin: [0, 0, 0, 16], size: [4, 8, 8, 16] },
    { shape: [3, 5], begin: [1, 2], size: [2, -1] },
    { shape: [2, 3, 4, 5, 6], begin: [1, 0, 2, 1, 3], size: [1, 3, 2, 4, 2] },
    { shape: [6, 7], begin: [0, 6], size: [6, 1] },
  ])('slices like tfjs: $shape from $begin', async ({ shape, begin, size }) => {
    const x = source(shape);
    const { on, off } = await onAndOff(CPU_STRIDED_SLICE_OPTIMIZATION, () =>
      tf.slice(x, begin, size),
    );
    expect(on).toEqual(off);
    x.dispose();
  });

  it('keeps int32 and bool dtypes', async () => {
    for (const dtype of ['int32', 'bool'] as const) {
      const x = source([3, 4, 5], dtype);
      const part = tf.slice(x, [0, 1, 1], [3, 2, 3]);
      expect(part.dtype).toBe(dtype);
      const { on, off } = await onAndOff(CPU_STRIDED_SLICE_OPTIMIZATION, () =>
        tf.slice(x, [0, 1, 1], [3, 2, 3]),
      );
      expect(on).toEqual(off);
      tf.dispose([x, part]);
    }
  });

  it.each([
    { shape: [4, 8, 8, 64], splits: 4, axis: 3 },
    { shape: [8, 8, 48], splits: 3, axis: -1 },
    { shape: [5, 6, 7], splits: [2, 0, 4], axis: 1 },
    { shape: [6, 3], splits: [1, -1], axis: 0 },
  ])('splits like tfjs: $shape into $splits on axis $axis', async ({ shape, splits, axis }) => {
    const x = source(shape);
    const { on, off, shapes } = await onAndOff(CPU_STRIDED_SLICE_OPTIMIZATION, () =>
      tf.split(x, splits, axis),
    );
    expect(on).toEqual(off);
    expect(shapes.length).toBe(Array.isArray(splits) ? splits.length : splits);
    x.dispose();
  });
});
