/**
 * The `feature-views` command in the run worker: the LSTM (a shrunken tiny preset) on the tfjs
 * CPU backend answers with its weight tiles and the units responding most to the chosen held-out
 * clip, while it trains; bad clip indices are refused by name.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunSpec } from '../src/protocol/messages';
import { transferablesOf } from '../src/protocol/messages';
import { FakeRun } from './helpers/fake-run';

const SPEC: RunSpec = {
  model: 'lstm',
  variant: 'composite',
  preset: 'tiny',
  backend: 'cpu',
  seed: 3,
  config: {
    frameSize: 32,
    hiddenUnits: 16,
    inputFrames: 4,
    futureFrames: 3,
    batchSize: 4,
    evalSequences: 6,
    evalEvery: 1000,
    sampleEvery: 1000,
  },
  data: { source: 'moving-mnist', speed: 2 }, // full-size (fake) digits: lit pixels in every clip
};

const runs: FakeRun[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(async () => {
  for (const run of runs.splice(0)) await run.send({ type: 'dispose' });
});

async function ready(): Promise<FakeRun> {
  const run = new FakeRun();
  runs.push(run);
  expect(await run.send({ type: 'init', spec: SPEC })).toMatchObject({ ok: true });
  return run;
}

describe('feature-views command', () => {
  it('sends the weight tiles and the units answering the chosen clip, leaking nothing', async () => {
    const run = await ready();
    await run.train(2);
    const tensors = tf.memory().numTensors;
    expect(await run.send({ type: 'feature-views', clip: 1 })).toMatchObject({ ok: true });
    expect(await run.send({ type: 'feature-views', clip: 4 })).toMatchObject({ ok: true });
    expect(tf.memory().numTensors).toBe(tensors);
    const [first, second] = run.of('feature-views');
    expect([first.step, first.clip, second.clip]).toEqual([2, 1, 4]);
    expect(first.views.map((v) => v.title)).toEqual([
      'Input → hidden weights',
      'Hidden → output weights',
      'Units that respond most to this clip',
    ]);
    // The weights are the same whichever clip; which units respond most depends on the clip.
    expect(second.views[0].panels[0].frames).toEqual(first.views[0].panels[0].frames);
    const activations = (event: typeof first) =>
      event.views[2].charts?.[0].series.map((s) => s.points.map(([, h]) => h));
    expect(activations(second)).not.toEqual(activations(first));
    for (const view of first.views) expect(view.group).toBe('features');
    expect(transferablesOf(first)).toHaveLength(3);
    // The run trains on afterwards.
    await run.train(1);
  });

  it('refuses a clip that is not a held-out index, naming it', async () => {
    const run = await ready();
    for (const clip of [-1, 6, 1.5, '0' as unknown as number]) {
      const reply = await run.send({ type: 'feature-views', clip });
      expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-config' } });
      expect(reply.ok ? '' : reply.error.message).toMatch(
        /clip must be the index of a held-out clip, 0 to 5/,
      );
    }
    expect(run.of('feature-views')).toHaveLength(0);
    expect(run.lastStatus()).toBe('ready');
  });
});
