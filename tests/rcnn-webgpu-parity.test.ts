/**
 * The rCNN's ops on WebGPU (Dawn + SwiftShader in Node, CPU forwarding off) against the tfjs CPU
 * backend: patch extraction and overlap-averaged assembly, nearest-centroid assignment, the
 * k-means++ seeding and mini-batch updates, tempered sampling and entropy, the network's loss and
 * gradients, then the whole model — dictionary, training steps, evaluation and samples. GPU
 * errors become exceptions through the GPU guard. Skips where no WebGPU adapter is available.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadMnistFromDisk } from '../src/core/data/mnist-node';
import { SeededRandom } from '../src/core/data/random';
import {
  MovingMnistStream,
  bytesToTensor,
  evaluationVideos,
  movingMnistOptionsFor,
} from '../src/core/data/video-stream';
import { createGpuGuard } from '../src/core/gpu/gpu-guard';
import { resolveRcnnConfig } from '../src/core/models/rcnn/config';
import { fitKmeans, nearestCentroids } from '../src/core/models/rcnn/kmeans';
import { drawCodes, entropyOf } from '../src/core/models/rcnn/generation';
import { VideoLanguageModel } from '../src/core/models/rcnn/model';
import { ParameterStore } from '../src/core/models/kit/params';
import { RecurrentConvNet } from '../src/core/models/rcnn/network';
import { PatchCodec, patchGeometry } from '../src/core/models/rcnn/patches';
import { readScalars } from '../src/core/train/trainer';
import { maxAbs, values } from './helpers/arrays';
import { setupNodeWebGpu } from './helpers/node-webgpu';

const hasWebGpu = await setupNodeWebGpu();

type Arrays = Float32Array[];

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

/** Runs `f` on the CPU, then on WebGPU under the GPU guard; returns both read-back outputs. */
async function onBoth(
  f: () => Promise<tf.Tensor[]> | tf.Tensor[],
): Promise<{ cpu: Arrays; gpu: Arrays }> {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    expect(tf.getBackend()).toBe(backend);
    const outputs = await f();
    const arrays = await Promise.all(outputs.map(async (t) => Float32Array.from(await t.data())));
    tf.dispose(outputs);
    return arrays;
  };
  const cpu = await run('cpu');
  const guard = createGpuGuard();
  try {
    return { cpu, gpu: await guard.run(() => run('webgpu')) };
  } finally {
    guard.dispose();
  }
}

const frames = (n: number, side: number, seed: number) =>
  tf.tensor4d(
    values(n * side * side, seed).map((v) => (v + 1) / 2),
    [n, side, side, 1],
  );

describe.skipIf(!hasWebGpu)('rCNN ops on WebGPU equal the CPU backend', () => {
  it('extracts patches and assembles them, averaging overlaps', async () => {
    for (const stride of [8, 4]) {
      const { cpu, gpu } = await onBoth(() => {
        const codec = new PatchCodec(patchGeometry(24, 8, stride));
        const x = frames(3, 24, stride);
        const patches = codec.extract(x);
        const noisy = patches.add(tf.tensor1d(values(64, 2))) as tf.Tensor4D; // overlaps now differ
        const out = [patches, codec.assemble(noisy)];
        tf.dispose([x, noisy]);
        codec.dispose();
        return out;
      });
      expectClose(gpu, cpu, 1e-5);
    }
  });

  it('assigns points to their nearest centroids', async () => {
    const { cpu, gpu } = await onBoth(() => {
      const x = tf.tensor2d(values(500 * 16, 3), [500, 16]);
      const c = tf.tensor2d(values(40 * 16, 4), [40, 16]);
      const norms = c.square().sum(1) as tf.Tensor1D;
      const { index, distance } = nearestCentroids(x, c, norms);
      const out = [index.toFloat(), distance];
      tf.dispose([x, c, norms, index]);
      return out;
    });
    expect(Array.from(gpu[0])).toEqual(Array.from(cpu[0]));
    expectClose([gpu[1]], [cpu[1]], 1e-5);
  });

  it('runs k-means++ and mini-batch k-means to the same dictionary', async () => {
    const rng = new SeededRandom(5);
    const centers = Array.from({ length: 8 }, () =>
      Array.from({ length: 16 }, () => 6 * rng.next()),
    );
    const data = new Float32Array(800 * 16);
    for (let i = 0; i < 800; i++) {
      for (let d = 0; d < 16; d++) data[i * 16 + d] = centers[i % 8][d] + 0.1 * rng.normal();
    }
    // k-means++ seeding, then updates; and a start with one centroid far from every point,
    // which the updates must re-seed.
    const far = Float32Array.from({ length: 8 * 16 }, (_, i) =>
      i < 16 ? 100 : centers[i >> 4][i % 16] + 0.5,
    );
    for (const start of ['kmeans++', 'far'] as const) {
      const { cpu, gpu } = await onBoth(async () => {
        const x = tf.tensor2d(data, [800, 16]);
        const initial = start === 'far' ? tf.tensor2d(far, [8, 16]) : undefined;
        const result = await fitKmeans(x, {
          k: 8,
          init: 'kmeans++',
          initial,
          iterations: 25,
          batchSize: 128,
          seed: 2,
        });
        if (start === 'far') expect(result.reseeded).toBeGreaterThan(0);
        tf.dispose([x, ...(initial ? [initial] : [])]);
        return [result.centroids, tf.tensor1d(result.counts), tf.tensor1d(result.history)];
      });
      expectClose(gpu, cpu, 1e-4);
    }
  });

  it('draws the same codes from the same uniforms, with the same entropy', async () => {
    const rng = new SeededRandom(8);
    const uniforms = Float32Array.from({ length: 300 }, () => rng.next());
    const { cpu, gpu } = await onBoth(() => {
      const logits = tf.tensor2d(
        values(300 * 64, 9).map((v) => 3 * v),
        [300, 64],
      );
      const out = [0, 0.5, 1].map((t) => drawCodes(logits, t, uniforms).toFloat());
      out.push(entropyOf(logits));
      logits.dispose();
      return out;
    });
    for (let i = 0; i < 3; i++) {
      const mismatches = gpu[i].filter((code, j) => code !== cpu[i][j]).length;
      expect(mismatches, `temperature case ${i}`).toBeLessThanOrEqual(1); // a CDF boundary at most
    }
    expectClose([gpu[3]], [cpu[3]], 1e-5);
  });

  it('computes the same loss and gradients', async () => {
    const { cpu, gpu } = await onBoth(() => {
      const store = new ParameterStore(7);
      const net = new RecurrentConvNet(
        {
          dictionarySize: 32,
          embeddingDim: 6,
          hiddenChannels: 8,
          kernelSize: 3,
          convLayers: 2,
          activation: 'tanh',
        },
        store,
      );
      const codes = tf.tensor4d(
        Array.from({ length: 4 * 3 * 16 }, (_, i) => (i * 13 + (i >> 3)) % 32),
        [4, 3, 4, 4],
        'int32',
      );
      const { value, grads } = tf.variableGrads(() => net.loss(codes), store.variables());
      const out = [value, ...store.variables().map((v) => grads[v.name])];
      codes.dispose();
      store.dispose();
      return out;
    });
    expectClose(gpu, cpu, 1e-4);
  });
});

