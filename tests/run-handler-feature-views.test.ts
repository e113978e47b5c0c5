/**
 * The `feature-views` command in the run worker: every model kind (shrunken tiny presets) on the
 * tfjs CPU backend answers with its weight tiles and the units responding most to the chosen
 * held-out clip, while it trains; bad clip indices are refused by name.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunSpec } from '../src/protocol/messages';
import { transferablesOf } from '../src/protocol/messages';
import { FakeRun } from './helpers/fake-run';
import { launchOf } from '../src/protocol/run-spec';

const LSTM: RunSpec = {
  model: 'lstm',
  variant: 'composite',
  preset: 'tiny',
  backend: 'cpu',
  seed: 3,
  config: {
    frameSize: 32,
    hiddenUnits: 16,
    inputFrames: 4,
    futureFrames: 3,
    batchSize: 4,
    evalSequences: 6,
    evalEvery: 1000,
    sampleEvery: 1000,
  },
  data: { source: 'moving-mnist', speed: 2 }, // full-size (fake) digits: lit pixels in every clip
};

const FEW_STEPS = { evalSequences: 6, evalEvery: 1000, sampleEvery: 1000 };
const DIGITS = LSTM.data;

/** Each model kind: its run, its views' titles and the view whose chart follows the clip. */
const KINDS: { spec: RunSpec; titles: string[]; responding: number; tiles: number }[] = [
  {
    spec: LSTM,
    titles: [
      'Input → hidden weights',
      'Hidden → output weights',
      'Units that respond most to this clip',
    ],
    responding: 2,
    tiles: 3,
  },
  {
    spec: {
      model: 'vgan',
      preset: 'tiny',
      backend: 'cpu',
      seed: 3,
      config: { frameSize: 32, frames: 8, batchSize: 2, ...FEW_STEPS },
      data: DIGITS,
    },
    titles: ['First-layer filters over time', 'Units that respond most to this clip'],
    responding: 1,
    tiles: 3,
  },
  {
    spec: {
      model: 'rcnn',
      preset: 'tiny',
      backend: 'cpu',
      seed: 3,
      config: {
        frameSize: 32,
        frames: 5,
        dictionarySize: 16,
        kmeansPatches: 1024,
        kmeansBatchSize: 256,
        kmeansIterations: 8,
        sweepSizes: 1,
        embeddingDim: 4,
        hiddenChannels: 8,
        batchSize: 2,
        extrapolationFrames: 3,
        ...FEW_STEPS,
      },
      data: DIGITS,
    },
    titles: ['Patch dictionary', 'Channels that respond most to this clip'],
    responding: 1,
    tiles: 2,
  },
  {
    spec: {
      model: 'convlstm',
      preset: 'tiny',
      backend: 'cpu',
      seed: 3,
      config: {
        frameSize: 32,
        channels: '8-8',
        inputFrames: 3,
        futureFrames: 2,
        batchSize: 2,
        ...FEW_STEPS,
      },
      data: DIGITS,
    },
    titles: ['Input kernels', 'Channels that respond most to this clip'],
    responding: 1,
    tiles: 3,
  },
];

const runs: FakeRun[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(async () => {
  for (const run of runs.splice(0)) await run.send({ type: 'dispose' });
});

async function ready(spec: RunSpec = LSTM): Promise<FakeRun> {
  const run = new FakeRun();
  runs.push(run);
  expect(await run.send({ type: 'init', ...launchOf(spec) })).toMatchObject({ ok: true });
  return run;
}

describe('feature-views command', () => {
  it.each(KINDS.map((kind) => [kind.spec.model, kind] as const))(
    '%s: sends the weight tiles and the units answering the chosen clip, leaking nothing',
    async (_, { spec, titles, responding, tiles }) => {
      const run = await ready(spec);
      await run.train(2);
      const tensors = tf.memory().numTensors;
      expect(await run.send({ type: 'feature-views', clip: 1 })).toMatchObject({ ok: true });
      expect(await run.send({ type: 'feature-views', clip: 4 })).toMatchObject({ ok: true });
      expect(tf.memory().numTensors).toBe(tensors);
      const [first, second] = run.of('feature-views');
      expect([first.step, first.clip, second.clip]).toEqual([2, 1, 4]);
      expect(first.views.map((v) => v.title)).toEqual(titles);
      // The weights are the same whichever clip; which units respond most depends on the clip.
      expect(second.views[0].panels[0].frames).toEqual(first.views[0].panels[0].frames);
      const activations = (event: typeof first) =>
        event.views[responding].charts?.[0].series.map((s) => s.points.map(([, h]) => h));
      expect(activations(first)?.length).toBeGreaterThan(0);
      expect(activations(second)).not.toEqual(activations(first));
      for (const view of first.views) {
        expect(view.group).toBe('features');
        for (const panel of view.panels) {
          expect(panel.frames.length).toBe(panel.t * panel.height * panel.width * panel.channels);
          expect(panel.frames.every((v) => v >= 0 && v <= 1)).toBe(true);
        }
      }
      expect(transferablesOf(first)).toHaveLength(tiles);
      // The run trains on afterwards.
      await run.train(1);
    },
  );

  it('refuses a clip that is not a held-out index, naming it', async () => {
    const run = await ready();
    for (const clip of [-1, 6, 1.5, '0' as unknown as number]) {
      const reply = await run.send({ type: 'feature-views', clip });
      expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-config' } });
      expect(reply.ok ? '' : reply.error.message).toMatch(
        /clip must be the index of a held-out clip, 0 to 5/,
      );
    }
    expect(run.of('feature-views')).toHaveLength(0);
    expect(run.lastStatus()).toBe('ready');
  });
});
