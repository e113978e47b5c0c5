/**
 * The VGAN's loss terms: on WebGPU each one a fused kernel that uploads nothing (optimisation
 * webgpu-fused-losses, src/core/gpu/kernels/losses.ts), elsewhere the composed ops of ops.ts.
 * Same values either way, up to float32 rounding.
 */
import type * as tf from '@tensorflow/tfjs';
import {
  fractionAbove,
  fusedLossesReady,
  meanOf,
  scaledBy,
  sigmoidCrossEntropyMean,
} from '../../gpu/kernels/losses';
import { accuracy, sigmoidCrossEntropy } from './ops';

/** D's objective ½[CE(real logits, 1) + CE(fake logits, 0)], each [B]. */
export function discriminatorLoss(real: tf.Tensor1D, fake: tf.Tensor1D): tf.Scalar {
  if (fusedLossesReady()) {
    return sigmoidCrossEntropyMean(real, 1, 0.5).add(sigmoidCrossEntropyMean(fake, 0, 0.5));
  }
  return sigmoidCrossEntropy(real, 1).add(sigmoidCrossEntropy(fake, 0)).mul(0.5) as tf.Scalar;
}

/** Mean sigmoid cross-entropy of logits [B] against a label. */
export function crossEntropy(logits: tf.Tensor1D, label: 0 | 1): tf.Scalar {
  return fusedLossesReady()
    ? sigmoidCrossEntropyMean(logits, label)
    : sigmoidCrossEntropy(logits, label);
}

/** Fraction of logits [B] on the label's side of 0. */
export function accuracyOf(logits: tf.Tensor1D, label: 0 | 1): tf.Scalar {
  return fusedLossesReady() ? fractionAbove(logits, label) : accuracy(logits, label);
}

/** The mean of all elements. */
export function meanValue(x: tf.Tensor): tf.Scalar {
  return fusedLossesReady() ? meanOf(x) : (x.mean() as tf.Scalar);
}

/** weight·x for a scalar loss term and a hyperparameter weight. */
export function weighted(x: tf.Scalar, weight: number): tf.Scalar {
  return fusedLossesReady() ? scaledBy(x, weight) : x.mul(weight);
}
