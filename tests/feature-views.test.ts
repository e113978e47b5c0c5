/**
 * Feature views: weight tiles (0 is mid-gray, each tile scaled by its own largest |weight|), the
 * LSTM's input → hidden, hidden → output and most-responsive-unit views, the VGAN's first-layer
 * filters and the units a clip drives, the rCNN's dictionary and recurrent channels, and the
 * ConvLSTM's input kernels and channels.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/core/checkpoint/run-checkpoint';
import { tilePanel, topIndices } from '../src/core/models/kit/weight-tiles';
import { resolveLstmConfig } from '../src/core/models/lstm/config';
import { LstmEncoderDecoder } from '../src/core/models/lstm/model';
import { modelDefinition } from '../src/core/models/registry';
import type { VideoModel } from '../src/core/models/types';
import { resolveConvLstmConfig } from '../src/core/models/convlstm/config';
import { createConvLstmModel } from '../src/core/models/convlstm/model';
import { MovingMnistGenerator } from '../src/core/data/moving-mnist';
import { bytesToTensor, movingMnistOptionsFor } from '../src/core/data/video-stream';
import { fakeDigits } from './helpers/fake-run';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('weight tiles', () => {
  it('draws each tile scaled by its own largest |weight|, 0 as mid-gray, in a near-square grid', () => {
    // Two 1-frame 2×2 tiles: [1, -1, 0, 0.5] and [10, 0, 0, -5].
    const tiles = Float32Array.from([1, -1, 0, 0.5, 10, 0, 0, -5]);
    const panel = tilePanel('w', tiles, 2, 1, 2, 2);
    const zoom = Math.floor(240 / 7); // 2 columns of 3 px + 1 px border = 7 px wide
    expect([panel.t, panel.width, panel.height]).toEqual([1, 7 * zoom, 4 * zoom]);
    const at = (y: number, x: number) => panel.frames[y * zoom * panel.width + x * zoom];
    expect([at(1, 1), at(1, 2), at(2, 1), at(2, 2)]).toEqual([1, 0, 0.5, 0.75]);
    expect([at(1, 4), at(1, 5), at(2, 4), at(2, 5)]).toEqual([1, 0.5, 0.5, 0.25]);
    expect(at(0, 0)).toBeCloseTo(0.15, 6); // grid line
    expect(() => tilePanel('w', tiles, 3, 1, 2, 2)).toThrow(/tiles has 8 values/);
  });

  it('draws a filter over time as one mosaic per time slice', () => {
    const tiles = Float32Array.from([1, 0, 0, 1]); // one 2-frame 1×2 filter: [[1, 0], [0, 1]]
    const panel = tilePanel('f', tiles, 1, 2, 1, 2);
    expect(panel.t).toBe(2);
    const size = panel.width * panel.height;
    const zoom = Math.floor(240 / 4);
    const at = (f: number, x: number) => panel.frames[f * size + zoom * panel.width + x * zoom];
    expect([at(0, 1), at(0, 2), at(1, 1), at(1, 2)]).toEqual([1, 0.5, 0.5, 1]);
  });

  it('ranks the largest values first', () => {
    expect(topIndices([0.1, 3, -2, 3, 0.5], 3)).toEqual([1, 3, 4]);
  });
});

describe('LSTM feature views', () => {
  it("shows the encoder's input weights, the readout and the units that respond most to a clip", async () => {
    const config = resolveLstmConfig('composite', 'tiny', {
      frameSize: 8,
      inputFrames: 3,
      futureFrames: 2,
      hiddenUnits: 12,
      batchSize: 2,
    });
    const model = new LstmEncoderDecoder(config, 4);
    const clip = tf.randomUniform([1, 5, 8, 8, 1], 0, 1, 'float32', 1) as tf.Tensor5D;
    const before = tf.memory().numTensors;
    const views = await model.featureViews(clip);
    expect(tf.memory().numTensors).toBe(before);
    expect(views.map((v) => [v.group, v.title])).toEqual([
      ['features', 'Input → hidden weights'],
      ['features', 'Hidden → output weights'],
      ['features', 'Units that respond most to this clip'],
    ]);
    // Unit 1's input tile is its cell-input weights (rows 2U…3U of w, the frame's columns).
    const w = (await model
      .stateVariables()
      .find(([name]) => name === 'encoder.0.w')![1]
      .array()) as number[][];
    const unit0 = w[2 * 12].slice(0, 64);
    const max = Math.max(...unit0.map(Math.abs));
    const panel = views[0].panels[0];
    const zoom = Math.floor(240 / (4 * 9 + 1)); // 12 tiles: 4 columns of 8 + 1 px
    const pixel = (y: number, x: number) =>
      panel.frames[(1 + y) * zoom * panel.width + (1 + x) * zoom];
    for (const [y, x] of [
      [0, 0],
      [3, 5],
      [7, 7],
    ]) {
      expect(pixel(y, x)).toBeCloseTo(0.5 + (0.5 * unit0[y * 8 + x]) / max, 5);
    }
    const top = views[2];
    expect(top.charts![0].series).toHaveLength(8);
    expect(top.charts![0].series[0].points).toHaveLength(3);
    // The first ranked unit has the largest mean |h| over the input frames.
    const h = model.features(clip);
    const values = (await h.array()) as number[][][];
    h.dispose();
    const meanAbs = Array.from(
      { length: 12 },
      (_, u) => values[0].reduce((s, frame) => s + Math.abs(frame[u]), 0) / 3,
    );
    const best = meanAbs.indexOf(Math.max(...meanAbs));
    expect(top.charts![0].series[0].label).toBe(`unit ${best + 1}`);
    clip.dispose();
    model.dispose();
  });
});

describe('VGAN feature views', () => {
  it("show the shipped example's first-layer discriminator filters over time", async () => {
    const checkpoint = decodeCheckpoint(
      new Uint8Array(await readFile('public/checkpoints/vgan-two-stream-tiny.safetensors')),
    );
    const { model: kind, variant, preset, config, seed } = checkpoint.run;
    const model = (await modelDefinition(kind).restore(variant, preset, config).builder())(seed);
    model.importState(checkpoint.model);
    const { frames, height, width, channels } = model.data;
    const clip = tf.zeros([1, frames, height, width, channels]) as tf.Tensor5D;
    const [view] = await model.featureViews!(clip);
    expect(view.title).toBe('First-layer filters over time');
    const panel = view.panels[0];
    expect(panel.t).toBe(4); // the 4×4×4 filters' time steps
    const filter = model.stateVariables().find(([name]) => name === 'd.conv0.w')![1];
    const w = (await filter.array()) as number[][][][][]; // [kT, kH, kW, Cin, Cout]
    const cin = w[0][0][0].length;
    const tap = (t: number, y: number, x: number) =>
      w[t][y][x].reduce((s, inputs) => s + inputs[0], 0) / cin; // filter 0
    let max = 0;
    for (let t = 0; t < 4; t++)
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 4; x++) max = Math.max(max, Math.abs(tap(t, y, x)));
    const cells = Math.ceil(Math.sqrt(filter.shape[4] as number));
    const zoom = Math.max(1, Math.floor(240 / (cells * 5 + 1)));
    const size = panel.width * panel.height;
    for (const [t, y, x] of [
      [0, 0, 0],
      [3, 2, 1],
    ]) {
      const value = panel.frames[t * size + (1 + y) * zoom * panel.width + (1 + x) * zoom];
      expect(value).toBeCloseTo(0.5 + (0.5 * tap(t, y, x)) / max, 5);
    }
    // Not every time slice is the same: the filters look at motion.
    expect(panel.frames.slice(0, size)).not.toEqual(panel.frames.slice(size, 2 * size));
    clip.dispose();
    model.dispose();
  });
});

/** A shipped example with its trained weights, and one of its own kind of Moving MNIST clips. */
async function shippedWithClip(file: string): Promise<{ model: VideoModel; clip: tf.Tensor5D }> {
  const checkpoint = decodeCheckpoint(
    new Uint8Array(await readFile(`public/checkpoints/${file}.safetensors`)),
  );
  const { model: kind, variant, preset, config, seed, data } = checkpoint.run;
  const model = (await modelDefinition(kind).restore(variant, preset, config).builder())(seed);
  model.importState(checkpoint.model);
  if (data.source !== 'moving-mnist') throw new Error('the examples train on Moving MNIST');
  const options = movingMnistOptionsFor({ ...data, digits: 1 }, model.data);
  const videos = new MovingMnistGenerator(fakeDigits().test, options, 5).nextBatch(1);
  return { model, clip: bytesToTensor(videos, model.data) };
}

