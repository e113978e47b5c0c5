/** Counting a step's WebGPU dispatches, uploads and host reads (step-work.ts). */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { countStepWork } from '../src/core/train/step-work';
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