describe.skipIf(!hasWebGpu)('the rCNN model on WebGPU equals the CPU backend', () => {
  it('same dictionary, losses, evaluation and samples', async () => {
    const digits = await loadMnistFromDisk();
    const config = resolveRcnnConfig('rcnn', 'tiny', {
      frameSize: 32,
      frames: 5,
      dictionarySize: 16,
      kmeansPatches: 2048,
      kmeansBatchSize: 512,
      kmeansIterations: 15,
      sweepSizes: 1,
      batchSize: 4,
      extrapolationFrames: 3,
      temperature: 0, // argmax: generation cannot depend on a CDF boundary
    });
    const trace = async (backend: string) => {
      await tf.setBackend(backend);
      const guard = createGpuGuard();
      const model = new VideoLanguageModel(config, 3);
      const options = movingMnistOptionsFor(
        { source: 'moving-mnist', digitSize: 14, speed: 2 },
        model.data,
      );
      const stream = new MovingMnistStream(digits, options, model.data, 42);
      const evalSet = bytesToTensor(evaluationVideos(digits, options, 4), model.data);
      try {
        await guard.run(() => model.prepare(stream, () => {}, new AbortController().signal));
        const centroids = Float32Array.from(await model.dictionary.centroids.data());
        const losses: number[] = [];
        for (let step = 0; step < 3; step++) {
          const batch = stream.nextBatch();
          try {
            losses.push((await guard.run(() => readScalars(model.trainStep(batch)))).loss);
          } finally {
            batch.dispose();
          }
        }
        const evaluation = await guard.run(() => model.evaluate(evalSet));
        const views = await guard.run(() => model.sample(evalSet, 1));
        return { centroids, losses, evaluation, views, sweep: model.sweep.map((p) => p.psnr) };
      } finally {
        evalSet.dispose();
        model.dispose();
        guard.dispose();
      }
    };
    const cpu = await trace('cpu');
    const gpu = await trace('webgpu');
    expectClose([gpu.centroids], [cpu.centroids], 1e-4);
    gpu.sweep.forEach((psnr, i) => expect(Math.abs(psnr - cpu.sweep[i])).toBeLessThan(1e-3));
    gpu.losses.forEach((loss, i) =>
      expect(Math.abs(loss - cpu.losses[i])).toBeLessThan(1e-3 * cpu.losses[i]),
    );
    for (const [name, value] of Object.entries(cpu.evaluation.scalars)) {
      const other = gpu.evaluation.scalars[name];
      expect(Math.abs(other - value), name).toBeLessThanOrEqual(1e-3 * Math.abs(value) + 1e-4);
    }
    const panels = (v: typeof cpu.views) => v.flatMap((view) => view.panels.map((p) => p.frames));
    expectClose(panels(gpu.views), panels(cpu.views), 1e-3);
  });
});
