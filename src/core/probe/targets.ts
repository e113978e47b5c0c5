/**
 * What a probe is scored on (no tfjs): the labelled clips it may train on, drawn by a seeded
 * balanced draw, and its score on held-out clips with the chance level of that score.
 *
 * Tasks (src/core/data/labels.ts):
 *   first-digit     single-label, K-way softmax; score = accuracy (chance 1/K)
 *   digits-present  multi-label, K sigmoids; score = share of each clip's classes found among its
 *                   m most probable classes, m = the number of classes the clip shows (chance m/K)
 *   file-labels     single-label like first-digit, K = the labels given to the files (file-labels.ts)
 */
import type { ClipLabels, ProbeTask } from '../data/labels';
import { SeededRandom } from '../data/random';

/** Labelled clips per class: a count, or every training clip ('all'). */
export type LabelCount = number | 'all';

export function describeLabelCount(count: LabelCount): string {
  return count === 'all' ? 'all' : String(count);
}

/** Labels of single-label clips: classes [N] in 0…k−1. */
export function singleLabels(
  classes: ArrayLike<number>,
  k: number,
  task: ProbeTask = 'first-digit',
): ClipLabels {
  const n = classes.length;
  const targets = new Uint8Array(n * k);
  const copy = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = classes[i];
    if (!(Number.isInteger(c) && c >= 0 && c < k)) {
      throw new Error(`singleLabels: class ${c} of clip ${i} is not in 0…${k - 1}`);
    }
    copy[i] = c;
    targets[i * k + c] = 1;
  }
  return { task, n, k, classes: copy, targets };
}

/** The labels of clips `indices`, in that order. */
export function selectLabels(labels: ClipLabels, indices: ArrayLike<number>): ClipLabels {
  const { k } = labels;
  const n = indices.length;
  const targets = new Uint8Array(n * k);
  const classes = labels.classes ? new Int32Array(n) : null;
  for (let j = 0; j < n; j++) {
    const i = indices[j];
    targets.set(labels.targets.subarray(i * k, (i + 1) * k), j * k);
    if (classes && labels.classes) classes[j] = labels.classes[i];
  }
  return { task: labels.task, n, k, classes, targets };
}

/**
 * Indices (sorted) of the labelled clips a probe trains on: in a seeded random order, a clip is
 * taken while one of its classes has fewer than `perClass` clips — for a single-label task exactly
 * `perClass` clips of each class; for a multi-label task every class shows in at least `perClass`
 * of them. 'all' takes every clip. Throws, naming the class, when a class has too few clips.
 */
export function labelledSubset(labels: ClipLabels, perClass: LabelCount, seed: number): Int32Array {
  const { n, k, targets } = labels;
  if (perClass === 'all') return Int32Array.from({ length: n }, (_, i) => i);
  if (!Number.isInteger(perClass) || perClass < 1) {
    throw new Error(`labelsPerClass must be a positive integer or 'all' (got ${perClass})`);
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  new SeededRandom(seed).shuffle(order);
  const taken = new Array<number>(k).fill(0);
  const chosen: number[] = [];
  for (const i of order) {
    let wanted = false;
    for (let c = 0; c < k; c++) if (targets[i * k + c] && taken[c] < perClass) wanted = true;
    if (!wanted) continue;
    chosen.push(i);
    for (let c = 0; c < k; c++) if (targets[i * k + c]) taken[c]++;
  }
  const short = taken.findIndex((count) => count < perClass);
  if (short >= 0) {
    throw new Error(
      `class ${short} has ${taken[short]} labelled clips, fewer than the ${perClass} per class asked for`,
    );
  }
  return Int32Array.from(chosen.sort((a, b) => a - b));
}

/** Classes a clip shows (1 for a single-label task). */
function presentCount(labels: ClipLabels, i: number): number {
  let m = 0;
  for (let c = 0; c < labels.k; c++) m += labels.targets[i * labels.k + c];
  return m;
}

/**
 * The score of class probabilities [N, K] (row-major) on clips with `labels`: accuracy for a
 * single-label task, the share of each clip's classes among its top-m classes for a multi-label
 * one (the two agree when every clip shows one class).
 */
export function probeScore(probabilities: ArrayLike<number>, labels: ClipLabels): number {
  const { n, k, targets } = labels;
  if (probabilities.length !== n * k) {
    throw new Error(`probeScore: ${probabilities.length} probabilities for ${n} clips of ${k}`);
  }
  if (n === 0) return 0;
  let sum = 0;
  const order = Array.from({ length: k }, (_, c) => c);
  for (let i = 0; i < n; i++) {
    const row = (c: number) => probabilities[i * k + c];
    order.sort((a, b) => row(b) - row(a) || a - b);
    const m = presentCount(labels, i);
    if (m === 0) continue;
    let found = 0;
    for (let r = 0; r < m; r++) found += targets[i * k + order[r]];
    sum += found / m;
  }
  return sum / n;
}

/** The expected score of a uniformly random guess: the mean over clips of m / K. */
export function chanceScore(labels: ClipLabels): number {
  if (labels.n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < labels.n; i++) sum += presentCount(labels, i);
  return sum / labels.n / labels.k;
}
