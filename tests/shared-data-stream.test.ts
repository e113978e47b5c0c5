/**
 * Runs that share a data spec and seed train on identical batches in the same order, and every run
 * is scored on the same held-out sequences, whatever its model (real MNIST digits, tfjs CPU).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MnistDigits } from '../src/core/data/mnist';
import { loadMnistFromDisk } from '../src/core/data/mnist-node';
import { MovingMnistGenerator } from '../src/core/data/moving-mnist';
import type { MovingMnistDataSpec } from '../src/core/data/types';
import {
  MovingMnistStream,
  evaluationVideos,
  movingMnistOptionsFor,
} from '../src/core/data/video-stream';
import type { DataRequirements } from '../src/core/models/types';
import type { RunSpec } from '../src/protocol/messages';
import { HELD_OUT_GROUP } from '../src/protocol/sample-groups';
import { FakeRun } from './helpers/fake-run';
import { launchOf } from '../src/protocol/run-spec';

const SPEC: MovingMnistDataSpec = { source: 'moving-mnist', seed: 1234, digitSize: 14, speed: 3 };
const LSTM_TINY: DataRequirements = {
  frames: 20,
  height: 32,
  width: 32,
  channels: 1,
  range: 'unit',
  batchSize: 8,
};
const VGAN_TINY: DataRequirements = { ...LSTM_TINY, frames: 8, range: 'symmetric', batchSize: 4 };

let digits: MnistDigits;

beforeAll(async () => {
  await tf.setBackend('cpu');
  digits = await loadMnistFromDisk();
});

function stream(needs: DataRequirements, seed = SPEC.seed ?? 0): MovingMnistStream {
  return new MovingMnistStream(digits, movingMnistOptionsFor(SPEC, needs), needs, seed);
}

/** The raw bytes of the next `count` batches of a stream. */
async function batches(source: MovingMnistStream, count: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const batch = source.nextBatch();
    out.push(new Uint8Array((await batch.data()).buffer.slice(0)));
    batch.dispose();
  }
  return out;
}

describe('a shared, seeded data stream', () => {
  it('gives two runs with the same spec and seed byte-identical batches in the same order', async () => {
    const [a, b] = await Promise.all([
      batches(stream(LSTM_TINY), 6),
      batches(stream(LSTM_TINY), 6),
    ]);
    for (let i = 0; i < 6; i++) expect(Buffer.compare(a[i], b[i])).toBe(0);
    // Consecutive batches are new sequences, and another seed is another stream.
    expect(Buffer.compare(a[0], a[1])).not.toBe(0);
    const [other] = await batches(stream(LSTM_TINY, 1235), 1);
    expect(Buffer.compare(a[0], other)).not.toBe(0);
  });

  it('feeds models with other batch sizes and clip lengths the same sequences in the same order', () => {
    const lstm = new MovingMnistGenerator(
      digits.train,
      movingMnistOptionsFor(SPEC, LSTM_TINY),
      1234,
    );
    const vgan = new MovingMnistGenerator(
      digits.train,
      movingMnistOptionsFor(SPEC, VGAN_TINY),
      1234,
    );
    const long = lstm.nextBatch(LSTM_TINY.batchSize); // one LSTM batch: sequences 0–7, 20 frames
    const short = [vgan.nextBatch(4), vgan.nextBatch(4)]; // two VGAN batches: sequences 0–7, 8 frames
    const frame = 32 * 32;
    for (let s = 0; s < 8; s++) {
      const part = short[Math.floor(s / 4)];
      const clip = part.data.subarray((s % 4) * 8 * frame, ((s % 4) + 1) * 8 * frame);
      // Same digits on the same paths: the 8-frame clip is the start of the 20-frame one.
      expect(Buffer.compare(clip, long.data.subarray(s * 20 * frame, (s * 20 + 8) * frame))).toBe(
        0,
      );
    }
  });

  it('scores every run on the same held-out set, whatever its training seed', () => {
    const options = movingMnistOptionsFor(SPEC, LSTM_TINY);
    const full = evaluationVideos(digits, options, 32);
    expect(Buffer.compare(evaluationVideos(digits, options, 32).data, full.data)).toBe(0);
    // A run that evaluates on fewer sequences sees the first of the same ones.
    const fewer = evaluationVideos(digits, options, 16);
    expect(Buffer.compare(fewer.data, full.data.subarray(0, fewer.data.length))).toBe(0);
    // The training seed is not involved: the training stream differs from the held-out set.
    const training = new MovingMnistGenerator(digits.train, options, 1234).nextBatch(1);
    expect(Buffer.compare(training.data, full.data.subarray(0, training.data.length))).not.toBe(0);
  });
});

describe('held-out sequences sent by the runtime', () => {
  const data = { ...SPEC, digitSize: 8, speed: 2 };
  const lstm: RunSpec = {
    model: 'lstm',
    preset: 'tiny',
    backend: 'cpu',
    config: { frameSize: 16, hiddenUnits: 8, inputFrames: 4, futureFrames: 4, batchSize: 2 },
    data,
  };
  const vgan: RunSpec = {
    model: 'vgan',
    preset: 'tiny',
    backend: 'cpu',
    config: { frameSize: 16, frames: 4, batchSize: 2, evalSequences: 4 },
    data,
    seed: 9,
  };

  it('are the same clips for an LSTM and a VGAN run on one data spec', async () => {
    const heldOut = async (spec: RunSpec) => {
      const run = new FakeRun(digits);
      const reply = await run.send({ type: 'init', ...launchOf(spec) });
      expect(reply).toMatchObject({ ok: true });
      const views = run.of('samples')[0].views.filter((view) => view.group === HELD_OUT_GROUP);
      await run.send({ type: 'dispose' });
      return views.map((view) => view.panels[0]);
    };
    const a = await heldOut(lstm); // 8 frames of 16×16
    const b = await heldOut(vgan); // 4 frames of 16×16
    expect(a).toHaveLength(3);
    expect(b).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      expect(a[i]).toMatchObject({ t: 8, height: 16, width: 16, channels: 1 });
      expect(b[i]).toMatchObject({ t: 4, height: 16, width: 16, channels: 1 });
      expect(Array.from(b[i].frames)).toEqual(Array.from(a[i].frames.subarray(0, 4 * 256)));
      expect(Math.max(...a[i].frames)).toBeGreaterThan(0.5); // real digits, not an empty canvas
    }
  });
});
