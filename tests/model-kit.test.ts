/**
 * The model kit (src/core/models/kit): the parameter store's seeds and names, the optimiser's
 * Adam forms, SGD and options against the formulas written out by hand in plain numbers, warm-up
 * without side effects, checkpoint entries and counters, and the live settings' validation.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError } from '../src/core/checkpoint/errors';
import { ConfigError } from '../src/core/models/config-schema';
import type { ConfigField } from '../src/core/models/config-schema';
import { LiveSettings } from '../src/core/models/kit/live-settings';
import { adamKernelReady } from '../src/core/gpu/kernels/adam';
import { Optimiser } from '../src/core/models/kit/optimiser';
import type { OptimiserOptions, StepSettings } from '../src/core/models/kit/optimiser';
import { ParameterStore, checkpointEntries } from '../src/core/models/kit/params';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const W0 = [0.5, -0.25, 1];
/** Gradients of three steps (the third has a non-finite element). */
const GRADS = [
  [0.1, -2, 0.3],
  [-0.4, 0.5, 3],
  [0.2, Number.NaN, -1],
];

/** Runs the optimiser over GRADS on one weight [3] (and a bias [1] with gradient 1). */
function run(options: OptimiserOptions, settings: StepSettings[], steps = GRADS.length) {
  const store = new ParameterStore(1);
  const w = store.uniform('w', [3], 1);
  w.assign(tf.tensor1d(W0));
  const b = store.zeros('b', [1]);
  const optimiser = new Optimiser(store.params, options);
  const weights: number[][] = [];
  for (let t = 0; t < steps; t++) {
    const grads = { [w.name]: tf.tensor1d(GRADS[t]), [b.name]: tf.tensor1d([1]) };
    optimiser.apply(grads, settings[t % settings.length], true);
    expect(Object.values(grads).every((g) => g.isDisposed)).toBe(true);
    weights.push(Array.from(w.dataSync()));
  }
  return { store, optimiser, weights, bias: Array.from(b.dataSync()) };
}

/** The same updates in plain numbers. */
function reference(
  kind: 'kingma' | 'torch' | 'sgd',
  s: Required<StepSettings>,
  mask: boolean,
): number[][] {
  const w = [...W0];
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  let p1 = 1;
  let p2 = 1;
  const out: number[][] = [];
  GRADS.forEach((raw, t) => {
    let g = raw.map((x) => (mask && !Number.isFinite(x) ? 0 : x));
    if (s.clipNorm > 0) {
      const norm = Math.sqrt(g.reduce((sum, x) => sum + x * x, 0) + 1); // + the bias gradient²
      g = g.map((x) => x * Math.min(1, s.clipNorm / (norm + 1e-12)));
    }
    g = g.map((x, i) => x + s.weightDecay * w[i]);
    p1 *= s.beta1;
    p2 *= 0.999;
    const clip = (u: number) =>
      s.updateClip > 0 ? Math.max(-s.updateClip, Math.min(s.updateClip, u)) : u;
    for (let i = 0; i < 3; i++) {
      if (kind === 'sgd') {
        m[i] = clip(s.beta1 * m[i] - s.learningRate * g[i]);
        w[i] += m[i];
        continue;
      }
      m[i] = s.beta1 * m[i] + (1 - s.beta1) * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      const u =
        kind === 'kingma'
          ? (s.learningRate * (m[i] / (1 - p1))) / (Math.sqrt(v[i] / (1 - p2)) + 1e-8)
          : ((s.learningRate * Math.sqrt(1 - p2)) / (1 - p1)) * (m[i] / (Math.sqrt(v[i]) + 1e-8));
      w[i] -= clip(u);
    }
    out.push([...w]);
    void t;
  });
  return out;
}

const BASE: Required<StepSettings> = {
  learningRate: 0.01,
  beta1: 0.9,
  updateClip: 0,
  weightDecay: 0,
  clipNorm: 0,
};

