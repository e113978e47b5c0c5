/**
 * The `probe` command in the run worker (driven in Node on the CPU backend): it probes a snapshot
 * of the run while the run keeps training, reports its scores as a reply and an event, refuses a
 * second probe at once, and bad options are refused naming the field before they reach a worker.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MnistDigits, MnistLabels } from '../src/core/data/mnist';
import type { DatasetPayload, FrameSegment } from '../src/core/data/types';
import { loadMnistFromDisk, loadMnistLabelsFromDisk } from '../src/core/data/mnist-node';
import type { CommandMessage, Command, RunSpec, WorkerEvent } from '../src/protocol/messages';
import { commandQueue } from '../src/runtime/command-queue';
import { parseProbeRequest } from '../src/protocol/probe';
import { encodeNpy, frameSetToNpy } from '../src/core/data/npy';
import { FakeRun, fakeDigits } from './helpers/fake-run';
import { inProcessDatasetRegistry } from './helpers/in-process-data-worker';
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
    expect(await run.send({ type: 'init', ...launchOf(SPEC) })).toMatchObject({ ok: true });
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

  it('holds no command back in the worker: a pause sent during a probe answers before it ends', async () => {
    const run = new FakeRun(digits, { labels });
    const enqueue = commandQueue(run.handler);
    let requestId = 1000;
    const replyTo = async (command: Command): Promise<WorkerEvent & { type: 'reply' }> => {
      const id = ++requestId;
      enqueue({ ...command, requestId: id } as CommandMessage);
      let reply: (WorkerEvent & { type: 'reply' }) | undefined;
      await run.until(() => {
        reply = run.of('reply').find((event) => event.requestId === id);
        return reply !== undefined;
      });
      return reply!;
    };
    expect(await replyTo({ type: 'init', ...launchOf(SPEC) })).toMatchObject({ ok: true });
    expect(await replyTo({ type: 'start' })).toMatchObject({ ok: true });
    await run.until(() => run.points().length >= 1);
    const probing = replyTo({
      type: 'probe',
      plan: parseProbeRequest({ labelsPerClass: [1, 2, 5], trainClips: 100, testClips: 40 }),
    });
    await run.until(() => run.of('progress').some((event) => event.phase === 'probe'));
    expect(await replyTo({ type: 'pause' })).toMatchObject({ ok: true });
    const probeDone = () => run.of('probe').length > 0;
    // The pause came back while the probe still runs (with the old queue it waited for the
    // probe's end), and the step count stops there.
    expect(probeDone()).toBe(false);
    const stepsAtPause = run.points().length;
    expect(await probing).toMatchObject({ ok: true });
    expect(run.points().length).toBe(stepsAtPause);
    expect(run.lastStatus()).toBe('paused');
    await replyTo({ type: 'dispose' });
  });

  it('needs the digits’ labels', async () => {
    const run = new FakeRun(digits);
    await run.send({ type: 'init', ...launchOf(SPEC) });
    const reply = await run.send({ type: 'probe', plan: parseProbeRequest({}) });
    expect(reply).toMatchObject({ ok: false, error: { message: /labels/ } });
    await run.send({ type: 'dispose' });
  });
});

/**
 * Two gestures as a user might record them: a bright vertical bar sweeping across a dark frame
 * (label 'across') and a dark horizontal bar sweeping down a bright one ('down'), gray 16×16, six
 * files of each, every file with its own start, speed and noise (seeded); and two unlabelled
 * files. Light and dark make them plain to any features, trained or not: the test is of the
 * probe's data path, not of what a model learns in two steps.
 */
function barsDataset(clipFrames: number): { payload: DatasetPayload; labels: string[] } {
  const size = 16;
  const framesPerFile = 2 * clipFrames;
  const labels = [...Array.from({ length: 12 }, (_, i) => (i % 2 ? 'down' : 'across')), '', ''];
  const data = new Uint8Array(labels.length * framesPerFile * size * size);
  let noise = 12345;
  const random = () => (noise = (noise * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const segments: FrameSegment[] = labels.map((label, file) => {
    const start0 = Math.floor(random() * size);
    const speed = 1 + Math.floor(random() * 3);
    for (let f = 0; f < framesPerFile; f++) {
      const at = (start0 + f * speed) % size;
      const frame = (file * framesPerFile + f) * size * size;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const onBar = (label === 'across' && x === at) || (label === 'down' && y === at);
          const level = onBar === (label === 'down') ? 215 : 0;
          data[frame + y * size + x] = level + Math.floor(random() * 40);
        }
      }
    }
    return { name: `clip ${file}`, start: file * framesPerFile, length: framesPerFile };
  });
  const frames = { data, frames: labels.length * framesPerFile, height: size, width: size };
  return {
    payload: {
      id: 'bars',
      name: 'Webcam clips',
      frames: { ...frames, channels: 1, segments },
      crop: 'center',
      fps: 10,
    },
    labels,
  };
}

