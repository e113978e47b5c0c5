/**
 * The run lifecycle under awkward call sequences, through the real RunManager with in-process
 * workers on the tfjs CPU backend (issue 20): a run opened from a checkpoint is never ready before
 * it is restored, so a save at that moment stores the restored state; `dispose` wakes
 * `waitForStep` at once; a link's runs are created all or none, the worker's checks included;
 * commands given to a run waiting for its turn are sent once it is built (or refused once it is
 * removed); and a run whose creation failed never goes into a shared link.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createExperimentRuns, currentExperiment } from '../src/app/compare/experiment-actions';
import { RunManager } from '../src/app/runs/run-manager';
import type { DatasetSource } from '../src/app/runs/run-manager';
import { usePlayground } from '../src/app/state/store';
import { useWorkspace } from '../src/app/state/workspace';
import { readCheckpointInfo } from '../src/core/checkpoint/run-checkpoint';
import type { DatasetPayload } from '../src/core/data/types';
import { ConfigError } from '../src/core/models/config-schema';
import type { RunSpec, RunStatus } from '../src/protocol/messages';
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

/** 5 gray frames of 16×16: far too short for one training and one held-out clip of 6 frames. */
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
const datasets: DatasetSource = {
  payload: (id) => (id === SHORT_DATASET.id ? SHORT_DATASET : undefined),
  fileLabels: (id) =>
    id === SHORT_DATASET.id ? SHORT_DATASET.frames.segments.map(() => '') : undefined,
  list: () => [{ id: SHORT_DATASET.id }],
};

let manager: RunManager;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(async () => {
  for (const id of manager.listRuns()) await manager.dispose(id);
  usePlayground.getState().reset();
});

function newManager(): RunManager {
  manager = new RunManager(() => new InProcessWorker() as unknown as Worker, datasets);
  return manager;
}

const state = (id: string) => usePlayground.getState().runs[id];

/** Every status the store shows for runs created from now on, by run id. */
function recordStatuses(): Map<string, RunStatus[]> {
  const seen = new Map<string, RunStatus[]>();
  usePlayground.subscribe(({ runs }) => {
    for (const [id, run] of Object.entries(runs)) {
      const list = seen.get(id) ?? [];
      if (list.at(-1) !== run.status) list.push(run.status);
      seen.set(id, list);
    }
  });
  return seen;
}

describe('a run opened from a checkpoint', () => {
  it('is never ready before it is restored, and a save meanwhile stores the restored state', async () => {
    const runs = newManager();
    const source = await runs.createRun(SPEC);
    await runs.step(source, 3);
    await runs.waitForStep(source, 3, 60_000);
    await runs.pause(source);
    const saved = await runs.exportCheckpoint(source);
    expect(saved.step).toBe(3);

    const statuses = recordStatuses();
    const before = new Set(runs.listRuns());
    const opening = runs.createRunFromCheckpoint(saved.bytes, { source: 'test' });
    const id = runs.listRuns().find((key) => !before.has(key)) as string;
    // Sent while the run is still being created: it waits for the restore.
    const early = runs.exportCheckpoint(id);
    await opening;
    const copy = await early;
    expect(copy.step).toBe(3);
    expect(readCheckpointInfo(copy.bytes).step).toBe(3);
    expect(statuses.get(id)).not.toContain('ready');
    expect(state(id)).toMatchObject({ status: 'paused', step: 3 });
    expect(state(id).restoredFrom).toEqual({ source: 'test', step: 3 });
  });
});

describe('dispose', () => {
  it('wakes waitForStep at once with "disposed"', async () => {
    const runs = newManager();
    const id = await runs.createRun(SPEC);
    // An hour's timeout: only the dispose can end this wait within the test's time.
    const waiting = runs.waitForStep(id, 1_000_000, 3_600_000).then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    await runs.dispose(id);
    expect(await waiting).toBe(`Run ${id} was disposed`);
  });

  it('rejects commands still waiting for their reply', async () => {
    const runs = newManager();
    const id = await runs.createRun(SPEC);
    const evaluating = runs.evaluate(id).then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    await runs.dispose(id);
    expect(await evaluating).toBe(`Run ${id} was disposed`);
  });
});

