/**
 * A frozen linear probe on a model's features (pure TypeScript + tfjs): a classifier fit to
 * features [N, S, F] (S feature vectors per clip, e.g. one per time step), whose class
 * probabilities are averaged over the S vectors to classify a clip — Srivastava et al.'s softmax
 * on the LSTM encoder with predictions averaged over time; S = 1 for a single feature vector.
 * A single-label task (one class per clip) fits a K-way softmax, a multi-label one K sigmoids.
 * Training uses few labelled clips per class, chosen by a seeded balanced draw (targets.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { ClipLabels } from '../data/labels';
import { SeededRandom } from '../data/random';
import { labelledSubset, probeScore, selectLabels } from './targets';
import type { LabelCount } from './targets';

export interface LinearProbeOptions {
  steps: number; // full-batch Adam steps
  learningRate: number;
  weightDecay: number; // L2 penalty on the weights (not the bias)
  seed: number; // initial weights and the draw of labelled clips
}

export const DEFAULT_LINEAR_PROBE: Readonly<LinearProbeOptions> = Object.freeze({
  steps: 200,
  learningRate: 0.05,
  weightDecay: 1e-3,
  seed: 1,
});

/** A fitted probe: features are standardised with the training set's mean and spread. */
export interface LinearProbe {
  multiLabel: boolean; // sigmoids (true) or a softmax (false)
  mean: tf.Tensor1D; // [F]
  scale: tf.Tensor1D; // [F] 1 / standard deviation
  weights: tf.Tensor2D; // [F, K]
  bias: tf.Tensor1D; // [K]
}

/** Per-step targets [N·S, K] float: every step gets its clip's targets. */
export function stepTargets(labels: ClipLabels, s: number): tf.Tensor2D {
  const { n, k } = labels;
  const perStep = new Float32Array(n * s * k);
  for (let i = 0; i < n; i++) {
    const row = labels.targets.subarray(i * k, (i + 1) * k);
    for (let t = 0; t < s; t++) perStep.set(row, (i * s + t) * k);
  }
  return tf.tensor2d(perStep, [n * s, k]);
}

/** The head's loss on logits [M, K] against targets [M, K]: softmax or sigmoid cross-entropy. */
export function headLoss(
  multiLabel: boolean,
  targets: tf.Tensor2D,
  logits: tf.Tensor2D,
): tf.Scalar {
  return (
    multiLabel
      ? tf.losses.sigmoidCrossEntropy(targets, logits)
      : tf.losses.softmaxCrossEntropy(targets, logits)
  ) as tf.Scalar;
}

/** Class probabilities of logits [N·S, K], averaged over each clip's S vectors → [N, K]. */
export function clipProbabilities(
  multiLabel: boolean,
  logits: tf.Tensor2D,
  n: number,
  s: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    const p = multiLabel ? tf.sigmoid(logits) : tf.softmax(logits); // [N·S, K]
    return p.reshape([n, s, -1]).mean(1) as tf.Tensor2D; // [N, K]
  });
}

/** Small seeded initial weights [F, K]. */
function initialHead(f: number, k: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const init = new Float32Array(f * k);
  for (let i = 0; i < init.length; i++) init[i] = (rng.next() - 0.5) * 0.02;
  return init;
}

/** A probe step's two products with the standardised features x [M, F]. */
export interface ProbeProducts {
  logits(weights: tf.Tensor2D): tf.Tensor2D; // x·W [M, K], W [F, K]
  weightGradient(residual: tf.Tensor2D): tf.Tensor2D; // xᵀ·r [F, K], r [M, K]
}

/** The products by tfjs's matMul, `xT` [F, M] being x transposed. */
export function matMulProducts(x: tf.Tensor2D, xT: tf.Tensor2D): ProbeProducts {
  return {
    logits: (weights) => x.matMul(weights) as tf.Tensor2D,
    weightGradient: (residual) => xT.matMul(residual) as tf.Tensor2D,
  };
}

