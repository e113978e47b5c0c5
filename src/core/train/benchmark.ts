/**
 * Speed and memory measurements that the `npm run bench` command prints. Pure tfjs + core code,
 * so the same numbers can be taken in a browser worker or in Node.
 */
import * as tf from '@tensorflow/tfjs';
import type { MnistDigits } from '../data/mnist';
import { DEFAULT_MOVING_MNIST, benchmarkGenerator } from '../data/moving-mnist';
import { DEFAULT_DATA_SEED } from '../data/video-stream';
import type { ResolvedModel } from '../models/kit/definition';
import { modelDefinition } from '../models/registry';
import type { ModelKind } from '../models/registry';
import { assembleRun } from './assemble-run';
import type { AssembledRun, AssemblyOptions } from './assemble-run';
import type { GpuWork } from './trainer';
import { summarize } from './stats';
import { countStepWork } from './step-work';

export interface ModelBenchRow {
  model: string;
  variant: string;
  preset: string;
  backend: string;
  batchSize: number;
  /** Frames of one training example (sequence length). */
  framesPerExample: number;
  parameters: number;
  /** Timed steps (after the warm-up steps). */
  steps: number;
  warmupSteps: number;
  msPerStepMedian: number;
  msPerStepMin: number;
  msPerStepMax: number;
  msPerStepP25: number;
  msPerStepP75: number;
  stepsPerSecond: number;
  examplesPerSecond: number;
  /** Floating-point operations of one step (flops.ts) and what the median step achieved. */
  flopsPerStep: number;
  gflopsPerSecond: number;
  /** Peaks over every step: bytes of live tensors, in GPU buffers, and of the backend's pool. */
  peakTensorBytes: number;
  peakGpuBytes: number | null;
  peakGpuPoolBytes: number | null;
  /** One step's WebGPU dispatches, CPU→GPU uploads and GPU→CPU reads (step-work.ts). */
  dispatchesPerStep: number | null;
  uploadsPerStep: number | null;
  readsPerStep: number | null;
  note?: string;
}

export interface BenchOptions {
  warmupSteps: number;
  steps: number;
  /**
   * Time budget for one cell: warm-up stops after a third of it (after at least one step) and
   * timing stops once it is spent (after at least one step), so slow cells report from fewer steps
   * instead of running for an hour (the plan also skips cells whose estimate exceeds it).
   */
  maxSeconds: number;
  gpu?: GpuWork;
}

/** What tf.memory() reports on this backend: GPU bytes in use and in the pool (null on the CPU). */
export function gpuMemory(): { inUse: number | null; pool: number | null } {
  const memory = tf.memory() as unknown as Record<string, unknown>;
  const number = (value: unknown) => (typeof value === 'number' ? value : null);
  return {
    inUse: number(memory.numBytesInGPU),
    // WebGPU: numBytesAllocatedInGPU; WebGL: numBytesInGPUAllocated.
    pool: number(memory.numBytesAllocatedInGPU ?? memory.numBytesInGPUAllocated),
  };
}

const maxOrNull = (a: number | null, b: number | null) =>
  a === null ? b : b === null ? a : Math.max(a, b);

/**
 * A benchmark cell's run, assembled (assembleRun: prepared, kernels compiled) on the active
 * backend: the resolved model, seed 0, Moving MNIST at its default seed. Its held-out set is
 * dropped at once: no benchmark scores it, and it would count in the memory peaks.
 */
export async function assembleBenchmarkRun(
  resolved: ResolvedModel<ModelKind>,
  digits: MnistDigits,
  options: Pick<AssemblyOptions, 'gpu' | 'onStage'> = {},
): Promise<AssembledRun> {
  const run = {
    model: resolved.kind,
    variant: resolved.variant,
    preset: resolved.preset,
    config: { ...resolved.config },
    data: { source: 'moving-mnist' as const, seed: DEFAULT_DATA_SEED },
    seed: 0,
  };
  const assembled = await assembleRun(run, resolved, { digits }, options);
  assembled.evalSet.dispose();
  return assembled;
}