const weight = (model: VideoModel, name: string) =>
  model.stateVariables().find(([n]) => n === name)![1];

describe('VGAN units that respond most to a clip', () => {
  it('are the first-layer filters whose response varies most over the clip, charted per frame', async () => {
    const { model, clip } = await shippedWithClip('vgan-two-stream-tiny');
    const before = tf.memory().numTensors;
    const views = await model.featureViews!(clip);
    expect(tf.memory().numTensors).toBe(before);
    // The first layer by hand: a 4×4×4 convolution at stride 2 with 1 px of padding, the bias,
    // LeakyReLU 0.2 → [1, 4, 16, 16, 8].
    const responses = tf.tidy(() => {
      const padded = tf.pad(clip, [
        [0, 0],
        [1, 1],
        [1, 1],
        [1, 1],
        [0, 0],
      ]);
      const w = weight(model, 'd.conv0.w') as unknown as tf.Tensor5D;
      const z = tf.conv3d(padded, w, 2, 'valid').add(weight(model, 'd.conv0.b'));
      return tf.leakyRelu(z, 0.2);
    });
    const [, t1, , , filters] = responses.shape;
    const mean = responses.mean([0, 1, 2, 3]);
    const variance = (await responses.sub(mean).square().mean([0, 1, 2, 3]).data()) as Float32Array;
    mean.dispose();
    const perFrame = (await responses.mean([0, 2, 3]).array()) as number[][]; // [T1, C]
    responses.dispose();
    const order = Array.from({ length: filters }, (_, c) => c).sort(
      (a, b) => variance[b] - variance[a],
    );
    const view = views[1];
    expect(view.title).toBe('Units that respond most to this clip');
    const series = view.charts![0].series;
    expect(series.map((s) => s.label)).toEqual(order.slice(0, 8).map((c) => `filter ${c + 1}`));
    for (const [j, s] of series.entries()) {
      expect(s.points.map(([x]) => x)).toEqual(Array.from({ length: t1 }, (_, t) => t + 1));
      s.points.forEach(([, y], t) => expect(y).toBeCloseTo(perFrame[t][order[j]], 4));
    }
    expect(view.panels.map((p) => [p.label, p.t])).toEqual([
      ['Filters', 4],
      ['Responses', t1],
    ]);
    clip.dispose();
    model.dispose();
  });
});

