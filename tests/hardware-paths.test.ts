/**
 * The code paths a hardware adapter takes, run on SwiftShader: kernel selection forced to the
 * hardware rules (`setKernelPathsOverride('hardware')`) and the device created with WebGPU's
 * minimum limits (8 storage buffers per shader stage, 16 KiB of workgroup memory, 256
 * invocations), so that nothing here passes only because the adapter is a software one or
 * generous. One training step of every model × variant × preset, at small shapes that keep each
 * preset's structure (layer counts, variants), must finish without a GPU error and with finite
 * losses. Skips where no WebGPU adapter is available.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMnistFromDisk } from '../src/core/data/mnist-node';
import type { MnistDigits } from '../src/core/data/mnist';
import { MovingMnistStream, movingMnistOptionsFor } from '../src/core/data/video-stream';
import { setKernelPathsOverride } from '../src/core/gpu/adapter-class';
import { selectBackend, setWebGpuDeviceLimits } from '../src/core/gpu/backend';
import { createGpuGuard } from '../src/core/gpu/gpu-guard';
import { MODELS } from '../src/core/models/registry';
import { Trainer } from '../src/core/train/trainer';
import { installNodeWebGpu } from '../src/node/webgpu';
import { values } from './helpers/arrays';

/**
 * Per model: overrides that shrink every preset to a few milliseconds of work on SwiftShader while
 * keeping what decides which kernels run (layer counts, variants, losses). A new model must add
 * its own entry, or this test fails.
 */
const SMALL_SHAPES: Record<string, Record<string, unknown>> = {
  lstm: { hiddenUnits: 8, frameSize: 16, inputFrames: 3, futureFrames: 2, batchSize: 2 },
  vgan: {
    frames: 8,
    frameSize: 16,
    zDim: 8,
    generatorWidth: 4,
    discriminatorWidth: 4,
    batchSize: 2,
  },
  rcnn: {
    frames: 5,
    frameSize: 16,
    dictionarySize: 8,
    kmeansInit: 'sample',
    kmeansPatches: 64,
    kmeansBatchSize: 32,
    kmeansIterations: 2,
    sweepSizes: 0,
    embeddingDim: 4,
    hiddenChannels: 4,
    batchSize: 2,
    extrapolationFrames: 2,
    fillCandidates: 1,
    evalSsim: false,
    evalSequences: 2,
  },
  // Channels stay multiples of 4 (the real stacks' vectorised conv paths); kernel sizes stay.
  convlstm: {
    channels: '8-8',
    frameSize: 16,
    patchSize: 2,
    inputFrames: 3,
    futureFrames: 2,
    batchSize: 2,
    evalSequences: 2,
  },
};

setKernelPathsOverride('hardware');
setWebGpuDeviceLimits('minimum');
const hasWebGpu = (await installNodeWebGpu({ preferSoftware: true })) !== null;
let digits: MnistDigits;
if (hasWebGpu) {
  tf.env().set('WEBGPU_CPU_FORWARD', false); // small ops on the GPU too: nothing may hide there
  const report = await selectBackend('webgpu');
  if (report.backend !== 'webgpu') throw new Error('WebGPU did not start');
  digits = await loadMnistFromDisk();
}

afterAll(() => {
  setKernelPathsOverride(null);
  setWebGpuDeviceLimits('adapter');
});

const cells = MODELS.flatMap((entry) =>
  entry.variants.flatMap((variant) =>
    entry.presets.map((preset) => ({ entry, variant: variant.id, preset: preset.id })),
  ),
);

describe.skipIf(!hasWebGpu)('hardware kernel paths at WebGPU minimum limits', () => {
  it('the device has the minimum storage-buffer limit', () => {
    const backend = tf.backend() as WebGPUBackend;
    expect(backend.device.limits.maxStorageBuffersPerShaderStage).toBe(8);
  });

  it('AddN of more inputs than a shader may bind equals the CPU backend', async () => {
    const inputs = (backend: string) => {
      tf.setBackend(backend);
      return Array.from({ length: 21 }, (_, i) => tf.tensor1d(values(37, i + 1)));
    };
    const sum = async (backend: string) => {
      const tensors = inputs(backend);
      const result = tf.addN(tensors);
      const data = await result.data();
      tf.dispose([...tensors, result]);
      return data;
    };
    const cpu = await sum('cpu');
    await tf.setBackend('webgpu');
    const guard = createGpuGuard();
    try {
      const before = tf.memory().numTensors;
      const gpu = await guard.run(() => sum('webgpu'));
      expect(tf.memory().numTensors).toBe(before);
      for (let i = 0; i < cpu.length; i++) expect(gpu[i]).toBeCloseTo(cpu[i], 5);
    } finally {
      guard.dispose();
    }
  });

  it('every model, variant and preset has small shapes here', () => {
    const kinds = cells.map((cell) => cell.entry.kind);
    for (const kind of kinds) expect(Object.keys(SMALL_SHAPES), kind).toContain(kind);
  });

  it.each(
    cells.map((cell) => [`${cell.entry.kind}/${cell.variant}/${cell.preset}`, cell] as const),
  )('%s trains one step', async (_name, { entry, variant, preset }) => {
    await tf.setBackend('webgpu');
    const resolved = entry.resolve(variant, preset, SMALL_SHAPES[entry.kind]);
    const model = (await resolved.builder())(1);
    const stream = new MovingMnistStream(
      digits,
      movingMnistOptionsFor({ source: 'moving-mnist' }, model.data),
      model.data,
      7,
    );
    const guard = createGpuGuard();
    const trainer = new Trainer(model, stream, guard);
    try {
      if (model.prepare) {
        const prepare = model.prepare.bind(model);
        await guard.run(() => prepare(stream, () => {}, new AbortController().signal));
      }
      const result = await trainer.trainStep();
      const losses = Object.entries(result.losses);
      expect(losses.length).toBeGreaterThan(0);
      for (const [name, value] of losses) expect(Number.isFinite(value), name).toBe(true);
    } finally {
      model.dispose();
      guard.dispose();
    }
  });
});
