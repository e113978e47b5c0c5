/**
 * The LSTM's whole-sequence training path on WebGPU (optimisations webgpu-lstm-sequence and
 * webgpu-fused-losses) against the step-by-step composition on the CPU backend: the same loss
 * terms and the same gradient of every parameter, for every structure the path handles —
 * unconditioned and conditional (teacher-forced) decoders, one and two layers, one decoder or
 * two, Bernoulli and squared-error outputs, mean and summed objectives — and the dispatch and
 * upload counts it exists for.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createGpuGuard } from '../src/core/gpu/gpu-guard';
import {
  LSTM_SEQUENCE_OPTIMIZATION,
  lstmSequenceKernelReady,
} from '../src/core/gpu/kernels/lstm-sequence';
import { setOptimizationEnabled } from '../src/core/gpu/optimizations';
import { resolveLstmConfig } from '../src/core/models/lstm/config';
import { LstmEncoderDecoder } from '../src/core/models/lstm/model';
import { countStepWork } from '../src/core/train/step-work';
import { maxAbs, size, values } from './helpers/arrays';
import { setupNodeWebGpu } from './helpers/node-webgpu';

const hasWebGpu = await setupNodeWebGpu();

const SHAPE = { frameSize: 6, inputFrames: 3, futureFrames: 2, batchSize: 3, hiddenUnits: 5 };

const CASES: { name: string; variant: string; overrides: Record<string, unknown> }[] = [
  { name: 'composite, unconditioned (the tiny preset)', variant: 'composite', overrides: {} },
  {
    name: 'composite, both decoders conditional, two layers, summed (the paper preset)',
    variant: 'composite',
    overrides: {
      conditionalReconstruction: true,
      conditionalFuture: true,
      layers: 2,
      lossReduction: 'sum',
    },
  },
  {
    name: 'autoencoder, conditional, linear outputs',
    variant: 'autoencoder',
    overrides: { conditionalReconstruction: true, output: 'linear-mse' },
  },
  { name: 'future predictor, two layers', variant: 'future-predictor', overrides: { layers: 2 } },
];

interface Result {
  terms: Record<string, number>;
  grads: Map<string, Float32Array>;
}

/** Loss terms and the objective's gradient of every parameter on `backend`. */
async function lossAndGrads(
  backend: string,
  variant: string,
  overrides: Record<string, unknown>,
): Promise<Result> {
  await tf.setBackend(backend);
  const config = resolveLstmConfig(variant, 'tiny', { ...SHAPE, ...overrides });
  const model = new LstmEncoderDecoder(config, 3);
  const frames = model.data.frames;
  const shape = [config.batchSize, frames, config.frameSize, config.frameSize, 1];
  // Pixels in [0, 1] (Bernoulli targets), from a fixed sequence.
  const videos = tf.tensor(values(size(shape), 7), shape).abs() as tf.Tensor5D;
  try {
    const named = [...model.namedParameters()];
    const terms: Record<string, tf.Scalar> = {};
    const { value, grads } = tf.variableGrads(
      () => {
        const all = model.lossTerms(videos);
        for (const [name, t] of Object.entries(all)) {
          if (name !== 'objective' && t) terms[name] = tf.keep(t);
        }
        return all.objective;
      },
      named.map(([, v]) => v),
    );
    const read = async (t: tf.Tensor) => (await t.data()).slice() as Float32Array;
    const result: Result = { terms: {}, grads: new Map() };
    for (const [name, t] of Object.entries(terms)) result.terms[name] = (await read(t))[0];
    for (const [name, v] of named) result.grads.set(name, await read(grads[v.name]));
    tf.dispose([value, ...Object.values(terms), ...Object.values(grads)]);
    return result;
  } finally {
    videos.dispose();
    model.dispose();
  }
}

describe.skipIf(!hasWebGpu)('the LSTM whole-sequence path equals the composed path', () => {
  it.each(CASES)('$name: loss terms and every gradient', async ({ variant, overrides }) => {
    const cpu = await lossAndGrads('cpu', variant, overrides);
    const guard = createGpuGuard();
    let gpu: Result;
    try {
      gpu = await guard.run(() => lossAndGrads('webgpu', variant, overrides));
    } finally {
      guard.dispose();
      await tf.setBackend('webgpu');
    }
    expect(lstmSequenceKernelReady()).toBe(true);
    expect(Object.keys(gpu.terms).sort()).toEqual(Object.keys(cpu.terms).sort());
    for (const [name, value] of Object.entries(cpu.terms)) {
      expect(Math.abs(gpu.terms[name] - value), name).toBeLessThanOrEqual(1e-5 * Math.abs(value));
    }
    for (const [name, expected] of cpu.grads) {
      const actual = gpu.grads.get(name) as Float32Array;
      expect(maxAbs(expected), `${name} has a gradient`).toBeGreaterThan(0);
      let worst = 0;
      for (let i = 0; i < expected.length; i++) {
        worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
      }
      expect(worst, name).toBeLessThanOrEqual(1e-4 * maxAbs(expected) + 1e-7);
    }
  });

  it('takes under half the dispatches of the step-by-step path and uploads only the batch', async () => {
    await tf.setBackend('webgpu');
    const config = resolveLstmConfig('composite', 'tiny', SHAPE);
    const model = new LstmEncoderDecoder(config, 3);
    const shape = [config.batchSize, model.data.frames, config.frameSize, config.frameSize, 1];
    const step = async () => {
      const videos = tf.tensor(values(size(shape), 7), shape).abs() as tf.Tensor5D;
      const losses = model.trainStep(videos);
      await losses.loss.data();
      tf.dispose([videos, ...Object.values(losses)]);
    };
    const count = async () => {
      await step(); // compiles
      return countStepWork(step);
    };
    try {
      const fused = await count();
      setOptimizationEnabled(LSTM_SEQUENCE_OPTIMIZATION, false, 'webgpu');
      let composed;
      try {
        composed = await count();
      } finally {
        setOptimizationEnabled(LSTM_SEQUENCE_OPTIMIZATION, true, 'webgpu');
      }
      console.log('WORK', JSON.stringify([fused, composed]));
      expect(fused.uploads).toBe(2); // the batch and the engine's ones for the gradient's dy
      expect(composed.uploads).toBeGreaterThan(fused.uploads as number);
      expect(fused.dispatches as number).toBeLessThan((composed.dispatches as number) / 2);
    } finally {
      model.dispose();
    }
  });
});
