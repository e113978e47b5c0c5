/**
 * The LSTM trains the same on WebGPU (Dawn in Node, SwiftShader without a GPU) as on the CPU
 * backend: same seed and batches → same initial weights, the same losses and weights after two
 * Adam steps, and the same evaluation. The backend is chosen through `selectBackend`, as the
 * worker does, so the rank ≥5 workaround is installed exactly as in the app; all WebGPU work
 * runs inside the GPU error guard, so a dropped command buffer fails the test instead of
 * returning stale numbers.
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
import { selectBackend } from '../src/core/gpu/backend';
import type { BackendName } from '../src/core/gpu/backend';
import { createGpuGuard } from '../src/core/gpu/gpu-guard';
import { isRank5WorkaroundInstalled } from '../src/core/gpu/rank5-workaround';
import { resolveLstmConfig } from '../src/core/models/lstm/config';
import { LstmEncoderDecoder } from '../src/core/models/lstm/model';
import type { EvalResult } from '../src/core/models/types';
import { readScalars } from '../src/core/train/trainer';
import { setupNodeWebGpu } from './helpers/node-webgpu';

const hasWebGpu = await setupNodeWebGpu();
if (!hasWebGpu) {
  console.warn(
    'lstm-webgpu-parity: skipped — no WebGPU adapter (npm `webgpu` Dawn bindings with a Vulkan ' +
      'driver, e.g. VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json, are needed).',
  );
}

/** The tiny preset (composite, unconditioned, Adam 2e-3) at 16×16 px with 4 + 4 frames. */
const CONFIG = resolveLstmConfig('composite', 'tiny', {
  frameSize: 16,
  inputFrames: 4,
  futureFrames: 4,
  batchSize: 4,
  hiddenUnits: 32,
});
const SEED = 5;
const STEPS = 2;

interface Trace {
  initial: Map<string, Float32Array>;
  losses: Record<string, number>[];
  weights: Map<string, Float32Array>;
  evaluation: EvalResult;
}

interface Data {
  shape: [number, number, number, number, number];
  batches: Float32Array[];
  evalSet: Float32Array;
  evalShape: [number, number, number, number, number];
}

/** Training batches and an evaluation set from real Moving MNIST, as plain arrays. */
async function movingMnist(): Promise<Data> {
  await tf.setBackend('cpu');
  const digits = await loadMnistFromDisk();
  const model = new LstmEncoderDecoder(CONFIG, SEED);
  const needs = model.data;
  model.dispose();
  const options = movingMnistOptionsFor({ source: 'moving-mnist', digitSize: 10, speed: 2 }, needs);
  const stream = new MovingMnistStream(digits, options, needs, 42);
  const batches = Array.from({ length: STEPS }, () => {
    const batch = stream.nextBatch();
    const values = batch.dataSync().slice() as Float32Array;
    batch.dispose();
    return values;
  });
  const evalTensor = bytesToTensor(evaluationVideos(digits, options, 6), needs);
  const evalSet = evalTensor.dataSync().slice() as Float32Array;
  const evalShape = evalTensor.shape;
  evalTensor.dispose();
  return {
    shape: [needs.batchSize, needs.frames, needs.height, needs.width, 1],
    batches,
    evalSet,
    evalShape,
  };
}

/** Every weight, read asynchronously (WebGPU in Node has no synchronous read-back). */
async function snapshot(model: LstmEncoderDecoder): Promise<Map<string, Float32Array>> {
  const values = new Map<string, Float32Array>();
  for (const [name, variable] of model.namedParameters()) {
    values.set(name, (await variable.data()).slice() as Float32Array);
  }
  return values;
}

async function train(backend: BackendName, data: Data): Promise<Trace> {
  const report = await selectBackend(backend);
  expect(report.backend).toBe(backend);
  const guard = createGpuGuard();
  const model = new LstmEncoderDecoder(CONFIG, SEED);
  try {
    const initial = await snapshot(model);
    const losses: Record<string, number>[] = [];
    for (const values of data.batches) {
      const batch = tf.tensor5d(values, data.shape);
      try {
        losses.push(await guard.run(() => readScalars(model.trainStep(batch))));
      } finally {
        batch.dispose();
      }
    }
    const evalSet = tf.tensor5d(data.evalSet, data.evalShape);
    const evaluation = await guard.run(() => model.evaluate(evalSet));
    evalSet.dispose();
    return { initial, losses, weights: await snapshot(model), evaluation };
  } finally {
    model.dispose();
    guard.dispose();
  }
}

/** Largest |a − b| of a parameter relative to its largest |a|. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let size = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    size = Math.max(size, Math.abs(a[i]));
  }
  return size === 0 ? diff : diff / size;
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);

describe.skipIf(!hasWebGpu)('LSTM on WebGPU equals the CPU backend', () => {
  it('same losses, weights and evaluation after two training steps', async () => {
    const data = await movingMnist();
    const started = performance.now();
    const cpu = await train('cpu', data);
    const cpuMs = performance.now() - started;
    const gpu = await train('webgpu', data);
    console.log(
      `cpu ${cpuMs.toFixed(0)} ms, webgpu ${(performance.now() - started - cpuMs).toFixed(0)} ms`,
    );
    expect(isRank5WorkaroundInstalled()).toBe(true);
    expect(tf.getBackend()).toBe('webgpu');

    // Same seed → bit-identical initial weights (tfjs draws them on the CPU side).
    expect(gpu.initial).toEqual(cpu.initial);

    expect(gpu.losses).toHaveLength(STEPS);
    gpu.losses.forEach((losses, step) => {
      expect(Object.keys(losses).sort()).toEqual(Object.keys(cpu.losses[step]).sort());
      for (const [name, value] of Object.entries(losses)) {
        expect(relative(value, cpu.losses[step][name]), `step ${step + 1} ${name}`).toBeLessThan(
          1e-3,
        );
      }
    });
    // The steps did move the weights, by the same amounts on both backends.
    for (const [name, weights] of cpu.weights) {
      expect(relativeError(weights, cpu.initial.get(name)!), name).toBeGreaterThan(1e-2);
      expect(relativeError(gpu.weights.get(name)!, weights), name).toBeLessThan(1e-3);
    }

    const names = Object.keys(cpu.evaluation.scalars);
    expect(Object.keys(gpu.evaluation.scalars).sort()).toEqual([...names].sort());
    for (const name of names) {
      const value = gpu.evaluation.scalars[name];
      expect(Number.isFinite(value), name).toBe(true);
      expect(relative(value, cpu.evaluation.scalars[name]), name).toBeLessThan(1e-3);
    }
  });
});
