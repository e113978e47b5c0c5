/**
 * Checkpoints resume exactly, for every model in the catalog and each of its variants, on the tfjs
 * CPU backend, through the real run worker handler: N steps, save, load into a fresh run (made
 * with other seeds, so everything must come from the file), M more steps gives exactly the losses
 * and the weights of N + M uninterrupted steps.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ModelDefinition } from '../src/core/models/kit/definition';
import { MODELS, modelDefinition } from '../src/core/models/registry';
import type { ModelKind } from '../src/core/models/registry';
import type { DatasetPayload } from '../src/core/data/types';
import type { RunSpec } from '../src/protocol/messages';
import { FakeRun } from './helpers/fake-run';
import { readSafetensors, tensorBytes } from './helpers/safetensors-reader';
import { launchOf } from '../src/protocol/run-spec';

const N = 3;
const M = 2;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const runs: FakeRun[] = [];
afterEach(async () => {
  for (const run of runs.splice(0)) await run.send({ type: 'dispose' });
});

/** Smaller than the tiny preset where a model's tiny steps take long on a loaded CPU. */
const SHRINK: Partial<Record<ModelKind, Record<string, unknown>>> = {
  lstm: { frameSize: 16, hiddenUnits: 16, inputFrames: 4, futureFrames: 3, batchSize: 4 },
  vgan: { frameSize: 16, frames: 4, batchSize: 2 },
  convlstm: { frameSize: 16, patchSize: 2, inputFrames: 3, futureFrames: 2, batchSize: 2 },
  rcnn: { frameSize: 32, kmeansPatches: 1024, kmeansIterations: 5 }, // each run fits its dictionary first
};

/**
 * The model's tiny (else default) preset, with evaluation and samples out of the way where the
 * model has those keys. 12-px digits fit every canvas; 32 fake digits make the digit order
 * reshuffle every few batches.
 */
function specFor(entry: ModelDefinition<ModelKind>, variant: string, extra = {}): RunSpec {
  const preset = entry.presets.some((p) => p.id === 'tiny') ? 'tiny' : entry.defaultPreset;
  const has = (key: string) => entry.schema.some((field) => field.key === key);
  const config: Record<string, unknown> = { ...SHRINK[entry.kind], ...extra };
  if (has('evalEvery')) config.evalEvery = 100_000;
  if (has('sampleEvery')) config.sampleEvery = 100_000;
  return {
    model: entry.kind,
    variant,
    preset,
    backend: 'cpu',
    seed: 5,
    config,
    data: { source: 'moving-mnist', seed: 11, digitSize: 12 },
  };
}

async function ready(spec: RunSpec, dataset?: DatasetPayload): Promise<FakeRun> {
  const run = new FakeRun();
  runs.push(run);
  const reply = await run.send({
    type: 'init',
    ...launchOf(spec),
    ...(dataset ? { dataset } : {}),
  });
  if (!reply.ok) throw new Error(reply.error.message);
  return run;
}

const cases = MODELS.flatMap((entry) =>
  entry.variants.map((variant) => ({ entry, variant: variant.id })),
);

