/**
 * Counting a step's WebGPU dispatches, uploads and host reads (step-work.ts), and the rCNN's
 * per-step targets (its definition's `stepWorkTarget`, which the benchmark report checks) held by
 * a real training step of each preset that has one.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadMnistFromDisk } from '../src/core/data/mnist-node';
import {
  DEFAULT_DATA_SEED,
  MovingMnistStream,
  movingMnistOptionsFor,
} from '../src/core/data/video-stream';
import { createGpuGuard } from '../src/core/gpu/gpu-guard';
import { modelDefinition } from '../src/core/models/registry';
import { countStepWork } from '../src/core/train/step-work';
import { Trainer } from '../src/core/train/trainer';
import { setupNodeWebGpu } from './helpers/node-webgpu';

const hasWebGpu = await setupNodeWebGpu();

/** Uploads two tensors, runs two element-wise programs, reads the result once. */
async function step(): Promise<void> {
  const a = tf.tensor1d([1, 2, 3]);
  const b = tf.tensor1d([4, 5, 6]);
  const c = a.add(b).relu();
  await c.data();
  tf.dispose([a, b, c]);
}

describe('step work', () => {
  it('counts reads on the CPU backend, where dispatches and uploads do not apply', async () => {
    await tf.setBackend('cpu');
    expect(await countStepWork(step)).toEqual({ dispatches: null, uploads: null, reads: 1 });
  });

  it.skipIf(!hasWebGpu)(
    'counts dispatches, uploads and reads on WebGPU, and unpatches',
    async () => {
      await tf.setBackend('webgpu');
      tf.env().set('WEBGPU_CPU_FORWARD', false);
      expect(await countStepWork(step)).toEqual({ dispatches: 2, uploads: 2, reads: 1 });
      const backend = tf.backend() as unknown as Record<string, unknown>;
      expect(Object.prototype.hasOwnProperty.call(backend, 'runWebGPUProgram')).toBe(false);
      expect(await countStepWork(async () => {})).toEqual({ dispatches: 0, uploads: 0, reads: 0 });
    },
  );
});

/**
 * Narrower layers for the small preset (a step of the real one takes minutes on SwiftShader): a
 * step's dispatches depend on the layers, the frames and the rows a reduction runs over
 * (B·(T − 1)·G² locations: long reductions split in two), not on the widths — the real small
 * preset took the same 73 in gpu-bench.
 */
const NARROW: Record<string, Record<string, number>> = {
  tiny: {},
  small: { dictionarySize: 64, embeddingDim: 8, hiddenChannels: 16 },
};

describe.skipIf(!hasWebGpu)('the rCNN meets its step-work targets', () => {
  // With the benchmark's shorter dictionary fit, which does not change a step.
  it.each(['tiny', 'small'])('rcnn/%s', async (preset) => {
    await tf.setBackend('webgpu');
    const entry = modelDefinition('rcnn');
    const target = entry.stepWorkTarget('rcnn', preset);
    if (target === null) throw new Error(`rcnn/${preset} has no step-work target`);
    const overrides = { ...entry.quickPrepareOverrides('rcnn', preset), ...NARROW[preset] };
    const model = (await entry.resolve('rcnn', preset, overrides).builder())(0);
    const digits = await loadMnistFromDisk();
    const options = movingMnistOptionsFor({ source: 'moving-mnist' }, model.data);
    const stream = new MovingMnistStream(digits, options, model.data, DEFAULT_DATA_SEED);
    const guard = createGpuGuard();
    const trainer = new Trainer(model, stream, guard);
    try {
      const prepare = model.prepare?.bind(model);
      if (prepare) await guard.run(() => prepare(stream, () => {}, new AbortController().signal));
      await trainer.trainStep(); // compiles
      const work = await countStepWork(() => trainer.trainStep());
      expect(work.dispatches as number).toBeLessThanOrEqual(target.maxDispatches);
      if (target.maxUploads !== null) {
        expect(work.uploads as number).toBeLessThanOrEqual(target.maxUploads);
      }
      expect(work.reads).toBe(1);
    } finally {
      model.dispose();
      guard.dispose();
    }
  });
});
