/**
 * The video GAN on the tfjs CPU backend: config and presets (the paper preset is the reference
 * code's settings), parameter counts, no leaked tensors, each optimiser touching only its own
 * network, warm-up without side effects, losses that move on Moving MNIST, evaluation metrics and
 * sample views.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadMnistFromDisk } from '../src/core/data/mnist-node';
import { MovingMnistStream, movingMnistOptionsFor } from '../src/core/data/video-stream';
import { ConfigError } from '../src/core/models/config-schema';
import { modelDefinition } from '../src/core/models/registry';
import { vganModel } from '../src/core/models/vgan';
import {
  VGAN_PRESETS,
  estimateVganMemoryBytes,
  resolveVganConfig,
  vganParameterCount,
} from '../src/core/models/vgan/config';
import type { VganConfig, VganVariant } from '../src/core/models/vgan/config';
import { VideoGan } from '../src/core/models/vgan/model';
import { transferablesOf } from '../src/protocol/messages';
import { parseRunSpec } from '../src/protocol/run-spec';
import { FakeRun } from './helpers/fake-run';
import { launchOf } from '../src/protocol/run-spec';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const VARIANTS: VganVariant[] = ['two-stream', 'one-stream', 'image-to-video'];

/** Models built by a test, disposed after it. */
const live: VideoGan[] = [];
afterEach(() => {
  live.splice(0).forEach((model) => model.dispose());
});

/** A small shape for fast tests with every kind of layer: 4 frames of 16×16 (two levels). */
const SMALL = {
  frames: 4,
  frameSize: 16,
  zDim: 6,
  generatorWidth: 3,
  discriminatorWidth: 3,
  batchSize: 3,
};

function smallConfig(variant: VganVariant, overrides: Record<string, unknown> = {}): VganConfig {
  return resolveVganConfig(variant, 'tiny', { ...SMALL, ...overrides });
}

function build(config: VganConfig, seed = 1): VideoGan {
  const model = new VideoGan(config, seed);
  live.push(model);
  return model;
}

/** Videos [n, T, S, S, C] uniform in [-1, 1). */
function videosFor(config: VganConfig, n = config.batchSize, seed = 11): tf.Tensor5D {
  const s = config.frameSize;
  return tf.randomUniform(
    [n, config.frames, s, s, config.channels],
    -1,
    1,
    'float32',
    seed,
  ) as tf.Tensor5D;
}

type Snapshot = Map<string, Float32Array>;

function snapshot(model: VideoGan, prefix = ''): Snapshot {
  const values: Snapshot = new Map();
  for (const [name, variable] of model.namedParameters()) {
    if (name.startsWith(prefix)) values.set(name, variable.dataSync().slice() as Float32Array);
  }
  return values;
}

function maxChange(a: Snapshot, b: Snapshot): number {
  let max = 0;
  for (const [name, values] of a) {
    const other = b.get(name) as Float32Array;
    for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i] - other[i]));
  }
  return max;
}

function read(scalars: Record<string, tf.Scalar>): Record<string, number> {
  const out = Object.fromEntries(Object.entries(scalars).map(([k, v]) => [k, v.dataSync()[0]]));
  tf.dispose(Object.values(scalars));
  return out;
}

