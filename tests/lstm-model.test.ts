/**
 * The LSTM encoder-decoder on the tfjs CPU backend: gradients against finite differences, no
 * leaked tensors, warm-up without side effects, reversed reconstruction targets, a falling loss on
 * real Moving MNIST, live hyperparameters, the reference update clip and the evaluation metrics.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadMnistFromDisk } from '../src/core/data/mnist-node';
import { MovingMnistStream, movingMnistOptionsFor } from '../src/core/data/video-stream';
import { ConfigError } from '../src/core/models/config-schema';
import { resolveLstmConfig } from '../src/core/models/lstm/config';
import type { LstmConfig } from '../src/core/models/lstm/config';
import { LstmEncoderDecoder, createLstmModel } from '../src/core/models/lstm/model';
import { FRAME_METRICS } from '../src/core/train/video-metrics';
import { extrapolateFlow } from '../src/core/train/flow-baseline';
import { Trainer } from '../src/core/train/trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Models built by a test, disposed after it. */
const live: LstmEncoderDecoder[] = [];
afterEach(() => {
  live.splice(0).forEach((model) => model.dispose());
});

const TINY_SHAPE = { frameSize: 4, hiddenUnits: 3, inputFrames: 3, futureFrames: 2, batchSize: 2 };

function smallConfig(variant: string, overrides: Record<string, unknown> = {}): LstmConfig {
  return resolveLstmConfig(variant, 'tiny', { ...TINY_SHAPE, ...overrides });
}

function build(config: LstmConfig, seed = 1): LstmEncoderDecoder {
  const model = new LstmEncoderDecoder(config, seed);
  live.push(model);
  return model;
}

/** Videos [n, T, S, S, 1] with values uniform in [0, 1) (soft Bernoulli targets too). */
function videosFor(config: LstmConfig, n = config.batchSize, seed = 11): tf.Tensor5D {
  const t = config.inputFrames + (config.predictFuture ? config.futureFrames : 0);
  const s = config.frameSize;
  return tf.randomUniform([n, t, s, s, 1], 0, 1, 'float32', seed) as tf.Tensor5D;
}

function snapshot(model: LstmEncoderDecoder): Map<string, Float32Array> {
  const values = new Map<string, Float32Array>();
  for (const [name, variable] of model.namedParameters()) {
    values.set(name, variable.dataSync().slice() as Float32Array);
  }
  return values;
}

/** Largest |a − b| over every parameter of two snapshots. */
function maxChange(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let max = 0;
  for (const [name, values] of a) {
    const other = b.get(name)!;
    for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i] - other[i]));
  }
  return max;
}

function readLosses(scalars: Record<string, tf.Scalar>): Record<string, number> {
  const values = Object.fromEntries(
    Object.entries(scalars).map(([name, s]) => [name, s.dataSync()[0]]),
  );
  tf.dispose(Object.values(scalars));
  return values;
}

// ---------------------------------------------------------------------------------------------
// (a) gradients
// ---------------------------------------------------------------------------------------------

interface GradientEntry {
  param: string;
  index: number;
  analytic: number;
  numeric: number;
  /** Resolution of the difference quotient: one float32 ulp of the objective over 2·eps. */
  resolution: number;
}

/** The objective the optimiser differentiates, as a number. */
function objective(model: LstmEncoderDecoder, videos: tf.Tensor5D): number {
  return tf.tidy(() => model.lossTerms(videos).objective.dataSync()[0]);
}

/** Analytic gradients of the objective with respect to every named parameter. */
function analyticGradients(
  model: LstmEncoderDecoder,
  videos: tf.Tensor5D,
): Map<string, Float32Array> {
  const params = model.namedParameters();
  const result = new Map<string, Float32Array>();
  tf.tidy(() => {
    const { grads } = tf.variableGrads(
      () => model.lossTerms(videos).objective,
      [...params.values()],
    );
    for (const [name, variable] of params) {
      result.set(name, grads[variable.name].dataSync().slice() as Float32Array);
    }
  });
  return result;
}