describe('a link’s runs: all or none', () => {
  it('refuses a run whose data does not fit its model before creating any run', async () => {
    const runs = newManager();
    const error = await createExperimentRuns(runs, {
      runs: [SPEC, { ...SPEC, data: { source: 'moving-mnist', frames: 1 } }],
      start: false,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('runs[1].data.frames');
    expect((error as Error).message).toBe(
      "Run 2: data.frames is 1, but the model's config needs 6 frames (leave data.frames out: the model sets it)",
    );
    expect(runs.listRuns()).toEqual([]);
  });

  it('refuses a run on a dataset this browser does not have before creating any run', async () => {
    const runs = newManager();
    const error = await createExperimentRuns(runs, {
      runs: [SPEC, { ...SPEC, data: { source: 'video', datasetId: 'ds-elsewhere' } }],
      start: true,
    }).catch((e: unknown) => e);
    expect((error as ConfigError).field).toBe('runs[1].data.datasetId');
    expect(runs.listRuns()).toEqual([]);
  });

  it('removes the runs it created when a worker refuses one of them', async () => {
    const runs = newManager();
    const existing = await runs.createRun({ ...SPEC, seed: 9 });
    const error = await createExperimentRuns(runs, {
      runs: [SPEC, { ...SPEC, data: { source: 'video', datasetId: SHORT_DATASET.id } }],
      start: true,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^Run 2: .*short\.npy/);
    expect(runs.listRuns()).toEqual([existing]); // only the run that was there before
    expect(state(existing).status).toBe('ready');
  });
});

describe('a started experiment', () => {
  it('builds its first run alone and the others once that one has trained a step', async () => {
    const firstStepAtWorkerStart: number[] = [];
    manager = new RunManager(() => {
      const first = usePlayground.getState().runOrder[0];
      firstStepAtWorkerStart.push(state(first).step);
      return new InProcessWorker() as unknown as Worker;
    }, datasets);
    const ids = await createExperimentRuns(manager, {
      runs: [SPEC, { ...SPEC, seed: 1 }, { ...SPEC, seed: 2 }],
      start: true,
    });
    expect(ids).toHaveLength(3);
    expect(firstStepAtWorkerStart).toHaveLength(3);
    expect(firstStepAtWorkerStart[0]).toBe(0);
    for (const step of firstStepAtWorkerStart.slice(1)) expect(step).toBeGreaterThanOrEqual(1);
    for (const id of ids) await manager.waitForStep(id, 1, 60_000);
  });

  it('sends the commands given to a waiting run once it is built, in order', async () => {
    const runs = newManager();
    const creation = createExperimentRuns(runs, {
      runs: [SPEC, { ...SPEC, seed: 1 }],
      start: true,
    });
    const [, waiting] = runs.listRuns();
    expect(state(waiting).progress?.phase).toBe('queued');
    // Pause, then one step: the run is built and starts, pauses, and trains exactly one step more.
    const paused = runs.pause(waiting);
    const stepped = runs.step(waiting, 1);
    await paused;
    const pausedAt = state(waiting).step;
    await stepped;
    await runs.waitForStep(waiting, pausedAt + 1, 60_000);
    await runs.pause(waiting);
    expect(state(waiting).step).toBe(pausedAt + 1);
    await creation;
  });

  it('refuses the commands given to a waiting run that is removed before it is built', async () => {
    const runs = newManager();
    const creation = createExperimentRuns(runs, {
      runs: [SPEC, { ...SPEC, seed: 1 }],
      start: true,
    }).catch(() => undefined);
    const [, waiting] = runs.listRuns();
    const evaluating = runs.evaluate(waiting).then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    await runs.dispose(waiting);
    expect(await evaluating).toBe(`Run ${waiting} was disposed`);
    await creation;
  });

  it('lets a waiting run be removed before it is built', async () => {
    const runs = newManager();
    const creation = createExperimentRuns(runs, {
      runs: [SPEC, { ...SPEC, seed: 1 }],
      start: true,
    }).catch((e: unknown) => e);
    const [, waiting] = runs.listRuns();
    expect(state(waiting).progress?.message).toBe('Waiting for the first run to train');
    await runs.dispose(waiting);
    expect((await creation) as Error).toEqual(new Error(`Run ${waiting} was disposed`));
    expect(runs.listRuns()).toEqual([]); // all or none: the first run went too
  });
});

describe('shared links', () => {
  it('leave out a run whose creation failed', async () => {
    const runs = newManager();
    const good = await runs.createRun(SPEC);
    const failing = { ...SPEC, data: { source: 'video' as const, datasetId: SHORT_DATASET.id } };
    await expect(runs.createRun(failing)).rejects.toThrow(/short\.npy/);
    await expect
      .poll(() => runs.listRuns().map((id) => state(id).status))
      .toEqual(['ready', 'error']);
    expect(currentExperiment().runs).toEqual([state(good).spec]);
  });

  it('carry only the compared runs from the compare and presentation views', async () => {
    const runs = newManager();
    const first = await runs.createRun(SPEC);
    const second = await runs.createRun({ ...SPEC, seed: 9 });
    const workspace = useWorkspace.getState();
    workspace.setCompareSelection([second]);
    try {
      workspace.setView('run');
      expect(currentExperiment().runs).toEqual([state(first).spec, state(second).spec]);
      for (const view of ['compare', 'present'] as const) {
        workspace.setView(view);
        expect(currentExperiment().runs).toEqual([state(second).spec]);
      }
      // A presentation link asked for from the run view carries what the presentation shows.
      workspace.setView('run');
      expect(currentExperiment(false, 'present').runs).toEqual([state(second).spec]);
    } finally {
      workspace.reset();
    }
  });
});
