/**
 * Fine-tuning and the pretrained-vs-random comparison on the shipped trained examples (CPU, a few
 * clips each): every model's features network learns through its head, random init keeps what
 * training does not learn by gradient, and the comparison reports what it was asked for.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/core/checkpoint/run-checkpoint';
import type { MnistDigits, MnistLabels } from '../src/core/data/mnist';
import { loadMnistFromDisk, loadMnistLabelsFromDisk } from '../src/core/data/mnist-node';
import { movingMnistOptionsFor } from '../src/core/data/video-stream';
import { modelDefinition } from '../src/core/models/registry';
import type { ModelState } from '../src/core/models/types';
import { drawLabelledClips } from '../src/core/probe/clips';
import type { LabelledClips, LabelledDigits } from '../src/core/probe/clips';
import {
  DEFAULT_PROBE_SETTINGS,
  compareWithRandomInit,
  modelFactory,
} from '../src/core/probe/compare';
import type { ModelFactory } from '../src/core/probe/compare';
import { DEFAULT_FINE_TUNE, fineTuneScore, namedWeights } from '../src/core/probe/fine-tune';
import { DEFAULT_LINEAR_PROBE, linearProbeScore } from '../src/core/probe/linear-probe';
import type { LabelCount } from '../src/core/probe/targets';

let train: LabelledDigits;
let test: LabelledDigits;
beforeAll(async () => {
  await tf.setBackend('cpu');
  const [images, labels]: [MnistDigits, { train: MnistLabels; test: MnistLabels }] =
    await Promise.all([loadMnistFromDisk(), loadMnistLabelsFromDisk()]);
  train = { images: images.train, labels: labels.train };
  test = { images: images.test, labels: labels.test };
});

async function shipped(file: string) {
  const checkpoint = decodeCheckpoint(
    new Uint8Array(await readFile(`public/checkpoints/${file}.safetensors`)),
  );
  const { model: kind, variant, preset, config, seed, data } = checkpoint.run;
  const resolved = modelDefinition(kind).restore(variant, preset, config);
  const build = await resolved.builder();
  if (data.source !== 'moving-mnist') throw new Error('the examples train on Moving MNIST');
  const options = movingMnistOptionsFor({ ...data, digits: 1 }, resolved.dataRequirements());
  return { build, seed, state: checkpoint.model, options };
}

async function weightValues(make: ModelFactory, pretrained: boolean) {
  const model = make(pretrained);
  try {
    const out: Record<string, Float32Array> = {};
    for (const [name, variable] of namedWeights(model)) {
      out[name] = (await variable.data()) as Float32Array;
    }
    return out;
  } finally {
    model.dispose();
  }
}

describe.each(['lstm-composite-tiny', 'vgan-two-stream-tiny', 'rcnn-tiny'])(
  'fine-tuning %s',
  (file) => {
    it('trains the features network with the head and leaves no tensor behind', async () => {
      const { build, seed, state, options } = await shipped(file);
      const make = await modelFactory(build, seed, state);
      const trainClips = drawLabelledClips(train, options, 40, 3, 'first-digit');
      const testClips = drawLabelledClips(test, options, 10, 4, 'first-digit');
      const tensors = tf.memory().numTensors;
      const model = make(true);
      try {
        const before = namedWeights(model).map(
          ([name, v]) => [name, v.dataSync().slice()] as const,
        );
        // One labelled clip per class, one step of ten clips.
        const once = { ...DEFAULT_FINE_TUNE, epochs: 1, batch: 10 };
        const score = await fineTuneScore(model, trainClips, testClips, 1, once);
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(1);
        const after = new Map(namedWeights(model).map(([name, v]) => [name, v.dataSync()]));
        const changed = before.filter(([name, values]) =>
          values.some((x, i) => x !== after.get(name)![i]),
        );
        expect(changed.length).toBeGreaterThan(0);
      } finally {
        model.dispose();
      }
      // The model's own caches go with it; the head, its optimiser and every batch are gone.
      expect(tf.memory().numTensors).toBe(tensors);
    });
  },
);

describe('random initialisation to compare with', () => {
  it("has the weights a fresh model starts with and keeps the rCNN's trained dictionary", async () => {
    const { build, seed, state } = await shipped('rcnn-tiny');
    const make = await modelFactory(build, seed, state);
    const fresh = build(seed);
    const initial: Record<string, Float32Array> = {};
    for (const [name, variable] of namedWeights(fresh)) {
      initial[name] = variable.dataSync() as Float32Array;
    }
    fresh.dispose();
    const random = await weightValues(make, false);
    const pretrained = await weightValues(make, true);
    expect(Object.keys(random).sort()).toEqual(Object.keys(initial).sort());
    for (const name of Object.keys(initial)) {
      expect(random[name]).toEqual(initial[name]);
      expect(pretrained[name]).toEqual(state.tensors[name].data);
    }
    const exported = async (pretrained: boolean): Promise<ModelState> => {
      const model = make(pretrained);
      try {
        return await model.exportState();
      } finally {
        model.dispose();
      }
    };
    const dictionary = 'state.dictionary.0.centroids';
    expect((await exported(false)).tensors[dictionary].data).toEqual(
      state.tensors[dictionary].data,
    );
  });
});

describe('the comparison', () => {
  it('reports pretrained and random scores per label count with the chance level', async () => {
    const { build, seed, state, options } = await shipped('lstm-composite-tiny');
    const make = await modelFactory(build, seed, state);
    const fractions: number[] = [];
    const result = await compareWithRandomInit(
      make,
      train,
      test,
      { ...options, digits: 2 },
      {
        ...DEFAULT_PROBE_SETTINGS,
        mode: 'linear',
        task: 'digits-present',
        labelsPerClass: [1, 'all'],
        trainClips: 30,
        testClips: 10,
        seeds: [1, 2],
        batch: 15,
      },
      { onProgress: (fraction) => fractions.push(fraction) },
    );
    expect(result.labelsPerClass).toEqual([1, 'all']);
    expect(result.pretrained).toHaveLength(2);
    expect(result.random).toHaveLength(2);
    expect(result.meanFrame).toHaveLength(2);
    for (const score of [...result.pretrained, ...result.random, ...result.meanFrame!]) {
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
    }
    // Two digits per clip, sometimes the same class twice: chance is just under 2 / 10.
    expect(result.chance).toBeGreaterThan(0.15);
    expect(result.chance).toBeLessThanOrEqual(0.2);
    expect(fractions.at(-1)).toBe(1);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
  });

  it("scores a linear probe's reference on each clip's mean frame, as the model reads the clips", async () => {
    const { build, seed, state, options } = await shipped('vgan-two-stream-tiny');
    const make = await modelFactory(build, seed, state);
    const settings = {
      ...DEFAULT_PROBE_SETTINGS,
      mode: 'linear' as const,
      task: 'first-digit' as const,
      labelsPerClass: [1, 'all'] as LabelCount[],
      trainClips: 40,
      testClips: 20,
      seeds: [3],
      batch: 20,
    };
    const result = await compareWithRandomInit(make, train, test, options, settings);

    // The same probe by hand: the clips (the data seed's draws) in the VGAN's range, averaged over time.
    const model = make(true);
    const meanFrames = (clips: LabelledClips) =>
      tf.tidy(() => {
        const videos = clips.batch(
          Int32Array.from({ length: clips.labels.n }, (_, i) => i),
          model.data,
        ); // [N, T, H, W, C]
        const [n, t] = videos.shape;
        return videos.reshape([n, t, -1]).mean(1, true) as tf.Tensor3D; // [N, 1, H·W·C]
      });
    const trainClips = drawLabelledClips(train, options, 40, settings.dataSeed, 'first-digit');
    const testClips = drawLabelledClips(test, options, 20, settings.dataSeed + 1, 'first-digit');
    const trainSet = { features: meanFrames(trainClips), labels: trainClips.labels };
    const testSet = { features: meanFrames(testClips), labels: testClips.labels };
    expect(trainSet.features.shape).toEqual([40, 1, 32 * 32]);
    const byHand = [];
    for (const perClass of settings.labelsPerClass) {
      byHand.push(
        await linearProbeScore(trainSet, testSet, perClass, { ...DEFAULT_LINEAR_PROBE, seed: 3 }),
      );
    }
    tf.dispose([trainSet.features, testSet.features]);
    model.dispose();
    expect(result.meanFrame).toEqual(byHand);
    // A fine-tuned comparison has no mean-frame reference (nothing of the frames is fine-tuned).
    const tuned = await compareWithRandomInit(make, train, test, options, {
      ...settings,
      mode: 'fine-tune',
      labelsPerClass: [1],
      epochs: 1,
    });
    expect(tuned.meanFrame).toBeUndefined();
  });
});
