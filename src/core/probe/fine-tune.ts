/**
 * Full fine-tuning (pure TypeScript + tfjs): the network that computes a model's features
 * (`VideoModel.features`) trains together with a K-way head on a few labelled clips per class —
 * Srivastava et al. fine-tune the LSTM encoder with a softmax on top, Vondrick et al. the
 * discriminator with its last layer replaced by a K-way classifier.
 *
 * The head starts as the frozen linear probe fit to the same labelled clips (linear-probe.ts),
 * then every weight of the model (not its optimiser slots) and the head take `epochs` passes of
 * Adam over those clips in seeded minibatches. The model passed in is changed: give it a copy.
 */
import * as tf from '@tensorflow/tfjs';
import type { VideoModel } from '../models/types';
import { batchesOf } from './clips';
import type { LabelledClips } from './clips';
import {
  DEFAULT_LINEAR_PROBE,
  clipProbabilities,
  disposeProbe,
  fitLinearProbe,
  headLoss,
  stepTargets,
} from './linear-probe';
import type { LinearProbeOptions } from './linear-probe';
import { SeededRandom } from '../data/random';
import { labelledSubset, probeScore, selectLabels } from './targets';
import type { LabelCount } from './targets';

export interface FineTuneOptions {
  epochs: number; // passes over the labelled clips
  batch: number; // clips per step (and per features() call)
  learningRate: number; // Adam on every weight and the head
  linear: LinearProbeOptions; // the head's start (its seed also draws the labelled clips)
}

export const DEFAULT_FINE_TUNE: Readonly<FineTuneOptions> = Object.freeze({
  epochs: 5,
  batch: 10,
  learningRate: 1e-3,
  linear: DEFAULT_LINEAR_PROBE,
});

/** Awaited between steps, e.g. to let a run's training go on (a worker yields to its loop). */
export type Between = () => Promise<void>;

const noPause: Between = () => Promise.resolve();

/** What features are read from: a model, or the clips' own pixels (compare.ts). */
export type FeatureSource = Pick<VideoModel, 'kind' | 'data' | 'features'>;

/** The features [N, S, F] of clips `indices`, computed `batch` clips at a time. */
export async function featuresOf(
  model: FeatureSource,
  clips: LabelledClips,
  indices: ArrayLike<number>,
  batch: number,
  between: Between = noPause,
): Promise<tf.Tensor3D> {
  if (!model.features) throw new Error(`the ${model.kind} model has no features to probe`);
  const parts: tf.Tensor3D[] = [];
  try {
    for (const chunk of batchesOf(indices, batch)) {
      const input = clips.batch(chunk, model.data); // [B, T, H, W, C]
      parts.push(model.features(input)); // [B, S, F]
      input.dispose();
      await between();
    }
    return tf.concat(parts, 0) as tf.Tensor3D; // [N, S, F]
  } finally {
    tf.dispose(parts);
  }
}

/** The model's weights under their checkpoint names (no optimiser slots, no other state). */
export function namedWeights(model: VideoModel): (readonly [string, tf.Variable])[] {
  return model
    .stateVariables()
    .filter(([name]) => !name.startsWith('optimizer.') && !name.startsWith('state.'));
}

/**
 * Fine-tunes `model` (changed in place) with a head on `perClass` labelled clips per class of
 * `train` and returns its score on `test` (targets.ts).
 */
export async function fineTuneScore(
  model: VideoModel,
  train: LabelledClips,
  test: LabelledClips,
  perClass: LabelCount,
  options: FineTuneOptions = DEFAULT_FINE_TUNE,
  between: Between = noPause,
): Promise<number> {
  const { features } = model;
  if (!features) throw new Error(`the ${model.kind} model has no features to probe`);
  const chosen = labelledSubset(train.labels, perClass, options.linear.seed);
  const labels = selectLabels(train.labels, chosen);
  const multiLabel = labels.classes === null;

  const frozen = await featuresOf(model, train, chosen, options.batch, between); // [N, S, F]
  const start = fitLinearProbe(frozen, labels, options.linear);
  frozen.dispose();
  const weights = tf.variable(start.weights); // [F, K]
  const bias = tf.variable(start.bias); // [K]
  const { mean, scale } = start; // [F] each: the standardisation stays that of the start
  const optimiser = tf.train.adam(options.learningRate);
  const trained = [...namedWeights(model).map(([, variable]) => variable), weights, bias];
  const head = (videos: tf.Tensor5D): tf.Tensor2D => {
    const f = features.call(model, videos); // [B, S, F]
    const [b, s, width] = f.shape;
    const x = (f.reshape([b * s, width]) as tf.Tensor2D).sub(mean).mul(scale); // [B·S, F]
    return x.matMul(weights).add(bias) as tf.Tensor2D; // [B·S, K]
  };
  try {
    const rng = new SeededRandom(options.linear.seed);
    const order = Uint32Array.from(chosen);
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      rng.shuffle(order);
      for (const chunk of batchesOf(order, options.batch)) {
        const videos = train.batch(chunk, model.data); // [B, T, H, W, C]
        const targets = selectLabels(train.labels, chunk);
        optimiser.minimize(
          () => {
            const logits = head(videos); // [B·S, K]
            const y = stepTargets(targets, logits.shape[0] / chunk.length); // [B·S, K]
            return headLoss(multiLabel, y, logits);
          },
          false,
          trained,
        );
        videos.dispose();
        await between();
      }
    }

    const all = Int32Array.from({ length: test.labels.n }, (_, i) => i);
    const probabilities = new Float32Array(test.labels.n * test.labels.k);
    let at = 0;
    for (const chunk of batchesOf(all, options.batch)) {
      const videos = test.batch(chunk, model.data);
      const p = tf.tidy(() => {
        const logits = head(videos); // [B·S, K]
        return clipProbabilities(multiLabel, logits, chunk.length, logits.shape[0] / chunk.length);
      }); // [B, K]
      probabilities.set(await p.data(), at);
      at += p.size;
      tf.dispose([videos, p]);
      await between();
    }
    return probeScore(probabilities, test.labels);
  } finally {
    disposeProbe(start);
    tf.dispose([weights, bias]);
    optimiser.dispose();
  }
}
