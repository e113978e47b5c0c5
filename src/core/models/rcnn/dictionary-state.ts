/**
 * The rCNN's patch dictionaries in checkpoints (see model.ts): every fitted dictionary — the
 * model's K first, then the sizes of the PSNR curve — as `state.dictionary.<i>.centroids` [K, P·P]
 * and `state.dictionary.<i>.counts` [K], its k-means curve in `meta.dictionaries[i].history`, and
 * the PSNR-against-size points in `meta.sweep`. Restoring checks everything before it builds.
 */
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../../checkpoint/errors';
import type { TensorSlot } from '../state';
import type { ModelState, StateTensor } from '../types';
import { sweepDictionarySizes } from './config';
import type { RcnnConfig, StdScope } from './config';
import { PatchDictionary } from './dictionary';
import type { SweepPoint } from './dictionary';
import type { PatchCodec } from './patches';

/** The tensors every fitted dictionary of `config` has, for patches of `dims` values. */
export function dictionarySlots(config: RcnnConfig, dims: number): [string, TensorSlot][] {
  return sweepDictionarySizes(config).flatMap((size, i) => [
    [`state.dictionary.${i}.centroids`, { shape: [size, dims], dtype: 'float32' }],
    [`state.dictionary.${i}.counts`, { shape: [size], dtype: 'float32' }],
  ]);
}

/** The dictionaries' meta, centroid tensors (read back by the caller) and counts. */
export function saveDictionaries(
  dictionaries: readonly PatchDictionary[],
  sweep: readonly SweepPoint[],
): {
  meta: { dictionaries: { history: number[] }[]; sweep: SweepPoint[] };
  tensors: (readonly [string, tf.Tensor])[];
  counts: Record<string, StateTensor>;
} {
  return {
    meta: {
      dictionaries: dictionaries.map((d) => ({ history: [...d.history] })),
      sweep: sweep.map((point) => ({ ...point })),
    },
    tensors: dictionaries.map((d, i) => [`state.dictionary.${i}.centroids`, d.centroids] as const),
    counts: Object.fromEntries(
      dictionaries.map((d, i) => [
        `state.dictionary.${i}.counts`,
        { dtype: 'float32', shape: [d.size], data: Float32Array.from(d.counts) },
      ]),
    ),
  };
}

/**
 * Checks the `count` dictionaries' meta of a state whose tensors are already checked (a
 * CheckpointError names the bad field); returns what builds them.
 */
export function checkDictionaries(
  state: ModelState,
  count: number,
): (
  codec: PatchCodec,
  stdScope: StdScope,
) => { dictionaries: PatchDictionary[]; sweep: SweepPoint[] } {
  const saved = state.meta.dictionaries;
  const histories = Array.isArray(saved)
    ? saved.map((d) => (d as { history?: unknown }).history)
    : [];
  const numbers = (value: unknown) =>
    Array.isArray(value) && value.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (histories.length !== count || !histories.every(numbers)) {
    throw new CheckpointError(
      'bad-state',
      `Model state field "dictionaries" must list ${count} k-means curves`,
    );
  }
  const points = Array.isArray(state.meta.sweep) ? (state.meta.sweep as SweepPoint[]) : [];
  const validPoint = (p: SweepPoint) =>
    [p?.size, p?.psnr, p?.meanDistance].every((x) => typeof x === 'number' && Number.isFinite(x));
  if (points.length !== count || !points.every(validPoint)) {
    throw new CheckpointError(
      'bad-state',
      `Model state field "sweep" must hold ${count} points of {size, psnr, meanDistance}`,
    );
  }
  return (codec, stdScope) => ({
    dictionaries: histories.map((history, i) => {
      const centroids = state.tensors[`state.dictionary.${i}.centroids`];
      const counts = state.tensors[`state.dictionary.${i}.counts`].data;
      return new PatchDictionary(
        codec,
        tf.tensor2d(centroids.data, centroids.shape as [number, number], 'float32'),
        Float32Array.from(counts),
        stdScope,
        [...(history as number[])],
      );
    }),
    sweep: points.map(({ size, psnr, meanDistance }) => ({ size, psnr, meanDistance })),
  });
}
