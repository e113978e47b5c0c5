/**
 * One run assembly (src/core/train/assemble-run.ts) behind the run worker and the CLI: the same
 * resolved spec gives the same model, batches and first loss on either path; a checkpoint
 * restored into an assembled run continues exactly where the run that wrote it was; a failing
 * stage leaves no tensor behind.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/core/checkpoint/run-checkpoint';
import { assembleRun, planRunRestore, resolveRun } from '../src/core/train/assemble-run';
import type { AssembledRun } from '../src/core/train/assemble-run';
import { captureCheckpoint } from '../src/core/train/checkpointing';
import type { RunSpec } from '../src/protocol/messages';
import { launchOf } from '../src/protocol/run-spec';
import type { MnistDigits } from '../src/core/data/mnist';
import { loadMnistFromDisk } from '../src/core/data/mnist-node';
import { FakeRun } from './helpers/fake-run';

const SPEC: RunSpec = {
  model: 'lstm',
  preset: 'tiny',
  backend: 'cpu',
  seed: 2,
  config: { frameSize: 16, hiddenUnits: 8, inputFrames: 4, futureFrames: 3, batchSize: 4 },
  data: { source: 'moving-mnist', digitSize: 8, seed: 9 },
};
let digits: MnistDigits;
const built: AssembledRun[] = [];

/** The run as the CLI builds it: launchOf, then assembleRun on the active backend. */
async function assemble(spec: RunSpec): Promise<AssembledRun> {
  const { run } = launchOf(spec);
  const assembled = await assembleRun(run, resolveRun(run), { digits });
  built.push(assembled);
  return assembled;
}

/** The losses of the first two training steps of a run worker started with `spec`. */
async function workerLosses(spec: RunSpec): Promise<number[]> {
  const worker = new FakeRun(digits);
  expect(await worker.send({ type: 'init', ...launchOf(spec) })).toMatchObject({ ok: true });
  await worker.send({ type: 'step', n: 2 });
  await worker.until(() => worker.lastStatus() === 'paused');
  const points = worker.of('metrics').flatMap((event) => event.points);
  await worker.send({ type: 'dispose' });
  return points.map((point) => point.values.loss);
}

/** The losses of an assembled run's first two training steps. */
async function losses(run: AssembledRun): Promise<number[]> {
  const first = await run.trainer.trainStep();
  const second = await run.trainer.trainStep();
  return [first.losses.loss, second.losses.loss];
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  digits = await loadMnistFromDisk();
});

afterEach(() => {
  for (const run of built.splice(0)) {
    run.model.dispose();
    run.evalSet.dispose();
  }
});

describe('assembleRun', () => {
  it('gives the worker and the CLI the same losses for the same spec, other seeds others', async () => {
    const fromWorker = await workerLosses(SPEC);
    const assembled = await assemble(SPEC);
    expect(assembled.run).toEqual(launchOf(SPEC).run);
    expect(await losses(assembled)).toEqual(fromWorker);

    // The first loss is the same for any model seed here; the second shows it.
    const reseeded = await losses(await assemble({ ...SPEC, seed: 3 }));
    expect(reseeded[1]).not.toBe(fromWorker[1]);
    const otherData = await losses(await assemble({ ...SPEC, data: { ...SPEC.data!, seed: 10 } }));
    expect(otherData).not.toEqual(fromWorker);
  });

  it('holds the held-out set the config asks for', async () => {
    const assembled = await assemble({ ...SPEC, config: { ...SPEC.config, evalSequences: 6 } });
    expect(assembled.evalSet.shape[0]).toBe(6);
    expect(assembled.resolved.cadence.evalSequences).toBe(6);
  });

  it('a restored run takes the very step the run that wrote the checkpoint took next', async () => {
    const original = await assemble(SPEC);
    await original.trainer.trainStep();
    await original.trainer.trainStep();
    const bytes = await captureCheckpoint(
      {
        run: original.run,
        model: original.model,
        stream: original.stream,
        step: original.trainer.step,
        history: [],
      },
      'test',
    );
    const next = (await original.trainer.trainStep()).losses.loss;

    const resumed = await assemble(SPEC);
    const restore = planRunRestore(resumed, decodeCheckpoint(bytes), { digits });
    expect(resumed.trainer.step).toBe(0); // planning changes nothing
    restore.apply();
    expect(resumed.trainer.step).toBe(2);
    const step = await resumed.trainer.trainStep();
    expect(step.step).toBe(3);
    expect(step.losses.loss).toBe(next);
  });

  it('refuses a checkpoint of another config and leaves the run as it was', async () => {
    const other = await assemble({ ...SPEC, config: { ...SPEC.config, hiddenUnits: 6 } });
    const bytes = await captureCheckpoint(
      { run: other.run, model: other.model, stream: other.stream, step: 0, history: [] },
      'test',
    );
    const run = await assemble(SPEC);
    const before = tf.memory().numTensors;
    expect(() => planRunRestore(run, decodeCheckpoint(bytes), { digits })).toThrow(/hiddenUnits/);
    expect(tf.memory().numTensors).toBe(before);
    expect(run.trainer.step).toBe(0);
  });

  it('frees the model when the data does not fit it', async () => {
    const { run } = launchOf(SPEC);
    const before = tf.memory().numTensors;
    const tooBig = { ...run, data: { source: 'moving-mnist' as const, canvasSize: 64, seed: 1 } };
    await expect(assembleRun(tooBig, resolveRun(tooBig), { digits })).rejects.toThrow(/canvasSize/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
