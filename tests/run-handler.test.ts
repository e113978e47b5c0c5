/**
 * The real RunHandler with the real LSTM (a shrunken tiny preset) on the tfjs CPU backend, driven
 * the way a worker drives it: init → ready, step, start/pause, live hyperparameters, structured
 * errors, transferable sample frames, stop, and a dispose that frees every tensor.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunSpec, WorkerEvent } from '../src/protocol/messages';
import { transferablesOf } from '../src/protocol/messages';
import { HELD_OUT_GROUP } from '../src/protocol/sample-groups';
import { RATES, samplesDue } from '../src/runtime/run-handler';
import { loadMnistFromDisk } from '../src/core/data/mnist-node';
import { FakeRun } from './helpers/fake-run';
import type { FakeRunOptions } from './helpers/fake-run';
import { launchOf } from '../src/protocol/run-spec';

/** The tiny preset at 16×16 px with 8-px digits, 16 units and 4 + 3 frames: a few ms a step. */
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

let baseline = 0;
const runs: FakeRun[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
  baseline = tf.memory().numTensors;
});

afterEach(async () => {
  for (const run of runs.splice(0)) await run.send({ type: 'dispose' });
});

async function ready(spec: RunSpec = SPEC, options: FakeRunOptions = {}): Promise<FakeRun> {
  const run = new FakeRun(undefined, options);
  runs.push(run);
  const reply = await run.send({ type: 'init', ...launchOf(spec) });
  expect(reply).toMatchObject({ ok: true });
  return run;
}

/** Every training step reported in metrics events, in order. */
function steps(run: FakeRun): number[] {
  return run.of('metrics').flatMap((event) => event.points.map((point) => point.step));
}

const statuses = (run: FakeRun) => run.of('status').map((event) => event.status);

