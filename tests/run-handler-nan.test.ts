/** A NaN loss must pause the run and report it, never train on silently. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import type { VideoModel } from '../src/core/models/types';
import { FakeRun } from './helpers/fake-run';
import { launchOf } from '../src/protocol/run-spec';

vi.mock('../src/core/models/lstm/model', () => ({
  createLstmModel: (): VideoModel => {
    let step = 0;
    return {
      kind: 'lstm',
      data: { frames: 20, height: 64, width: 64, channels: 1, range: 'unit', batchSize: 2 },
      samplesUseHeldOut: false,
      trainStep: () => ({ loss: tf.scalar(++step < 3 ? 1 / step : NaN) }),
      warmUp: async () => {},
      evaluate: async () => ({ scalars: { 'future/mse': 1 }, perFrame: { 'future/mse': [1] } }),
      sample: async () => [],
      getHyperparameters: () => ({ learningRate: 1 }),
      setHyperparameters: () => {},
      parameterCount: () => 1,
      exportState: async () => ({ tensors: {}, meta: { step } }),
      importState: (state) => {
        step = state.meta.step as number;
      },
      stateVariables: () => [],
      dispose: () => {},
    };
  },
}));

describe('RunHandler with a loss that becomes NaN', () => {
  it('pauses at the bad step and reports a non-finite-loss error', async () => {
    await tf.setBackend('cpu');
    const run = new FakeRun();
    expect(
      (
        await run.send({
          type: 'init',
          ...launchOf({ model: 'lstm', preset: 'tiny', backend: 'cpu' }),
        })
      ).ok,
    ).toBe(true);
    await run.send({ type: 'start' });
    await run.until(() => run.of('error').length > 0);
    await run.until(() => run.lastStatus() === 'paused');
    const [error] = run.of('error');
    expect(error.error.code).toBe('non-finite-loss');
    expect(error.error.step).toBe(3);
    expect(error.error.message).toContain('NaN');
    // Steps 1 and 2 were reported; nothing after the bad step ran.
    const steps = run.of('metrics').flatMap((event) => event.points.map((point) => point.step));
    expect(steps).toEqual([1, 2, 3]);
  });
});
