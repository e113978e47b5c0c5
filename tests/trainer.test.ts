import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BatchSource } from '../src/core/data/batch-source';
import type { VideoModel } from '../src/core/models/types';
import { Trainer, readScalars } from '../src/core/train/trainer';

/** A model whose loss is scripted, to test the trainer without any real network. */
function scriptedModel(losses: number[]): VideoModel {
  let call = 0;
  return {
    kind: 'lstm',
    data: { frames: 2, height: 2, width: 2, channels: 1, range: 'unit', batchSize: 1 },
    samplesUseHeldOut: false,
    trainStep: () => ({ loss: tf.scalar(losses[call++]), aux: tf.scalar(1) }),
    warmUp: async () => {},
    evaluate: async () => ({ scalars: {}, perFrame: {} }),
    sample: async () => [],
    getHyperparameters: () => ({}),
    setHyperparameters: () => {},
    parameterCount: () => 0,
    exportState: async () => ({ tensors: {}, meta: { call } }),
    importState: (state) => {
      call = state.meta.call as number;
    },
    stateVariables: () => [],
    dispose: () => {},
  };
}

const zeros: BatchSource = {
  nextBatch: () => tf.zeros([1, 2, 2, 2, 1]),
  getState: () => ({ arrays: {}, meta: {} }),
  setState: () => {},
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('Trainer', () => {
  it('reads every loss, counts steps and frees the batch and the scalars', async () => {
    const trainer = new Trainer(scriptedModel([3, 2]), zeros);
    const before = tf.memory().numTensors;
    const first = await trainer.trainStep();
    const second = await trainer.trainStep();
    expect(first).toMatchObject({ step: 1, losses: { loss: 3, aux: 1 }, nonFinite: [] });
    expect(second.step).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('flags NaN and infinite losses by name', async () => {
    const trainer = new Trainer(scriptedModel([NaN, Infinity]), zeros);
    expect((await trainer.trainStep()).nonFinite).toEqual(['loss']);
    expect((await trainer.trainStep()).nonFinite).toEqual(['loss']);
  });

  it('runs the step inside the GPU guard so device errors surface', async () => {
    const guard = {
      run: async <T>(work: () => Promise<T>): Promise<T> => {
        await work();
        throw new Error('validation error');
      },
    };
    const trainer = new Trainer(scriptedModel([1]), zeros, guard);
    await expect(trainer.trainStep()).rejects.toThrow('validation error');
    expect(trainer.step).toBe(0);
  });

  it('reads several scalars in one transfer', async () => {
    const values = await readScalars({ a: tf.scalar(1.5), b: tf.scalar(-2) });
    expect(values).toEqual({ a: 1.5, b: -2 });
  });
});
