/**
 * The fused WebGPU ops that cut a step's dispatches and uploads (batch norm + activation, bias +
 * activation, the losses; src/core/gpu/kernels/) against the same maths composed from tfjs ops
 * on the CPU backend — values and the gradients of every input, for every activation and both
 * kernel paths of the batch norm — and the property they exist for: forward and backward upload
 * nothing and take a fixed, small number of dispatches. WebGPU runs through Dawn (SwiftShader
 * without a GPU) with CPU forwarding off, under the GPU error guard.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createGpuGuard } from '../src/core/gpu/gpu-guard';
import type { Activation } from '../src/core/gpu/kernels/activation';
import {
  BATCH_NORM_OPTIMIZATION,
  COLUMN_ROWS,
  batchNormActivation,
  batchNormKernelReady,
} from '../src/core/gpu/kernels/batch-norm';
import { biasActivation } from '../src/core/gpu/kernels/bias-activation';
import {
  fractionAbove,
  meanOf,
  scaledBy,
  sigmoidCrossEntropyMean,
} from '../src/core/gpu/kernels/losses';
import { setOptimizationEnabled } from '../src/core/gpu/optimizations';
import { countStepWork } from '../src/core/train/step-work';
import { maxAbs, size, values } from './helpers/arrays';
import { setupNodeWebGpu } from './helpers/node-webgpu';

const hasWebGpu = await setupNodeWebGpu();

type Arrays = Float32Array[];
type Op = (...xs: tf.Tensor[]) => tf.Tensor;

const input = (shape: number[], seed: number, scale = 1) =>
  tf.tensor(values(size(shape), seed), shape).mul(scale);

function expectClose(gpu: Arrays, cpu: Arrays, rtol = 2e-5): void {
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

/** Value and the gradients of Σ op(inputs)·R (R fixed) with respect to every input. */
function valueAndGrads(makeInputs: () => tf.Tensor[], op: Op): tf.Tensor[] {
  const inputs = makeInputs();
  const y = op(...inputs);
  const r = input(y.shape, 99);
  const grads = tf.grads((...xs: tf.Tensor[]) =>
    op(...xs)
      .mul(r)
      .sum(),
  )(inputs);
  return [y, ...grads];
}

async function read(backend: string, f: () => tf.Tensor[]): Promise<Arrays> {
  await tf.setBackend(backend);
  const outputs = f();
  const arrays = await Promise.all(outputs.map(async (t) => (await t.data()).slice()));
  tf.dispose(outputs);
  return arrays as Arrays;
}

/** `composed` on the CPU backend and `fused` on WebGPU, each with values and gradients. */
async function compare(makeInputs: () => tf.Tensor[], fused: Op, composed: Op, rtol?: number) {
  const cpu = await read('cpu', () => valueAndGrads(makeInputs, composed));
  const guard = createGpuGuard();
  try {
    const gpu = await guard.run(() => read('webgpu', () => valueAndGrads(makeInputs, fused)));
    expectClose(gpu, cpu, rtol);
  } finally {
    guard.dispose();
    await tf.setBackend('webgpu');
  }
}

function activate(y: tf.Tensor, kind: Activation, leak: number): tf.Tensor {
  switch (kind) {
    case 'linear':
      return y;
    case 'relu':
      return tf.relu(y);
    case 'leaky-relu':
      return tf.leakyRelu(y, leak);
    case 'tanh':
      return tf.tanh(y);
    case 'sigmoid':
      return tf.sigmoid(y);
  }
}

const ACTIVATIONS: Activation[] = ['linear', 'relu', 'leaky-relu', 'tanh', 'sigmoid'];

/** The composed batch norm of the VGAN (tf.moments over the rows, rsqrt, the affine map). */
function composedBatchNorm(epsilon: number, activation: Activation, leak: number): Op {
  return (x, scale, shift) => {
    const { mean, variance } = tf.moments(x, 0);
    const gain = tf.rsqrt(variance.add(epsilon)).mul(scale);
    return activate(x.sub(mean).mul(gain).add(shift), activation, leak);
  };
}

