/**
 * The `stress-test` command in the run worker: the LSTM (a shrunken tiny preset) on the tfjs CPU
 * backend, tested on fewer and more digits and a longer rollout; structured errors for runs and
 * options it does not apply to.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunSpec } from '../src/protocol/messages';
import { transferablesOf } from '../src/protocol/messages';
import { FakeRun } from './helpers/fake-run';
import { launchOf } from '../src/protocol/run-spec';

const SPEC: RunSpec = {
  model: 'lstm',
  variant: 'composite',
  preset: 'tiny',
  backend: 'cpu',
  seed: 3,
  config: {
    frameSize: 16,
    hiddenUnits: 16,
    inputFrames: 4,
    futureFrames: 3,
    batchSize: 4,
    evalSequences: 6,
    evalEvery: 1000,
    sampleEvery: 1000,
  },
  data: { source: 'moving-mnist', digitSize: 8, speed: 2 },
};

const runs: FakeRun[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(async () => {
  for (const run of runs.splice(0)) await run.send({ type: 'dispose' });
});

async function ready(spec: RunSpec): Promise<FakeRun> {
  const run = new FakeRun();
  runs.push(run);
  expect(await run.send({ type: 'init', ...launchOf(spec) })).toMatchObject({ ok: true });
  return run;
}

describe('stress-test command', () => {
  it('reports the cases beside the in-domain score, with transferable example frames', async () => {
    const run = await ready(SPEC);
    expect(run.of('ready')[0].stressTestable).toBe(true);
    await run.train(2);
    const tensors = tf.memory().numTensors;
    const reply = await run.send({ type: 'stress-test', options: { clips: 5, horizon: 6 } });
    expect(reply).toMatchObject({ ok: true });
    expect(tf.memory().numTensors).toBe(tensors);
    const [event] = run.of('stress-test');
    expect(event.step).toBe(2);
    expect(event.report.trainedDigits).toBe(2);
    expect(event.report.cases.map((c) => [c.case, c.digits, c.predictedFrames, c.clips])).toEqual([
      ['in-domain', 2, 3, 5],
      ['fewer-digits', 1, 3, 5],
      ['more-digits', 3, 3, 5],
      ['long-horizon', 2, 6, 5],
    ]);
    for (const c of event.report.cases) {
      expect(Number.isFinite(c.scores.scalars['prediction/mse'])).toBe(true);
      expect(c.example[0].frames).toHaveLength(4 * 16 * 16); // the given frames
    }
    expect(transferablesOf(event)).toHaveLength(4 * 3);
    expect(run.of('progress').map((p) => p.phase)).toContain('stress-test');
    // The run trains on afterwards.
    await run.train(1);
  });

  it('refuses bad options by name and leaves the run working', async () => {
    const run = await ready(SPEC);
    const zero = await run.send({ type: 'stress-test', options: { clips: 0 } });
    expect(zero).toMatchObject({ ok: false, error: { code: 'invalid-config' } });
    expect(zero.ok ? '' : zero.error.message).toMatch(/clips/);
    const notObject = await run.send({
      type: 'stress-test',
      options: 5 as unknown as { clips: number },
    });
    expect(notObject).toMatchObject({ ok: false, error: { code: 'invalid-config' } });
    expect(run.of('stress-test')).toHaveLength(0);
    expect(run.lastStatus()).toBe('ready');
    await run.train(1);
  });

  it('says why a model without a future decoder cannot be stress-tested', async () => {
    const run = await ready({ ...SPEC, variant: 'autoencoder' });
    expect(run.of('ready')[0].stressTestable).toBe(false);
    const reply = await run.send({ type: 'stress-test' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-config' } });
    expect(reply.ok ? '' : reply.error.message).toMatch(/predicts frames from given ones/);
  });
});