function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('VGAN config', () => {
  it('paper preset: the reference settings of main.lua and main_conditional.lua', () => {
    const paper = resolveVganConfig('two-stream', 'paper');
    expect(paper).toMatchObject({
      variant: 'two-stream',
      frames: 32,
      frameSize: 64,
      channels: 3,
      zDim: 100,
      generatorWidth: 64, // 512, 256, 128, 64
      discriminatorWidth: 64, // 64, 128, 256, 512
      initStd: 0.01,
      batchSize: 64,
      dLearningRate: 2e-4,
      gLearningRate: 2e-4,
      dBeta1: 0.5,
      gBeta1: 0.5,
      maskL1Weight: 0.1,
      imageL1Weight: 0,
    });
    const conditional = resolveVganConfig('image-to-video', 'paper');
    expect(conditional).toMatchObject({
      batchSize: 32,
      imageL1Weight: 10,
      maskL1Weight: 0, // main_conditional.lua has no mask penalty
      generatorWidth: 128, // encoder 128 … 1024, generator 1024 … 128
      discriminatorWidth: 128, // 128 … 1024
      frames: 32,
      frameSize: 64,
      channels: 3,
    });
    expect(resolveVganConfig('one-stream', 'paper').maskL1Weight).toBe(0);
  });

  it('counts the reference architecture’s weights, less inert biases and one D output', () => {
    // main.lua, two-stream, with Torch's biases on every layer and a 2-way softmax output.
    const fg =
      100 * 512 * 2 * 4 * 4 +
      512 + // VolumetricFullConvolution(100, 512, 2,4,4)
      (512 * 256 + 256 * 128 + 128 * 64) * 64 +
      (256 + 128 + 64) + // 3 volumetric up-convs
      64 * 3 * 64 +
      3 +
      64 * 1 * 64 +
      1 + // video and mask heads
      2 * (512 + 256 + 128 + 64); // batch norms
    const bg =
      100 * 512 * 16 +
      512 +
      (512 * 256 + 256 * 128 + 128 * 64) * 16 +
      (256 + 128 + 64) +
      64 * 3 * 16 +
      3 +
      2 * (512 + 256 + 128 + 64);
    const d =
      3 * 64 * 64 +
      64 +
      (64 * 128 + 128 * 256 + 256 * 512) * 64 +
      (128 + 256 + 512) +
      2 * (128 + 256 + 512) +
      512 * 2 * 2 * 4 * 4 +
      2;
    const torch = fg + bg + d;
    const inertBiases = 512 + (256 + 128 + 64) + 512 + (256 + 128 + 64) + (128 + 256 + 512);
    const secondOutput = 512 * 2 * 4 * 4 + 1;
    expect(vganParameterCount(resolveVganConfig('two-stream', 'paper'))).toBe(
      torch - inertBiases - secondOutput,
    );
  });

  it('parameter count matches the built model for every variant and preset shape', () => {
    for (const variant of VARIANTS) {
      for (const config of [smallConfig(variant), resolveVganConfig(variant, 'tiny')]) {
        const model = build(config);
        expect(model.parameterCount(), variant).toBe(vganParameterCount(config));
      }
    }
  });

  it('rejects invalid values naming the field', () => {
    expect(errorOf(() => resolveVganConfig('three-stream', 'tiny')).field).toBe('variant');
    expect(errorOf(() => resolveVganConfig('two-stream', 'huge')).field).toBe('preset');
    expect(errorOf(() => resolveVganConfig('two-stream', 'tiny', { frameSize: 48 })).field).toBe(
      'frameSize',
    );
    expect(errorOf(() => resolveVganConfig('two-stream', 'tiny', { frames: 12 })).field).toBe(
      'frames',
    );
    expect(errorOf(() => resolveVganConfig('two-stream', 'tiny', { channels: 2 })).field).toBe(
      'channels',
    );
    expect(errorOf(() => resolveVganConfig('two-stream', 'tiny', { batchSize: 1 })).field).toBe(
      'batchSize',
    );
    expect(
      errorOf(() => resolveVganConfig('two-stream', 'tiny', { gLearningRate: -1 })).field,
    ).toBe('gLearningRate');
    expect(errorOf(() => resolveVganConfig('two-stream', 'tiny', { zDim: 1.5 })).field).toBe(
      'zDim',
    );
    expect(errorOf(() => resolveVganConfig('two-stream', 'tiny', { bogus: 1 })).field).toBe(
      'bogus',
    );
    expect(errorOf(() => resolveVganConfig('two-stream', 'tiny', { imageL1Weight: 1 })).field).toBe(
      'imageL1Weight',
    );
    expect(errorOf(() => resolveVganConfig('one-stream', 'tiny', { maskL1Weight: 1 })).field).toBe(
      'maskL1Weight',
    );
  });

  it('is registered: registry, model builder, run specs; presets fit their purpose', async () => {
    expect(modelDefinition('vgan')).toBe(vganModel);
    expect(vganModel.defaultVariant).toBe('two-stream');
    expect(vganModel.defaultPreset).toBe('tiny');
    const spec = parseRunSpec({ model: 'vgan', config: { batchSize: 6 } });
    expect(spec.resolved.config).toMatchObject({ variant: 'two-stream', batchSize: 6 });
    const resolved = vganModel.restore('two-stream', 'tiny', smallConfig('two-stream'));
    const model = (await resolved.builder())(0);
    expect(model).toBeInstanceOf(VideoGan);
    model.dispose();
    const tiny = resolveVganConfig('two-stream', 'tiny');
    expect(tiny).toMatchObject({ frameSize: 32, channels: 1, batchSize: 4 });
    expect(tiny.frames).toBeGreaterThanOrEqual(8);
    for (const preset of VGAN_PRESETS) {
      for (const variant of VARIANTS) {
        const config = resolveVganConfig(variant, preset.id);
        expect(estimateVganMemoryBytes(config)).toBeGreaterThan(vganParameterCount(config) * 16);
      }
    }
    expect(estimateVganMemoryBytes(resolveVganConfig('two-stream', 'tiny'))).toBeLessThan(2 ** 28);
  });
});