describe.skipIf(!hasWebGpu)('fused WebGPU ops equal the composed ops on the CPU', () => {
  it.each(ACTIVATIONS)('batch norm + %s, one workgroup per channel', async (activation) => {
    const rows = 37 * 11; // odd, more rows than a workgroup has invocations
    const makeInputs = () => [
      input([rows, 5], 1, 3).add(0.5), // a mean away from 0
      input([5], 2).add(1),
      input([5], 3),
    ];
    const options = { epsilon: 1e-3, activation, leak: 0.2 };
    await compare(
      makeInputs,
      (x, s, b) =>
        batchNormActivation(x as tf.Tensor2D, s as tf.Tensor1D, b as tf.Tensor1D, options),
      composedBatchNorm(1e-3, activation, 0.2),
    );
  });

  it.each([
    { columns: 1, offset: 0, activation: 'leaky-relu' as const },
    { columns: 3, offset: 4, activation: 'relu' as const },
    { columns: 5, offset: -2, activation: 'tanh' as const },
  ])(
    'batch norm + $activation on $columns columns longer than one workgroup walks (chunk moments, mean $offset)',
    async ({ columns, offset, activation }) => {
      const rows = COLUMN_ROWS + 3;
      const makeInputs = () => [
        input([rows, columns], 4).add(offset),
        input([columns], 5).add(1),
        input([columns], 6),
      ];
      const options = { epsilon: 1e-5, activation, leak: 0.2 };
      await compare(
        makeInputs,
        (x, s, b) =>
          batchNormActivation(x as tf.Tensor2D, s as tf.Tensor1D, b as tf.Tensor1D, options),
        composedBatchNorm(1e-5, activation, 0.2),
        1e-4, // sums over 65,539 rows in another order
      );
    },
  );

  it.each(ACTIVATIONS)('bias + %s', async (activation) => {
    const makeInputs = () => [input([23, 7], 7, 2), input([7], 8)];
    await compare(
      makeInputs,
      (x, b) => biasActivation(x as tf.Tensor2D, b as tf.Tensor1D, { activation, leak: 0.2 }),
      (x, b) => activate(x.add(b), activation, 0.2),
    );
  });

  it('bias + tanh with σ on the last column (the two-stream heads)', async () => {
    const makeInputs = () => [input([19, 4], 9, 2), input([4], 10)];
    await compare(
      makeInputs,
      (x, b) =>
        biasActivation(x as tf.Tensor2D, b as tf.Tensor1D, {
          activation: 'tanh',
          lastColumn: 'sigmoid',
        }),
      (x, b) => {
        const y = x.add(b);
        return tf.concat(
          [tf.tanh(y.slice([0, 0], [19, 3])), tf.sigmoid(y.slice([0, 3], [19, 1]))],
          1,
        );
      },
    );
  });

  it.each([0, 1] as const)('sigmoid cross-entropy against label %i, weighted', async (label) => {
    // Logits of both signs, zero and large magnitudes (the stable form must not overflow).
    const makeInputs = () => [tf.concat([input([300], 11, 4), tf.tensor1d([0, 40, -40])])];
    await compare(
      makeInputs,
      (l) => sigmoidCrossEntropyMean(l as tf.Tensor1D, label, 0.5),
      (l) => {
        const positive = tf.relu(l);
        const log1pExp = tf.log1p(tf.exp(tf.neg(tf.abs(l))));
        const perExample = label === 1 ? positive.sub(l).add(log1pExp) : positive.add(log1pExp);
        return perExample.mean().mul(0.5);
      },
    );
  });

  it('accuracy, the mean of all elements and a scaled scalar', async () => {
    const cpu = await read('cpu', () => {
      const l = tf.tensor1d([-2, -0, 0, 0.5, 3, -1]);
      const x = input([4, 3, 5], 12);
      return [
        tf.cast(tf.greater(l, 0), 'float32').mean(),
        tf.cast(tf.lessEqual(l, 0), 'float32').mean(),
        ...valueAndGrads(
          () => [x],
          (a) => a.mean(),
        ),
        ...valueAndGrads(
          () => [tf.scalar(1.5)],
          (a) => a.mul(0.25),
        ),
      ];
    });
    const gpu = await read('webgpu', () => {
      const l = tf.tensor1d([-2, -0, 0, 0.5, 3, -1]) as tf.Tensor1D;
      const x = input([4, 3, 5], 12);
      return [
        fractionAbove(l, 1),
        fractionAbove(l, 0),
        ...valueAndGrads(
          () => [x],
          (a) => meanOf(a),
        ),
        ...valueAndGrads(
          () => [tf.scalar(1.5)],
          (a) => scaledBy(a as tf.Scalar, 0.25),
        ),
      ];
    });
    expectClose(gpu, cpu);
  });

  it('upload nothing and dispatch a fixed few, forward and backward', async () => {
    await tf.setBackend('webgpu');
    const x = input([64, 6], 13) as tf.Tensor2D;
    const s = input([6], 14) as tf.Tensor1D;
    const b = input([6], 15) as tf.Tensor1D;
    const logits = input([8], 16) as tf.Tensor1D;
    const options = { epsilon: 1e-5, activation: 'leaky-relu' as const, leak: 0.2 };
    const loss = (xs: tf.Tensor, ss: tf.Tensor, bs: tf.Tensor) => {
      const y = batchNormActivation(
        xs as tf.Tensor2D,
        ss as tf.Tensor1D,
        bs as tf.Tensor1D,
        options,
      );
      const z = biasActivation(y, bs as tf.Tensor1D, { activation: 'tanh' });
      return sigmoidCrossEntropyMean(logits, 1, 0.5).add(scaledBy(meanOf(z), 2));
    };
    const grads = tf.grads(loss);
    tf.dispose(grads([x, s, b])); // compile first
    const dy = tf.scalar(1); // tf.grads uploads a ones dy unless given one
    let result: tf.Tensor[] = [];
    const work = await countStepWork(async () => {
      result = grads([x, s, b], dy);
    });
    tf.dispose([...result, x, s, b, logits, dy]);
    expect(work.uploads).toBe(0);
    // Forward: BN 1, bias 1, CE 1, mean 1, scale 1, add 1. Backward: add's two halves pass dy
    // on; scale 1, mean fill 1, bias 2 (dx, column sum), BN 4 (sums, dx, two slices), plus the
    // accumulation of b's two gradients.
    expect(work.dispatches).toBeLessThanOrEqual(16);
  });

  it('batchNormKernelReady follows the optimisation switch', () => {
    expect(batchNormKernelReady()).toBe(true);
    setOptimizationEnabled(BATCH_NORM_OPTIMIZATION, false, 'webgpu');
    try {
      expect(batchNormKernelReady()).toBe(false);
    } finally {
      setOptimizationEnabled(BATCH_NORM_OPTIMIZATION, true, 'webgpu');
    }
    expect(batchNormKernelReady()).toBe(true);
  });
});