describe('optimiser', () => {
  const cases: [string, OptimiserOptions, Required<StepSettings>, 'kingma' | 'torch' | 'sgd'][] = [
    [
      'adam kingma, decay, update clip',
      { method: 'adam', form: 'kingma', maskNonFinite: true },
      { ...BASE, weightDecay: 0.1, updateClip: 0.004 },
      'kingma',
    ],
    ['adam torch', { method: 'adam', form: 'torch', maskNonFinite: true }, BASE, 'torch'],
    [
      'adam torch, global-norm clip, step counter',
      { method: 'adam', counter: 'steps', maskNonFinite: true },
      { ...BASE, clipNorm: 0.5 },
      'torch',
    ],
    [
      'sgd, decay, update clip',
      { method: 'sgd', maskNonFinite: true },
      { ...BASE, learningRate: 0.05, weightDecay: 0.1, updateClip: 0.02 },
      'sgd',
    ],
  ];
  it.each(cases)('%s follows the formula', (_, options, settings, kind) => {
    const { store, optimiser, weights, bias } = run(options, [settings]);
    const expected = reference(kind, settings, true);
    weights.forEach((row, t) => row.forEach((x, i) => expect(x).toBeCloseTo(expected[t][i], 5)));
    expect(bias.every(Number.isFinite)).toBe(true);
    expect(bias[0]).not.toBe(0); // biases train too (no decay)
    store.dispose();
    optimiser.dispose();
  });

  it('without maskNonFinite a NaN gradient reaches the weight', () => {
    const { store, optimiser, weights } = run({ method: 'adam' }, [BASE]);
    expect(Number.isNaN(weights[2][1])).toBe(true);
    store.dispose();
    optimiser.dispose();
  });

  it('commit false changes no weight, slot or counter', () => {
    const store = new ParameterStore(3);
    const w = store.normal('w', [4], 0, 1);
    const optimiser = new Optimiser(store.params, { method: 'adam' });
    const before = Array.from(w.dataSync());
    optimiser.apply({ [w.name]: tf.ones([4]) }, BASE, false);
    expect(Array.from(w.dataSync())).toEqual(before);
    expect(optimiser.counters()).toEqual({ beta1Power: 1, beta2Power: 1 });
    for (const [, slot] of optimiser.slotEntries()) {
      expect(Array.from(slot.dataSync())).toEqual([0, 0, 0, 0]);
    }
    optimiser.apply({ [w.name]: tf.ones([4]) }, BASE, true);
    expect(Array.from(w.dataSync())).not.toEqual(before);
    expect(optimiser.counters().beta1Power).toBeCloseTo(0.9, 12);
    store.dispose();
    optimiser.dispose();
  });

  it('holds Adam’s moments once, packed for the fused kernel or as the m and v slots', () => {
    expect(adamKernelReady()).toBe(true); // the CPU backend's fused Adam (cpu-fused-adam)
    const store = new ParameterStore(4);
    const w = store.normal('w', [1000], 0, 1);
    const optimiser = new Optimiser(store.params, { method: 'adam' });
    const momentBytes = 2 * 4 * 1000;
    const held = () => tf.memory().numBytes;
    const start = held(); // the weight and the zeroed m and v slots
    const grad = () => ({ [w.name]: tf.fill([1000], 0.5) });
    optimiser.apply(grad(), BASE, true);
    expect(optimiser.currentEntries().map(([name]) => name)).toEqual(['optimizer.moments.w']);
    expect(held()).toBe(start); // packed: the slots are gone, not kept beside
    const [[, m], [, v]] = optimiser.slotEntries();
    expect(optimiser.currentEntries().map(([name]) => name)).toEqual([
      'optimizer.m.w',
      'optimizer.v.w',
    ]);
    expect(held()).toBe(start);
    expect(m.dataSync()[0]).toBeCloseTo(0.05, 6); // (1 − β1) · g
    expect(v.dataSync()[0]).toBeCloseTo(0.001 * 0.25, 9); // (1 − β2) · g²
    tf.tidy(() => m.assign(tf.fill([1000], 1))); // as a checkpoint restore would
    optimiser.apply(grad(), BASE, true); // packs what was assigned
    const [[, m2]] = optimiser.slotEntries();
    expect(m2.dataSync()[0]).toBeCloseTo(0.9 + 0.05, 6);
    expect(held() - start).toBe(0);
    optimiser.dispose();
    expect(start - held()).toBe(momentBytes);
    store.dispose();
  });

  it('names checkpoint entries after the parameters and checks saved counters', () => {
    const store = new ParameterStore(0);
    store.uniform('a.w', [2], 1, { group: 'g' });
    store.zeros('a.b', [2], { group: 'd' });
    const g = new Optimiser(store.select('g'), { method: 'adam', counter: 'steps' });
    const d = new Optimiser(store.select('d'), { method: 'sgd' });
    expect(checkpointEntries(store, [g, d]).map(([name]) => name)).toEqual([
      'a.w',
      'a.b',
      'optimizer.m.a.w',
      'optimizer.v.a.w',
      'optimizer.velocity.a.b',
    ]);
    expect(g.checkCounters({ steps: 3 })).toEqual({ steps: 3 });
    expect(() => g.checkCounters({ steps: 1.5 })).toThrow(CheckpointError);
    expect(() => g.checkCounters({})).toThrow(CheckpointError);
    expect(d.checkCounters({})).toEqual({});
    const adam = new Optimiser(store.select('g'), { method: 'adam' });
    expect(() => adam.checkCounters({ beta1Power: 2, beta2Power: 0.5 })).toThrow(/beta1Power/);
    tf.dispose([...store.variables()]);
    [g, d, adam].forEach((o) => o.dispose());
  });
});

