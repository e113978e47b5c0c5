/**
 * Probes: Moving MNIST clip labels, the seeded balanced draw of labelled clips, the frozen linear
 * probe (softmax averaged over time) and each model's features.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/core/checkpoint/run-checkpoint';
import { movingMnistLabels } from '../src/core/data/labels';
import type { MnistDigits, MnistLabels } from '../src/core/data/mnist';
import { loadMnistFromDisk, loadMnistLabelsFromDisk } from '../src/core/data/mnist-node';
import { MovingMnistGenerator, resolveMovingMnistOptions } from '../src/core/data/moving-mnist';
import { bytesToTensor, movingMnistOptionsFor } from '../src/core/data/video-stream';
import { modelDefinition } from '../src/core/models/registry';
import type { VideoModel } from '../src/core/models/types';
import {
  headLoss,
  linearProbeScore,
  loopProducts,
  matMulProducts,
  probeGradients,
  timesFewColumns,
} from '../src/core/probe/linear-probe';
import { chanceScore, labelledSubset, probeScore, singleLabels } from '../src/core/probe/targets';
import type { ClipLabels } from '../src/core/data/labels';
import { maxAbs, maxAbsDiff, values } from './helpers/arrays';

let mnist: MnistDigits;
let labels: { train: MnistLabels; test: MnistLabels };
beforeAll(async () => {
  await tf.setBackend('cpu');
  [mnist, labels] = await Promise.all([loadMnistFromDisk(), loadMnistLabelsFromDisk()]);
});

describe('Moving MNIST clip labels', () => {
  it('name the classes of the digits each clip shows, without changing the clips', () => {
    const options = resolveMovingMnistOptions({ digits: 2, frames: 4 });
    const plain = new MovingMnistGenerator(mnist.train, options, 5).nextBatch(50);
    const { videos, layout } = new MovingMnistGenerator(
      mnist.train,
      options,
      5,
    ).nextBatchWithLayout(50);
    expect(videos.data).toEqual(plain.data);

    const first = movingMnistLabels(layout, 2, labels.train, 'first-digit');
    const present = movingMnistLabels(layout, 2, labels.train, 'digits-present');
    expect(first.n).toBe(50);
    for (let i = 0; i < 50; i++) {
      const a = labels.train.labels[layout.digitIndices[2 * i]];
      const b = labels.train.labels[layout.digitIndices[2 * i + 1]];
      expect(first.classes![i]).toBe(a);
      expect([...first.targets.subarray(i * 10, i * 10 + 10)]).toEqual(
        Array.from({ length: 10 }, (_, c) => (c === a ? 1 : 0)),
      );
      expect([...present.targets.subarray(i * 10, i * 10 + 10)]).toEqual(
        Array.from({ length: 10 }, (_, c) => (c === a || c === b ? 1 : 0)),
      );
    }
    expect(present.classes).toBeNull();
  });

  it('refuse digit images without a label', () => {
    const options = resolveMovingMnistOptions({ digits: 1, frames: 2 });
    const { layout } = new MovingMnistGenerator(mnist.train, options, 1).nextBatchWithLayout(4);
    const few: MnistLabels = { count: 1, labels: new Uint8Array([3]) };
    expect(() => movingMnistLabels(layout, 1, few, 'first-digit')).toThrow(/has no label/);
  });
});

describe('balanced draw of labelled clips', () => {
  const classes = singleLabels(
    Int32Array.from({ length: 200 }, (_, i) => (i * 7) % 10),
    10,
  );

  it('takes exactly the asked number per class, the same for the same seed', () => {
    const a = labelledSubset(classes, 5, 3);
    expect(a.length).toBe(50);
    const counts = new Array(10).fill(0);
    for (const i of a) counts[classes.classes![i]]++;
    expect(counts).toEqual(new Array(10).fill(5));
    expect(labelledSubset(classes, 5, 3)).toEqual(a);
    expect(labelledSubset(classes, 5, 4)).not.toEqual(a);
    expect(labelledSubset(classes, 'all', 3)).toEqual(
      Int32Array.from({ length: 200 }, (_, i) => i),
    );
  });

  it('covers every class at least the asked number of times when clips show several', () => {
    // Clip i shows classes i % 10 and (i + 3) % 10.
    const targets = new Uint8Array(300 * 10);
    for (let i = 0; i < 300; i++) {
      targets[i * 10 + (i % 10)] = 1;
      targets[i * 10 + ((i + 3) % 10)] = 1;
    }
    const labels: ClipLabels = { task: 'digits-present', n: 300, k: 10, classes: null, targets };
    const chosen = labelledSubset(labels, 5, 1);
    const counts = new Array(10).fill(0);
    for (const i of chosen) for (let c = 0; c < 10; c++) counts[c] += targets[i * 10 + c];
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(5);
    // Each clip covers two classes: never more clips than one per class would need alone.
    expect(chosen.length).toBeLessThanOrEqual(50);
  });

  it('says which class is short', () => {
    const eleven = { ...classes, k: 11, targets: new Uint8Array(200 * 11) };
    for (let i = 0; i < 200; i++) eleven.targets[i * 11 + classes.classes![i]] = 1;
    expect(() => labelledSubset(eleven, 1, 0)).toThrow(/class 10 has 0 labelled clips/);
    expect(() => labelledSubset(classes, 0, 0)).toThrow(/positive integer/);
  });
});

describe('probe scores', () => {
  it('are accuracy for one class per clip and the share of digits found for several', () => {
    const single = singleLabels([2, 0], 3);
    expect(probeScore([0.1, 0.2, 0.7, 0.5, 0.3, 0.2], single)).toBe(1);
    expect(probeScore([0.1, 0.2, 0.7, 0.2, 0.5, 0.3], single)).toBe(0.5);
    expect(chanceScore(single)).toBeCloseTo(1 / 3);
    // Clip 0 shows classes 0 and 2, clip 1 only class 1.
    const multi: ClipLabels = {
      task: 'digits-present',
      n: 2,
      k: 3,
      classes: null,
      targets: new Uint8Array([1, 0, 1, 0, 1, 0]),
    };
    // Clip 0's two most probable are 0 and 1 (one of its two found); clip 1's is 1.
    expect(probeScore([0.9, 0.8, 0.1, 0.2, 0.9, 0.3], multi)).toBe(0.75);
    expect(chanceScore(multi)).toBeCloseTo((2 / 3 + 1 / 3) / 2);
  });
});

describe('linear probe', () => {
  /** Clips [N, S, F] of class c: noise plus a class-dependent direction in each step's features. */
  function clusters(n: number, signal: number, seed: number) {
    const s = 3;
    const f = 8;
    const noise = values(n * s * f, seed);
    const classes = Int32Array.from({ length: n }, (_, i) => i % 4);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < s; t++) noise[(i * s + t) * f + classes[i]] += signal;
    }
    return { features: tf.tensor3d(noise, [n, s, f]), labels: singleLabels(classes, 4) };
  }

  it('separates classes that the features separate, and stays near chance on noise', async () => {
    const train = clusters(80, 3, 11);
    const test = clusters(40, 3, 12);
    expect(await linearProbeScore(train, test, 5)).toBe(1);
    const noiseTrain = clusters(80, 0, 13);
    const noiseTest = clusters(400, 0, 14);
    const chance = await linearProbeScore(noiseTrain, noiseTest, 10);
    expect(chance).toBeLessThan(0.4);
    tf.dispose([train.features, test.features, noiseTrain.features, noiseTest.features]);
  });

  it('finds every class a clip shows with sigmoids when the features show them', async () => {
    // Clip i shows classes i % 4 and (i + 1) % 4; its features carry both directions.
    function pairs(n: number, seed: number) {
      const f = 8;
      const x = values(n * f, seed);
      const targets = new Uint8Array(n * 4);
      for (let i = 0; i < n; i++) {
        for (const c of [i % 4, (i + 1) % 4]) {
          targets[i * 4 + c] = 1;
          x[i * f + c] += 3;
        }
      }
      const labels: ClipLabels = { task: 'digits-present', n, k: 4, classes: null, targets };
      return { features: tf.tensor3d(x, [n, 1, f]), labels };
    }
    const train = pairs(80, 21);
    const test = pairs(40, 22);
    expect(await linearProbeScore(train, test, 5)).toBeGreaterThan(0.95);
    expect(chanceScore(test.labels)).toBe(0.5);
    tf.dispose([train.features, test.features]);
  });
  it.each([1, 2, 3, 4, 5, 10])(
    'multiplies by a matrix of few columns as matMul does (%s columns)',
    (k) => {
      const [rows, inner] = [9, 13];
      const a = values(rows * inner, 41 + k);
      const b = values(inner * k, 51 + k);
      const expected = tf.tidy(() =>
        tf
          .tensor2d(a, [rows, inner])
          .matMul(tf.tensor2d(b, [inner, k]))
          .dataSync(),
      );
      const product = timesFewColumns(a, rows, inner, b, k);
      expect(product).toHaveLength(rows * k);
      expect(maxAbsDiff(product, expected)).toBeLessThan(1e-5);
    },
  );
  it.each([false, true])(
    'fits by gradients equal to autodiff of its loss (sigmoids: %s)',
    (multiLabel) => {
      const [m, f, k] = [12, 7, 4];
      const x = tf.tensor2d(values(m * f, 31), [m, f]);
      const weights = tf.tensor2d(values(f * k, 32), [f, k]);
      const bias = tf.tensor1d(values(k, 33));
      const targets = new Float32Array(m * k);
      for (let i = 0; i < m; i++) {
        targets[i * k + (i % k)] = 1;
        if (multiLabel) targets[i * k + ((i + 1) % k)] = 1;
      }
      const y = tf.tensor2d(targets, [m, k]);
      const weightDecay = 0.01;
      const loss = (w: tf.Tensor, b: tf.Tensor) =>
        headLoss(multiLabel, y, x.matMul(w).add(b) as tf.Tensor2D).add(
          tf.sum(tf.square(w)).mul(weightDecay),
        ) as tf.Scalar;
      const [dw, db] = tf.grads(loss)([weights, bias]);
      const xT = x.transpose() as tf.Tensor2D;
      // Both ways of forming the products: tfjs's matMul and the CPU backend's loops.
      for (const products of [matMulProducts(x, xT), loopProducts(x, xT)]) {
        const written = probeGradients(multiLabel, products, y, weights, bias, weightDecay);
        expect(maxAbsDiff(written.weights.dataSync(), dw.dataSync())).toBeLessThan(1e-6);
        expect(maxAbsDiff(written.bias.dataSync(), db.dataSync())).toBeLessThan(1e-6);
        tf.dispose([written.weights, written.bias]);
      }
      expect(maxAbs(dw.dataSync())).toBeGreaterThan(1e-3); // not trivially zero
      tf.dispose([x, xT, weights, bias, y, dw, db]);
    },
  );
});

