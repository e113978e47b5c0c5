/**
 * Imported datasets as training data: the seeded clip stream (same seed, same batches), the model's
 * range and size, and the RunHandler training the LSTM and the VGAN on an imported dataset sent in
 * the `init` command (without loading MNIST), with a data-error for a dataset too short or absent.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetPayload, FrameSet } from '../src/core/data/types';
import { VideoClipStream, prepareVideoData } from '../src/core/data/video-clips';
import type { DataRequirements } from '../src/core/models/types';
import type { RunSpec } from '../src/protocol/messages';
import { FakeRun } from './helpers/fake-run';
import { launchOf } from '../src/protocol/run-spec';

/** `frames` RGB frames of 24×16 whose pixel values encode the frame index (f · 5 mod 256). */
function dataset(frames: number, segmentLengths = [frames]): DatasetPayload {
  const width = 24;
  const height = 16;
  const data = new Uint8Array(frames * width * height * 3);
  for (let f = 0; f < frames; f++)
    data.fill((f * 5) % 256, f * width * height * 3, (f + 1) * width * height * 3);
  let start = 0;
  const segments = segmentLengths.map((length, i) => {
    const segment = { name: `file ${i}`, start, length };
    start += length;
    return segment;
  });
  const set: FrameSet = { data, frames, width, height, channels: 3, segments };
  return { id: 'ds-1', name: 'clip.mp4', frames: set, crop: 'center', fps: 10 };
}

const NEEDS: DataRequirements = {
  frames: 4,
  height: 8,
  width: 8,
  channels: 1,
  range: 'symmetric',
  batchSize: 3,
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('clip stream', () => {
  it('gives identical batches for the same seed and different ones for another', () => {
    const source = dataset(60).frames;
    const split = (seed: number) => {
      const stream = new VideoClipStream(
        source,
        [0, 5, 10, 15, 20, 25],
        { ...NEEDS, channels: 3, height: 16, width: 24 },
        seed,
      );
      return [stream.nextStarts(4), stream.nextStarts(4)].flat();
    };
    expect(split(7)).toEqual(split(7));
    expect(split(7)).not.toEqual(split(8));
    // One pass covers every clip once before any repeats.
    expect(new Set(split(7).slice(0, 6))).toEqual(new Set([0, 5, 10, 15, 20, 25]));
  });

  it('resizes to the model, converts to gray and scales to its range; held-out frames stay out of training', () => {
    const data = prepareVideoData(
      dataset(60).frames,
      'center',
      { source: 'video', datasetId: 'ds-1', clipStride: 2 },
      NEEDS,
      2,
      42,
      'x',
    );
    expect(data.frames).toMatchObject({ width: 8, height: 8, channels: 1 });
    expect(data.evalSet.shape).toEqual([1, 4, 8, 8, 1]); // 2 asked for, 1 held out
    // Held out: the last max(6, 4) = 6 frames (54–59) → one clip starting at 54.
    expect(data.split.heldOut).toEqual([54]);
    expect(Math.max(...data.split.train)).toBe(50);
    const batch = data.stream.nextBatch();
    expect(batch.shape).toEqual([3, 4, 8, 8, 1]);
    const values = batch.dataSync();
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...values)).toBeLessThanOrEqual(1);
    // Gray frames of constant level f·5: the first eval clip's first frame is frame 54 → 270 mod 256.
    const first = data.evalSet.slice([0, 0, 0, 0, 0], [1, 1, 1, 1, 1]).dataSync()[0];
    expect(first).toBeCloseTo(14 / 127.5 - 1, 5);
    tf.dispose([batch, data.evalSet]);
  });
});

describe('RunHandler on an imported dataset', () => {
  const runs: FakeRun[] = [];
  afterEach(async () => {
    for (const run of runs.splice(0)) await run.send({ type: 'dispose' });
  });

  const fakeRun = () => {
    const run = new FakeRun({
      get train(): never {
        throw new Error('MNIST must not be loaded for a video dataset');
      },
      get test(): never {
        throw new Error('MNIST must not be loaded for a video dataset');
      },
    });
    runs.push(run);
    return run;
  };

  const lstm: RunSpec = {
    model: 'lstm',
    preset: 'tiny',
    backend: 'cpu',
    config: {
      frameSize: 8,
      hiddenUnits: 8,
      inputFrames: 3,
      futureFrames: 2,
      batchSize: 2,
      evalSequences: 2,
      evalEvery: 1000,
      sampleEvery: 1000,
    },
    data: { source: 'video', datasetId: 'ds-1', seed: 1 },
  };
  const vgan: RunSpec = {
    model: 'vgan',
    preset: 'tiny',
    backend: 'cpu',
    config: {
      frameSize: 16,
      frames: 8,
      batchSize: 2,
      evalSequences: 2,
      evalEvery: 1000,
      sampleEvery: 1000,
    },
    data: { source: 'video', datasetId: 'ds-1' },
  };

  for (const spec of [lstm, vgan]) {
    it(`trains ${spec.model} on the dataset's clips`, async () => {
      const run = fakeRun();
      expect(
        await run.send({ type: 'init', ...launchOf(spec), dataset: dataset(80) }),
      ).toMatchObject({
        ok: true,
      });
      expect(run.of('progress').some((p) => /MNIST/.test(p.message))).toBe(false);
      expect(await run.send({ type: 'step', n: 2 })).toMatchObject({ ok: true });
      await run.until(() => run.lastStatus() === 'paused');
      const losses = run.of('metrics').flatMap((m) => m.points);
      expect(losses.map((p) => p.step)).toEqual([1, 2]);
      for (const point of losses) {
        for (const value of Object.values(point.values)) expect(Number.isFinite(value)).toBe(true);
      }
      expect(await run.send({ type: 'evaluate' })).toMatchObject({ ok: true });
      expect(run.of('eval')).toHaveLength(1);
    });
  }

  it('rejects a dataset too short for the model’s clips as a data error', async () => {
    const run = fakeRun();
    const reply = await run.send({ type: 'init', ...launchOf(lstm), dataset: dataset(6) });
    expect(reply).toMatchObject({
      ok: false,
      error: {
        code: 'data-error',
        message: expect.stringMatching(
          /^Dataset "clip\.mp4" is too short for one clip: it has 6 frames \(0\.6 s at 10 fps\)/,
        ),
      },
    });
  });

  it('rejects a run whose dataset was not sent', async () => {
    const run = fakeRun();
    const reply = await run.send({ type: 'init', ...launchOf(lstm) });
    expect(reply).toMatchObject({ ok: false, error: { code: 'data-error' } });
  });
});