/**
 * Central differences for `perParam` entries of every parameter: the largest analytic gradients
 * and a few more chosen by a fixed stride, so that small and large entries are both checked.
 */
function gradientEntries(
  model: LstmEncoderDecoder,
  videos: tf.Tensor5D,
  perParam = 6,
  eps = 3e-2,
): GradientEntry[] {
  const analytic = analyticGradients(model, videos);
  const ulp = 2 ** (Math.floor(Math.log2(Math.abs(objective(model, videos)))) - 23);
  const entries: GradientEntry[] = [];
  for (const [name, variable] of model.namedParameters()) {
    const grad = analytic.get(name)!;
    const bySize = Array.from(grad.keys()).sort((a, b) => Math.abs(grad[b]) - Math.abs(grad[a]));
    const chosen = new Set(bySize.slice(0, perParam / 2));
    for (let k = 0; chosen.size < Math.min(perParam, grad.length); k++) {
      chosen.add((k * 7919 + name.length * 31) % grad.length);
    }
    const values = variable.dataSync().slice() as Float32Array;
    const at = (index: number, value: number): number => {
      const copy = values.slice();
      copy[index] = value;
      variable.assign(tf.tensor(copy, variable.shape));
      return objective(model, videos);
    };
    for (const index of chosen) {
      const plus = Math.fround(values[index] + eps);
      const minus = Math.fround(values[index] - eps);
      const numeric = (at(index, plus) - at(index, minus)) / (plus - minus);
      entries.push({
        param: name,
        index,
        analytic: grad[index],
        numeric,
        resolution: ulp / (2 * eps),
      });
    }
    variable.assign(tf.tensor(values, variable.shape));
  }
  return entries;
}

/**
 * Entries whose analytic gradient disagrees with the central difference by more than 1% of their
 * size plus 6 units of the quotient's float32 resolution (measured: the float32 forward pass puts
 * the quotient within 1% + 1.5 units on every case below).
 */
function mismatches(entries: GradientEntry[]): GradientEntry[] {
  return entries.filter((e) => {
    const size = Math.max(Math.abs(e.analytic), Math.abs(e.numeric));
    return Math.abs(e.analytic - e.numeric) > 1e-2 * size + 6 * e.resolution;
  });
}

/** Every weight uniform in ±0.5 (biases too), so that gates saturate partly and gradients are sizeable. */
function randomise(model: LstmEncoderDecoder, seed: number): void {
  let k = 0;
  for (const variable of model.namedParameters().values()) {
    tf.tidy(() => variable.assign(tf.randomUniform(variable.shape, -1, 1, 'float32', seed + k++)));
  }
}

describe('(a) gradients equal central finite differences', () => {
  const cases: [string, Record<string, unknown>][] = [];
  for (const layers of [1, 2]) {
    for (const conditional of [false, true]) {
      for (const output of ['sigmoid-bce', 'linear-mse']) {
        cases.push([
          'composite',
          {
            layers,
            conditionalReconstruction: conditional,
            conditionalFuture: conditional,
            output,
            lossReduction: layers === 1 ? 'sum' : 'mean',
          },
        ]);
      }
    }
  }
  cases.push(['autoencoder', { layers: 2, conditionalReconstruction: true }]);
  cases.push(['future-predictor', { layers: 2, conditionalFuture: true, output: 'linear-mse' }]);

  it.each(cases)('%s %o', (variant, overrides) => {
    const config = smallConfig(variant, overrides);
    const model = build(config, 3);
    randomise(model, 100);
    const videos = tf.tidy(() => videosFor(config).greater(0.7).cast('float32') as tf.Tensor5D);
    const entries = gradientEntries(model, videos);
    videos.dispose();
    // Every parameter took part, and its gradient is not trivially zero.
    const names = new Set(entries.map((e) => e.param));
    expect(names.size).toBe(model.namedParameters().size);
    for (const name of names) {
      const largest = Math.max(
        ...entries.filter((e) => e.param === name).map((e) => Math.abs(e.numeric)),
      );
      expect(largest, name).toBeGreaterThan(100 * entries[0].resolution);
    }
    const bad = mismatches(entries);
    expect(bad, JSON.stringify(bad.slice(0, 5))).toEqual([]);
  });
});