describe("probe command on the labels of a dataset's files", () => {
  const VIDEO_SPEC: RunSpec = {
    ...SPEC,
    data: { source: 'video', datasetId: 'bars', seed: 1 },
  };
  const clipFrames = 7; // the LSTM's 4 input and 3 future frames

  it('classifies the clips of labelled files, well above chance', async () => {
    const { payload, labels } = barsDataset(clipFrames);
    const run = new FakeRun(fakeDigits());
    expect(
      await run.send({ type: 'init', ...launchOf(VIDEO_SPEC), dataset: payload }),
    ).toMatchObject({
      ok: true,
    });
    await run.train(2);
    const plan = {
      ...parseProbeRequest({ labelsPerClass: [1, 5, 'all'], seeds: 1 }, 'video'),
      fileLabels: labels,
    };
    const reply = await run.send({ type: 'probe', plan });
    if (!reply.ok || reply.value?.type !== 'probe') throw new Error(JSON.stringify(reply));
    const { report } = reply.value;
    // 24 labelled clips, a third of each label's files held out; unlabelled files left out.
    expect(report).toMatchObject({
      task: 'file-labels',
      classes: ['across', 'down'],
      chance: 0.5,
      digits: null,
      trainClips: 16,
      testClips: 8,
      labelsPerClass: [1, 5, 'all'],
    });
    // The bars' direction is plain in any features of the clips: the probe must see it.
    expect(report.pretrained[2]).toBeGreaterThanOrEqual(0.85);
    expect(run.of('probe').map((event) => event.report)).toEqual([report]);
    await run.send({ type: 'dispose' });
  });

  it('classifies the sequences of a .npy array by the labels file imported with it', async () => {
    // The bars as a .npy array of 14 sequences, imported with an int64 labels array of all 14
    // (1 across, 2 down, 0 for the two unlabelled ones) and a count that leaves those two out.
    const { payload, labels } = barsDataset(clipFrames);
    const classes = labels.map((label) => ['', 'across', 'down'].indexOf(label));
    const values = new DataView(new ArrayBuffer(8 * classes.length));
    classes.forEach((label, i) => values.setBigInt64(8 * i, BigInt(label), true));
    const labelsFile = encodeNpy(new Uint8Array(values.buffer), [classes.length], '<i8');
    const registry = inProcessDatasetRegistry();
    const { datasetId } = await registry.importNpy(
      new Blob([frameSetToNpy(payload.frames, 'NTHW') as Uint8Array<ArrayBuffer>]),
      { layout: 'NTHW', count: 12, labels: new Blob([labelsFile as Uint8Array<ArrayBuffer>]) },
    );
    const fileLabels = registry.fileLabels(datasetId) ?? [];
    expect(fileLabels).toEqual(labels.slice(0, 12).map((label) => (label === 'down' ? '2' : '1')));
    const dataset = registry.payload(datasetId);
    if (!dataset) throw new Error('no dataset');
    const run = new FakeRun(fakeDigits());
    const spec = { ...VIDEO_SPEC, data: { source: 'video' as const, datasetId, seed: 1 } };
    await run.send({ type: 'init', ...launchOf(spec), dataset });
    await run.train(2);
    const plan = {
      ...parseProbeRequest({ labelsPerClass: ['all'], seeds: 1 }, 'video'),
      fileLabels,
    };
    const reply = await run.send({ type: 'probe', plan });
    if (!reply.ok || reply.value?.type !== 'probe') throw new Error(JSON.stringify(reply));
    expect(reply.value.report).toMatchObject({
      task: 'file-labels',
      classes: ['1', '2'],
      chance: 0.5,
      trainClips: 16,
      testClips: 8,
    });
    expect(reply.value.report.pretrained[0]).toBeGreaterThanOrEqual(0.85);
    await run.send({ type: 'dispose' });
  });

  it('refuses digit tasks and labels that cannot be split, saying why', async () => {
    const { payload, labels } = barsDataset(clipFrames);
    const run = new FakeRun(fakeDigits());
    await run.send({ type: 'init', ...launchOf(VIDEO_SPEC), dataset: payload });
    const digitsPlan = { ...parseProbeRequest({}), fileLabels: labels };
    expect(await run.send({ type: 'probe', plan: digitsPlan })).toMatchObject({
      ok: false,
      error: { message: /labels given to its files.*not by "first-digit"/ },
    });
    const oneLabel = labels.map((label) => (label === 'down' ? '' : label));
    const plan = { ...parseProbeRequest({}, 'video'), fileLabels: oneLabel };
    expect(await run.send({ type: 'probe', plan })).toMatchObject({
      ok: false,
      error: { message: /at least two different labels; every labelled clip is "across"/ },
    });
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
    expect(() => parseProbeRequest({ task: 'first-digit' }, 'video')).toThrow(
      /task must be one of: file-labels for a run on an imported dataset/,
    );
    expect(() => parseProbeRequest({ task: 'file-labels' })).toThrow(/task must be one of/);
    expect(parseProbeRequest({}, 'video')).toMatchObject({
      settings: { task: 'file-labels' },
      digits: null,
    });
  });
});
