/**
 * Speed and memory measurements that the `npm run bench` command prints. Pure tfjs + core code,
 * so the same numbers can be taken in a browser worker or in Node.
 */
import * as tf from '@tensorflow/tfjs';
import type { MnistDigits } from '../data/mnist';
import { benchmarkGenerator } from '../data/moving-mnist';
import { DEFAULT_DATA_SEED, MovingMnistStream, movingMnistOptionsFor } from '../data/video-stream';
import { catalogEntry } from '../models/catalog';
import { createModel } from '../models/factory';
import { fitKmeans } from '../models/rcnn/kmeans';
import { Trainer } from './trainer';
import type { GpuWork } from './trainer';

export interface ModelBenchRow {
  model: string;
  variant: string;
  preset: string;
  backend: string;
  batchSize: number;
  parameters: number;
  steps: number;
  msPerStepMedian: number;
  msPerStepMin: number;
  msPerStepMax: number;
  stepsPerSecond: number;
  examplesPerSecond: number;
  peakTensorBytes: number;
  gpuPoolBytes: number | null;
  note?: string;
}

export interface BenchOptions {
  warmupSteps: number;
  steps: number;
  /**
   * Time budget for one cell: warm-up stops after a third of it (after at least one step) and
   * timing stops once it is spent (after at least two steps), so slow cells (big presets on a
   * software GPU) report from fewer steps instead of running for an hour.
   */
  maxSeconds: number;
  gpu?: GpuWork;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Times `steps` training steps after `warmupSteps`, on the backend that is active now. */
export async function benchmarkModel(
  kind: string,
  variant: string,
  preset: string,
  digits: MnistDigits,
  options: BenchOptions,
): Promise<ModelBenchRow> {
  const entry = catalogEntry(kind);
  const config = entry.resolveConfig(variant, preset);
  const model = createModel(entry.kind, config, 0);
  const stream = new MovingMnistStream(
    digits,
    movingMnistOptionsFor({ source: 'moving-mnist' }, model.data),
    model.data,
    DEFAULT_DATA_SEED,
  );
  const trainer = new Trainer(model, stream, options.gpu);
  try {
    // Models that build something before training (the rCNN's dictionary) do so untimed.
    const prepare = model.prepare?.bind(model);
    if (prepare) {
      const signal = new AbortController().signal;
      const run = () => prepare(stream, () => {}, signal);
      await (options.gpu ? options.gpu.run(run) : run());
    }
    let peakTensorBytes = 0;
    const budgetMs = options.maxSeconds * 1000;
    const started = performance.now();
    for (let i = 0; i < Math.max(1, options.warmupSteps); i++) {
      await trainer.trainStep();
      if (performance.now() - started > budgetMs / 3) break;
    }
    const times: number[] = [];
    for (let i = 0; i < options.steps; i++) {
      times.push((await trainer.trainStep()).ms);
      peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
      if (times.length >= 2 && performance.now() - started > budgetMs) break;
    }
    const msPerStepMedian = median(times);
    const pool = (tf.memory() as unknown as Record<string, unknown>).numBytesAllocatedInGPU;
    return {
      model: kind,
      variant,
      preset,
      backend: tf.getBackend(),
      batchSize: model.data.batchSize,
      parameters: model.parameterCount(),
      steps: times.length,
      msPerStepMedian,
      msPerStepMin: Math.min(...times),
      msPerStepMax: Math.max(...times),
      stepsPerSecond: 1000 / msPerStepMedian,
      examplesPerSecond: (1000 / msPerStepMedian) * model.data.batchSize,
      peakTensorBytes,
      gpuPoolBytes: typeof pool === 'number' ? pool : null,
      ...(times.length < options.steps
        ? {
            note: `${times.length} of ${options.steps} steps fit the ${options.maxSeconds} s budget`,
          }
        : {}),
    };
  } finally {
    model.dispose();
  }
}

export interface GeneratorBenchRow {
  name: string;
  sequencesPerSecond: number;
}

export function benchmarkMovingMnist(digits: MnistDigits, seconds = 1): GeneratorBenchRow {
  return {
    name: 'Moving MNIST 64×64, 2 digits, 20 frames',
    sequencesPerSecond: benchmarkGenerator(digits.train, seconds),
  };
}

export interface KmeansBenchRow {
  preset: string;
  backend: string;
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
  preset: string,
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
    preset,
    backend: tf.getBackend(),
    dictionarySize,
    batchSize,
    patchDims: dims,
    iterations: timed,
    iterationsPerSecond: (1000 * timed) / ms,
    msPerIteration: ms / timed,
  };
}
