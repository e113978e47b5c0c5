/**
 * A run whose weights go NaN while its loss stays finite must pause at the next state check with
 * 'non-finite-parameters', refuse to train on or to be saved, and come back from a checkpoint.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import type { VideoModel } from '../src/core/models/types';
import { STATE_CHECK_EVERY } from '../src/core/train/trainer';
import { FakeRun } from './helpers/fake-run';
import { launchOf } from '../src/protocol/run-spec';

/** Its weight turns NaN at step 3; its loss is 1 throughout. */
vi.mock('../src/core/models/lstm/model', () => ({
  createLstmModel: (): VideoModel => {
    let step = 0;
    const weights = tf.variable(tf.ones([4]));
    return {
      kind: 'lstm',
      data: { frames: 20, height: 64, width: 64, channels: 1, range: 'unit', batchSize: 2 },
      samplesUseHeldOut: false,
      trainStep: () => {
        step += 1;
        if (step === 3) weights.assign(tf.tensor1d([1, NaN, 1, 1]));
        return { loss: tf.scalar(1) };
      },
      warmUp: async () => {},
      evaluate: async () => ({ scalars: { 'future/mse': 1 }, perFrame: { 'future/mse': [1] } }),
      sample: async () => [],
      getHyperparameters: () => ({ learningRate: 1 }),
      setHyperparameters: () => {},
      parameterCount: () => 4,
      exportState: async () => ({
        tensors: {
          w: { dtype: 'float32', shape: [4], data: Float32Array.from(weights.dataSync()) },
        },
        meta: { step },
      }),
      importState: (state) => {
        weights.assign(tf.tensor1d(state.tensors.w.data as Float32Array));
        step = state.meta.step as number;
      },
      stateVariables: () => [['w', weights]],
      dispose: () => weights.dispose(),
    };
  },
}));

describe('RunHandler with weights that go NaN under a finite loss', () => {
  it('pauses at the next state check, refuses to train on or save, and a restore recovers', async () => {
    await tf.setBackend('cpu');
    const run = new FakeRun();
    const init = await run.send({
      type: 'init',
      ...launchOf({ model: 'lstm', preset: 'tiny', backend: 'cpu' }),
    });
    expect(init.ok).toBe(true);
    await run.train(1);
    const good = await run.exportCheckpoint();

    await run.send({ type: 'start' });
    await run.until(() => run.of('error').length > 0);
    await run.until(() => run.lastStatus() === 'paused');
    const [error] = run.of('error');
    expect(error.error.code).toBe('non-finite-parameters');
    expect(error.error.step).toBe(STATE_CHECK_EVERY);
    expect(error.error.message).toMatch(
      /^Weights or optimiser state became NaN or infinite by step 20 \("w"\)/,
    );
    const steps = run.points().map((point) => point.step);
    expect(steps.at(-1)).toBe(STATE_CHECK_EVERY); // nothing trained after the check

    for (const command of [{ type: 'start' }, { type: 'step', n: 1 }] as const) {
      const reply = await run.send(command);
      expect(reply.ok ? null : reply.error.code).toBe('non-finite-parameters');
    }
    const save = await run.send({ type: 'export-checkpoint' });
    expect(save.ok ? null : save.error).toMatchObject({
      code: 'non-finite-parameters',
      message: expect.stringMatching(/^The run's state cannot be saved: tensor "w" holds NaN/),
    });

    const restore = await run.send({
      type: 'import-checkpoint',
      bytes: good.buffer as ArrayBuffer,
    });
    expect(restore.ok).toBe(true);
    expect((await run.send({ type: 'step', n: 1 })).ok).toBe(true);
  });
});
