/**
 * Optimisation webgpu-two-stream-compose: m⊙f + (1 − m)⊙b from the joint heads output equals the
 * composed tfjs ops it replaces (the split heads and vgan/ops.ts `composeVideo`), value and both
 * gradients, on the WebGPU backend; and its gradients run only where backprop needs them
 * (lazy-grad.ts). Run it in both kernel-path modes (`VMP_KERNEL_PATHS=hardware` too); skips where
 * no WebGPU adapter is available.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  composeTwoStream,
  twoStreamComposeReady,
} from '../src/core/gpu/kernels/two-stream-compose';
import { countStepWork } from '../src/core/train/step-work';
import { composeVideo } from '../src/core/models/vgan/ops';
import { size, values } from './helpers/arrays';
import { setupNodeWebGpu } from './helpers/node-webgpu';

const hasWebGpu = await setupNodeWebGpu();

const input = (shape: number[], seed: number) => tf.tensor(values(size(shape), seed), shape);

type Compose = (heads: tf.Tensor4D, still: tf.Tensor3D) => tf.Tensor4D;

/** The tfjs ops the kernel replaces: split the heads, then `composeVideo`. */
const composed: Compose = (heads, still) => {
  const [b, t, p, k] = heads.shape;
  const c = k - 1;
  const foreground = heads.slice([0, 0, 0, 0], [b, t, p, c]).reshape([b, t, p, 1, c]);
  const mask = heads.slice([0, 0, 0, c], [b, t, p, 1]).reshape([b, t, p, 1, 1]);
  const background = still.reshape([b, p, 1, c]);
  return composeVideo(
    mask as tf.Tensor5D,
    foreground as tf.Tensor5D,
    background as tf.Tensor4D,
  ).reshape([b, t, p, c]);
};

/** Value and the gradients in heads and still under a random upstream gradient, as arrays. */
async function valueAndGrads(
  compose: Compose,
  heads: tf.Tensor4D,
  still: tf.Tensor3D,
): Promise<number[][]> {
  const tensors = tf.tidy(() => {
    const out = compose(heads, still);
    const dy = input(out.shape, 7);
    const [dHeads, dStill] = tf.grads((h: tf.Tensor, s: tf.Tensor) =>
      compose(h as tf.Tensor4D, s as tf.Tensor3D)
        .mul(dy)
        .sum(),
    )([heads, still]);
    return [out, dHeads, dStill];
  });
  const arrays = await Promise.all(tensors.map(async (t) => Array.from(await t.data())));
  tf.dispose(tensors);
  return arrays;
}

describe.skipIf(!hasWebGpu)('two-stream composition on WebGPU', () => {
  it('is installed with the other optimisations', () => {
    expect(twoStreamComposeReady()).toBe(true);
  });

  it.each([
    [2, 3, 5, 1],
    [1, 4, 6, 3],
  ])('equals the composed ops for heads [%i, %i, %i, C + 1] with C = %i', async (b, t, p, c) => {
    // f in [−1, 1] (tanh), m in [0, 1] (σ), b in [−1, 1], as the generator makes them.
    const raw = input([b, t, p, c + 1], b + c) as tf.Tensor4D;
    const heads = tf.tidy(() => {
      const [f, m] = tf.split(raw, [c, 1], 3);
      return tf.concat([tf.tanh(f), tf.sigmoid(m)], 3) as tf.Tensor4D;
    });
    const still = tf.tidy(() => tf.tanh(input([b, p, c], 3 + p)) as tf.Tensor3D);
    const kernel = await valueAndGrads(composeTwoStream, heads, still);
    const reference = await valueAndGrads(composed, heads, still);
    tf.dispose([raw, heads, still]);
    // The same products in another order (m·f − m·b vs m·(f − b), FMA): float32 rounding only.
    kernel.forEach((values, i) => {
      expect(values.length).toBe(reference[i].length);
      values.forEach((v, j) => expect(v).toBeCloseTo(reference[i][j], 6));
    });
  });

  it('computes only the gradients backprop asks for', async () => {
    const heads = tf.variable(tf.fill([1, 2, 3, 2], 0.5));
    const still = tf.variable(tf.zeros([1, 3, 1]));
    const gradientWork = (variables: tf.Variable[]) =>
      countStepWork(async () => {
        const { value, grads } = tf.variableGrads(
          () =>
            composeTwoStream(
              heads as unknown as tf.Tensor4D,
              still as unknown as tf.Tensor3D,
            ).sum() as tf.Scalar,
          variables,
        );
        await Promise.all(Object.values(grads).map((g) => g.data()));
        tf.dispose([value, ...Object.values(grads)]);
      });
    const stillOnly = await gradientWork([still]);
    const both = await gradientWork([heads, still]);
    // The heads' gradient kernel runs only when the heads' gradient is asked for.
    expect(both.dispatches).toBe((stillOnly.dispatches as number) + 1);
    tf.dispose([heads, still]);
  });
});