describe('VGAN model', () => {
  it.each(VARIANTS)('%s: trainStep reports finite losses and leaks no tensor', (variant) => {
    const config = smallConfig(variant);
    const model = build(config);
    const videos = videosFor(config);
    read(model.trainStep(videos)); // burn in
    const before = tf.memory().numTensors;
    const losses = read(model.trainStep(videos));
    expect(tf.memory().numTensors).toBe(before);
    const names = ['d_loss', 'g_loss', 'd_real_accuracy', 'd_fake_accuracy'];
    if (variant !== 'one-stream') names.push('mask_l1');
    if (variant === 'image-to-video') names.push('image_l1');
    expect(Object.keys(losses).sort()).toEqual(names.sort());
    expect(losses.loss).toBeUndefined();
    for (const value of Object.values(losses)) expect(Number.isFinite(value)).toBe(true);
    expect(losses.d_real_accuracy).toBeGreaterThanOrEqual(0);
    expect(losses.d_fake_accuracy).toBeLessThanOrEqual(1);
    videos.dispose();
  });

  it.each(VARIANTS)('%s: warmUp, evaluate and sample leak nothing', async (variant) => {
    const config = smallConfig(variant);
    const model = build(config);
    const videos = videosFor(config, 5);
    const batch = videosFor(config);
    await model.warmUp(batch); // burn in
    await model.evaluate(videos);
    await model.sample(videos, 2);
    const before = tf.memory().numTensors;
    await model.warmUp(batch);
    await model.evaluate(videos);
    await model.sample(videos, 2);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([videos, batch]);
  });

  it.each(VARIANTS)('%s: the D step changes only D, the G step only G', (variant) => {
    const config = smallConfig(variant);
    const model = build(config);
    const videos = videosFor(config);
    const d0 = snapshot(model, 'd.');
    const g0 = snapshot(model, 'g.');
    read(model.discriminatorStep(videos));
    const d1 = snapshot(model, 'd.');
    const g1 = snapshot(model, 'g.');
    expect(maxChange(g0, g1)).toBe(0);
    expect(maxChange(d0, d1)).toBeGreaterThan(0);
    read(model.generatorStep(videos));
    expect(maxChange(d1, snapshot(model, 'd.'))).toBe(0);
    expect(maxChange(g1, snapshot(model, 'g.'))).toBeGreaterThan(0);
    // The optimisers' variable lists partition the parameters by network.
    const named = model.namedParameters();
    const gVars = new Set(model.optimisedVariables('generator'));
    const dVars = new Set(model.optimisedVariables('discriminator'));
    for (const [name, variable] of named) {
      expect(gVars.has(variable), name).toBe(name.startsWith('g.'));
      expect(dVars.has(variable), name).toBe(name.startsWith('d.'));
    }
    expect(gVars.size + dVars.size).toBe(named.size);
    videos.dispose();
  });

  it('warmUp changes no weight, optimiser state or noise stream', async () => {
    for (const variant of VARIANTS) {
      const config = smallConfig(variant);
      const warmed = build(config, 5);
      const fresh = build(config, 5);
      const videos = videosFor(config);
      const before = snapshot(warmed);
      await warmed.warmUp(videos);
      expect(maxChange(before, snapshot(warmed))).toBe(0);
      // Two steps after warm-up equal two steps without: same Adam moments, same z.
      for (let i = 0; i < 2; i++) {
        expect(read(warmed.trainStep(videos))).toEqual(read(fresh.trainStep(videos)));
      }
      expect(maxChange(snapshot(warmed), snapshot(fresh))).toBe(0);
      videos.dispose();
    }
  });

  it('live hyperparameters are validated by name and change the updates', () => {
    const model = build(smallConfig('two-stream'));
    expect(model.getHyperparameters()).toEqual({
      dLearningRate: 2e-4,
      gLearningRate: 2e-4,
      dBeta1: 0.5,
      gBeta1: 0.5,
      maskL1Weight: 0.1,
    });
    expect(errorOf(() => model.setHyperparameters({ imageL1Weight: 1 })).field).toBe(
      'imageL1Weight',
    );
    expect(errorOf(() => model.setHyperparameters({ dLearningRate: 5 })).field).toBe(
      'dLearningRate',
    );
    expect(errorOf(() => model.setHyperparameters({ batchSize: 4 })).field).toBe('batchSize');
    model.setHyperparameters({ dLearningRate: 0 + 1e-7, gBeta1: 0.9 });
    expect(model.getHyperparameters()).toMatchObject({ dLearningRate: 1e-7, gBeta1: 0.9 });
    const conditional = build(smallConfig('image-to-video'));
    expect(conditional.getHyperparameters().imageL1Weight).toBe(10);
  });

  it('the tiny preset learns on Moving MNIST: D and G losses move, D pulls ahead', async () => {
    const config = resolveVganConfig('two-stream', 'tiny');
    const model = build(config, 0);
    const digits = await loadMnistFromDisk();
    const options = movingMnistOptionsFor({ source: 'moving-mnist' }, model.data);
    const stream = new MovingMnistStream(digits, options, model.data, 42);
    const history: Record<string, number>[] = [];
    for (let i = 0; i < 6; i++) {
      const batch = stream.nextBatch();
      history.push(read(model.trainStep(batch)));
      batch.dispose();
    }
    const d = history.map((h) => h.d_loss);
    const g = history.map((h) => h.g_loss);
    for (const value of [...d, ...g]) expect(Number.isFinite(value)).toBe(true);
    expect(new Set(d).size).toBe(d.length);
    expect(new Set(g).size).toBe(g.length);
    expect(d[d.length - 1]).toBeLessThan(d[0]); // D learns first: its loss falls
    expect(g[g.length - 1]).not.toBeCloseTo(g[0], 3);
  });

  it('evaluate: accuracies, D probabilities, motion and mask curves', async () => {
    for (const variant of VARIANTS) {
      const config = smallConfig(variant);
      const model = build(config);
      const videos = videosFor(config, 5);
      const result = await model.evaluate(videos);
      for (const name of [
        'real/d_accuracy',
        'generated/d_accuracy',
        'real/p_real',
        'generated/p_real',
      ]) {
        expect(result.scalars[name], name).toBeGreaterThanOrEqual(0);
        expect(result.scalars[name], name).toBeLessThanOrEqual(1);
        expect(result.perFrame[name]).toBeUndefined();
      }
      expect(result.perFrame['real/spread']).toHaveLength(config.frames);
      expect(result.perFrame['generated/spread']).toHaveLength(config.frames);
      expect(result.scalars['real/spread']).toBeGreaterThan(0.3); // independent uniform noise
      expect(result.perFrame['real/motion']).toHaveLength(config.frames - 1);
      expect(result.perFrame['generated/motion']).toHaveLength(config.frames - 1);
      // Uniform noise in [-1, 1): mean |x_{t+1} − x_t| = 2/3.
      expect(result.scalars['real/motion']).toBeCloseTo(2 / 3, 1);
      if (variant === 'one-stream') {
        expect(result.scalars['generated/mask_l1']).toBeUndefined();
      } else {
        expect(result.perFrame['generated/mask_l1']).toHaveLength(config.frames);
        expect(result.scalars['generated/mask_l1']).toBeGreaterThan(0);
      }
      if (variant === 'image-to-video') {
        expect(result.scalars['generated/image_l1']).toBeGreaterThan(0);
        expect(result.perFrame['generated/l1_to_truth']).toHaveLength(config.frames);
      }
      for (const value of Object.values(result.scalars)) expect(Number.isFinite(value)).toBe(true);
      // Evaluation changes nothing: the same numbers twice.
      expect(await model.evaluate(videos)).toEqual(result);
      videos.dispose();
    }
  });

  it('sample: panels per variant, fixed-noise and interpolation groups, values for display', async () => {
    const expectedPanels: Record<VganVariant, string[]> = {
      'two-stream': ['Generated', 'Background', 'Mask', 'Foreground (m⊙f)'],
      'one-stream': ['Generated'],
      'image-to-video': [
        'Input still',
        'Ground truth',
        'Generated',
        'Background',
        'Mask',
        'Foreground (m⊙f)',
      ],
    };
    for (const variant of VARIANTS) {
      const config = smallConfig(variant, { batchSize: 4, channels: 3 });
      const model = build(config);
      const videos = videosFor(config, 6);
      const views = await model.sample(videos, 3);
      const main = views.filter((v) => v.group === undefined);
      expect(main).toHaveLength(3);
      for (const view of main) {
        expect(view.panels.map((p) => p.label)).toEqual(expectedPanels[variant]);
      }
      const fixed = views.filter((v) => v.group === 'fixed-noise');
      expect(fixed).toHaveLength(1);
      expect(fixed[0].panels.map((p) => p.label)).toEqual(
        variant === 'image-to-video'
          ? ['still 1', 'still 2', 'still 3', 'still 4']
          : ['z1', 'z2', 'z3', 'z4'], // batch-limited (8 when the batch allows)
      );
      const path = views.filter((v) => v.group === 'interpolation');
      expect(path).toHaveLength(1);
      expect(path[0].panels.map((p) => p.label)).toEqual([
        'α = 0',
        'α = 0.25',
        'α = 0.5',
        'α = 0.75',
        'α = 1',
      ]);
      for (const panel of views.flatMap((v) => v.panels)) {
        const still = panel.label === 'Background' || panel.label === 'Input still';
        expect(panel.t).toBe(still ? 1 : config.frames);
        expect(panel.channels).toBe(panel.label === 'Mask' ? 1 : 3);
        expect(panel.frames).toHaveLength(panel.t * panel.height * panel.width * panel.channels);
        expect(
          panel.frames.every((v) => Number.isFinite(v) && v >= 0 && v <= 1),
          panel.label,
        ).toBe(true);
      }
      // The main examples are the first fixed-noise videos; α = 0 reproduces z1's code.
      expect(main[0].panels.find((p) => p.label === 'Generated')?.frames).toEqual(
        fixed[0].panels[0].frames,
      );
      // Samples are a function of the weights: the same twice.
      const again = await model.sample(videos, 3);
      expect(again.map((v) => v.panels.map((p) => Array.from(p.frames)))).toEqual(
        views.map((v) => v.panels.map((p) => Array.from(p.frames))),
      );
      videos.dispose();
    }
  });

  it('rejects videos of the wrong shape', () => {
    const config = smallConfig('two-stream');
    const model = build(config);
    const wrong = tf.zeros([2, config.frames + 1, 16, 16, 1]) as tf.Tensor5D;
    expect(() => model.trainStep(wrong)).toThrow(/videos must be/);
    wrong.dispose();
  });

  it('trains in the worker runtime: ready, metrics, transferable samples, evaluation', async () => {
    const run = new FakeRun();
    const init = await run.send({
      type: 'init',
      ...launchOf({
        model: 'vgan',
        backend: 'cpu',
        config: { ...SMALL, evalSequences: 4, evalEvery: 2, sampleEvery: 1 },
        data: { source: 'moving-mnist', digitSize: 8, background: 'texture' },
      }),
    });
    expect(init.ok).toBe(true);
    await run.send({ type: 'step', n: 2 });
    await run.until(() => run.lastStatus() === 'paused');
    const points = run.of('metrics').flatMap((m) => m.points);
    expect(points.map((p) => p.step)).toEqual([1, 2]);
    expect(Object.keys(points[0].values)).toContain('d_loss');
    expect(run.of('error')).toEqual([]);
    const samples = run.of('samples');
    expect(samples.length).toBeGreaterThan(0);
    for (const event of samples) {
      // Each panel owns its buffer, so the event can be posted with its frames transferred.
      expect(() => structuredClone(event, { transfer: transferablesOf(event) })).not.toThrow();
    }
    const evaluation = run.of('eval').at(-1);
    expect(evaluation?.step).toBe(2);
    expect(evaluation?.result.scalars['real/d_accuracy']).toBeGreaterThanOrEqual(0);
    await run.send({ type: 'dispose' });
  });
});
