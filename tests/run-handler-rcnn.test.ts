/**
 * The RunHandler with the rCNN on the CPU backend: init builds the patch dictionary with
 * cancellable 'dictionary' progress before warming up; a `cancel` command sent while it builds
 * ends the init with error code 'cancelled' and frees every tensor; the run then trains.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSpec } from '../src/protocol/messages';
import { HELD_OUT_GROUP } from '../src/protocol/sample-groups';
import { FakeRun } from './helpers/fake-run';
import { launchOf } from '../src/protocol/run-spec';

/** The tiny preset at 32×32 with 16 codes: a dictionary in well under a second. */
const SPEC: RunSpec = {
  model: 'rcnn',
  preset: 'tiny',
  backend: 'cpu',
  seed: 1,
  config: {
    frameSize: 32,
    frames: 5,
    dictionarySize: 16,
    kmeansPatches: 1024,
    kmeansBatchSize: 256,
    kmeansIterations: 8,
    sweepSizes: 1,
    embeddingDim: 4,
    hiddenChannels: 8,
    batchSize: 2,
    extrapolationFrames: 3,
    evalSequences: 2,
    evalEvery: 1000,
    sampleEvery: 1000,
  },
  data: { source: 'moving-mnist', digitSize: 8, speed: 2 },
};

let baseline = 0;

beforeAll(async () => {
  await tf.setBackend('cpu');
  baseline = tf.memory().numTensors;
});

describe('RunHandler with the rCNN on cpu', () => {
  it('builds the dictionary with cancellable progress before warming up, then trains', async () => {
    const run = new FakeRun();
    expect(await run.send({ type: 'init', ...launchOf(SPEC) })).toMatchObject({ ok: true });
    const progress = run.of('progress');
    const dictionary = progress.filter((event) => event.phase === 'dictionary');
    expect(dictionary.length).toBeGreaterThan(3);
    expect(dictionary.every((event) => event.cancellable === true)).toBe(true);
    expect(dictionary.at(-1)?.fraction).toBe(1);
    const phases = progress.map((event) => event.phase);
    expect(phases.indexOf('dictionary')).toBeGreaterThan(phases.indexOf('data'));
    expect(phases.lastIndexOf('dictionary')).toBeLessThan(phases.indexOf('warm-up'));
    expect(
      progress.filter((event) => event.phase !== 'dictionary').some((e) => e.cancellable),
    ).toBe(false);
    // The first samples include the dictionary views (and one view per example of the batch),
    // then the held-out clips themselves (for the compare view).
    const [samples] = run.of('samples');
    expect(samples.views.map((view) => view.group)).toEqual([
      undefined,
      undefined,
      'dictionary',
      'dictionary-sizes',
      HELD_OUT_GROUP,
      HELD_OUT_GROUP,
    ]);
    // A cancel with nothing to cancel is a no-op.
    expect(await run.send({ type: 'cancel' })).toMatchObject({ ok: true });
    await run.send({ type: 'step', n: 2 });
    await run.until(() => run.lastStatus() === 'paused');
    const points = run.of('metrics').flatMap((event) => event.points);
    expect(points.map((point) => Object.keys(point.values).sort())).toEqual([
      ['loss', 'perplexity'],
      ['loss', 'perplexity'],
    ]);
    await run.send({ type: 'stop' });
    const [evaluation] = run.of('eval');
    expect(evaluation.result.scalars['baseline/filling/psnr']).toBeGreaterThan(0);
    await run.send({ type: 'dispose' });
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('cancels while the dictionary is being built: init fails with code cancelled', async () => {
    const run = new FakeRun();
    const spec = { ...SPEC, config: { ...SPEC.config, kmeansIterations: 100_000 } };
    const init = run.send({ type: 'init', ...launchOf(spec) });
    await run.until(() => run.of('progress').some((event) => /update 2 of/.test(event.message)));
    // The worker entry handles cancel outside its command queue; so does this call.
    expect(await run.send({ type: 'cancel' })).toMatchObject({ ok: true });
    const reply = await init;
    expect(reply).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(run.of('error').at(-1)?.error.code).toBe('cancelled');
    expect(run.lastStatus()).toBe('error');
    expect(run.of('ready')).toEqual([]);
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
