/**
 * The ConvLSTM encoder-forecaster (src/core/models/convlstm) on the CPU backend: the presets and
 * their checks, the patch reshape, gradients against central finite differences, the optimiser
 * step, no leaked tensor, the checkpoint round trip, evaluation, samples and a falling loss.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnistFromDisk } from '../src/core/data/mnist-node';
import type { MnistDigits } from '../src/core/data/mnist';
import {
  MovingMnistStream,
  bytesToTensor,
  evaluationVideos,
  movingMnistOptionsFor,
} from '../src/core/data/video-stream';
import { convLstmParameterCount, resolveConvLstmConfig } from '../src/core/models/convlstm/config';
import type { ConvLstmConfig } from '../src/core/models/convlstm/config';
import { ConvLstmModel } from '../src/core/models/convlstm/model';
import { ConfigError } from '../src/core/models/config-schema';
import { readScalars } from '../src/core/train/trainer';
import { values } from './helpers/arrays';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SMALL: Partial<ConvLstmConfig> = {
  frameSize: 8,
  patchSize: 2,
  channels: '8-8',
  kernelSize: 3,
  inputFrames: 2,
  futureFrames: 2,
  batchSize: 2,
};

const config = (overrides: Record<string, unknown> = {}) =>
  resolveConvLstmConfig('encoder-forecaster', 'tiny', { ...SMALL, ...overrides });

/** Videos [n, T, side, side, 1] in [0, 1] from a seed. */
const videos = (n: number, t: number, side: number, seed: number) =>
  tf.tensor5d(
    values(n * t * side * side, seed).map((v) => (v + 1) / 2),
    [n, t, side, side, 1],
  );

describe('ConvLSTM config', () => {
  it('has the paper’s Moving MNIST setting', () => {
    const paper = resolveConvLstmConfig('encoder-forecaster', 'paper');
    expect(paper).toMatchObject({
      channels: '128-64-64',
      kernelSize: 5,
      patchSize: 4,
      frameSize: 64,
      inputFrames: 10,
      futureFrames: 10,
    });
    expect(paper.frameSize / paper.patchSize).toBe(16); // 16×16×16 patch tensors
  });

  it('rejects an even kernel and a frame size the patches do not divide', () => {
    expect(() => config({ kernelSize: 4 })).toThrow(ConfigError);
    expect(() => config({ frameSize: 10, patchSize: 4 })).toThrow(/multiple of patchSize/);
  });

  it('counts the parameters the model builds', () => {
    for (const preset of ['tiny', 'small', 'paper']) {
      const c = resolveConvLstmConfig('encoder-forecaster', preset);
      const model = new ConvLstmModel(c, 0);
      expect(model.parameterCount(), preset).toBe(convLstmParameterCount(c));
      model.dispose();
    }
  });
});

