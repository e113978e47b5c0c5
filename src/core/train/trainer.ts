/**
 * A model-agnostic training loop step (after minGPT's trainer): draw a batch, let the model take
 * its step, read the scalars back once, check them. The model owns its loss and optimisers.
 */
import * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../data/video-stream';
import type { VideoModel } from '../models/types';

export interface StepResult {
  step: number;
  losses: Record<string, number>;
  /** Names of losses that came back NaN or ±Inf. */
  nonFinite: string[];
  ms: number;
}

/** Runs GPU work so that device errors throw instead of yielding wrong numbers. */
export interface GpuWork {
  run<T>(work: () => Promise<T>): Promise<T>;
}

const unguarded: GpuWork = { run: (work) => work() };

export class Trainer {
  step = 0;

  constructor(
    readonly model: VideoModel,
    private readonly source: BatchSource,
    private readonly gpu: GpuWork = unguarded,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async trainStep(): Promise<StepResult> {
    const started = this.now();
    const losses = await this.gpu.run(async () => {
      const batch = this.source.nextBatch(); // [B, T, H, W, C]
      let scalars: Record<string, tf.Scalar> = {};
      try {
        scalars = this.model.trainStep(batch);
        return await readScalars(scalars);
      } finally {
        batch.dispose();
        tf.dispose(Object.values(scalars));
      }
    });
    this.step += 1;
    const nonFinite = Object.keys(losses).filter((name) => !Number.isFinite(losses[name]));
    return { step: this.step, losses, nonFinite, ms: this.now() - started };
  }
}

/** Reads several scalars with one GPU→CPU transfer. */
export async function readScalars(
  scalars: Record<string, tf.Scalar>,
): Promise<Record<string, number>> {
  const names = Object.keys(scalars);
  if (names.length === 0) return {};
  const stacked = tf.stack(names.map((name) => scalars[name]));
  try {
    const values = await stacked.data();
    return Object.fromEntries(names.map((name, i) => [name, values[i]]));
  } finally {
    stacked.dispose();
  }
}
