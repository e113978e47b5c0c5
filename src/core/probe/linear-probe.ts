/**
 * A frozen linear probe on a model's features (pure TypeScript + tfjs): a softmax classifier fit
 * to features [N, S, F] (S feature vectors per clip, e.g. one per time step), whose class
 * probabilities are averaged over the S vectors to classify a clip — Srivastava et al.'s softmax
 * on the LSTM encoder with predictions averaged over time; S = 1 for a single feature vector.
 * Training uses few labelled clips per class, chosen by a seeded balanced draw.
 */
import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '../data/random';

export interface LinearProbeOptions {
  steps: number; // full-batch Adam steps
  learningRate: number;
  weightDecay: number; // L2 penalty on the weights (not the bias)
  seed: number; // initial weights
}

export const DEFAULT_LINEAR_PROBE: Readonly<LinearProbeOptions> = Object.freeze({
  steps: 200,
  learningRate: 0.05,
  weightDecay: 1e-3,
  seed: 1,
});

/** A fitted probe: features are standardised with the training set's mean and spread. */
export interface LinearProbe {
  mean: tf.Tensor1D; // [F]
  scale: tf.Tensor1D; // [F] 1 / standard deviation
  weights: tf.Tensor2D; // [F, K]
  bias: tf.Tensor1D; // [K]
}

/**
 * Indices of `perClass` clips of each of the `k` classes, drawn in a seeded random order, sorted.
 * Throws when a class has fewer clips than asked for.
 */
export function balancedSubset(
  classes: ArrayLike<number>,
  k: number,
  perClass: number,
  seed: number,
): Int32Array {
  if (!Number.isInteger(perClass) || perClass < 1) {
    throw new Error(`labelsPerClass must be a positive integer (got ${perClass})`);
  }
  const order = new Uint32Array(classes.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  new SeededRandom(seed).shuffle(order);
  const taken = new Array<number>(k).fill(0);
  const chosen: number[] = [];
  for (const i of order) {
    const c = classes[i];
    if (taken[c] < perClass) {
      taken[c]++;
      chosen.push(i);
    }
  }
  const short = taken.findIndex((count) => count < perClass);
  if (short >= 0) {
    throw new Error(
      `class ${short} has ${taken[short]} labelled clips, fewer than the ${perClass} per class asked for`,
    );
  }
  return Int32Array.from(chosen.sort((a, b) => a - b));
}

/** Fits a probe on features [N, S, F] with classes [N] in 0…k−1 (every step gets its clip's class). */
export function fitLinearProbe(
  features: tf.Tensor3D,
  classes: ArrayLike<number>,
  k: number,
  options: LinearProbeOptions = DEFAULT_LINEAR_PROBE,
): LinearProbe {
  const [n, s, f] = features.shape;
  if (classes.length !== n) {
    throw new Error(`fitLinearProbe: ${classes.length} labels for ${n} clips`);
  }
  const { mean, scale, x, y } = tf.tidy(() => {
    const flat = features.reshape([n * s, f]) as tf.Tensor2D; // [N·S, F]
    const moments = tf.moments(flat, 0);
    const mean = moments.mean as tf.Tensor1D; // [F]
    const scale = tf.div(1, tf.sqrt(moments.variance).add(1e-6)) as tf.Tensor1D; // [F]
    const x = flat.sub(mean).mul(scale) as tf.Tensor2D; // [N·S, F]
    const perStep = new Int32Array(n * s);
    for (let i = 0; i < n; i++) perStep.fill(classes[i], i * s, (i + 1) * s);
    const y = tf.oneHot(tf.tensor1d(perStep, 'int32'), k).toFloat() as tf.Tensor2D; // [N·S, K]
    return { mean, scale, x, y };
  });
  const rng = new SeededRandom(options.seed);
  const init = new Float32Array(f * k);
  for (let i = 0; i < init.length; i++) init[i] = (rng.next() - 0.5) * 0.02;
  const weights = tf.variable(tf.tensor2d(init, [f, k])); // [F, K]
  const bias = tf.variable(tf.zeros([k]) as tf.Tensor1D); // [K]
  const optimiser = tf.train.adam(options.learningRate);
  try {
    for (let step = 0; step < options.steps; step++) {
      optimiser.minimize(() => {
        const logits = x.matMul(weights).add(bias); // [N·S, K]
        const loss = tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
        return loss.add(tf.sum(tf.square(weights)).mul(options.weightDecay)) as tf.Scalar;
      });
    }
    return {
      mean,
      scale,
      weights: weights.clone() as tf.Tensor2D,
      bias: bias.clone() as tf.Tensor1D,
    };
  } finally {
    tf.dispose([x, y, weights, bias]);
    optimiser.dispose();
  }
}

/** Class probabilities of clips [N, K]: softmax per feature vector, averaged over the S vectors. */
export function probeProbabilities(probe: LinearProbe, features: tf.Tensor3D): tf.Tensor2D {
  const [n, s, f] = features.shape;
  return tf.tidy(() => {
    const x = (features.reshape([n * s, f]) as tf.Tensor2D).sub(probe.mean).mul(probe.scale); // [N·S, F]
    const p = tf.softmax(x.matMul(probe.weights).add(probe.bias)); // [N·S, K]
    return p.reshape([n, s, -1]).mean(1) as tf.Tensor2D; // [N, K]
  });
}

/** Share of clips whose most probable class is their label. */
export async function probeAccuracy(
  probe: LinearProbe,
  features: tf.Tensor3D,
  classes: ArrayLike<number>,
): Promise<number> {
  const predicted = tf.tidy(() => probeProbabilities(probe, features).argMax(1)); // [N]
  const values = await predicted.data();
  predicted.dispose();
  let right = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === classes[i]) right++;
  return right / values.length;
}

export function disposeProbe(probe: LinearProbe): void {
  tf.dispose([probe.mean, probe.scale, probe.weights, probe.bias]);
}

/** Gathers clips `indices` of features [N, S, F] and their classes. */
export function selectClips(
  features: tf.Tensor3D,
  classes: ArrayLike<number>,
  indices: Int32Array,
): { features: tf.Tensor3D; classes: Int32Array } {
  return {
    features: tf.gather(features, tf.tensor1d(indices, 'int32')) as tf.Tensor3D,
    classes: Int32Array.from(indices, (i) => classes[i]),
  };
}

/**
 * Accuracy on the test clips of a probe fit to `perClass` labelled training clips per class
 * (a seeded balanced draw from the training clips).
 */
export async function linearProbeAccuracy(
  train: { features: tf.Tensor3D; classes: ArrayLike<number> },
  test: { features: tf.Tensor3D; classes: ArrayLike<number> },
  k: number,
  perClass: number,
  options: LinearProbeOptions = DEFAULT_LINEAR_PROBE,
): Promise<number> {
  const subset = selectClips(
    train.features,
    train.classes,
    balancedSubset(train.classes, k, perClass, options.seed),
  );
  const probe = fitLinearProbe(subset.features, subset.classes, k, options);
  try {
    return await probeAccuracy(probe, test.features, test.classes);
  } finally {
    subset.features.dispose();
    disposeProbe(probe);
  }
}
