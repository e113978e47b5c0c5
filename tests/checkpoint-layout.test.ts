/**
 * The tensor layout documented in docs/checkpoints.md is the real one: the LSTM's future
 * prediction, recomputed in plain TypeScript from the checkpoint file's tensors with the
 * documented cell, gate order and column order, equals the model's own prediction.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { encodeCheckpoint } from '../src/core/checkpoint/run-checkpoint';
import { lstmModel } from '../src/core/models/lstm';
import type { LstmConfig } from '../src/core/models/lstm/config';
import { LstmEncoderDecoder } from '../src/core/models/lstm/model';
import { values } from './helpers/arrays';
import { floatsOf, readSafetensors } from './helpers/safetensors-reader';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

it('the documented LSTM cell and weight layout reproduce the model from the file alone', async () => {
  const config = lstmModel.resolveConfig('future-predictor', 'tiny', {
    frameSize: 6,
    hiddenUnits: 5,
    inputFrames: 3,
    futureFrames: 2,
    batchSize: 2,
    peepholeInitScale: 0.5,
    initScale: 0.3,
  }) as LstmConfig;
  const model = new LstmEncoderDecoder(config, 7);
  const [b, tIn, tOut, p, u] = [2, 3, 2, 36, 5];
  const video = tf.tensor5d(
    values(b * (tIn + tOut) * p, 3).map((v) => (v + 1) / 2),
    [b, tIn + tOut, 6, 6, 1],
  );
  try {
    const state = await model.exportState();
    const bytes = encodeCheckpoint({
      run: {
        model: 'lstm',
        variant: 'future-predictor',
        preset: 'tiny',
        config: config as unknown as Record<string, unknown>,
        data: { source: 'moving-mnist', seed: 1 },
        seed: 7,
      },
      step: 0,
      model: state,
      data: {
        arrays: { digit_order: new Int32Array([0]) },
        meta: {
          cursor: 0,
          orderRng: [1, 2, 3, 4],
          motionRng: [1, 2, 3, 4],
          textureRng: [1, 2, 3, 4],
        },
      },
      history: [],
      createdAt: '',
      producer: 'test',
    });
    const file = readSafetensors(bytes).tensors;
    const weight = (name: string) => floatsOf(file.get(name)!);
    const frames = video.dataSync(); // [B, T, P] row-major

    // The documented cell: z = W·[x, h] + bias (rows i, f, a, o), peepholes (p_i, p_f, p_o).
    const step = (prefix: string, inputs: number, x: number[] | null, h: number[], c: number[]) => {
      const w = weight(`${prefix}.w`); // [4U, I + U]
      const bias = weight(`${prefix}.bias`);
      const peephole = weight(`${prefix}.peephole`);
      const xh = [...(x ?? []), ...h];
      const z = Array.from({ length: 4 * u }, (_, row) =>
        xh.reduce((sum, value, col) => sum + w[row * (inputs + u) + col] * value, bias[row]),
      );
      const cNext = c.map((cv, k) => {
        const i = sigmoid(z[k] + peephole[k] * cv);
        const f = sigmoid(z[u + k] + peephole[u + k] * cv);
        return f * cv + i * Math.tanh(z[2 * u + k]);
      });
      const hNext = cNext.map(
        (cv, k) => sigmoid(z[3 * u + k] + peephole[2 * u + k] * cv) * Math.tanh(cv),
      );
      return { h: hNext, c: cNext };
    };

    const expected: number[] = [];
    for (let n = 0; n < b; n++) {
      let s = { h: new Array(u).fill(0), c: new Array(u).fill(0) };
      for (let t = 0; t < tIn; t++) {
        const x = Array.from(
          frames.subarray((n * (tIn + tOut) + t) * p, (n * (tIn + tOut) + t + 1) * p),
        );
        s = step('encoder.0', p, x, s.h, s.c);
      }
      const readW = weight('future.readout.w'); // [P, U]
      const readB = weight('future.readout.b');
      for (let t = 0; t < tOut; t++) {
        s = step('future.0', 0, null, s.h, s.c); // unconditioned: no input columns
        for (let q = 0; q < p; q++) {
          expected.push(sigmoid(s.h.reduce((sum, hv, k) => sum + readW[q * u + k] * hv, readB[q])));
        }
      }
    }
    const predicted = model.predict(video).future!;
    const actual = await predicted.data();
    predicted.dispose();
    expect(actual.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i], 5);
  } finally {
    video.dispose();
    model.dispose();
  }
});
