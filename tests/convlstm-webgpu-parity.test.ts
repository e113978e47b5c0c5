/**
 * The ConvLSTM (src/core/models/convlstm) on WebGPU (Dawn + SwiftShader in Node, CPU forwarding off)
 * against the tfjs CPU backend: the loss and every weight's gradient (the gate convolution's custom
 * filter gradient included), then training steps (the fused Adam on WebGPU), evaluation and samples. GPU
 * errors become exceptions through the GPU guard. Skips where no WebGPU adapter is available.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadMnistFromDisk } from '../src/core/data/mnist-node';
import {
  MovingMnistStream,
  bytesToTensor,
  evaluationVideos,
  movingMnistOptionsFor,
} from '../src/core/data/video-stream';
import { createGpuGuard } from '../src/core/gpu/gpu-guard';
import { resolveConvLstmConfig } from '../src/core/models/convlstm/config';
import { ConvLstmModel } from '../src/core/models/convlstm/model';
import { readScalars } from '../src/core/train/trainer';
import { maxAbs, values } from './helpers/arrays';
import { setupNodeWebGpu } from './helpers/node-webgpu';

const hasWebGpu = await setupNodeWebGpu();

const CONFIG = resolveConvLstmConfig('encoder-forecaster', 'tiny', {
  frameSize: 16,
  patchSize: 2,
  channels: '8-8',
  kernelSize: 3,
  inputFrames: 3,
  futureFrames: 2,
  batchSize: 2,
  gradientClipNorm: 1, // active: the loss's gradient norm is far above 1
});

/** Every array of `gpu` equals its `cpu` twin up to `rtol` of the twin's largest magnitude. */
function expectClose(gpu: Float32Array[], cpu: Float32Array[], rtol: number, what: string): void {
  expect(gpu.length).toBe(cpu.length);
  cpu.forEach((expected, k) => {
    const actual = gpu[k];
    expect(actual.length, `${what} ${k}`).toBe(expected.length);
    const tolerance = rtol * maxAbs(expected) + 1e-6;
    let worst = 0;
    for (let i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    }
    expect(worst, `${what} ${k}`).toBeLessThanOrEqual(tolerance);
  });
}

/** Runs `f` on `backend` under the GPU guard and disposes its tfjs state afterwards. */
async function on<T>(backend: string, f: () => Promise<T>): Promise<T> {
  await tf.setBackend(backend);
  expect(tf.getBackend()).toBe(backend);
  const guard = createGpuGuard();
  try {
    return await guard.run(f);
  } finally {
    guard.dispose();
  }
}

describe.skipIf(!hasWebGpu)('the ConvLSTM on WebGPU equals the CPU backend', () => {
  it('computes the same loss and gradients', async () => {
    const trace = (backend: string) =>
      on(backend, async () => {
        const model = new ConvLstmModel(CONFIG, 4);
        const clip = tf.tensor5d(
          values(2 * 5 * 16 * 16, 5).map((v) => (v + 1) / 2),
          [2, 5, 16, 16, 1],
        );
        const params = [...model.namedParameters().values()];
        const { value, grads } = tf.variableGrads(() => model.loss(clip), params);
        const out = await Promise.all(
          [value, ...params.map((v) => grads[v.name])].map(async (t) =>
            Float32Array.from(await t.data()),
          ),
        );
        tf.dispose([value, clip, ...Object.values(grads)]);
        model.dispose();
        return out;
      });
    const cpu = await trace('cpu');
    const gpu = await trace('webgpu');
    expectClose(gpu, cpu, 1e-4, 'loss, then gradient');
  });

  it('takes the same training steps, evaluation and samples', async () => {
    const digits = await loadMnistFromDisk();
    const trace = (backend: string) =>
      on(backend, async () => {
        const model = new ConvLstmModel(CONFIG, 3);
        const options = movingMnistOptionsFor({ source: 'moving-mnist', digitSize: 8 }, model.data);
        const stream = new MovingMnistStream(digits, options, model.data, 42);
        const evalSet = bytesToTensor(evaluationVideos(digits, options, 3), model.data);
        try {
          const losses: number[] = [];
          for (let step = 0; step < 3; step++) {
            const batch = stream.nextBatch();
            losses.push((await readScalars(model.trainStep(batch))).loss);
            batch.dispose();
          }
          const evaluation = await model.evaluate(evalSet);
          const views = await model.sample(evalSet, 1);
          return { losses, evaluation, views };
        } finally {
          evalSet.dispose();
          model.dispose();
        }
      });
    const cpu = await trace('cpu');
    const gpu = await trace('webgpu');
    gpu.losses.forEach((loss, i) =>
      expect(Math.abs(loss - cpu.losses[i]), `step ${i}`).toBeLessThan(1e-4 * cpu.losses[i]),
    );
    for (const [name, value] of Object.entries(cpu.evaluation.scalars)) {
      const other = gpu.evaluation.scalars[name];
      expect(Math.abs(other - value), name).toBeLessThanOrEqual(1e-3 * Math.abs(value) + 1e-4);
    }
    const panels = (v: typeof cpu.views) => v.flatMap((view) => view.panels.map((p) => p.frames));
    expectClose(panels(gpu.views), panels(cpu.views), 1e-3, 'panel');
  });
});
