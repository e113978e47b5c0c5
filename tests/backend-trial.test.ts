/**
 * The backend trial (software WebGPU, no backend forced): every candidate is timed on copies of
 * the run's model, the fastest that trains wins, and failures become notes rather than errors.
 * Timings come from a fake clock that each backend's fake model advances by its own step cost.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BackendName } from '../src/core/gpu/backend-types';
import { modelDefinition } from '../src/core/models/registry';
import type { ModelState, VideoModel } from '../src/core/models/types';
import {
  BackendTrialInSlices,
  SWITCH_MARGIN,
  fastestBackend,
  measureBackends,
} from '../src/core/train/backend-trial';
import type { TrialBatch } from '../src/core/train/backend-trial';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const batch: TrialBatch = { data: new Float32Array(8), shape: [1, 2, 2, 2, 1] };
const state: ModelState = { tensors: {}, meta: { marker: 7 } };

interface FakeBackend {
  msPerStep: number;
  loss?: number;
  fails?: string;
}

/** Fake models whose steps cost `msPerStep` of fake time on the active fake backend. */
function fakeWorld(backends: Partial<Record<BackendName, FakeBackend | string>>) {
  let clock = 0;
  let active: BackendName | null = null;
  const imported: unknown[] = [];
  const stepsOn: Partial<Record<BackendName, number>> = {};
  const live = { models: 0 };
  const makeModel = (): VideoModel => {
    const backend = backends[active!] as FakeBackend;
    live.models += 1;
    return {
      kind: 'lstm',
      data: { frames: 2, height: 2, width: 2, channels: 1, range: 'unit', batchSize: 1 },
      samplesUseHeldOut: false,
      trainStep: () => {
        if (backend.fails) throw new Error(backend.fails);
        clock += backend.msPerStep;
        stepsOn[active!] = (stepsOn[active!] ?? 0) + 1;
        return { loss: tf.scalar(backend.loss ?? 0.5) };
      },
      warmUp: async () => {},
      evaluate: async () => ({ scalars: {}, perFrame: {} }),
      sample: async () => [],
      getHyperparameters: () => ({}),
      setHyperparameters: () => {},
      parameterCount: () => 0,
      exportState: async () => state,
      importState: (s) => {
        imported.push(s.meta.marker);
      },
      stateVariables: () => [],
      dispose: () => {
        live.models -= 1;
      },
    };
  };
  const activate = async (name: BackendName) => {
    const backend = backends[name];
    if (backend === undefined) return `${name} is not here`;
    if (typeof backend === 'string') return backend;
    active = name;
    return null;
  };
  return { makeModel, activate, now: () => clock, imported, stepsOn, live };
}