describe('LSTM encoder features', () => {
  it('are the encoder state per input frame and ignore the future frames', async () => {
    const resolved = modelDefinition('lstm').restore('composite', 'tiny', {});
    const model = (await resolved.builder())(0);
    try {
      const { frames, height, width } = model.data;
      const videos = tf.tensor5d(values(2 * frames * height * width, 3), [
        2,
        frames,
        height,
        width,
        1,
      ]);
      const changed = tf.concat(
        [videos.slice([0, 0], [2, 10]), tf.zeros([2, frames - 10, height, width, 1])],
        1,
      ) as tf.Tensor5D;
      const a = model.features!(videos);
      const b = model.features!(changed);
      expect(a.shape).toEqual([2, 10, 64]);
      expect(await b.array()).toEqual(await a.array());
      tf.dispose([videos, changed, a, b]);
    } finally {
      model.dispose();
    }
  });
});

describe('ConvLSTM encoder features', () => {
  it('are the encoder state averaged over the grid after each input frame, frame by frame', async () => {
    const resolved = modelDefinition('convlstm').restore('encoder-forecaster', 'tiny', {});
    const model = (await resolved.builder())(0);
    try {
      // tiny: 5 input and 5 future frames of 32 px, two layers of 16 channels.
      const { frames, height, width } = model.data;
      const shape: [number, number, number, number, number] = [2, frames, height, width, 1];
      const videos = tf.tensor5d(values(2 * frames * height * width, 3), shape);
      const frame = (from: tf.Tensor5D, t: number) => from.slice([0, t], [2, 1]);
      const replaced = (t: number) =>
        tf.concat(
          Array.from({ length: frames }, (_, k) =>
            k === t ? tf.zeros([2, 1, height, width, 1]) : frame(videos, k),
          ),
          1,
        ) as tf.Tensor5D;
      const a = model.features!(videos);
      expect(a.shape).toEqual([2, 5, 32]);
      const steps = async (x: tf.Tensor3D) => (await x.array()) as number[][][];
      const base = await steps(a);
      // A future frame changes nothing; input frame 3 changes the states from frame 3 on.
      const future = model.features!(replaced(7));
      expect(await steps(future)).toEqual(base);
      const third = await steps(model.features!(replaced(2)));
      expect(third.map((clip) => clip.slice(0, 2))).toEqual(base.map((clip) => clip.slice(0, 2)));
      expect(third[0][2]).not.toEqual(base[0][2]);
      // One clip's features do not depend on the other clips of the batch.
      const alone = model.features!(videos.slice([1], [1]) as tf.Tensor5D);
      expect(maxAbsDiff(await alone.data(), await a.slice([1], [1]).data())).toBeLessThan(1e-6);
      expect(base.flat(2).some((v) => v !== 0)).toBe(true);
      tf.dispose([videos, a, future, alone]);
    } finally {
      model.dispose();
    }
  });
});