/**
 * A [R, C] · B [C, K] for few columns K (a probe's classes), four columns at a time with the sums
 * in locals: about 2.4 times the speed of the tfjs CPU backend's blocked matMul on these shapes
 * (a [500, 2048] · [2048, 10] product: 8 against 19–21 ms on this project's 2-core machine).
 */
export function timesFewColumns(
  a: Float32Array,
  rows: number,
  inner: number,
  b: Float32Array,
  k: number,
): Float32Array {
  const out = new Float32Array(rows * k);
  for (let i = 0; i < rows; i++) {
    const row = i * inner;
    for (let c = 0; c < k; c += 4) {
      const n = Math.min(4, k - c);
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < inner; j++) {
        const av = a[row + j];
        const at = j * k + c;
        s0 += av * b[at];
        if (n > 1) s1 += av * b[at + 1];
        if (n > 2) s2 += av * b[at + 2];
        if (n > 3) s3 += av * b[at + 3];
      }
      const o = i * k + c;
      out[o] = s0;
      if (n > 1) out[o + 1] = s1;
      if (n > 2) out[o + 2] = s2;
      if (n > 3) out[o + 3] = s3;
    }
  }
  return out;
}

/**
 * The products in plain loops over x's and xT's values, read once (the CPU backend: its matMul
 * is the probe's slowest part there; on a GPU backend the values would have to be downloaded).
 */
export function loopProducts(x: tf.Tensor2D, xT: tf.Tensor2D): ProbeProducts {
  const [m, f] = x.shape;
  const xValues = x.dataSync() as Float32Array;
  const xTValues = xT.dataSync() as Float32Array;
  return {
    logits: (weights) => {
      const k = weights.shape[1];
      return tf.tensor2d(timesFewColumns(xValues, m, f, weights.dataSync() as Float32Array, k), [
        m,
        k,
      ]);
    },
    weightGradient: (residual) => {
      const k = residual.shape[1];
      return tf.tensor2d(timesFewColumns(xTValues, f, m, residual.dataSync() as Float32Array, k), [
        f,
        k,
      ]);
    },
  };
}

/**
 * The gradients of the probe's loss (`headLoss` + weightDecay · ‖W‖²) for standardised features
 * x [M, F] (through their `products`) and targets `y` [M, K], written out rather than taken by
 * autodiff, which also forms the unused gradient for x and multiplies by a transposed x:
 * the residual p − y over M (softmax) or M·K (sigmoids) is the mean loss's gradient for the logits.
 */
export function probeGradients(
  multiLabel: boolean,
  products: ProbeProducts,
  y: tf.Tensor2D,
  weights: tf.Tensor2D,
  bias: tf.Tensor1D,
  weightDecay: number,
): { weights: tf.Tensor2D; bias: tf.Tensor1D } {
  const [m, k] = y.shape;
  return tf.tidy(() => {
    const logits = products.logits(weights).add(bias) as tf.Tensor2D; // [M, K]
    const p = multiLabel ? tf.sigmoid(logits) : tf.softmax(logits); // [M, K]
    const residual = p.sub(y).div(multiLabel ? m * k : m) as tf.Tensor2D; // [M, K]
    return {
      weights: products.weightGradient(residual).add(weights.mul(2 * weightDecay)) as tf.Tensor2D, // [F, K]
      bias: residual.sum(0) as tf.Tensor1D, // [K]
    };
  });
}