describe('measureBackends', () => {
  it('times each backend on a copy of the model and picks the fastest that trains', async () => {
    const world = fakeWorld({
      webgpu: { msPerStep: 300 },
      webgl: { msPerStep: 120 },
      cpu: { msPerStep: 200 },
    });
    const before = tf.memory().numTensors;
    const trials = await measureBackends({
      candidates: ['webgpu', 'webgl', 'cpu'],
      activate: world.activate,
      makeModel: world.makeModel,
      state,
      batch,
      steps: 3,
      maxSecondsPerBackend: 60,
      now: world.now,
    });
    expect(trials).toEqual([
      { backend: 'webgpu', msPerStep: 300, steps: 3 },
      { backend: 'webgl', msPerStep: 120, steps: 3 },
      { backend: 'cpu', msPerStep: 200, steps: 3 },
    ]);
    expect(fastestBackend(trials, 'webgpu')).toBe('webgl');
    // Every copy got the run's state; one untimed warm-up step each, then the timed ones.
    expect(world.imported).toEqual([7, 7, 7]);
    expect(world.stepsOn).toEqual({ webgpu: 4, webgl: 4, cpu: 4 });
    expect(world.live.models).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('notes backends that do not start, throw or give non-finite losses, and stops hopeless or slow ones early', async () => {
    const world = fakeWorld({
      webgpu: { msPerStep: 100 },
      webgl: 'WebGL failed to initialise',
      cpu: { msPerStep: 1000 },
    });
    const trials = await measureBackends({
      candidates: ['webgpu', 'webgl', 'cpu'],
      activate: world.activate,
      makeModel: world.makeModel,
      state,
      batch,
      steps: 3,
      maxSecondsPerBackend: 60,
      now: world.now,
    });
    expect(trials[1]).toEqual({
      backend: 'webgl',
      msPerStep: null,
      steps: 0,
      note: 'WebGL failed to initialise',
    });
    // Ten times slower than WebGPU after one timed step: not worth two more.
    expect(trials[2]).toMatchObject({ backend: 'cpu', msPerStep: 1000, steps: 1 });
    expect(trials[2].note).toMatch(/over 3× the fastest/);

    const broken = fakeWorld({
      webgpu: { msPerStep: 10, fails: 'WebGPU validation error: binding too large' },
      webgl: { msPerStep: 10, loss: NaN },
      cpu: { msPerStep: 400 },
    });
    const failing = await measureBackends({
      candidates: ['webgpu', 'webgl', 'cpu'],
      activate: broken.activate,
      makeModel: broken.makeModel,
      state,
      batch,
      steps: 5,
      maxSecondsPerBackend: 1,
      now: broken.now,
    });
    expect(failing.map((t) => [t.backend, t.msPerStep, t.note])).toEqual([
      ['webgpu', null, 'WebGPU validation error: binding too large'],
      ['webgl', null, 'a loss came back NaN or infinite'],
      ['cpu', 400, '1 s budget'],
    ]);
    expect(failing[2].steps).toBe(3); // 3 × 400 ms passes the 1 s budget
    expect(fastestBackend(failing, 'webgpu')).toBe('cpu');
    expect(broken.live.models).toBe(0);
  });

  it('falls back to the current backend when none trains', () => {
    expect(
      fastestBackend(
        [
          { backend: 'webgl', msPerStep: null, steps: 0, note: 'x' },
          { backend: 'cpu', msPerStep: null, steps: 0, note: 'y' },
        ],
        'webgpu',
      ),
    ).toBe('webgpu');
  });

  it('leaves the current backend only for one at least SWITCH_MARGIN times faster', () => {
    const trials = (cpu: number, webgl: number) => [
      { backend: 'cpu' as const, msPerStep: cpu, steps: 3 },
      { backend: 'webgpu' as const, msPerStep: null, steps: 0, note: 'x' },
      { backend: 'webgl' as const, msPerStep: webgl, steps: 3 },
    ];
    expect(SWITCH_MARGIN).toBe(1.2);
    // A near-tie (WebGL 10 % faster) keeps the run where it is; without `current`, WebGL wins.
    expect(fastestBackend(trials(110, 100), 'cpu', 'cpu')).toBe('cpu');
    expect(fastestBackend(trials(110, 100), 'cpu')).toBe('webgl');
    // 1.25× faster: worth the move.
    expect(fastestBackend(trials(125, 100), 'cpu', 'cpu')).toBe('webgl');
    // The current backend could not train: the fastest that did.
    expect(
      fastestBackend(
        [
          { backend: 'cpu', msPerStep: null, steps: 0, note: 'x' },
          { backend: 'webgl', msPerStep: 500, steps: 3 },
        ],
        'cpu',
        'cpu',
      ),
    ).toBe('webgl');
  });

  it('stops between steps when its signal aborts, disposing the copy, and rejects with the reason', async () => {
    const world = fakeWorld({ cpu: { msPerStep: 100 }, webgpu: { msPerStep: 50 } });
    const controller = new AbortController();
    const reason = new Error('paused');
    const before = tf.memory().numTensors;
    const trial = measureBackends({
      candidates: ['cpu', 'webgpu'],
      activate: world.activate,
      makeModel: world.makeModel,
      state,
      batch,
      steps: 3,
      maxSecondsPerBackend: 60,
      now: () => {
        // The abort comes while the CPU's second step is timed.
        if ((world.stepsOn.cpu ?? 0) === 2) controller.abort(reason);
        return world.now();
      },
      signal: controller.signal,
    });
    await expect(trial).rejects.toBe(reason);
    expect(world.stepsOn).toEqual({ cpu: 2 }); // WebGPU never started
    expect(world.live.models).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('in slices: the run’s backend is active again after each slice, and the timings are those of one go', async () => {
    const backends = {
      cpu: { msPerStep: 200 },
      webgpu: { msPerStep: 900 }, // over 3× the CPU: stopped after one timed step
      webgl: { msPerStep: 120 },
    };
    const options = (world: ReturnType<typeof fakeWorld>) => ({
      candidates: ['cpu', 'webgpu', 'webgl'] as BackendName[],
      activate: world.activate,
      makeModel: world.makeModel,
      state,
      batch,
      steps: 3,
      maxSecondsPerBackend: 60,
      now: world.now,
    });
    const inOneGo = await measureBackends(options(fakeWorld(backends)));

    const world = fakeWorld(backends);
    const before = tf.memory().numTensors;
    let slices = 0;
    const trial = new BackendTrialInSlices({
      ...options(world),
      restore: () => world.activate('cpu').then(() => undefined),
    });
    const runsOwnSteps: number[] = [];
    while (!trial.done) {
      await trial.next();
      slices += 1;
      // Between slices the run trains on its own backend: a step here runs on the CPU.
      const own = world.makeModel();
      const input = tf.zeros([1, 2, 2, 2, 1]) as tf.Tensor5D;
      tf.dispose([input, ...Object.values(own.trainStep(input))]);
      own.dispose();
      runsOwnSteps.push(world.stepsOn.cpu ?? 0);
    }
    // cpu: compile + 3 steps; webgpu: compile + 1; webgl: compile + 3.
    expect(slices).toBe(4 + 2 + 4);
    expect(runsOwnSteps.at(-1)).toBe(4 + slices); // the trial's 4 CPU steps and one per slice
    expect(trial.trials).toEqual(inOneGo);
    expect(trial.trials.map((t) => t.steps)).toEqual([3, 1, 3]);
    expect(world.live.models).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('measures a real model from its exported state without touching the original', async () => {
    const build = await modelDefinition('lstm').resolve('composite', 'tiny').builder();
    const original = build(0);
    const exported = await original.exportState();
    const { frames, height, width, channels, batchSize } = original.data;
    const size = batchSize * frames * height * width * channels;
    const trials = await measureBackends({
      candidates: ['cpu'],
      activate: async (name) => ((await tf.setBackend(name)) ? null : 'no'),
      makeModel: () => build(0),
      state: exported,
      batch: {
        data: Float32Array.from({ length: size }, (_, i) => (i % 7) / 7),
        shape: [batchSize, frames, height, width, channels],
      },
      steps: 2,
      maxSecondsPerBackend: 60,
    });
    expect(trials).toHaveLength(1);
    expect(trials[0].backend).toBe('cpu');
    expect(trials[0].msPerStep).toBeGreaterThan(0);
    expect(trials[0].steps).toBe(2);
    const after = await original.exportState();
    for (const [name, tensor] of Object.entries(exported.tensors)) {
      expect(after.tensors[name].data, name).toEqual(tensor.data);
    }
    original.dispose();
  });
});
