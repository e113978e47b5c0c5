/**
 * One run failing never stops the others: two runs train side by side through the real
 * RunManager (each behind its own in-process worker, on the tfjs CPU backend); one dies or fails
 * to start, and the other keeps training. The compare view's rows show both states.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { compareRow } from '../src/app/compare/compare-data';
import { RunManager } from '../src/app/runs/run-manager';
import { usePlayground } from '../src/app/state/store';
import type { DatasetPayload } from '../src/core/data/types';
import type { RunSpec } from '../src/protocol/messages';
import { InProcessWorker } from './helpers/in-process-worker';

const SPEC: RunSpec = {
  model: 'lstm',
  preset: 'tiny',
  backend: 'cpu',
  config: {
    frameSize: 16,
    hiddenUnits: 8,
    inputFrames: 3,
    futureFrames: 3,
    batchSize: 2,
    evalSequences: 2,
    evalEvery: 1000,
    sampleEvery: 1000,
  },
  data: { source: 'moving-mnist', seed: 5, digitSize: 8, speed: 2 },
};

const workers: InProcessWorker[] = [];
let manager: RunManager;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(async () => {
  for (const id of manager.listRuns()) await manager.dispose(id);
  workers.length = 0;
  usePlayground.getState().reset();
});

/** 5 gray frames: too short for one training and one held-out clip of the model's 6 frames. */
const SHORT_DATASET: DatasetPayload = {
  id: 'ds-short',
  name: 'short.npy',
  frames: {
    data: new Uint8Array(5 * 16 * 16),
    frames: 5,
    width: 16,
    height: 16,
    channels: 1,
    segments: [{ name: 'sequence 0', start: 0, length: 5 }],
  },
  crop: 'center',
  fps: null,
};

function newManager(): RunManager {
  manager = new RunManager(
    () => {
      const worker = new InProcessWorker();
      workers.push(worker);
      return worker as unknown as Worker;
    },
    {
      payload: (id) => (id === SHORT_DATASET.id ? SHORT_DATASET : undefined),
      fileLabels: (id) =>
        id === SHORT_DATASET.id ? SHORT_DATASET.frames.segments.map(() => '') : undefined,
      list: () => [{ id: SHORT_DATASET.id }],
    },
  );
  return manager;
}

const run = (id: string) => usePlayground.getState().runs[id];

describe('runs side by side', () => {
  it('a crashed run turns into an error while the other keeps training', async () => {
    const runs = newManager();
    const a = await runs.createRun(SPEC);
    const b = await runs.createRun({ ...SPEC, seed: 1 });
    await Promise.all([runs.start(a), runs.start(b)]);
    await Promise.all([runs.waitForStep(a, 3, 30_000), runs.waitForStep(b, 3, 30_000)]);

    workers[0].crash('GPU device was lost');
    expect(run(a).status).toBe('error');
    expect(run(a).error).toMatchObject({ code: 'internal', message: 'GPU device was lost' });
    const stepOfA = run(a).step;
    const stepOfB = run(b).step;

    await runs.waitForStep(b, stepOfB + 5, 30_000);
    expect(run(b).status).toBe('running');
    expect(run(b).error).toBeNull();
    expect(run(a).step).toBe(stepOfA); // the dead run does not move
    const rows = [compareRow(run(a), runs.history(a)), compareRow(run(b), runs.history(b))];
    expect(rows[0].error).toContain('GPU device was lost');
    expect(rows[1]).toMatchObject({ status: 'running', error: null });
    expect(rows[1].final.loss).toBeGreaterThan(0);

    // Pausing and resuming the survivor still works on its own.
    await runs.pause(b);
    expect(run(b).status).toBe('paused');
    await runs.start(b);
    await runs.waitForStep(b, run(b).step + 2, 30_000);
  });

  it('a run that fails to start leaves the training run alone', async () => {
    const runs = newManager();
    const a = await runs.createRun(SPEC);
    await runs.start(a);
    await runs.waitForStep(a, 2, 30_000);
    // A valid spec, but the dataset is too short for the model's clips: the worker refuses it
    // during init.
    await expect(
      runs.createRun({ ...SPEC, data: { source: 'video', datasetId: SHORT_DATASET.id } }),
    ).rejects.toThrow(/short\.npy/);
    const failed = runs.listRuns()[1];
    // The reply comes first; the worker's error and status events follow it.
    await vi.waitFor(() => expect(run(failed).status).toBe('error'));
    expect(run(failed).error?.code).toBe('data-error');
    await runs.waitForStep(a, run(a).step + 3, 30_000);
    expect(run(a).status).toBe('running');
  });
});
