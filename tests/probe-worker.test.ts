/**
 * The `probe` command in the run worker (driven in Node on the CPU backend): it probes a snapshot
 * of the run while the run keeps training, reports its scores as a reply and an event, refuses a
 * second probe at once, and bad options are refused naming the field before they reach a worker.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MnistDigits, MnistLabels } from '../src/core/data/mnist';
import { loadMnistFromDisk, loadMnistLabelsFromDisk } from '../src/core/data/mnist-node';
import type { RunSpec } from '../src/protocol/messages';
import { parseProbeRequest } from '../src/protocol/probe';
import { FakeRun } from './helpers/fake-run';

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
    evalEvery: 100_000,
    sampleEvery: 100_000,
  },
  data: { source: 'moving-mnist', seed: 4, digitSize: 8, speed: 2 },
};

let digits: MnistDigits;
let labels: { train: MnistLabels; test: MnistLabels };
beforeAll(async () => {
  await tf.setBackend('cpu');
  [digits, labels] = await Promise.all([loadMnistFromDisk(), loadMnistLabelsFromDisk()]);
});

describe('probe command', () => {
  it('probes a snapshot while the run trains on, and reports the scores', async () => {
    const run = new FakeRun(digits, { labels });
    expect(await run.send({ type: 'init', spec: SPEC })).toMatchObject({ ok: true });
    await run.train(2);
    const plan = parseProbeRequest({
      labelsPerClass: [1, 2],
      trainClips: 60,
      testClips: 20,
      seeds: 1,
    });
    expect(plan.digits).toBe(1); // first digit: one digit per clip unless asked otherwise
    expect(await run.send({ type: 'start' })).toMatchObject({ ok: true });
    const stepsAtStart = run.points().length;
    const second = run.send({ type: 'probe', plan });
    const reply = await run.send({ type: 'probe', plan });
    // The second one, sent while the first runs, is refused at once.
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-config' } });
    const first = await second;
    const stepsAtEnd = run.points().length;
    await run.send({ type: 'pause' });

    if (!first.ok || first.value?.type !== 'probe') throw new Error('no probe result');
    const { report } = first.value;
    expect(report).toMatchObject({
      mode: 'linear',
      task: 'first-digit',
      labelsPerClass: [1, 2],
      chance: 0.1,
      digits: 1,
      trainClips: 60,
      testClips: 20,
      seeds: [1],
    });
    expect(report.step).toBeGreaterThanOrEqual(2);
    expect(report.pretrained).toHaveLength(2);
    expect(report.random).toHaveLength(2);
    for (const score of [...report.pretrained, ...report.random]) {
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
    }
    expect(run.of('probe').map((event) => event.report)).toEqual([report]);
    expect(run.of('progress').some((event) => event.phase === 'probe')).toBe(true);
    // Training went on between the probe's slices.
    expect(stepsAtEnd).toBeGreaterThan(stepsAtStart);
    await run.send({ type: 'dispose' });
  });

  it('needs the digits’ labels', async () => {
    const run = new FakeRun(digits);
    await run.send({ type: 'init', spec: SPEC });
    const reply = await run.send({ type: 'probe', plan: parseProbeRequest({}) });
    expect(reply).toMatchObject({ ok: false, error: { message: /labels/ } });
    await run.send({ type: 'dispose' });
  });
});

describe('probe options', () => {
  it('default to a linear probe of the first digit at 1, 5, 10 and 50 labels per class', () => {
    const { settings, digits } = parseProbeRequest(undefined);
    expect(settings).toMatchObject({
      mode: 'linear',
      task: 'first-digit',
      labelsPerClass: [1, 5, 10, 50],
      seeds: [1, 2, 3],
    });
    expect(digits).toBe(1);
    expect(parseProbeRequest({ task: 'digits-present' }).digits).toBeNull();
    expect(parseProbeRequest({ labelsPerClass: 'all' }).settings.labelsPerClass).toEqual(['all']);
    expect(parseProbeRequest({ mode: 'fine-tune', epochs: 2 }).settings).toMatchObject({
      mode: 'fine-tune',
      epochs: 2,
    });
  });

  it('are refused naming the field', () => {
    expect(() => parseProbeRequest({ labels: 5 })).toThrow(/Unknown probe option "labels"/);
    expect(() => parseProbeRequest({ mode: 'deep' })).toThrow(/mode must be one of/);
    expect(() => parseProbeRequest({ labelsPerClass: [0] })).toThrow(/labelsPerClass/);
    expect(() => parseProbeRequest({ seeds: 1.5 })).toThrow(/seeds must be an integer/);
    expect(() => parseProbeRequest('fast')).toThrow(/must be an object/);
  });
});
