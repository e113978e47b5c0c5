/**
 * Generating codes with the rCNN of Ranzato et al. 2014 (the network is network.ts; the tasks are
 * described in model.ts): codes drawn from softmax(logits / τ), the recurrent state after given
 * frames, rollouts that feed each generated frame back, and the best-of-N filling between
 * frames 1 and 5.
 *
 * Shapes: B sequences, F frames, G grid side, L = B·G·G locations, C channels, K dictionary
 * entries; codes are time-major.
 */
import * as tf from '@tensorflow/tfjs';
import type { SeededRandom } from '../../data/random';
import type { RecurrentConvNet } from './network';

/** Filling: frames 1 and 5 are given, frames 2–4 predicted. */
export const FILL_GIVEN_LAST = 5;
export const FILL_FRAMES = 3;

/**
 * Codes drawn from softmax(logits / τ), [L, K] → [L] int32: argmax when τ = 0, else the first
 * code whose cumulative probability exceeds u·total, with u [L] uniforms in [0, 1).
 */
export function drawCodes(
  logits: tf.Tensor2D,
  temperature: number,
  uniforms: Float32Array,
): tf.Tensor1D {
  return tf.tidy(() => {
    if (temperature === 0) return tf.argMax(logits, 1) as tf.Tensor1D;
    const [l, k] = logits.shape;
    const cdf = tf.cumsum(tf.softmax(logits.div(temperature)), 1); // [L, K]
    const target = tf.tensor2d(uniforms, [l, 1]).mul(cdf.slice([0, k - 1], [l, 1])); // [L, 1]
    return tf
      .cast(tf.less(cdf, target), 'int32')
      .sum(1)
      .minimum(tf.scalar(k - 1, 'int32')) as tf.Tensor1D;
  });
}

/** Entropy in nats of softmax(logits) per row: [L, K] → [L]. */
export function entropyOf(logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const logZ = tf.logSumExp(logits, 1, true); // [L, 1]
    const logP = logits.sub(logZ);
    return tf.exp(logP).mul(logP).sum(1).neg() as tf.Tensor1D;
  });
}

function uniforms(rng: SeededRandom, count: number): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = rng.next();
  return values;
}

/** State after reading frames of codes (time-major [F, B, G, G]) from a zero state: [L, C]. */
export function readFrames(net: RecurrentConvNet, codes: tf.Tensor4D): tf.Tensor2D {
  const [f, b, g] = codes.shape;
  const drives = tf.unstack(
    net.inputDrive(codes.reshape([f * b, g, g]) as tf.Tensor3D).reshape([f, b * g * g, -1]),
  ) as tf.Tensor2D[];
  let state: tf.Tensor2D | null = null;
  for (const drive of drives) state = net.step(drive, state);
  return state as tf.Tensor2D;
}

/**
 * Generates `steps` frames of codes from `state` (after the last given frame), each fed back:
 * returns the codes (steps × [B, G, G]), with `withEntropy` each step's entropy (steps × [L]),
 * and the final state. The state holds L = B·G·G rows, `[batch, g]` = [B, G].
 */
export function rollout(
  net: RecurrentConvNet,
  state: tf.Tensor2D,
  [batch, g]: [number, number],
  steps: number,
  temperature: number,
  rng: SeededRandom,
  withEntropy = false,
): { codes: tf.Tensor3D[]; entropy: tf.Tensor1D[]; state: tf.Tensor2D } {
  const codes: tf.Tensor3D[] = [];
  const entropy: tf.Tensor1D[] = [];
  let h = state;
  for (let s = 0; s < steps; s++) {
    // One tidy per step: the K-wide logits and their softmax never pile up over the steps.
    const next = tf.tidy(() => {
      const logits = net.logits(h); // [L, K]
      const drawn = drawCodes(logits, temperature, uniforms(rng, logits.shape[0]));
      const frame = drawn.reshape([batch, g, g]) as tf.Tensor3D;
      const fed = net.step(net.inputDrive(frame), h);
      return { frame, state: fed, ...(withEntropy ? { entropy: entropyOf(logits) } : {}) };
    });
    if (h !== state) h.dispose();
    codes.push(next.frame);
    if (next.entropy) entropy.push(next.entropy);
    h = next.state;
  }
  return { codes, entropy, state: h };
}

/**
 * Filling from frame 1 and frame 5 of time-major codes [T, B, G, G]: `fillCandidates` rollouts of frames 2–4 from frame 1 (the
 * first at argmax), each scored by the log-likelihood of frame 5's codes after it; the best
 * candidate per sequence is kept. Returns its codes, 3 × [B, G, G].
 */
export function fillCodes(
  net: RecurrentConvNet,
  codes: tf.Tensor4D,
  temperature: number,
  fillCandidates: number,
  rng: SeededRandom,
): tf.Tensor3D[] {
  const [, b, g] = codes.shape;
  const first = codes.slice([0, 0, 0, 0], [1, b, g, g]) as tf.Tensor4D;
  const fifth = codes
    .slice([FILL_GIVEN_LAST - 1, 0, 0, 0], [1, b, g, g])
    .reshape([-1]) as tf.Tensor1D;
  const start = readFrames(net, first);
  const candidates = temperature === 0 ? 1 : fillCandidates;
  // The best candidate so far, [B, 3·G·G] as float (exact for K ≤ 2^24), and its score [B].
  let best: { codes: tf.Tensor2D; score: tf.Tensor1D } | null = null;
  for (let i = 0; i < candidates; i++) {
    const previous = best;
    best = tf.tidy((): { codes: tf.Tensor2D; score: tf.Tensor1D } => {
      const run = rollout(net, start, [b, g], FILL_FRAMES, i === 0 ? 0 : temperature, rng);
      const score = net
        .crossEntropy(run.state, fifth)
        .reshape([b, g * g])
        .sum(1)
        .neg() as tf.Tensor1D; // [B]: log p(frame 5's codes | frame 1, candidate)
      const candidate = tf.stack(run.codes, 1).reshape([b, -1]).toFloat() as tf.Tensor2D;
      if (previous === null) return { codes: candidate, score };
      const better: tf.Tensor2D = tf.greater(score, previous.score).toFloat().reshape([b, 1]);
      return {
        codes: candidate.mul(better).add(previous.codes.mul(tf.sub(1, better))) as tf.Tensor2D,
        score: tf.maximum(score, previous.score) as tf.Tensor1D,
      };
    });
    if (previous) tf.dispose([previous.codes, previous.score]);
  }
  const chosen = (best as { codes: tf.Tensor2D }).codes;
  return tf.unstack(chosen.round().toInt().reshape([b, FILL_FRAMES, g, g]), 1) as tf.Tensor3D[];
}
