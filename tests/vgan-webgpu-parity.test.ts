/**
 * The VGAN on WebGPU (Dawn + SwiftShader in Node, CPU forwarding off, no rank-5 workaround
 * installed) against the tfjs CPU backend: every rank-5 op the model uses, with its gradients,
 * then whole training steps. On WebGPU the thin strided layers run in their blocked
 * (space-to-depth) form and the CPU runs tfjs's own Conv3D kernels, so the comparison also checks
 * that both forms compute the same model. GPU errors are turned into exceptions by the GPU guard.
 * Skips cleanly where no WebGPU adapter is available.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createGpuGuard } from '../src/core/gpu/gpu-guard';
import { isRank5WorkaroundInstalled } from '../src/core/gpu/rank5-workaround';
import { resolveVganConfig } from '../src/core/models/vgan/config';
import type { VganConfig, VganVariant } from '../src/core/models/vgan/config';
import { VideoGan } from '../src/core/models/vgan/model';
import {
  accuracy,
  batchNorm,
  composeVideo,
  overFrames,
  sigmoidCrossEntropy,
  splitChannels,
  strided,
  stridedTranspose,
} from '../src/core/models/vgan/ops';
import { maxAbs, size, values } from './helpers/arrays';
import { setupNodeWebGpu } from './helpers/node-webgpu';

const hasWebGpu = await setupNodeWebGpu();

type Arrays = Float32Array[];

/** A small shape with every kind of layer: 4 frames of 16×16 (two stride-2 levels). */
const SMALL = {
  frames: 4,
  frameSize: 16,
  zDim: 6,
  generatorWidth: 3,
  discriminatorWidth: 3,
  batchSize: 3,
};

const input = (shape: number[], seed: number) => tf.tensor(values(size(shape), seed), shape);

/** Every array of `gpu` equals its `cpu` twin up to `rtol` of the twin's largest magnitude. */
function expectClose(gpu: Arrays, cpu: Arrays, rtol = 1e-4): void {
  expect(gpu.length).toBe(cpu.length);
  cpu.forEach((expected, k) => {
    const actual = gpu[k];
    expect(actual.length, `output ${k}`).toBe(expected.length);
    const tolerance = rtol * maxAbs(expected) + 1e-6;
    let worst = 0;
    for (let i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    }
    expect(worst, `output ${k}`).toBeLessThanOrEqual(tolerance);
  });
}

/**
 * Runs `f` (which builds its inputs from seeds) on the CPU and on WebGPU under the GPU guard, and
 * returns the read-back outputs of both.
 */
async function onBoth(f: () => tf.Tensor[]): Promise<{ cpu: Arrays; gpu: Arrays }> {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    expect(tf.getBackend()).toBe(backend);
    const outputs = f();
    const arrays = await Promise.all(
      outputs.map(async (t) => (await t.data()).slice() as Float32Array),
    );
    tf.dispose(outputs);
    return arrays;
  };
  const cpu = await run('cpu');
  const guard = createGpuGuard();
  try {
    const gpu = await guard.run(() => run('webgpu'));
    return { cpu, gpu };
  } finally {
    guard.dispose();
    await tf.setBackend('webgpu');
  }
}

/** Value and gradients of Σ f(inputs)·R (R fixed), the gradients of every input. */
function valueAndGrads(inputs: tf.Tensor[], f: (...xs: tf.Tensor[]) => tf.Tensor): tf.Tensor[] {
  const probe = (...xs: tf.Tensor[]) => {
    const y = f(...xs);
    return y.mul(input(y.shape, 99)).sum();
  };
  const y = f(...inputs);
  return [y, ...tf.grads(probe)(inputs)];
}