/** Fits a probe on features [N, S, F] with the clips' `labels` (every step gets its clip's). */
export function fitLinearProbe(
  features: tf.Tensor3D,
  labels: ClipLabels,
  options: LinearProbeOptions = DEFAULT_LINEAR_PROBE,
): LinearProbe {
  const [n, s, f] = features.shape;
  const { k } = labels;
  if (labels.n !== n) {
    throw new Error(`fitLinearProbe: ${labels.n} labels for ${n} clips`);
  }
  const multiLabel = labels.classes === null;
  const { mean, scale, x, xT, y } = tf.tidy(() => {
    const flat = features.reshape([n * s, f]) as tf.Tensor2D; // [N·S, F]
    const moments = tf.moments(flat, 0);
    const mean = moments.mean as tf.Tensor1D; // [F]
    const scale = tf.div(1, tf.sqrt(moments.variance).add(1e-6)) as tf.Tensor1D; // [F]
    const x = flat.sub(mean).mul(scale) as tf.Tensor2D; // [N·S, F]
    return { mean, scale, x, xT: x.transpose() as tf.Tensor2D, y: stepTargets(labels, s) }; // y: [N·S, K]
  });
  const start = tf.tensor2d(initialHead(f, k, options.seed), [f, k]); // [F, K]
  const zeros = tf.zeros([k]) as tf.Tensor1D; // [K]
  const weights = tf.variable(start); // [F, K]
  const bias = tf.variable(zeros); // [K]
  tf.dispose([start, zeros]);
  const optimiser = tf.train.adam(options.learningRate);
  const products = tf.getBackend() === 'cpu' ? loopProducts(x, xT) : matMulProducts(x, xT);
  try {
    for (let step = 0; step < options.steps; step++) {
      const grads = probeGradients(multiLabel, products, y, weights, bias, options.weightDecay);
      optimiser.applyGradients([
        { name: weights.name, tensor: grads.weights },
        { name: bias.name, tensor: grads.bias },
      ]);
      tf.dispose([grads.weights, grads.bias]);
    }
    return {
      multiLabel,
      mean,
      scale,
      weights: weights.clone() as tf.Tensor2D,
      bias: bias.clone() as tf.Tensor1D,
    };
  } finally {
    tf.dispose([x, xT, y, weights, bias]);
    optimiser.dispose();
  }
}

/** Class probabilities of clips [N, K], averaged over each clip's S feature vectors. */
export function probeProbabilities(probe: LinearProbe, features: tf.Tensor3D): tf.Tensor2D {
  const [n, s, f] = features.shape;
  return tf.tidy(() => {
    const x = (features.reshape([n * s, f]) as tf.Tensor2D).sub(probe.mean).mul(probe.scale); // [N·S, F]
    const logits = x.matMul(probe.weights).add(probe.bias) as tf.Tensor2D; // [N·S, K]
    return clipProbabilities(probe.multiLabel, logits, n, s);
  });
}

export function disposeProbe(probe: LinearProbe): void {
  tf.dispose([probe.mean, probe.scale, probe.weights, probe.bias]);
}

/** Features [N, S, F] of clips with their labels. */
export interface LabelledFeatures {
  features: tf.Tensor3D;
  labels: ClipLabels;
}

/** Gathers clips `indices` of labelled features. */
export function selectClips(set: LabelledFeatures, indices: Int32Array): LabelledFeatures {
  const index = tf.tensor1d(indices, 'int32');
  const features = tf.gather(set.features, index) as tf.Tensor3D;
  index.dispose();
  return { features, labels: selectLabels(set.labels, indices) };
}

/**
 * The score (targets.ts: accuracy, or digits found for a multi-label task) on the test clips of a
 * probe fit to `perClass` labelled training clips per class (a seeded balanced draw).
 */
export async function linearProbeScore(
  train: LabelledFeatures,
  test: LabelledFeatures,
  perClass: LabelCount,
  options: LinearProbeOptions = DEFAULT_LINEAR_PROBE,
): Promise<number> {
  const subset = selectClips(train, labelledSubset(train.labels, perClass, options.seed));
  const probe = fitLinearProbe(subset.features, subset.labels, options);
  try {
    const probabilities = probeProbabilities(probe, test.features); // [N, K]
    const values = await probabilities.data();
    probabilities.dispose();
    return probeScore(values, test.labels);
  } finally {
    subset.features.dispose();
    disposeProbe(probe);
  }
}