describe('(a) the gradient check itself', () => {
  it('catches a 3–10% error and a missing peephole gradient', () => {
    const config = smallConfig('composite', { layers: 2, conditionalFuture: true });
    const model = build(config, 3);
    randomise(model, 100);
    const videos = tf.tidy(() => videosFor(config).greater(0.7).cast('float32') as tf.Tensor5D);
    const entries = gradientEntries(model, videos);
    videos.dispose();
    expect(mismatches(entries)).toEqual([]);
    const flaggedParams = (factor: number) =>
      new Set(
        mismatches(entries.map((e) => ({ ...e, analytic: e.analytic * factor }))).map(
          (e) => e.param,
        ),
      ).size;
    // A 10% error shows in every parameter, a 3% error in most (the deepest ones have the
    // smallest gradients, closest to the float32 resolution).
    const params = model.namedParameters().size;
    expect(flaggedParams(1.1)).toBe(params);
    expect(flaggedParams(1.03)).toBeGreaterThanOrEqual(0.75 * params);
    const noPeephole = entries.map((e) =>
      e.param.endsWith('peephole') ? { ...e, analytic: 0 } : e,
    );
    const peepholes = [...model.namedParameters().keys()].filter((n) => n.endsWith('peephole'));
    expect(new Set(mismatches(noPeephole).map((e) => e.param))).toEqual(new Set(peepholes));
  });
});

// ---------------------------------------------------------------------------------------------
// (b) no leaked tensors
// ---------------------------------------------------------------------------------------------

const VARIANTS: [string, Record<string, unknown>][] = [
  ['composite', {}],
  ['composite', { conditionalReconstruction: true, conditionalFuture: true }],
  ['autoencoder', {}],
  ['autoencoder', { conditionalReconstruction: true }],
  ['future-predictor', {}],
  ['future-predictor', { conditionalFuture: true }],
];

