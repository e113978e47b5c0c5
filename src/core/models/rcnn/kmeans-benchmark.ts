/**
 * The rCNN's own benchmark: mini-batch k-means updates per second for a dictionary preset, on the
 * active backend (the benchmark runs it for the rCNN presets among its cells; see `benchmark` in
 * index.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { fitKmeans } from './kmeans';

export interface KmeansBenchRow {
  dictionarySize: number;
  batchSize: number; // patches per mini-batch update
  patchDims: number;
  iterations: number;
  iterationsPerSecond: number;
  msPerIteration: number;
}

/**
 * Mini-batch k-means updates per second for a dictionary preset of the video language model, on
 * the active backend, from random patches (the number depends only on K, the mini-batch size and
 * the patch size). After one untimed update (shader compilation), updates are timed until
 * `iterations` are done or `maxSeconds` is spent, whichever comes first (at least two).
 */
export async function benchmarkKmeans(
  dictionarySize: number,
  batchSize: number,
  patchSize: number,
  iterations: number,
  maxSeconds: number,
): Promise<KmeansBenchRow> {
  const dims = patchSize * patchSize;
  const points = tf.randomUniform(
    [Math.max(dictionarySize, batchSize) * 2, dims],
    0,
    4,
    'float32',
    7,
  ) as tf.Tensor2D;
  // Marks at the end of each update: the first (compilation) is not timed, nor are the init and
  // the final pass over all points, which are not updates.
  const marks: number[] = [];
  const budget = new AbortController();
  const stop = new Error('k-means benchmark budget spent');
  try {
    await fitKmeans(
      points,
      { k: dictionarySize, init: 'sample', iterations: iterations + 1, batchSize, seed: 0 },
      {
        signal: budget.signal,
        onProgress: (p) => {
          if (p.stage !== 'update') return;
          marks.push(performance.now());
          const timed = marks.length - 1;
          if (timed >= iterations || (timed >= 2 && marks[timed] - marks[0] > maxSeconds * 1000)) {
            budget.abort(stop); // enough updates: skip the final pass
          }
        },
      },
    ).then((result) => result.centroids.dispose());
  } catch (error) {
    if (error !== stop) throw error;
  } finally {
    points.dispose();
  }
  const timed = marks.length - 1;
  const ms = marks[timed] - marks[0];
  return {
    dictionarySize,
    batchSize,
    patchDims: dims,
    iterations: timed,
    iterationsPerSecond: (1000 * timed) / ms,
    msPerIteration: ms / timed,
  };
}