describe.skipIf(!hasWebGpu)('VGAN ops on WebGPU equal the CPU backend', () => {
  it('runs on WebGPU with CPU forwarding off and without the rank-5 workaround', () => {
    expect(tf.env().getBool('WEBGPU_CPU_FORWARD')).toBe(false);
    expect(isRank5WorkaroundInstalled()).toBe(false);
  });

  it.each([
    { name: '3D, standard', time: true, blocked: false, x: [2, 4, 8, 8, 1] },
    { name: '3D, blocked', time: true, blocked: true, x: [2, 4, 8, 8, 1] },
    { name: '3D wide, standard', time: true, blocked: false, x: [2, 2, 4, 4, 5] },
    { name: '2D per frame, blocked', time: false, blocked: true, x: [2, 1, 8, 8, 3] },
  ])('strided conv3d and its gradients ($name)', async ({ time, blocked, x }) => {
    const kt = time ? 4 : 1;
    const { cpu, gpu } = await onBoth(() =>
      valueAndGrads([input(x, 1), input([kt, 4, 4, x[4], 6], 2)], (a, w) =>
        strided(a as tf.Tensor5D, w as tf.Tensor5D, time, blocked),
      ),
    );
    expectClose(gpu, cpu);
  });

  it.each([
    { name: '3D, standard (custom gradient)', time: true, blocked: false, out: 3 },
    { name: '3D, blocked', time: true, blocked: true, out: 2 },
    { name: '2D per frame, blocked', time: false, blocked: true, out: 1 },
    { name: '2D per frame, standard', time: false, blocked: false, out: 4 },
  ])('strided conv3dTranspose and its gradients ($name)', async ({ time, blocked, out }) => {
    const x = time ? [2, 2, 4, 4, 5] : [2, 1, 4, 4, 5];
    const kt = time ? 4 : 1;
    const { cpu, gpu } = await onBoth(() =>
      valueAndGrads([input(x, 3), input([kt, 4, 4, out, 5], 4)], (a, w) =>
        stridedTranspose(a as tf.Tensor5D, w as tf.Tensor5D, time, blocked),
      ),
    );
    expectClose(gpu, cpu);
  });

  it('batch norm and LeakyReLU / ReLU on the [B·T, H, W, C] view, with gradients', async () => {
    const { cpu, gpu } = await onBoth(() =>
      valueAndGrads(
        [input([2, 3, 4, 4, 5], 5), input([5], 6).add(1), input([5], 7)],
        (x, scale, shift) =>
          overFrames(x as tf.Tensor5D, (frames) => {
            const y = batchNorm(frames, scale as tf.Tensor1D, shift as tf.Tensor1D, 1e-3);
            return tf.leakyRelu(y, 0.2).add(tf.relu(y)) as tf.Tensor4D;
          }),
      ),
    );
    expectClose(gpu, cpu);
  });

  it('m⊙f + (1−m)⊙b with the background broadcast over time, with gradients', async () => {
    for (const c of [1, 3]) {
      const { cpu, gpu } = await onBoth(() =>
        valueAndGrads(
          [input([2, 4, 4, 4, 1], 8), input([2, 4, 4, 4, c], 9), input([2, 4, 4, c], 10)],
          (m, f, b) =>
            composeVideo(tf.sigmoid(m) as tf.Tensor5D, f as tf.Tensor5D, b as tf.Tensor4D),
        ),
      );
      expectClose(gpu, cpu);
    }
  });

  it('sigmoid cross-entropy, accuracy and the channel split, with gradients', async () => {
    const { cpu, gpu } = await onBoth(() => {
      const logits = tf.tensor1d([-40, -3, -0.5, 0, 0.25, 2, 35, 90]);
      const [real, dReal] = valueAndGrads([logits], (l) =>
        sigmoidCrossEntropy(l as tf.Tensor1D, 1),
      );
      const [fake, dFake] = valueAndGrads([logits], (l) =>
        sigmoidCrossEntropy(l as tf.Tensor1D, 0),
      );
      const split = valueAndGrads([input([64, 4], 11)], (x) => {
        const [a, b] = splitChannels(x as tf.Tensor2D, 3);
        return tf.concat([a.mul(2), b.mul(-3)], 1);
      });
      return [real, dReal, fake, dFake, accuracy(logits, 1), accuracy(logits, 0), ...split];
    });
    expectClose(gpu, cpu);
  });
});