describe('(b) no tensor leaks', () => {
  it.each(VARIANTS)('%s %o: trainStep, evaluate, sample, warmUp, dispose', async (variant, o) => {
    const baseline = tf.memory().numTensors;
    const config = smallConfig(variant, { ...o, frameSize: 8, hiddenUnits: 6, layers: 2 });
    const model = build(config);
    const afterBuild = tf.memory().numTensors;
    const videos = videosFor(config);
    const evalSet = videosFor(config, 3, 12); // 3 = one full chunk of 2 plus a wrapped one
    // The first step sets what the optimiser keeps from then on (where Adam's fused kernel runs,
    // as on the CPU backend, its m and v slots become packed moments); nothing may grow after it.
    tf.dispose(Object.values(model.trainStep(videos)));
    const before = tf.memory().numTensors;
    const changes: Record<string, number> = {};
    const measure = async (name: string, f: () => unknown) => {
      const start = tf.memory().numTensors;
      await f();
      changes[name] = tf.memory().numTensors - start;
    };
    for (let round = 0; round < 2; round++) {
      await measure('trainStep', () => tf.dispose(Object.values(model.trainStep(videos))));
      await measure('evaluate', () => model.evaluate(evalSet));
      await measure('sample', () => model.sample(evalSet, 2));
      await measure('warmUp', () => model.warmUp(videos));
      await measure('setHyperparameters', () => model.setHyperparameters({ learningRate: 1e-3 }));
    }
    expect(changes).toEqual({
      trainStep: 0,
      evaluate: 0,
      sample: 0,
      warmUp: 0,
      setHyperparameters: 0,
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([videos, evalSet]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
    expect(afterBuild).toBeGreaterThan(baseline);
    // A disposed model refuses work instead of reading freed tensors.
    expect(() => model.trainStep(videos)).toThrow(/disposed/);
  });
});

// ---------------------------------------------------------------------------------------------
// (c) warm-up has no side effects
// ---------------------------------------------------------------------------------------------

describe('(c) warmUp changes no weight and no optimiser state', () => {
  it.each([
    ['adam', {}],
    ['sgd-momentum', { learningRate: 0.05, updateClip: 0 }],
    ['sgd-momentum', { learningRate: 0.05, updateClip: 1e-3 }],
  ])('%s %o', async (optimizer, o) => {
    const config = smallConfig('composite', {
      optimizer,
      ...o,
      conditionalFuture: true,
      hiddenUnits: 5,
    });
    const warmed = build(config, 7);
    const fresh = build(config, 7);
    const [first, second, third] = [21, 22, 23].map((seed) => videosFor(config, 2, seed));
    const initial = snapshot(warmed);
    expect(snapshot(fresh)).toEqual(initial);
    await warmed.warmUp(first);
    await warmed.warmUp(second);
    expect(snapshot(warmed)).toEqual(initial);
    // Two steps: the second one reads what the first left in the optimiser state.
    for (const batch of [third, first]) {
      const a = readLosses(warmed.trainStep(batch));
      const b = readLosses(fresh.trainStep(batch));
      expect(a).toEqual(b);
      expect(snapshot(warmed)).toEqual(snapshot(fresh));
    }
    expect(maxChange(snapshot(warmed), initial)).toBeGreaterThan(0);
    tf.dispose([first, second, third]);
  });
});

// ---------------------------------------------------------------------------------------------
// (d) reconstruction targets are the input frames, reversed
// ---------------------------------------------------------------------------------------------

/** [B, T, P] values of a [B, T, …] tensor as nested arrays. */
function frames3(t: tf.Tensor): number[][][] {
  const [b, n] = t.shape;
  return tf.tidy(() => t.reshape([b, n, -1]).arraySync() as number[][][]);
}

/** Per-frame loss (summed over pixels, averaged over batch and frames), as lossTerms defines it. */
function frameLoss(
  output: LstmConfig['output'],
  predictions: number[][][],
  targets: number[][][],
): number {
  let total = 0;
  predictions.forEach((sequence, b) =>
    sequence.forEach((frame, k) =>
      frame.forEach((y, p) => {
        const t = targets[b][k][p];
        total +=
          output === 'sigmoid-bce'
            ? -t * Math.log(y) - (1 - t) * Math.log(1 - y)
            : 0.5 * (y - t) ** 2;
      }),
    ),
  );
  return total / (predictions.length * predictions[0].length);
}

describe('(d) the reconstruction target is the reversed input', () => {
  it.each([
    ['sigmoid-bce', false],
    ['linear-mse', true],
  ] as const)('lossTerms with %s output, conditional %s', (output, conditional) => {
    const config = smallConfig('composite', {
      output,
      conditionalReconstruction: conditional,
      conditionalFuture: conditional,
      inputFrames: 4,
      futureFrames: 3,
    });
    const model = build(config);
    randomise(model, 5);
    // Binary frames: the frame order changes the loss by far more than float32 rounding.
    const videos = tf.tidy(() => videosFor(config).greater(0.5).cast('float32') as tf.Tensor5D);
    const terms = readLosses(model.lossTerms(videos) as unknown as Record<string, tf.Scalar>);
    const predictions = model.predict(videos, true); // teacher-forced, as in training
    const reconstruction = frames3(predictions.reconstruction!); // decoder order
    const future = frames3(predictions.future!);
    tf.dispose(Object.values(predictions));
    const all = frames3(videos);
    const input = all.map((sequence) => sequence.slice(0, 4));
    const reversed = input.map((sequence) => [...sequence].reverse());
    const truth = all.map((sequence) => sequence.slice(4));

    // Within 5e-5 (float32 rounding of losses near 10)…
    expect(terms.recon_loss).toBeCloseTo(frameLoss(output, reconstruction, reversed), 4);
    expect(terms.future_loss).toBeCloseTo(frameLoss(output, future, truth), 4);
    expect(terms.loss).toBeCloseTo(terms.recon_loss + terms.future_loss, 4);
    // …while natural order is 200 times that away: the comparison tells the orders apart.
    const natural = frameLoss(output, reconstruction, input);
    expect(Math.abs(natural - terms.recon_loss)).toBeGreaterThan(1e-2);
    videos.dispose();
  });

  it('sample() shows the reconstruction re-reversed into natural order', async () => {
    const config = smallConfig('composite', { inputFrames: 4, futureFrames: 3 });
    const model = build(config);
    randomise(model, 9);
    const videos = videosFor(config, 3);
    const predictions = model.predict(videos); // free-running
    const reconstruction = frames3(predictions.reconstruction!);
    const future = frames3(predictions.future!);
    tf.dispose(Object.values(predictions));
    const all = frames3(videos);
    const views = await model.sample(videos, 2);
    videos.dispose();
    expect(views).toHaveLength(2);
    views.forEach((view, e) => {
      const byLabel = Object.fromEntries(view.panels.map((panel) => [panel.label, panel]));
      expect(view.panels.map((p) => [p.label, p.t, p.timeOffset])).toEqual([
        ['Input', 4, 0],
        ['Reconstruction', 4, 0],
        ['Ground truth', 3, 4],
        ['Prediction', 3, 4],
      ]);
      const flat = (rows: number[][]) => rows.flat();
      const close = (actual: Float32Array, expected: number[]) => {
        expect(actual).toHaveLength(expected.length);
        actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
      };
      close(byLabel.Input.frames, flat(all[e].slice(0, 4)));
      close(byLabel['Ground truth'].frames, flat(all[e].slice(4)));
      close(byLabel.Reconstruction.frames, flat([...reconstruction[e]].reverse()));
      close(byLabel.Prediction.frames, flat(future[e]));
    });
  });
});

// ---------------------------------------------------------------------------------------------
// (e) the tiny preset learns on real Moving MNIST
// ---------------------------------------------------------------------------------------------

describe('(e) tiny preset on real Moving MNIST', () => {
  it('the loss falls within 30 steps', async () => {
    const digits = await loadMnistFromDisk();
    const config = resolveLstmConfig('composite', 'tiny');
    const model = createLstmModel(config, 0);
    const options = movingMnistOptionsFor({ source: 'moving-mnist' }, model.data);
    const stream = new MovingMnistStream(digits, options, model.data, 42);
    const trainer = new Trainer(model, stream);
    const losses: number[] = [];
    try {
      for (let step = 0; step < 30; step++) {
        const result = await trainer.trainStep();
        expect(result.nonFinite).toEqual([]);
        losses.push(result.losses.loss);
      }
    } finally {
      model.dispose();
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const first = mean(losses.slice(0, 10));
    const last = mean(losses.slice(-10));
    // Measured: ~1380 → ~650 per frame (two decoders); 0.5 at σ = ½ would be 2·1024·ln 2 ≈ 1420.
    expect(first).toBeLessThan(2 * 1024 * Math.LN2 * 1.05);
    expect(last).toBeLessThan(0.8 * first);
  });
});

// ---------------------------------------------------------------------------------------------
// (f) live hyperparameters
// ---------------------------------------------------------------------------------------------

/** The ConfigError `f` throws (fails the test if it throws anything else or nothing). */
function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('(f) setHyperparameters', () => {
  it('reports the config values', () => {
    const model = build(smallConfig('composite', { learningRate: 3e-3, weightDecay: 0 }));
    expect(model.getHyperparameters()).toEqual({
      learningRate: 3e-3,
      momentum: 0.9,
      updateClip: 0,
      weightDecay: 0,
    });
  });

  it.each([
    ['beta2', 0.99],
    ['hiddenUnits', 8], // a config field, but not one that can change while training
    ['learningRate', 0],
    ['learningRate', 2],
    ['learningRate', NaN],
    ['learningRate', Infinity],
    ['momentum', 1],
    ['updateClip', -1e-4],
    ['weightDecay', 0.5],
  ])('rejects %s = %s with a ConfigError naming it', (key, value) => {
    const model = build(smallConfig('composite'));
    const before = model.getHyperparameters();
    const error = configError(() => model.setHyperparameters({ [key]: value }));
    expect(error.field).toBe(key);
    expect(error.message).toContain(key);
    expect(model.getHyperparameters()).toEqual(before);
  });

  it('applies nothing when one value of several is bad', () => {
    const model = build(smallConfig('composite'));
    const before = model.getHyperparameters();
    expect(configError(() => model.setHyperparameters({ learningRate: 0.5, bogus: 1 })).field).toBe(
      'bogus',
    );
    expect(model.getHyperparameters()).toEqual(before);
    model.setHyperparameters({ learningRate: 0.5, momentum: 0.5 });
    expect(model.getHyperparameters()).toMatchObject({ learningRate: 0.5, momentum: 0.5 });
  });

  it('a new learning rate changes the next update', () => {
    const config = smallConfig('composite'); // Adam, lr 2e-3: the first step moves weights ≈ lr
    const normal = build(config, 4);
    const slowed = build(config, 4);
    slowed.setHyperparameters({ learningRate: 1e-7 });
    const videos = videosFor(config);
    const start = snapshot(normal);
    tf.dispose(Object.values(normal.trainStep(videos)));
    tf.dispose(Object.values(slowed.trainStep(videos)));
    const afterFirst = snapshot(slowed);
    expect(maxChange(snapshot(normal), start)).toBeGreaterThan(1e-3);
    expect(maxChange(afterFirst, start)).toBeLessThan(2e-7);
    slowed.setHyperparameters({ learningRate: 2e-3 });
    tf.dispose(Object.values(slowed.trainStep(videos)));
    expect(maxChange(snapshot(slowed), afterFirst)).toBeGreaterThan(1e-3);
    videos.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
// (g) the reference SGD update, with its element-wise update clip
// ---------------------------------------------------------------------------------------------

/** Per-parameter differences b − a of two snapshots. */
function deltas(
  a: Map<string, Float32Array>,
  b: Map<string, Float32Array>,
): Map<string, Float64Array> {
  const result = new Map<string, Float64Array>();
  for (const [name, values] of a) {
    const other = b.get(name)!;
    result.set(
      name,
      Float64Array.from(values, (v, i) => other[i] - v),
    );
  }
  return result;
}

describe('(g) SGD with momentum and the update clip', () => {
  it.each([
    ['paper learning rate 1e-4', {}],
    ['learning rate 0.1', { learningRate: 0.1 }],
  ])('no weight moves by more than updateClip = 1e-4 in a step (%s)', (_, o) => {
    // The paper preset's optimiser (sgd-momentum 0.9, clip 1e-4, L2 1e-4, summed loss), tiny shapes.
    const config = resolveLstmConfig('composite', 'paper', { ...TINY_SHAPE, ...o });
    expect(config).toMatchObject({ optimizer: 'sgd-momentum', updateClip: 1e-4, momentum: 0.9 });
    const model = build(config, 2);
    const videos = videosFor(config);
    for (let step = 0; step < 3; step++) {
      const before = snapshot(model);
      tf.dispose(Object.values(model.trainStep(videos)));
      const moved = maxChange(before, snapshot(model));
      expect(moved).toBeLessThanOrEqual(1e-4 * (1 + 1e-3)); // float32 rounding of w + v
      expect(moved).toBeGreaterThan(0.99e-4); // the clip binds (else this test proves nothing)
    }
    videos.dispose();
  });

  it('without the clip the same step moves weights further', () => {
    const config = resolveLstmConfig('composite', 'paper', {
      ...TINY_SHAPE,
      learningRate: 0.1,
      updateClip: 0,
    });
    const model = build(config, 2);
    const videos = videosFor(config);
    const before = snapshot(model);
    tf.dispose(Object.values(model.trainStep(videos)));
    expect(maxChange(before, snapshot(model))).toBeGreaterThan(1e-3);
    videos.dispose();
  });

  it('is v ← μ·v − lr·(g + λ·w), w ← w + v, with no decay on biases', () => {
    const lr = 0.05;
    const mu = 0.9;
    const decay = 0.05;
    const config = smallConfig('composite', {
      optimizer: 'sgd-momentum',
      learningRate: lr,
      momentum: mu,
      updateClip: 0,
      weightDecay: decay,
      lossReduction: 'sum',
      conditionalFuture: true,
    });
    const model = build(config, 8);
    randomise(model, 40);
    const videos = videosFor(config);
    const decays = (name: string) => !name.endsWith('.bias') && !name.endsWith('.readout.b');
    let velocity: Map<string, Float64Array> | null = null;
    for (let step = 0; step < 2; step++) {
      const w = snapshot(model);
      const g = analyticGradients(model, videos);
      tf.dispose(Object.values(model.trainStep(videos)));
      const moved = deltas(w, snapshot(model));
      const expected = new Map<string, Float64Array>();
      for (const [name, grad] of g) {
        const weights = w.get(name)!;
        const previous = velocity?.get(name);
        expected.set(
          name,
          Float64Array.from(grad, (gi, i) => {
            const l2 = decays(name) ? decay * weights[i] : 0;
            return (previous ? mu * previous[i] : 0) - lr * (gi + l2);
          }),
        );
      }
      for (const [name, actual] of moved) {
        const want = expected.get(name)!;
        const scale = Math.max(...want.map(Math.abs));
        actual.forEach((v, i) =>
          expect(Math.abs(v - want[i]), name).toBeLessThan(1e-3 * scale + 1e-6),
        );
      }
      velocity = moved;
    }
    videos.dispose();
  });

  it('Adam’s first step moves each weight by lr against the sign of its gradient', () => {
    const config = smallConfig('composite', { weightDecay: 0 }); // Adam, lr 2e-3
    const model = build(config, 8);
    randomise(model, 60);
    const videos = videosFor(config);
    const w = snapshot(model);
    const g = analyticGradients(model, videos);
    tf.dispose(Object.values(model.trainStep(videos)));
    let checked = 0;
    for (const [name, moved] of deltas(w, snapshot(model))) {
      const grad = g.get(name)!;
      moved.forEach((v, i) => {
        // m̂/(√v̂ + ε) = g/(|g| + 1e-8) on the first step: lr·sign(g) to 1e-4 where |g| > 1e-4.
        if (Math.abs(grad[i]) < 1e-4) return;
        expect(Math.abs(-v * Math.sign(grad[i]) - 2e-3), name).toBeLessThan(2e-3 * 1e-3);
        checked += 1;
      });
    }
    expect(checked).toBeGreaterThan(100);
    videos.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
// (h) evaluation metrics
// ---------------------------------------------------------------------------------------------

function expectedGroups(config: LstmConfig): Record<string, number> {
  const groups: Record<string, number> = {};
  if (config.reconstruct) groups.recon = config.inputFrames;
  if (config.conditionalReconstruction) groups.recon_tf = config.inputFrames;
  if (config.predictFuture) {
    groups.future = config.futureFrames;
    if (config.conditionalFuture) groups.future_tf = config.futureFrames;
    groups['baseline/future'] = config.futureFrames;
    if (config.inputFrames >= 2) groups['baseline/flow/future'] = config.futureFrames;
  }
  return groups;
}

describe('(h) evaluate', () => {
  it.each(VARIANTS)('%s %o: documented names, per-frame curves, finite values', async (v, o) => {
    const config = smallConfig(v, { ...o, frameSize: 8, inputFrames: 4, futureFrames: 3 });
    const model = build(config);
    const videos = videosFor(config, 5);
    const before = snapshot(model);
    const result = await model.evaluate(videos);
    videos.dispose();
    expect(snapshot(model)).toEqual(before);

    const groups = expectedGroups(config);
    const names = Object.entries(groups).flatMap(([group]) =>
      FRAME_METRICS.map((metric) => `${group}/${metric}`),
    );
    expect(Object.keys(result.scalars).sort()).toEqual([...names].sort());
    expect(Object.keys(result.perFrame).sort()).toEqual([...names].sort());
    for (const name of names) {
      const frames = groups[name.slice(0, name.lastIndexOf('/'))];
      const curve = result.perFrame[name];
      expect(curve, name).toHaveLength(frames);
      for (const value of curve) expect(Number.isFinite(value), name).toBe(true);
      const mean = curve.reduce((a, b) => a + b, 0) / frames;
      expect(result.scalars[name], name).toBeCloseTo(mean, 6);
    }
    if (config.predictFuture) {
      expect(result.scalars['baseline/future/psnr']).toBeGreaterThan(0);
      expect(result.scalars['baseline/future/psnr']).toBeLessThan(100);
    }
  });

  it('per-frame curves follow natural frame order and count each sequence once', async () => {
    const config = smallConfig('composite', { frameSize: 8, inputFrames: 4, futureFrames: 3 });
    const model = build(config);
    randomise(model, 13);
    const videos = videosFor(config, 3); // batch 2: the second chunk wraps around to sequence 0
    const predictions = model.predict(videos); // free-running, decoder order
    const reconstruction = frames3(predictions.reconstruction!).map((s) => [...s].reverse());
    const future = frames3(predictions.future!);
    tf.dispose(Object.values(predictions));
    const all = frames3(videos);
    const result = await model.evaluate(videos);
    videos.dispose();
    /** Mean over sequences of Σ_pixels (prediction − truth)², per frame. */
    const mseCurve = (predicted: number[][][], offset: number) =>
      predicted[0].map(
        (_, k) =>
          predicted.reduce(
            (sum, sequence, b) =>
              sum + sequence[k].reduce((s, y, p) => s + (y - all[b][offset + k][p]) ** 2, 0),
            0,
          ) / predicted.length,
      );
    const close = (actual: number[], expected: number[]) =>
      actual.forEach((value, k) => expect(value).toBeCloseTo(expected[k], 4));
    close(result.perFrame['recon/mse'], mseCurve(reconstruction, 0));
    close(result.perFrame['future/mse'], mseCurve(future, 4));
    const lastFrame = all.map((sequence) => [0, 1, 2].map(() => sequence[3]));
    close(result.perFrame['baseline/future/mse'], mseCurve(lastFrame, 4));
    const flowed = all.map((sequence) => {
      const next = extrapolateFlow(
        Float32Array.from(sequence[2]),
        Float32Array.from(sequence[3]),
        8,
        8,
        3,
      );
      return [0, 1, 2].map((k) => [...next.subarray(k * 64, (k + 1) * 64)]);
    });
    close(result.perFrame['baseline/flow/future/mse'], mseCurve(flowed, 4));
  });

  it('the copy-last-frame and optical-flow baselines are perfect on a still video', async () => {
    const config = smallConfig('future-predictor', { frameSize: 8 });
    const model = build(config);
    const still = tf.tidy(
      () =>
        tf
          .randomUniform([2, 1, 8, 8, 1], 0, 1, 'float32', 3)
          .tile([1, config.inputFrames + config.futureFrames, 1, 1, 1]) as tf.Tensor5D,
    );
    const result = await model.evaluate(still);
    still.dispose();
    expect(result.scalars['baseline/future/mse']).toBe(0);
    expect(result.scalars['baseline/future/mae']).toBe(0);
    expect(result.scalars['baseline/future/psnr']).toBeCloseTo(100, 3);
    expect(result.scalars['baseline/future/ssim']).toBeCloseTo(1, 5);
    expect(result.scalars['baseline/flow/future/mse']).toBe(0);
    expect(result.scalars['future/mse']).toBeGreaterThan(0);
  });
});
