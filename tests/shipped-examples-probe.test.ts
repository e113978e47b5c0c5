/**
 * The papers' test of what unsupervised training teaches, on the shipped trained examples
 * (public/checkpoints/): a frozen linear probe on each model's features (the LSTM encoder's state
 * with predictions averaged over time, the VGAN discriminator's penultimate layer, the rCNN's
 * recurrent state) classifies the digit of one-digit Moving MNIST clips from 5 and 10 labelled
 * clips per class, against the same network from random initialisation on the same clips and
 * against the same probe on each clip's mean frame, the pixels themselves (fixed seeds, CPU). The
 * numbers are printed; public/checkpoints/README.md quotes them.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/core/checkpoint/run-checkpoint';
import type { MnistDigits, MnistLabels } from '../src/core/data/mnist';
import { loadMnistFromDisk, loadMnistLabelsFromDisk } from '../src/core/data/mnist-node';
import { movingMnistOptionsFor } from '../src/core/data/video-stream';
import { modelDefinition } from '../src/core/models/registry';
import type { LabelledDigits } from '../src/core/probe/clips';
import {
  DEFAULT_PROBE_SETTINGS,
  compareWithRandomInit,
  modelFactory,
} from '../src/core/probe/compare';
import type { ProbeResult, ProbeSettings } from '../src/core/probe/compare';

const SETTINGS: ProbeSettings = {
  ...DEFAULT_PROBE_SETTINGS,
  mode: 'linear',
  task: 'first-digit',
  labelsPerClass: [5, 10],
  trainClips: 200,
  testClips: 200,
  dataSeed: 7,
  seeds: [1, 2],
  batch: 50,
};

let train: LabelledDigits;
let test: LabelledDigits;
beforeAll(async () => {
  await tf.setBackend('cpu');
  const [images, labels]: [MnistDigits, { train: MnistLabels; test: MnistLabels }] =
    await Promise.all([loadMnistFromDisk(), loadMnistLabelsFromDisk()]);
  train = { images: images.train, labels: labels.train };
  test = { images: images.test, labels: labels.test };
});

/** The linear probe of shipped example `file` on one-digit clips of its own data spec. */
async function probeShipped(file: string): Promise<ProbeResult> {
  const checkpoint = decodeCheckpoint(
    new Uint8Array(await readFile(`public/checkpoints/${file}.safetensors`)),
  );
  const { model: kind, variant, preset, config, seed, data } = checkpoint.run;
  if (data.source !== 'moving-mnist') throw new Error('the examples train on Moving MNIST');
  const resolved = modelDefinition(kind).restore(variant, preset, config);
  const make = await modelFactory(await resolved.builder(), seed, checkpoint.model);
  const options = movingMnistOptionsFor({ ...data, digits: 1 }, resolved.dataRequirements());
  const result = await compareWithRandomInit(make, train, test, options, SETTINGS);
  console.log(
    `${file}: pretrained ${result.pretrained.map((s) => s.toFixed(3)).join(', ')}; ` +
      `random init ${result.random.map((s) => s.toFixed(3)).join(', ')}; ` +
      `mean frame ${result.meanFrame!.map((s) => s.toFixed(3)).join(', ')} ` +
      `(5, 10 labels per class; chance ${result.chance})`,
  );
  return result;
}

/**
 * Whether each example's pretrained features beat random init, and the probe on the clips' mean
 * frame: by at least MARGIN at both label counts (the test set's 200 clips leave about ±0.02 of
 * sampling noise on an accuracy near 0.15). What was measured, not what was hoped for: the rCNN's
 * and the LSTM's features beat both; the VGAN's beat random init but not the pixels — its
 * discriminator's penultimate layer, a 4×4 grid, keeps less of the digit than the mean frame does
 * (the numbers are in public/checkpoints/README.md). A retrained example that changes this must
 * change the table and the README with it.
 */
const MARGIN = 0.03;
const BEATS: Record<string, { randomInit: boolean; meanFrame: boolean }> = {
  'rcnn-tiny': { randomInit: true, meanFrame: true },
  'lstm-composite-tiny': { randomInit: true, meanFrame: true },
  'vgan-two-stream-tiny': { randomInit: true, meanFrame: false },
};

describe.each(Object.keys(BEATS))('linear probe of %s', (file) => {
  const { randomInit, meanFrame } = BEATS[file];
  it(
    `${randomInit ? 'beats' : 'does not beat'} random init and ` +
      `${meanFrame ? 'beats' : 'does not beat'} the mean frame at 5 and 10 labels per class`,
    async () => {
      const result = await probeShipped(file);
      expect(result.chance).toBeCloseTo(0.1, 5);
      const meanFrameScores = result.meanFrame ?? [];
      expect(meanFrameScores).toHaveLength(2);
      for (const score of [...result.pretrained, ...result.random, ...meanFrameScores]) {
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(1);
      }
      const gainsOver = (reference: number[]) =>
        result.pretrained.map((score, i) => score - reference[i]);
      const beat = (gains: number[]) => gains.every((gain) => gain >= MARGIN);
      const overRandom = gainsOver(result.random);
      expect(
        beat(overRandom),
        `gains over random init ${overRandom.map((g) => g.toFixed(3))}`,
      ).toBe(randomInit);
      const overFrame = gainsOver(meanFrameScores);
      expect(
        beat(overFrame),
        `gains over the mean frame ${overFrame.map((g) => g.toFixed(3))}`,
      ).toBe(meanFrame);
    },
    // About 2 minutes for the three beside the other test files (the rCNN's is most of it); a
    // loaded machine once stretched the rCNN's to 400 s.
    600_000,
  );
});