describe('a checkpoint resumes exactly (cpu)', () => {
  it.each(cases)('$entry.kind $variant', async ({ entry, variant }) => {
    const spec = specFor(entry, variant);

    const straight = await ready(spec);
    await straight.train(N + M);
    const expected = straight.points().map((p) => p.values);

    const first = await ready(spec);
    await first.train(N);
    expect(first.points().map((p) => p.values)).toEqual(expected.slice(0, N));
    const checkpoint = await first.exportCheckpoint();
    expect(readSafetensors(checkpoint).metadata.step).toBe(String(N));

    // Other seeds: the weights, optimiser, noise and data stream must all come from the file.
    const resumed = await ready({ ...spec, seed: 77, data: { ...spec.data!, seed: 999 } });
    const reply = await resumed.send({
      type: 'import-checkpoint',
      bytes: checkpoint.slice().buffer,
    });
    expect(reply).toMatchObject({ ok: true });
    const restored = resumed.of('restored').at(-1)!;
    expect(restored).toMatchObject({ step: N, seed: 5, data: { seed: 11 } });
    // The checkpoint carries the loss curves so far (to 7 significant digits).
    expect(restored.history.map((p) => p.step)).toEqual([1, 2, 3]);
    restored.history.forEach((point, i) => {
      for (const [name, value] of Object.entries(expected[i])) {
        expect(point.values[name]).toBeCloseTo(value, 3);
      }
    });
    expect(resumed.lastStatus()).toBe('paused');
    expect(resumed.of('samples').at(-1)?.step).toBe(N);
    // The restored weights are evaluated at once (the run view's Evaluation card).
    expect(resumed.of('eval').at(-1)?.step).toBe(N);

    await resumed.train(M);
    const resumedPoints = resumed.points();
    expect(resumedPoints.map((p) => p.step)).toEqual([N + 1, N + M]);
    expect(resumedPoints.map((p) => p.values)).toEqual(expected.slice(N));
    expect(tensorBytes(await resumed.exportCheckpoint())).toEqual(
      tensorBytes(await straight.exportCheckpoint()),
    );
  });

  it('on an imported dataset: the clip order and its shuffling stream resume too', async () => {
    const clip = gradientDataset('ds-1', 'walk.mp4', 90);
    const spec: RunSpec = {
      ...specFor(modelDefinition('lstm'), 'composite'),
      data: { source: 'video', datasetId: 'ds-1', seed: 3, clipStride: 2 },
    };
    const straight = await ready(spec, clip);
    await straight.train(N + M);
    const expected = straight.points().map((p) => p.values);
    const first = await ready(spec, clip);
    await first.train(N);
    const checkpoint = await first.exportCheckpoint();
    const file = readSafetensors(checkpoint);
    expect([...file.tensors.keys()]).toContain('data.clip_order');
    expect(JSON.parse(file.metadata.dataset)).toEqual({
      name: 'walk.mp4',
      frames: 90,
      width: 24,
      height: 16,
      channels: 3,
    });

    const resumed = await ready({ ...spec, data: { ...spec.data!, seed: 99 } }, clip);
    expect(
      await resumed.send({ type: 'import-checkpoint', bytes: checkpoint.slice().buffer }),
    ).toMatchObject({ ok: true });
    await resumed.train(M);
    expect(resumed.points().map((p) => p.values)).toEqual(expected.slice(N));

    // Not into a run on Moving MNIST, nor into one on another dataset with the same id.
    for (const [other, otherSpec] of [
      [undefined, specFor(modelDefinition('lstm'), 'composite')],
      [gradientDataset('ds-1', 'other.mp4', 60), spec],
    ] as const) {
      const target = await ready(otherSpec, other);
      await target.train(1);
      const refused = await target.send({
        type: 'import-checkpoint',
        bytes: checkpoint.slice().buffer,
      });
      expect(refused).toMatchObject({
        ok: false,
        error: { code: 'invalid-checkpoint', message: expect.stringMatching(/trains on/) },
      });
      await target.train(1); // unchanged and still training
      expect(target.points().map((p) => p.step)).toEqual([1, 2]);
    }
  });

  it('lstm with SGD momentum and conditional decoders (velocity slots)', async () => {
    const entry = modelDefinition('lstm');
    const spec = specFor(entry, 'composite', {
      optimizer: 'sgd-momentum',
      conditionalFuture: true,
      conditionalReconstruction: true,
      learningRate: 0.01,
    });
    const straight = await ready(spec);
    await straight.train(N + M);
    const first = await ready(spec);
    await first.train(N);
    const checkpoint = await first.exportCheckpoint();
    expect([...readSafetensors(checkpoint).tensors.keys()]).toContain(
      'optimizer.velocity.encoder.0.w',
    );
    const resumed = await ready(spec);
    expect(
      await resumed.send({ type: 'import-checkpoint', bytes: checkpoint.buffer as ArrayBuffer }),
    ).toMatchObject({ ok: true });
    await resumed.train(M);
    expect(resumed.points().map((p) => p.values)).toEqual(
      straight
        .points()
        .slice(N)
        .map((p) => p.values),
    );
  });

  it('a checkpoint taken while the run trains is one consistent step', async () => {
    const spec = specFor(modelDefinition('lstm'), 'composite');
    const running = await ready(spec);
    await running.send({ type: 'start' });
    await running.until(() => running.points().length >= 2);
    const checkpoint = await running.exportCheckpoint();
    await running.send({ type: 'pause' });
    const step = Number(readSafetensors(checkpoint).metadata.step);
    expect(step).toBeGreaterThanOrEqual(2);

    // The steps an uninterrupted run takes after that one.
    const straight = await ready(spec);
    await straight.train(step + 2);
    const expected = straight.points().map((p) => p.values);

    const resumed = await ready(spec);
    await resumed.send({ type: 'import-checkpoint', bytes: checkpoint.buffer as ArrayBuffer });
    await resumed.train(2);
    expect(resumed.points().map((p) => p.values)).toEqual(expected.slice(step, step + 2));
  });

  it('a checkpoint restored into a running run takes effect between two steps', async () => {
    const spec = specFor(modelDefinition('lstm'), 'composite');
    const source = await ready(spec);
    await source.train(N);
    const checkpoint = await source.exportCheckpoint();
    await source.train(4);
    const expected = source
      .points()
      .slice(N, N + 4)
      .map((p) => p.values);

    const target = await ready(spec);
    await target.send({ type: 'start' });
    await target.until(() => target.points().length >= 1);
    expect(
      await target.send({ type: 'import-checkpoint', bytes: checkpoint.buffer as ArrayBuffer }),
    ).toMatchObject({ ok: true });
    expect(target.lastStatus()).toBe('running');
    const afterRestore = () => target.points().filter((p) => p.step > N && p.step <= N + 4);
    await target.until(
      () => target.points().some((p) => p.step === N + 4) && afterRestore().length >= 4,
    );
    await target.send({ type: 'pause' });
    // The steps after the restore are the source run's steps N + 1 …, in order.
    const restoredAt = target.points().findLastIndex((p) => p.step === N + 1);
    const continued = target.points().slice(restoredAt, restoredAt + 4);
    expect(continued.map((p) => p.step)).toEqual([N + 1, N + 2, N + 3, N + 4]);
    expect(continued.map((p) => p.values)).toEqual(expected);
  });
});

/** `frames` RGB frames of 24×16 whose pixels move a gradient along, one file. */
function gradientDataset(id: string, name: string, frames: number): DatasetPayload {
  const width = 24;
  const height = 16;
  const data = new Uint8Array(frames * width * height * 3);
  for (let f = 0; f < frames; f++) {
    for (let p = 0; p < width * height; p++) {
      data.fill(
        ((p % width) * 10 + f * 7) % 256,
        (f * width * height + p) * 3,
        (f * width * height + p + 1) * 3,
      );
    }
  }
  return {
    id,
    name,
    frames: {
      data,
      frames,
      width,
      height,
      channels: 3,
      segments: [{ name, start: 0, length: frames }],
    },
    crop: 'center',
    fps: 10,
  };
}