describe('VGAN and rCNN features of the shipped examples', () => {
  async function shipped(file: string): Promise<VideoModel> {
    const checkpoint = decodeCheckpoint(
      new Uint8Array(await readFile(`public/checkpoints/${file}.safetensors`)),
    );
    const { model: kind, variant, preset, config, seed } = checkpoint.run;
    const model = (await modelDefinition(kind).restore(variant, preset, config).builder())(seed);
    model.importState(checkpoint.model);
    return model;
  }

  function clips(model: VideoModel, n: number): tf.Tensor5D {
    const options = movingMnistOptionsFor({ source: 'moving-mnist', digitSize: 14 }, model.data);
    const videos = new MovingMnistGenerator(mnist.test, options, 3).nextBatch(n);
    return bytesToTensor(videos, model.data);
  }

  it("are the VGAN discriminator's penultimate layer, one vector per clip", async () => {
    const model = await shipped('vgan-two-stream-tiny');
    try {
      const videos = clips(model, 3);
      const features = model.features!(videos);
      // 8 frames, 32 px: three stride-2 levels leave T0 = 1 frame of 4×4 at width 16·2² = 64.
      expect(features.shape).toEqual([3, 1, 1 * 4 * 4 * 64]);
      const values = (await features.data()) as Float32Array;
      expect(values.every(Number.isFinite)).toBe(true);
      expect(values.some((v) => v !== 0)).toBe(true);
      tf.dispose([videos, features]);
    } finally {
      model.dispose();
    }
  });

  it("are the rCNN's recurrent state after each frame but the last", async () => {
    const model = await shipped('rcnn-tiny');
    try {
      const videos = clips(model, 2);
      const features = model.features!(videos);
      // 6 frames of 64 px, 8-px patches: 5 states of an 8×8 grid of 32 channels.
      expect(features.shape).toEqual([2, 5, 8 * 8 * 32]);
      const first = videos.slice([0], [1]) as tf.Tensor5D;
      const alone = model.features!(first);
      const together = features.slice([0], [1]);
      expect(maxAbsDiff(await alone.data(), await together.data())).toBeLessThan(1e-5);
      tf.dispose([videos, features, first, alone, together]);
    } finally {
      model.dispose();
    }
  });
});