describe('ConvLSTM model', () => {
  it('predicts frames [B, Tf, H, W] in (0, 1) that depend only on the input frames', async () => {
    const model = new ConvLstmModel(config(), 1);
    const clip = videos(2, 4, 8, 3);
    const changedFuture = tf.concat([clip.slice([0, 0], [2, 2]), videos(2, 2, 8, 9)], 1);
    const changedInput = tf.concat([videos(2, 2, 8, 9), clip.slice([0, 2], [2, 2])], 1);
    const a = model.predict(clip);
    const b = model.predict(changedFuture as tf.Tensor5D);
    const c = model.predict(changedInput as tf.Tensor5D);
    expect(a.shape).toEqual([2, 2, 8, 8]);
    const [va, vb, vc] = await Promise.all([a.data(), b.data(), c.data()]);
    expect(va.every((v) => v > 0 && v < 1)).toBe(true);
    expect(Array.from(vb)).toEqual(Array.from(va));
    expect(Array.from(vc)).not.toEqual(Array.from(va));
    tf.dispose([clip, changedFuture, changedInput, a, b, c]);
    model.dispose();
  });

  it('cuts frames into patches and back: a one-pixel clip predicts that pixel’s patch channel', async () => {
    // The loss of a target with one bright pixel differs from the all-black one only through that
    // pixel's logit: l·(0 − 1), so the loss difference is minus the logit at that pixel.
    const model = new ConvLstmModel(config(), 2);
    const black = tf.zeros([1, 4, 8, 8, 1]) as tf.Tensor5D;
    const buffer = tf.buffer([1, 4, 8, 8, 1]);
    buffer.set(1, 0, 3, 5, 2, 0); // last frame, row 5, column 2
    const lit = buffer.toTensor() as tf.Tensor5D;
    const batch = (x: tf.Tensor5D) => tf.concat([x, x], 0) as tf.Tensor5D;
    const [l0, l1] = await Promise.all([
      model.loss(batch(black)).data(),
      model.loss(batch(lit)).data(),
    ]);
    const p = (await model.predict(batch(black)).data())[(1 * 8 + 5) * 8 + 2]; // [B, Tf, H, W]
    const logit = Math.log(p / (1 - p));
    // Σ over 2 × 2 frames, divided by Tf·B = 4; the lit pixel is in both clips of the batch.
    expect((l1[0] - l0[0]) * 2).toBeCloseTo(-logit, 4);
    tf.dispose([black, lit]);
    model.dispose();
  });

  it('has gradients equal to central finite differences for every weight', async () => {
    const model = new ConvLstmModel(config({ initScale: 0.3 }), 4);
    const clip = videos(2, 4, 8, 5);
    const params = [...model.namedParameters()];
    const { grads } = tf.variableGrads(
      () => model.loss(clip),
      params.map(([, v]) => v),
    );
    const eps = 1e-2;
    for (const [name, variable] of params) {
      const analytic = await grads[variable.name].data();
      const original = await variable.data();
      for (const index of [0, Math.floor(variable.size / 2), variable.size - 1]) {
        const at = async (delta: number) => {
          const changed = Float32Array.from(original);
          changed[index] += delta;
          variable.assign(tf.tensor(changed, variable.shape));
          return (await model.loss(clip).data())[0];
        };
        const numeric = ((await at(eps)) - (await at(-eps))) / (2 * eps);
        variable.assign(tf.tensor(original, variable.shape));
        expect(Math.abs(analytic[index] - numeric), `${name}[${index}]`).toBeLessThan(
          2e-3 + 2e-2 * Math.abs(numeric),
        );
      }
    }
    tf.dispose(Object.values(grads));
    clip.dispose();
    model.dispose();
  });

  it('moves every weight in a step; warm-up moves none', async () => {
    const model = new ConvLstmModel(config(), 6);
    const clip = videos(2, 4, 8, 7);
    const snapshot = async () =>
      Promise.all([...model.namedParameters()].map(async ([, v]) => Array.from(await v.data())));
    const before = await snapshot();
    await model.warmUp(clip);
    expect(await snapshot()).toEqual(before);
    tf.dispose(Object.values(model.trainStep(clip)));
    const after = await snapshot();
    after.forEach((values, i) => expect(values, `parameter ${i}`).not.toEqual(before[i]));
    clip.dispose();
    model.dispose();
  });

  it('leaks no tensor per step, evaluation or sample, and frees everything on dispose', async () => {
    const start = tf.memory().numTensors;
    const model = new ConvLstmModel(config(), 8);
    const clip = videos(3, 4, 8, 9);
    const batch = clip.slice(0, 2) as tf.Tensor5D;
    tf.dispose(Object.values(model.trainStep(batch)));
    const before = tf.memory().numTensors;
    tf.dispose(Object.values(model.trainStep(batch)));
    await model.warmUp(batch);
    await model.evaluate(clip);
    await model.sample(clip, 2);
    expect(tf.memory().numTensors).toBe(before);
    batch.dispose();
    clip.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('evaluates the forecast against the copy-last-frame baseline, per frame', async () => {
    const model = new ConvLstmModel(config(), 10);
    const clip = videos(3, 4, 8, 11);
    const result = await model.evaluate(clip);
    for (const group of ['future', 'baseline/future']) {
      for (const metric of ['cross_entropy', 'mse', 'mae', 'psnr', 'ssim']) {
        const name = `${group}/${metric}`;
        expect(Number.isFinite(result.scalars[name]), name).toBe(true);
        expect(result.perFrame[name]).toHaveLength(2);
      }
    }
    // Untrained, every prediction is about 0.5: the cross-entropy is near H·W·ln 2 per frame.
    expect(result.scalars['future/cross_entropy']).toBeGreaterThan(64 * Math.log(2) * 0.8);
    const views = await model.sample(clip, 2);
    expect(views).toHaveLength(2);
    expect(views[0].panels.map((p) => [p.label, p.t, p.timeOffset])).toEqual([
      ['Input', 2, 0],
      ['Ground truth', 2, 2],
      ['Prediction', 2, 2],
    ]);
    const truth = await clip.slice([1, 2], [1, 2]).data();
    expect(Array.from(views[1].panels[1].frames)).toEqual(Array.from(truth));
    clip.dispose();
    model.dispose();
  });

  it('round-trips its state: a restored model takes the same next step', async () => {
    const c = config();
    const a = new ConvLstmModel(c, 12);
    const clip = videos(2, 4, 8, 13);
    tf.dispose(Object.values(a.trainStep(clip)));
    a.setHyperparameters({ learningRate: 5e-3 });
    const state = await a.exportState();
    expect(Object.keys(state.tensors)).toContain('optimizer.m.readout.w');
    expect(state.meta).toMatchObject({
      optimizer: { steps: 1 },
      hyperparameters: { learningRate: 5e-3 },
    });
    const b = new ConvLstmModel(c, 99);
    b.importState(state);
    const la = (await readScalars(a.trainStep(clip))).loss;
    const lb = (await readScalars(b.trainStep(clip))).loss;
    expect(lb).toBe(la);
    const [sa, sb] = await Promise.all([a.exportState(), b.exportState()]);
    for (const name of Object.keys(sa.tensors)) {
      expect(Array.from(sb.tensors[name].data), name).toEqual(Array.from(sa.tensors[name].data));
    }
    expect(() =>
      b.importState({ ...state, meta: { ...state.meta, optimizer: { steps: 0.5 } } }),
    ).toThrow(/integer/);
    expect(() => b.setHyperparameters({ kernelSize: 3 })).toThrow(/Unknown hyperparameter/);
    clip.dispose();
    a.dispose();
    b.dispose();
  });
});

describe('ConvLSTM learns', () => {
  let digits: MnistDigits;
  beforeAll(async () => {
    digits = await loadMnistFromDisk();
  });

  // Measured (CPU): the training loss falls from 710 to about 240 per frame within 10 steps and
  // stays near it up to step 30 (the background learnt first).
  it(
    'tiny preset: the held-out cross-entropy falls within 12 steps',
    { timeout: 300_000 },
    async () => {
      const model = new ConvLstmModel(resolveConvLstmConfig('encoder-forecaster', 'tiny'), 0);
      const options = movingMnistOptionsFor({ source: 'moving-mnist', digitSize: 16 }, model.data);
      const stream = new MovingMnistStream(digits, options, model.data, 7);
      const held = bytesToTensor(evaluationVideos(digits, options, 16), model.data);
      const before = (await model.evaluate(held)).scalars['future/cross_entropy'];
      for (let step = 0; step < 12; step++) {
        const batch = stream.nextBatch();
        tf.dispose(Object.values(model.trainStep(batch)));
        batch.dispose();
      }
      const after = (await model.evaluate(held)).scalars['future/cross_entropy'];
      expect(after).toBeLessThan(0.6 * before);
      held.dispose();
      model.dispose();
    },
  );
});