/** Times `steps` training steps after `warmupSteps`, on the backend that is active now. */
export async function benchmarkModel(
  kind: string,
  variant: string,
  preset: string,
  digits: MnistDigits,
  options: BenchOptions,
): Promise<ModelBenchRow> {
  // The preparation (the rCNN's dictionary) and the kernels' compilation are not timed.
  const resolved = modelDefinition(kind).resolve(variant, preset);
  const { model, trainer } = await assembleBenchmarkRun(resolved, digits, { gpu: options.gpu });
  try {
    let peakTensorBytes = 0;
    let peakGpuBytes: number | null = null;
    let peakGpuPoolBytes: number | null = null;
    const recordMemory = () => {
      const gpu = gpuMemory();
      peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
      peakGpuBytes = maxOrNull(peakGpuBytes, gpu.inUse);
      peakGpuPoolBytes = maxOrNull(peakGpuPoolBytes, gpu.pool);
    };
    const budgetMs = options.maxSeconds * 1000;
    const started = performance.now();
    let warmupSteps = 0;
    while (warmupSteps < Math.max(1, options.warmupSteps)) {
      await trainer.trainStep();
      warmupSteps += 1;
      recordMemory();
      if (performance.now() - started > budgetMs / 3) break;
    }
    const times: number[] = [];
    for (let i = 0; i < options.steps; i++) {
      times.push((await trainer.trainStep()).ms);
      recordMemory();
      if (performance.now() - started > budgetMs) break;
    }
    // Counted on one more step, untimed: the counting wrappers cost time of their own.
    const work = await countStepWork(() => trainer.trainStep());
    const summary = summarize(times);
    const flopsPerStep = resolved.trainStepFlops();
    return {
      model: kind,
      variant,
      preset,
      backend: tf.getBackend(),
      batchSize: model.data.batchSize,
      framesPerExample: model.data.frames,
      parameters: model.parameterCount(),
      steps: times.length,
      warmupSteps,
      msPerStepMedian: summary.median,
      msPerStepMin: summary.min,
      msPerStepMax: summary.max,
      msPerStepP25: summary.p25,
      msPerStepP75: summary.p75,
      stepsPerSecond: 1000 / summary.median,
      examplesPerSecond: (1000 / summary.median) * model.data.batchSize,
      flopsPerStep,
      gflopsPerSecond: flopsPerStep / summary.median / 1e6,
      peakTensorBytes,
      peakGpuBytes,
      peakGpuPoolBytes,
      dispatchesPerStep: work.dispatches,
      uploadsPerStep: work.uploads,
      readsPerStep: work.reads,
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

/** A bare training loop, prepared and warmed up, that trains on request. */
export interface BareLoop {
  /** Trains `steps` steps; the end time of each (ms after the call). */
  train(steps: number): Promise<number[]>;
  dispose(): void;
}

/**
 * A bare training loop over the same core code the app runs (model, stream, trainer), after the
 * model's preparation and warm-up, for the overhead comparison with a run driven through the app.
 */
export async function openBareLoop(
  kind: string,
  variant: string,
  preset: string,
  config: Record<string, unknown>,
  digits: MnistDigits,
  gpu?: GpuWork,
): Promise<BareLoop> {
  const resolved = modelDefinition(kind).resolve(variant, preset, config);
  const { model, trainer } = await assembleBenchmarkRun(resolved, digits, { gpu });
  return {
    async train(steps) {
      const start = performance.now();
      const ends: number[] = [];
      for (let i = 0; i < steps; i++) {
        await trainer.trainStep();
        ends.push(performance.now() - start);
      }
      return ends;
    },
    dispose: () => model.dispose(),
  };
}

export interface GeneratorBenchRow {
  name: string;
  sequencesPerSecond: number;
  /** Frames per second it produces (sequences/s × frames per sequence). */
  framesPerSecond: number;
}

export function benchmarkMovingMnist(digits: MnistDigits, seconds = 1): GeneratorBenchRow {
  const sequencesPerSecond = benchmarkGenerator(digits.train, seconds);
  return {
    name: 'Moving MNIST 64×64, 2 digits, 20 frames',
    sequencesPerSecond,
    framesPerSecond: sequencesPerSecond * DEFAULT_MOVING_MNIST.frames,
  };
}

/**
 * A model's own benchmark (`ModelSpec.benchmark`, e.g. the rCNN's k-means dictionary updates):
 * one table, one row per preset and backend measured.
 */
export interface ModelBenchTable {
  model: string;
  title: string;
  columns: string[];
  rows: { preset: string; backend: string; values: number[] }[];
}