describe.skipIf(!hasWebGpu)('VGAN training steps on WebGPU equal the CPU backend', () => {
  /** Losses and every weight after `steps` training steps on `backend`. */
  async function train(backend: string, config: VganConfig, steps: number) {
    await tf.setBackend(backend);
    const model = new VideoGan(config, 7);
    const s = config.frameSize;
    const shape = [config.batchSize, config.frames, s, s, config.channels];
    const videos = tf.tensor5d(
      values(size(shape), 12),
      shape as [number, number, number, number, number],
    );
    const guard = createGpuGuard();
    try {
      const losses: Record<string, number>[] = [];
      for (let i = 0; i < steps; i++) {
        const scalars = model.trainStep(videos);
        const names = Object.keys(scalars);
        const stacked = tf.stack(names.map((n) => scalars[n]));
        const read = await guard.run(() => stacked.data());
        losses.push(Object.fromEntries(names.map((n, k) => [n, read[k]])));
        tf.dispose([stacked, ...Object.values(scalars)]);
      }
      const weights = new Map<string, Float32Array>();
      for (const [name, v] of model.namedParameters()) {
        weights.set(name, (await v.data()).slice() as Float32Array);
      }
      return { losses, weights };
    } finally {
      guard.dispose();
      videos.dispose();
      model.dispose();
    }
  }

  /**
   * Losses equal; weights equal up to float noise. One Adam step moves a weight by about ±lr
   * whatever its gradient's size, so a gradient that is zero up to rounding may move it either
   * way on the two backends: all weights agree within 2·lr, and nearly all within 1e-6.
   */
  async function compare(variant: VganVariant, config: VganConfig, steps: number) {
    const cpu = await train('cpu', config, steps);
    const gpu = await train('webgpu', config, steps);
    cpu.losses.forEach((expected, i) => {
      for (const [name, value] of Object.entries(expected)) {
        expect(gpu.losses[i][name], `${variant} step ${i} ${name}`).toBeCloseTo(value, 4);
      }
    });
    const lr = Math.max(config.dLearningRate, config.gLearningRate);
    let total = 0;
    let loose = 0;
    for (const [name, expected] of cpu.weights) {
      const actual = gpu.weights.get(name) as Float32Array;
      for (let i = 0; i < expected.length; i++) {
        const difference = Math.abs(actual[i] - expected[i]);
        expect(difference, `${variant} ${name}[${i}]`).toBeLessThanOrEqual(2 * lr * steps + 1e-6);
        if (difference > 1e-6) loose++;
        total++;
      }
    }
    expect(loose / total, `${variant}: weights off by more than 1e-6`).toBeLessThan(0.005);
  }

  it('the tiny preset (two-stream): one full D + G step', async () => {
    await compare('two-stream', resolveVganConfig('two-stream', 'tiny'), 1);
  });

  it('one-stream and image-to-video on a small shape: two steps each', async () => {
    await compare('one-stream', resolveVganConfig('one-stream', 'tiny', SMALL), 2);
    await compare('image-to-video', resolveVganConfig('image-to-video', 'tiny', SMALL), 2);
  });

  it('keeps the WebGPU buffer pool from growing once every shape has been seen', async () => {
    await tf.setBackend('webgpu');
    const config = resolveVganConfig('two-stream', 'tiny', SMALL);
    const model = new VideoGan(config, 3);
    const shape: [number, number, number, number, number] = [3, 4, 16, 16, 1];
    const batch = tf.tensor5d(values(size(shape), 13), shape);
    const held = tf.tensor5d(values(5 * size(shape.slice(1)), 14), [5, 4, 16, 16, 1]);
    const pool = () => (tf.memory() as { numBytesAllocatedInGPU?: number }).numBytesAllocatedInGPU;
    const round = async () => {
      const scalars = model.trainStep(batch);
      const stacked = tf.stack(Object.values(scalars));
      await stacked.data();
      tf.dispose([stacked, ...Object.values(scalars)]);
      await model.sample(held, 2);
      await model.evaluate(held);
    };
    try {
      await model.warmUp(batch);
      await round();
      await round();
      const before = pool();
      expect(before).toBeGreaterThan(0);
      await round();
      await round();
      expect(pool()).toBe(before);
    } finally {
      tf.dispose([batch, held]);
      model.dispose();
    }
  });
});
