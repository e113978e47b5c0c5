/**
 * Counting a step's WebGPU dispatches, uploads and host reads (step-work.ts), and the rCNN's, the
 * VGAN's and the ConvLSTM's per-step targets (their definitions' `stepWorkTarget`, which the
 * benchmark report checks) held by a real training step of each preset tested.
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
import { Optimiser } from '../src/core/models/kit/optimiser';
import { ParameterStore } from '../src/core/models/kit/params';
import { modelDefinition } from '../src/core/models/registry';
import { countStepWork } from '../src/core/train/step-work';
import type { StepWork } from '../src/core/train/step-work';
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

describe.skipIf(!hasWebGpu)('Adam on WebGPU', () => {
  it('updates a parameter in two dispatches (packed m and v, then w) and uploads nothing', async () => {
    await tf.setBackend('webgpu');
    const store = new ParameterStore(1);
    const shapes = [[3, 4], [4], [2, 2, 5]];
    const weights = shapes.map((shape, i) => store.uniform(`p${i}`, shape, 1));
    const optimiser = new Optimiser(store.params, { method: 'adam' });
    const grads = () => Object.fromEntries(weights.map((w) => [w.name, tf.onesLike(w)]));
    try {
      const settings = { learningRate: 0.01, beta1: 0.5 };
      optimiser.apply(grads(), settings, true); // compiles, packs the moments
      const g = grads();
      const work = await countStepWork(async () => optimiser.apply(g, settings, true));
      expect(work).toEqual({ dispatches: 2 * shapes.length, uploads: 0, reads: 0 });
    } finally {
      optimiser.dispose();
      store.dispose();
    }
  });
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

/** One counted training step (after a compiling one) of a model built as the benchmark builds it. */
async function countedStep(
  kind: string,
  variant: string,
  preset: string,
  narrower: Record<string, number> = {},
): Promise<StepWork> {
  await tf.setBackend('webgpu');
  const entry = modelDefinition(kind);
  // With the benchmark's shorter dictionary fit (the rCNN), which does not change a step.
  const overrides = { ...entry.quickPrepareOverrides(variant, preset), ...narrower };
  const model = (await entry.resolve(variant, preset, overrides).builder())(0);
  const digits = await loadMnistFromDisk();
  const options = movingMnistOptionsFor({ source: 'moving-mnist' }, model.data);
  const stream = new MovingMnistStream(digits, options, model.data, DEFAULT_DATA_SEED);
  const guard = createGpuGuard();
  const trainer = new Trainer(model, stream, guard);
  try {
    const prepare = model.prepare?.bind(model);
    if (prepare) await guard.run(() => prepare(stream, () => {}, new AbortController().signal));
    await trainer.trainStep(); // compiles
    return await countStepWork(() => trainer.trainStep());
  } finally {
    model.dispose();
    guard.dispose();
  }
}

function expectWithin(work: StepWork, kind: string, variant: string, preset: string): void {
  const target = modelDefinition(kind).stepWorkTarget(variant, preset);
  if (target === null) throw new Error(`${kind}/${variant}/${preset} has no step-work target`);
  expect(work.dispatches as number).toBeLessThanOrEqual(target.maxDispatches);
  if (target.maxUploads !== null) {
    expect(work.uploads as number).toBeLessThanOrEqual(target.maxUploads);
  }
  expect(work.reads).toBe(1);
}

describe.skipIf(!hasWebGpu)('the rCNN meets its step-work targets', () => {
  it.each(['tiny', 'small'])('rcnn/%s', async (preset) => {
    expectWithin(await countedStep('rcnn', 'rcnn', preset, NARROW[preset]), 'rcnn', 'rcnn', preset);
  });
});

/**
 * The VGAN's target: at most 400 dispatches and 10 uploads a step, every variant. Tiny here; a
 * step of the small preset takes minutes on SwiftShader even at narrow widths (its counts are in
 * BENCHMARKS.md, "Work per step").
 */
describe.skipIf(!hasWebGpu)('the VGAN meets its step-work targets', () => {
  it.each(['two-stream', 'one-stream', 'image-to-video'])('vgan/%s/tiny', async (variant) => {
    expectWithin(await countedStep('vgan', variant, 'tiny'), 'vgan', variant, 'tiny');
  });
});

/** The ConvLSTM's target: half its dispatches before the fused cell (1,518 → at most 759). */
describe.skipIf(!hasWebGpu)('the ConvLSTM meets its step-work target', () => {
  it('convlstm/encoder-forecaster/tiny', async () => {
    const work = await countedStep('convlstm', 'encoder-forecaster', 'tiny');
    console.log(`convlstm tiny: ${work.dispatches} dispatches, ${work.uploads} uploads a step`);
    expectWithin(work, 'convlstm', 'encoder-forecaster', 'tiny');
  });
});
