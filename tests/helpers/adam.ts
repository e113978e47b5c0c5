/** Adam as the models compose it from tfjs ops, and the cases its fused kernels are checked on. */
import * as tf from '@tensorflow/tfjs';
import type { AdamSettings } from '../../src/core/gpu/kernels/adam';
import { size, values } from './arrays';

/** Adam composed from tfjs ops, both forms: [m′, v′, w′]. */
export function composedAdam(
  w: tf.Tensor,
  raw: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  s: AdamSettings,
): tf.Tensor[] {
  let g = s.gradientScale ? raw.mul(s.gradientScale) : raw;
  if (s.maskNonFinite) g = tf.where(tf.isFinite(g), g, tf.zerosLike(g));
  if (s.decay) g = g.add(w.mul(s.decay));
  const mNext = m.mul(s.beta1).add(g.mul(1 - s.beta1));
  const vNext = v.mul(s.beta2).add(g.square().mul(1 - s.beta2));
  let update = mNext
    .div(
      vNext
        .mul(s.vScale ?? 1)
        .sqrt()
        .add(s.epsilon),
    )
    .mul(s.stepSize);
  if (s.clip) update = tf.clipByValue(update, -s.clip, s.clip);
  return [mNext, vNext, w.sub(update)];
}

export const TORCH_ADAM: AdamSettings = { beta1: 0.5, beta2: 0.999, epsilon: 1e-8, stepSize: 2e-4 };
export const KINGMA_ADAM: AdamSettings = {
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  stepSize: 1e-3 / (1 - 0.9 ** 3),
  vScale: 1 / (1 - 0.999 ** 3),
  decay: 1e-4,
  clip: 5e-4,
  maskNonFinite: true,
};

export const ADAM_CASES = [
  { name: 'Torch’s form (VGAN)', settings: TORCH_ADAM, shape: [4, 4, 4, 3, 5], scaled: false },
  {
    name: 'with a gradient scale (rCNN’s norm clip)',
    settings: TORCH_ADAM,
    shape: [33, 7],
    scaled: true,
  },
  {
    name: 'bias-corrected, decay, update clip, NaN/Inf masked (LSTM)',
    settings: KINGMA_ADAM,
    shape: [257],
    scaled: false,
  },
];

/** One case's w, gradient (with NaN and Inf where it masks them), m, v and full settings. */
export function adamInputs(shape: number[], settings: AdamSettings, scaled: boolean) {
  const input = (seed: number) => tf.tensor(values(size(shape), seed), shape);
  const w = input(1);
  const raw = input(2).mul(3);
  const g = settings.maskNonFinite
    ? raw.add(
        tf
          .tensor1d(
            Array.from({ length: size(shape) }, (_, i) =>
              i % 11 === 0 ? NaN : i % 13 === 0 ? Infinity : 0,
            ),
          )
          .reshape(shape),
      )
    : raw;
  const m = input(3).mul(0.1);
  const v = input(4).abs().mul(0.01);
  const full = { ...settings, ...(scaled ? { gradientScale: tf.scalar(0.37) } : {}) };
  return { w, g, m, v, full };
}