describe('RunHandler with the real LSTM on cpu', () => {
  it('init reports progress, then ready on cpu with the resolved config, then samples', async () => {
    const run = await ready();
    // The CPU backend compiles no kernels, so there is no warm-up.
    expect(statuses(run)).toEqual(['creating', 'ready']);
    const [readyEvent] = run.of('ready');
    expect(readyEvent.backend).toMatchObject({ backend: 'cpu', adapter: null });
    expect(readyEvent.parameterCount).toBeGreaterThan(0);
    expect(readyEvent.config).toMatchObject({
      variant: 'composite',
      preset: 'tiny',
      hiddenUnits: 16,
      frameSize: 16,
      optimizer: 'adam',
    });
    expect(readyEvent.hyperparameters).toMatchObject({ learningRate: 2e-3 });
    expect(run.of('progress').map((event) => event.phase)).toContain('data');
    expect(run.of('progress').map((event) => event.message)).not.toContain('Compiling kernels');
    expect(run.of('samples')).toHaveLength(1);
    expect(run.of('error')).toEqual([]);
    expect(run.of('warning')).toEqual([]);
  });

  it('init with start trains at once, its first samples after its first step', async () => {
    const run = new FakeRun();
    runs.push(run);
    const reply = await run.send({ type: 'init', ...launchOf(SPEC), start: true });
    expect(reply).toMatchObject({ ok: true });
    await run.until(() => run.of('samples').length > 0);
    expect(statuses(run).slice(0, 3)).toEqual(['creating', 'ready', 'running']);
    // The samples show the model after its first step, and no samples came before it.
    expect(run.of('samples')[0].step).toBe(1);
    const firstMetrics = run.events.findIndex((event) => event.type === 'metrics');
    const firstSamples = run.events.findIndex((event) => event.type === 'samples');
    expect(firstMetrics).toBeGreaterThanOrEqual(0);
    expect(firstMetrics).toBeLessThan(firstSamples);
    await run.send({ type: 'pause' });
    expect(run.lastStatus()).toBe('paused');
    expect(run.of('error')).toEqual([]);
  });

  it('step n trains exactly n steps, reports each loss and the stats, then pauses', async () => {
    const run = await ready();
    await run.send({ type: 'step', n: 3 });
    await run.until(() => run.lastStatus() === 'paused');
    expect(steps(run)).toEqual([1, 2, 3]);
    for (const point of run.of('metrics').flatMap((event) => event.points)) {
      expect(Object.keys(point.values).sort()).toEqual(['future_loss', 'loss', 'recon_loss']);
      for (const value of Object.values(point.values)) expect(Number.isFinite(value)).toBe(true);
      expect(point.values.loss).toBeCloseTo(point.values.recon_loss + point.values.future_loss, 3);
      expect(point.wallMs).toBeGreaterThanOrEqual(0);
    }
    const stats = run.of('metrics').at(-1)!.stats;
    expect(stats.step).toBe(3);
    expect(stats.msPerStep).toBeGreaterThan(0);
    expect(stats.numTensors).toBeGreaterThan(0);
    expect(stats.numBytesAllocatedInGPU).toBeNull();
    expect(run.of('status').at(-1)).toEqual({ type: 'status', status: 'paused', step: 3 });
    // Another step continues from there.
    await run.send({ type: 'step', n: 1 });
    await run.until(() => steps(run).length === 4 && run.lastStatus() === 'paused');
    expect(steps(run)).toEqual([1, 2, 3, 4]);
  });

  it('start then pause: the step count stops increasing', async () => {
    const run = await ready();
    await run.send({ type: 'start' });
    expect(run.lastStatus()).toBe('running');
    await run.until(() => steps(run).length >= 2); // metrics are flushed every 250 ms
    expect(await run.send({ type: 'pause' })).toMatchObject({ ok: true });
    expect(run.lastStatus()).toBe('paused');
    const pausedAt = Math.max(...steps(run));
    // The reply came after the last step and its metrics: the status names that step.
    expect(run.of('status').at(-1)).toEqual({ type: 'status', status: 'paused', step: pausedAt });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(Math.max(...steps(run))).toBe(pausedAt);
    expect(run.lastStatus()).toBe('paused');
    // Steps were consecutive, each reported once.
    expect(steps(run)).toEqual(Array.from({ length: pausedAt }, (_, i) => i + 1));
  });

  it('set-hyperparameters applies a learning rate and rejects an unknown key without failing the run', async () => {
    const run = await ready();
    const ok = await run.send({ type: 'set-hyperparameters', values: { learningRate: 1e-3 } });
    expect(ok).toMatchObject({ ok: true });
    expect(run.of('hyperparameters').at(-1)!.values).toMatchObject({ learningRate: 1e-3 });

    const bad = await run.send({ type: 'set-hyperparameters', values: { bogus: 1 } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-config' } });
    expect(bad.ok === false && bad.error.message).toContain('bogus');
    const range = await run.send({ type: 'set-hyperparameters', values: { learningRate: 5 } });
    expect(range).toMatchObject({ ok: false, error: { code: 'invalid-config' } });
    expect(range.ok === false && range.error.message).toContain('learningRate');
    expect(run.of('error')).toEqual([]);
    expect(run.lastStatus()).toBe('ready');
    expect(run.of('hyperparameters')).toHaveLength(1);

    // The run still trains.
    await run.send({ type: 'step', n: 2 });
    await run.until(() => run.lastStatus() === 'paused');
    expect(steps(run)).toEqual([1, 2]);
  });

  it('a bad step count is a structured error, not a crash', async () => {
    const run = await ready();
    const reply = await run.send({ type: 'step', n: 0 });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-config' } });
    expect(run.lastStatus()).toBe('ready');
  });

  it('an invalid config fails init with an invalid-config error naming the field', async () => {
    const run = new FakeRun();
    runs.push(run);
    const before = tf.memory().numTensors;
    const reply = await run.send({
      type: 'init',
      // A resolved run that parseRunSpec would have refused: the worker checks it again.
      run: { ...launchOf(SPEC).run, config: { ...launchOf(SPEC).run.config, hiddenUnits: -1 } },
    });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-config' } });
    expect(reply.ok === false && reply.error.message).toContain('hiddenUnits');
    const [error] = run.of('error');
    expect(error.error).toMatchObject({ code: 'invalid-config' });
    expect(error.error.message).toContain('hiddenUnits');
    expect(run.lastStatus()).toBe('error');
    expect(tf.memory().numTensors).toBe(before);
    // A failed run refuses to train.
    expect(await run.send({ type: 'start' })).toMatchObject({ ok: false });
  });

  it('a data spec that contradicts the model fails init and frees the model', async () => {
    const run = new FakeRun();
    runs.push(run);
    const before = tf.memory().numTensors;
    const reply = await run.send({
      type: 'init',
      run: { ...launchOf(SPEC).run, data: { source: 'moving-mnist', canvasSize: 64 } },
    });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-config' } });
    expect(reply.ok === false && reply.error.message).toContain('canvasSize');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('sample frames are Float32Arrays that the worker transfers, one buffer per panel', async () => {
    const run = await ready();
    const [samples] = run.of('samples');
    // The model's views, then the held-out sequences themselves (for the compare view).
    expect(samples.views.map((view) => view.group)).toEqual([
      ...Array<undefined>(RATES.sampleExamples).fill(undefined),
      ...Array<string>(RATES.sampleExamples).fill(HELD_OUT_GROUP),
    ]);
    const buffers = samples.views.flatMap((view) =>
      view.panels.map((panel) => {
        expect(panel.frames).toBeInstanceOf(Float32Array);
        expect(panel.frames).toHaveLength(panel.t * panel.height * panel.width * panel.channels);
        // The buffer holds exactly this panel: nothing else travels (or is detached) with it.
        expect(panel.frames.buffer.byteLength).toBe(panel.frames.byteLength);
        for (const value of panel.frames) expect(value >= 0 && value <= 1).toBe(true);
        return panel.frames.buffer;
      }),
    );
    expect(samples.views[0].panels.map((panel) => panel.label)).toEqual([
      'Input',
      'Reconstruction',
      'Ground truth',
      'Prediction',
    ]);
    expect(new Set(buffers).size).toBe(buffers.length); // a buffer listed twice cannot be posted
    expect(transferablesOf(samples)).toEqual(buffers);
    expect(run.transfers.get(samples)).toEqual(buffers);
    // Other events transfer nothing but the held-out stills, sent once.
    const [heldOut] = run.of('held-out');
    expect(run.transfers.get(heldOut)).toEqual([heldOut.stills.frames.buffer]);
    const others = run.events.filter((event) => event.type !== 'samples' && event !== heldOut);
    expect(others.every((event) => (run.transfers.get(event) ?? []).length === 0)).toBe(true);
  });

  it('samples every sampleEvery steps, no sooner than the minimum gap or than their cost allows', () => {
    const gap = RATES.samplesMinMs;
    expect(samplesDue(25, 25, gap, 0)).toBe(true);
    expect(samplesDue(24, 25, gap * 10, 0)).toBe(false); // not a sample step
    expect(samplesDue(25, 25, gap - 1, 0)).toBe(false); // too soon after the last
    // A 200 ms sample waits until training has had 200 ms / share since the last one.
    const wait = 200 / RATES.samplesMaxTimeShare;
    expect(wait).toBeGreaterThan(gap);
    expect(samplesDue(50, 25, wait - 1, 200)).toBe(false);
    expect(samplesDue(50, 25, wait, 200)).toBe(true);
  });

  it('transferring the sample buffers (as postMessage does) leaves the run intact', async () => {
    const { samplesMinMs, samplesMaxTimeShare } = RATES;
    RATES.samplesMinMs = 0;
    RATES.samplesMaxTimeShare = Infinity;
    try {
      const run = await ready(
        { ...SPEC, config: { ...SPEC.config, sampleEvery: 1, evalEvery: 2 } },
        { transfer: true },
      );
      await run.send({ type: 'step', n: 3 });
      await run.until(() => run.lastStatus() === 'paused');
      const samples = run.of('samples');
      expect(samples.map((event) => event.step)).toEqual([0, 1, 2, 3]);
      for (const event of samples) {
        // The transferred originals are detached; the delivered copies hold the frames.
        expect(run.transfers.get(event)!.every((b) => (b as ArrayBuffer).byteLength === 0)).toBe(
          true,
        );
        for (const view of event.views) {
          for (const panel of view.panels) {
            expect(panel.frames.every((value) => Number.isFinite(value))).toBe(true);
          }
        }
      }
      expect(run.of('metrics').flatMap((e) => e.points.map((p) => p.values.loss))).toSatisfy(
        (losses: number[]) => losses.length === 3 && losses.every(Number.isFinite),
      );
      expect(run.of('eval').map((event) => event.step)).toEqual([2]);
      expect(run.of('error')).toEqual([]);
    } finally {
      Object.assign(RATES, { samplesMinMs, samplesMaxTimeShare });
    }
  });

  it('offers the first frames of the held-out set and samples the sequences the user picks', async () => {
    const run = new FakeRun(await loadMnistFromDisk()); // real digits: distinct first frames
    runs.push(run);
    expect(await run.send({ type: 'init', ...launchOf(SPEC) })).toMatchObject({ ok: true });
    const [heldOut] = run.of('held-out');
    expect(heldOut.count).toBe(6);
    expect(heldOut.indices).toEqual([0, 1, 2]);
    expect(heldOut.stills).toMatchObject({ t: 6, height: 16, width: 16, channels: 1 });
    // Frame k of the stills is the first frame of held-out sequence k, i.e. the first input
    // frame the sample of that sequence shows.
    const firstInput = (event: WorkerEvent & { type: 'samples' }) =>
      event.views[0].panels[0].frames.slice(0, 16 * 16);
    const stillOf = (k: number) => heldOut.stills.frames.slice(k * 256, (k + 1) * 256);
    expect(firstInput(run.of('samples')[0])).toEqual(stillOf(0));
    expect(stillOf(4)).not.toEqual(stillOf(0));

    expect(await run.send({ type: 'choose-examples', indices: [4, 0, 1] })).toMatchObject({
      ok: true,
    });
    const chosen = run.of('samples').at(-1)!;
    expect(run.of('samples')).toHaveLength(2);
    expect(chosen.views.filter((view) => !view.group)).toHaveLength(3);
    expect(firstInput(chosen)).toEqual(stillOf(4));

    for (const indices of [[], [6], [1.5], [0, 1, 2, 3]]) {
      const refused = await run.send({ type: 'choose-examples', indices });
      expect(refused).toMatchObject({ ok: false, error: { code: 'invalid-config' } });
    }
    expect(run.of('samples')).toHaveLength(2);
  });

  it('evaluate and stop report held-out metrics; a stopped run refuses to train', async () => {
    const run = await ready();
    await run.send({ type: 'evaluate' });
    const [first] = run.of('eval');
    expect(first.step).toBe(0);
    expect(Object.keys(first.result.scalars)).toEqual(
      expect.arrayContaining(['recon/mse', 'future/mse', 'baseline/future/psnr']),
    );
    expect(first.result.perFrame['future/mse']).toHaveLength(3);
    await run.send({ type: 'step', n: 2 });
    await run.until(() => run.lastStatus() === 'paused');
    expect(await run.send({ type: 'stop' })).toMatchObject({ ok: true });
    expect(run.lastStatus()).toBe('stopped');
    expect(run.of('eval').map((event) => event.step)).toEqual([0, 2]);
    const refused = await run.send({ type: 'step', n: 1 });
    expect(refused).toMatchObject({ ok: false });
    expect(steps(run)).toEqual([1, 2]);
  });

  it('dispose frees every tensor', async () => {
    expect(tf.memory().numTensors).toBe(baseline);
    const run = await ready();
    await run.send({ type: 'step', n: 2 });
    await run.until(() => run.lastStatus() === 'paused');
    await run.send({ type: 'evaluate' });
    expect(tf.memory().numTensors).toBeGreaterThan(baseline);
    expect(await run.send({ type: 'dispose' })).toMatchObject({ ok: true });
    expect(run.lastStatus()).toBe('disposed');
    expect(tf.memory().numTensors).toBe(baseline);
    expect(await run.send({ type: 'start' })).toMatchObject({ ok: false });
  });

  it('dispose while running stops the loop and frees every tensor', async () => {
    const run = await ready();
    await run.send({ type: 'start' });
    await run.until(() => steps(run).length >= 1);
    await run.send({ type: 'dispose' });
    const events = run.events.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(tf.memory().numTensors).toBe(baseline);
    const later: WorkerEvent[] = run.events.slice(events);
    expect(later.filter((event) => event.type === 'error')).toEqual([]);
  });
});
