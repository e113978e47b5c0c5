/**
 * The papers' comparison for one trained model: a frozen linear probe on its features against the
 * same network from random initialisation, at several numbers of labelled clips per class, on
 * Moving MNIST first-digit classification (pure TypeScript + tfjs).
 */
import * as tf from '@tensorflow/tfjs';
import { DIGIT_CLASSES, movingMnistLabels } from '../data/labels';
import type { MnistImages, MnistLabels } from '../data/mnist';
import { MovingMnistGenerator } from '../data/moving-mnist';
import type { MovingMnistOptions } from '../data/types';
import { bytesToTensor } from '../data/video-stream';
import type { VideoModel } from '../models/types';
import { DEFAULT_LINEAR_PROBE, linearProbeAccuracy } from './linear-probe';

export interface LabelledDigits {
  images: MnistImages;
  labels: MnistLabels;
}

export interface ProbeComparisonOptions {
  labelsPerClass: number[]; // e.g. [1, 5, 10, 50]
  trainClips: number; // clips to draw the labelled ones from (train digits)
  testClips: number; // clips scored (test digits)
  dataSeed: number;
  probeSeeds: number[]; // one balanced draw and probe initialisation per seed; accuracies averaged
  batch: number; // clips per features() call
}

export interface ProbeComparison {
  labelsPerClass: number[];
  pretrained: number[]; // mean test accuracy per labelsPerClass entry
  random: number[];
  chance: number;
}

function labelledFeatures(
  model: VideoModel,
  digits: LabelledDigits,
  options: MovingMnistOptions,
  n: number,
  seed: number,
  batch: number,
): { features: tf.Tensor3D; classes: Int32Array } {
  if (!model.features) throw new Error(`the ${model.kind} model has no features to probe`);
  const generator = new MovingMnistGenerator(digits.images, options, seed);
  const parts: tf.Tensor3D[] = [];
  const classes: number[] = [];
  for (let done = 0; done < n; done += batch) {
    const { videos, layout } = generator.nextBatchWithLayout(Math.min(batch, n - done));
    const labels = movingMnistLabels(layout, options.digits, digits.labels, 'first-digit');
    classes.push(...(labels.classes as Int32Array));
    const input = bytesToTensor(videos, model.data); // [B, T, H, W, C]
    parts.push(model.features(input)); // [B, S, F]
    input.dispose();
  }
  const features = tf.concat(parts, 0) as tf.Tensor3D; // [N, S, F]
  tf.dispose(parts);
  return { features, classes: Int32Array.from(classes) };
}

/** Mean probe accuracies of `pretrained` and `random` (same config) on the same clips. */
export async function compareWithRandomInit(
  pretrained: VideoModel,
  random: VideoModel,
  train: LabelledDigits,
  test: LabelledDigits,
  data: MovingMnistOptions,
  options: ProbeComparisonOptions,
): Promise<ProbeComparison> {
  const result: ProbeComparison = {
    labelsPerClass: options.labelsPerClass,
    pretrained: [],
    random: [],
    chance: 1 / DIGIT_CLASSES,
  };
  for (const [model, out] of [
    [pretrained, result.pretrained],
    [random, result.random],
  ] as const) {
    const trainSet = labelledFeatures(
      model,
      train,
      data,
      options.trainClips,
      options.dataSeed,
      options.batch,
    );
    const testSet = labelledFeatures(
      model,
      test,
      data,
      options.testClips,
      options.dataSeed + 1,
      options.batch,
    );
    try {
      for (const perClass of options.labelsPerClass) {
        let sum = 0;
        for (const seed of options.probeSeeds) {
          const probe = { ...DEFAULT_LINEAR_PROBE, seed };
          sum += await linearProbeAccuracy(trainSet, testSet, DIGIT_CLASSES, perClass, probe);
        }
        out.push(sum / options.probeSeeds.length);
      }
    } finally {
      tf.dispose([trainSet.features, testSet.features]);
    }
  }
  return result;
}
