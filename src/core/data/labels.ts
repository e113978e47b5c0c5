/**
 * Class labels of Moving MNIST clips, for probing what a model learned (no tfjs). The generator
 * records which digit image went into each clip (`MovingMnistLayout.digitIndices`); the MNIST
 * label file gives each image's class. Nothing here changes the generator's bytes.
 */
import type { MnistLabels } from './mnist';
import type { MovingMnistLayout } from './moving-mnist';

export const DIGIT_CLASSES = 10;

/**
 * first-digit: the class of the clip's first digit (one of 10, single-label);
 * digits-present: which classes appear in the clip (multi-label, 10 binary targets).
 */
export type LabelTask = 'first-digit' | 'digits-present';

/** What a probe classifies: a Moving MNIST task, or the labels the user gave a dataset's files. */
export type ProbeTask = LabelTask | 'file-labels';

/** Labels of N clips: `classes` is [N] for single-label tasks, `targets` [N, K] 0/1 for both. */
export interface ClipLabels {
  task: ProbeTask;
  n: number;
  k: number; // number of classes
  classes: Int32Array | null; // [N] class index (single-label tasks only)
  targets: Uint8Array; // [N, K] 1 where the class is present
}

/** The labels of the clips a `nextBatchWithLayout` call produced, with `digits` digits per clip. */
export function movingMnistLabels(
  layout: MovingMnistLayout,
  digits: number,
  labels: MnistLabels,
  task: LabelTask,
): ClipLabels {
  const total = layout.digitIndices.length;
  if (!(digits >= 1) || total % digits !== 0) {
    throw new Error(
      `movingMnistLabels: ${total} digit indices do not split into clips of ${digits}`,
    );
  }
  const n = total / digits;
  const k = DIGIT_CLASSES;
  const targets = new Uint8Array(n * k);
  const classes = task === 'first-digit' ? new Int32Array(n) : null;
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < digits; d++) {
      const image = layout.digitIndices[i * digits + d];
      if (!(image >= 0 && image < labels.count)) {
        throw new Error(
          `movingMnistLabels: digit image ${image} has no label (${labels.count} labels)`,
        );
      }
      const label = labels.labels[image];
      if (label >= k) throw new Error(`movingMnistLabels: label ${label} is not a digit class`);
      if (classes) {
        if (d === 0) {
          classes[i] = label;
          targets[i * k + label] = 1;
        }
      } else {
        targets[i * k + label] = 1;
      }
    }
  }
  return { task, n, k, classes, targets };
}
