/**
 * Optimisation webgpu-blocked-layout: the one-dispatch gathers around the VGAN's blocked stride-2
 * convolutions equal the composed rank-4 pads, transposes and slices they replace (vgan/ops.ts),
 * values and gradients, exactly (both only move values). Run it in both kernel-path modes
 * (`VMP_KERNEL_PATHS=hardware` too); skips where no WebGPU adapter is available.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  blockFilterGather,
  blockedLayoutReady,
  fromBlocks,
  toBlocks,
} from '../src/core/gpu/kernels/blocked-layout';
import {
  blockFilter,
  cropBorder,
  depthToSpace,
  padBorder,
  spaceToDepth,
} from '../src/core/models/vgan/ops';
import { size, values } from './helpers/arrays';
import { setupNodeWebGpu } from './helpers/node-webgpu';

const hasWebGpu = await setupNodeWebGpu();

const input = (shape: number[], seed: number) => tf.tensor(values(size(shape), seed), shape);

type Map5 = (x: tf.Tensor5D) => tf.Tensor5D;

/** The map's value and its gradient under a random upstream gradient, as arrays. */
async function valueAndGrad(map: Map5, x: tf.Tensor5D, seed: number): Promise<Float32Array[]> {
  const [y, dx] = tf.tidy(() => {
    const out = map(x);
    const dy = input(out.shape, seed);
    return [
      out,
      tf.grad((a: tf.Tensor) =>
        map(a as tf.Tensor5D)
          .mul(dy)
          .sum(),
      )(x),
    ];
  });
  const arrays = [(await y.data()) as Float32Array, (await dx.data()) as Float32Array];
  tf.dispose([y, dx]);
  return arrays;
}

async function expectSame(gather: Map5, composed: Map5, shape: number[], seed: number) {
  const x = input(shape, seed) as tf.Tensor5D;
  const [y1, dx1] = await valueAndGrad(gather, x, seed + 1);
  const [y2, dx2] = await valueAndGrad(composed, x, seed + 1);
  x.dispose();
  expect(y1.length).toBe(y2.length);
  expect(Array.from(y1)).toEqual(Array.from(y2));
  expect(Array.from(dx1)).toEqual(Array.from(dx2));
}

describe.skipIf(!hasWebGpu)('blocked-layout gathers on WebGPU', () => {
  it('is installed with the other optimisations', () => {
    expect(blockedLayoutReady()).toBe(true);
  });

  it.each([true, false])('pad + space-to-depth (time: %s)', async (time) => {
    const composed: Map5 = (x) => spaceToDepth(padBorder(x, time), time);
    await expectSame((x) => toBlocks(x, time), composed, [2, 4, 6, 8, 3], 1);
    await expectSame((x) => toBlocks(x, time), composed, [1, 2, 4, 4, 1], 2);
  });

  it.each([true, false])('depth-to-space + crop (time: %s)', async (time) => {
    const k = time ? 8 : 4;
    const composed: Map5 = (x) => cropBorder(depthToSpace(x, time), time);
    await expectSame((x) => fromBlocks(x, time), composed, [2, 3, 4, 5, 3 * k], 3);
    await expectSame((x) => fromBlocks(x, time), composed, [1, 2, 3, 3, k], 4);
  });

  it.each([
    [4, 3, 2],
    [1, 3, 2],
    [4, 1, 5],
    [1, 2, 1],
  ])('the filter re-layout of a [%i, 4, 4, %i, %i] filter', async (kt, a, b) => {
    await expectSame(blockFilterGather, blockFilter, [kt, 4, 4, a, b], 5 + kt + a);
  });

  it('fills the padding with zeros and keeps every input value', async () => {
    const x = tf.ones([1, 2, 2, 2, 1]) as tf.Tensor5D;
    const blocked = toBlocks(x, true); // [1, 2, 2, 2, 8]
    expect(blocked.shape).toEqual([1, 2, 2, 2, 8]);
    const data = Array.from(await blocked.data());
    expect(data.reduce((s, v) => s + v, 0)).toBe(8);
    expect(data.filter((v) => v === 0).length).toBe(64 - 8);
    tf.dispose([x, blocked]);
  });
});
