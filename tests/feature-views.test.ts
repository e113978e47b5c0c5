/**
 * Feature views: weight tiles (0 is mid-gray, each tile scaled by its own largest |weight|) and
 * the LSTM's input → hidden, hidden → output and most-responsive-unit views.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/core/checkpoint/run-checkpoint';
import { tilePanel, topIndices } from '../src/core/models/kit/weight-tiles';
import { resolveLstmConfig } from '../src/core/models/lstm/config';
import { LstmEncoderDecoder } from '../src/core/models/lstm/model';
import { modelDefinition } from '../src/core/models/registry';

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
