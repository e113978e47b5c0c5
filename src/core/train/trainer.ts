/**
 * A model-agnostic training loop step (after minGPT's trainer): draw a batch, let the model take
 * its step, read the scalars back once, check them. The model owns its loss and optimisers.
 */
import * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../data/batch-source';
import type { VideoModel } from '../models/types';

/**
 * Steps between checks that every weight and optimiser slot is finite. A loss can stay finite
 * while a weight has gone bad (an optimiser moment restored as Inf turns a bias into NaN within a
 * few steps, and the loss need not show it), so the state itself is checked: one fused
 * all-finite flag per tensor, read back with the step's losses (no extra GPU round trip).
 */
export const STATE_CHECK_EVERY = 20;

export interface StepResult {
  step: number;
  losses: Record<string, number>;
  /** Names of losses that came back NaN or ±Inf. */
  nonFinite: string[];
  /**
   * State tensors (weights, optimiser slots; checkpoint names) that hold NaN or ±Inf after this
   * step. Checked every `stateCheckEvery` steps; empty in between.
   */
  nonFiniteState: string[];
  ms: number;
}

/** Runs GPU work so that device errors throw instead of yielding wrong numbers. */
export interface GpuWork {
  run<T>(work: () => Promise<T>): Promise<T>;
}

const unguarded: GpuWork = { run: (work) => work() };

export class Trainer {
  step = 0;
  /** Steps between state checks (see STATE_CHECK_EVERY). */
  stateCheckEvery = STATE_CHECK_EVERY;

  constructor(
    readonly model: VideoModel,
    private readonly source: BatchSource,
    private readonly gpu: GpuWork = unguarded,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async trainStep(): Promise<StepResult> {
    const started = this.now();
    const checkState = (this.step + 1) % this.stateCheckEvery === 0;
    const { losses, nonFiniteState } = await this.gpu.run(async () => {
      const batch = this.source.nextBatch(); // [B, T, H, W, C]
      let scalars: Record<string, tf.Scalar> = {};
      let flags: tf.Tensor1D | null = null;
      try {
        scalars = this.model.trainStep(batch);
        const state = checkState ? this.model.stateVariables() : [];
        if (state.length > 0) flags = finiteFlags(state.map(([, tensor]) => tensor));
        const read = await readScalarsWith(scalars, flags ?? undefined);
        return {
          losses: read.values,
          nonFiniteState: state.filter((_, i) => read.extra[i] !== 1).map(([name]) => name),
        };
      } finally {
        batch.dispose();
        tf.dispose(Object.values(scalars));
        flags?.dispose();
      }
    });
    this.step += 1;
    const nonFinite = Object.keys(losses).filter((name) => !Number.isFinite(losses[name]));
    return { step: this.step, losses, nonFinite, nonFiniteState, ms: this.now() - started };
  }
}

/** 1 where every value of the tensor is finite, 0 where one is NaN or ±Inf: [tensors]. */
export function finiteFlags(tensors: readonly tf.Tensor[]): tf.Tensor1D {
  return tf.tidy(() =>
    tf.stack(tensors.map((tensor) => tf.all(tf.isFinite(tensor)))).toFloat(),
  ) as tf.Tensor1D;
}

/** Reads several scalars with one GPU→CPU transfer. */
export async function readScalars(
  scalars: Record<string, tf.Scalar>,
): Promise<Record<string, number>> {
  return (await readScalarsWith(scalars)).values;
}

/** Reads several scalars and the values of `extra` [n] with one GPU→CPU transfer. */
export async function readScalarsWith(
  scalars: Record<string, tf.Scalar>,
  extra?: tf.Tensor1D,
): Promise<{ values: Record<string, number>; extra: Float32Array }> {
  const names = Object.keys(scalars);
  const stacked = names.length > 0 ? tf.stack(names.map((name) => scalars[name])) : null;
  const parts = [stacked, extra].filter(
    (part): part is tf.Tensor => part !== null && part !== undefined,
  );
  let all = new Float32Array(0);
  try {
    if (parts.length === 1) all = Float32Array.from(await parts[0].data());
    if (parts.length === 2) {
      const joined = tf.concat(parts);
      try {
        all = Float32Array.from(await joined.data());
      } finally {
        joined.dispose();
      }
    }
  } finally {
    stacked?.dispose();
  }
  return {
    values: Object.fromEntries(names.map((name, i) => [name, all[i]])),
    extra: all.subarray(names.length),
  };
}