describe('parameter store', () => {
  it('draws each weight from the store seed plus its index, whatever came before', () => {
    const a = new ParameterStore(10);
    a.zeros('b0', [2]);
    const x = a.uniform('x', [5], 1);
    const expected = tf.randomUniform([5], -1, 1, 'float32', 11);
    expect(Array.from(x.dataSync())).toEqual(Array.from(expected.dataSync()));
    expect(a.params.map((p) => [p.name, p.decay])).toEqual([
      ['b0', false],
      ['x', true],
    ]);
    expect(a.size()).toBe(7);
    expect(() => a.zeros('x', [1])).toThrow(/Duplicate/);
    expected.dispose();
    a.dispose();
  });
});

describe('live settings', () => {
  const schema: ConfigField[] = [
    { key: 'learningRate', kind: 'float', min: 0, max: 1, label: 'lr', help: '' },
    { key: 'weight', kind: 'float', min: 0, max: 10, label: 'w', help: '' },
    { key: 'name', kind: 'choice', options: ['a'], label: 'n', help: '' },
  ];

  it('validates against the schema and assigns all or nothing', () => {
    const live = new LiveSettings<'learningRate' | 'weight'>(
      schema,
      { learningRate: 0.1, weight: 1 },
      ['learningRate'],
    );
    expect(live.get()).toEqual({ learningRate: 0.1 });
    expect(() => live.set({ learningRate: 0.2, weight: 2 })).toThrow(ConfigError);
    expect(() => live.set({ learningRate: 2 })).toThrow(/between 0 and 1/);
    expect(() => live.set({ learningRate: 0.3, bogus: 1 })).toThrow(/Unknown hyperparameter/);
    expect(live.values.learningRate).toBe(0.1);
    live.set({ learningRate: 0.5 });
    expect(live.values).toEqual({ learningRate: 0.5, weight: 1 });
  });

  it('refuses a live key that is not a numeric schema field', () => {
    expect(() => new LiveSettings(schema, { name: 1 })).toThrow(/not a numeric field/);
    expect(() => new LiveSettings(schema, { other: 1 })).toThrow(/not a numeric field/);
  });
});