describe('rCNN feature views', () => {
  it('show the dictionary and the recurrent channels whose h varies most over the clip', async () => {
    const { model, clip } = await shippedWithClip('rcnn-tiny');
    const before = tf.memory().numTensors;
    const views = await model.featureViews!(clip);
    expect(tf.memory().numTensors).toBe(before);
    expect(views.map((v) => [v.group, v.title])).toEqual([
      ['features', 'Patch dictionary'],
      ['features', 'Channels that respond most to this clip'],
    ]);
    // 6 frames of 64 px in 8-px patches: 5 states of an 8×8 grid of 32 channels.
    const states = (await model.features!(clip).reshape([5, 64, 32]).array()) as number[][][];
    const all = states.flat();
    const variance = (c: number) => {
      const mean = all.reduce((s, h) => s + h[c], 0) / all.length;
      return all.reduce((s, h) => s + (h[c] - mean) ** 2, 0) / all.length;
    };
    const order = Array.from({ length: 32 }, (_, c) => c).sort((a, b) => variance(b) - variance(a));
    const series = views[1].charts![0].series;
    expect(series.map((s) => s.label)).toEqual(order.slice(0, 8).map((c) => `channel ${c + 1}`));
    const first = order[0];
    series[0].points.forEach(([, y], t) =>
      expect(y).toBeCloseTo(states[t].reduce((s, h) => s + h[first], 0) / 64, 5),
    );
    expect(views[1].panels[0].t).toBe(5);
    clip.dispose();
    model.dispose();
  });
});

describe('ConvLSTM feature views', () => {
  it('draw each input kernel as the pixels it reads and chart the channels a clip drives', async () => {
    const config = resolveConvLstmConfig('encoder-forecaster', 'tiny', {
      frameSize: 8,
      patchSize: 2,
      kernelSize: 3,
      channels: '8-8',
      inputFrames: 3,
      futureFrames: 2,
    });
    const model = createConvLstmModel(config, 2);
    const clip = tf.randomUniform([1, 5, 8, 8, 1], 0, 1, 'float32', 1) as tf.Tensor5D;
    const before = tf.memory().numTensors;
    const views = await model.featureViews!(clip);
    expect(tf.memory().numTensors).toBe(before);
    expect(views.map((v) => v.title)).toEqual([
      'Input kernels',
      'Channels that respond most to this clip',
    ]);
    // Channel 1's cell-input kernel (gate c: column 2U) on the 3×3 taps of 2×2 patches: pixel
    // (ky·2 + py, kx·2 + px) is w[ky][kx][py·2 + px][16].
    const w = (await weight(model, 'encoder.0.w').array()) as number[][][][];
    const tap = (y: number, x: number) =>
      w[Math.floor(y / 2)][Math.floor(x / 2)][(y % 2) * 2 + (x % 2)][16];
    let max = 0;
    for (let y = 0; y < 6; y++)
      for (let x = 0; x < 6; x++) max = Math.max(max, Math.abs(tap(y, x)));
    const panel = views[0].panels[0];
    const zoom = Math.floor(240 / (3 * 7 + 1)); // 8 tiles: 3 columns of 6 + 1 px
    const pixel = (y: number, x: number) =>
      panel.frames[(1 + y) * zoom * panel.width + (1 + x) * zoom];
    for (const [y, x] of [
      [0, 0],
      [1, 4],
      [5, 3],
    ]) {
      expect(pixel(y, x)).toBeCloseTo(0.5 + (0.5 * tap(y, x)) / max, 5);
    }
    // The chart is the first layer's h averaged over the grid: the features' first 8 columns.
    const features = model.features!(clip);
    const perFrame = (await features.array()) as number[][][];
    features.dispose();
    for (const s of views[1].charts![0].series) {
      const channel = Number(s.label.replace('channel ', '')) - 1;
      s.points.forEach(([, y], t) => expect(y).toBeCloseTo(perFrame[0][t][channel], 5));
    }
    expect(views[1].panels.map((p) => [p.label, p.t])).toEqual([
      ['Input kernels', 1],
      ['Hidden state', 3],
    ]);
    clip.dispose();
    model.dispose();
  });
});
