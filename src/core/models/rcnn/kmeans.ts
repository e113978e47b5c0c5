/**
 * Seeded mini-batch k-means on the active tfjs backend (the GPU under WebGPU), for the patch
 * dictionary of the video language model.
 *
 * - Init: k-means++ (Arthur & Vassilvitskii 2007) — each new centroid is a data point drawn with
 *   probability ∝ its squared distance to the nearest centroid so far, sampled on the device by
 *   cumsum + searchSorted with a seeded uniform — or K distinct points drawn at random.
 * - Updates: mini-batch k-means (Sculley 2010, "Web-scale k-means clustering"): a random
 *   mini-batch is assigned to its nearest centroids; each centroid moves to the running mean of
 *   every point it has been assigned so far, c ← c + (Σ_batch x − n_batch·c) / n_total.
 * - A centroid that received no point for RESEED_AFTER updates is re-seeded at the mini-batch
 *   point worst fitted by its current centroid (largest squared distance), and its count restarts.
 *
 * Everything random comes from one SeededRandom on the CPU (mini-batch indices, init draws), and
 * the device ops are deterministic, so a seed gives the same dictionary on a given backend.
 * Only kernels WebGPU has are used: matMul, argMin, min, unsortedSegmentSum, gather, cumsum,
 * searchSorted (tf.unique has none; see docs/webgpu-pitfalls.md §4).
 *
 * Shapes: M points, D dimensions, K centroids, b mini-batch size.
 */
import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '../../data/random';
import type { KmeansInit } from './config';
import { DISTANCE_CHUNK_FLOATS } from './config';
// Each update is a segment sum: on the CPU backend, the linear-time one of this kernel module.
import '../../gpu/kernels/cpu-segment-sum';

/** Updates without any assigned point after which a centroid is re-seeded. */
export const RESEED_AFTER = 10;
/** Longest stretch of device work between yields to the event loop (progress, cancellation). */
const YIELD_MS = 40;

export interface KmeansOptions {
  k: number;
  init: KmeansInit;
  iterations: number;
  batchSize: number;
  seed: number;
  /** Start from these centroids [K, D] (copied; e.g. a previous dictionary) instead of `init`. */
  initial?: tf.Tensor2D;
}

export interface KmeansProgress {
  stage: 'init' | 'update' | 'finish';
  /** Work done and total in this stage: centroids chosen, updates made. */
  done: number;
  total: number;
  /** Mean squared distance of the latest mini-batch to its nearest centroid (updates only). */
  meanDistance?: number;
}

export interface KmeansHooks {
  onProgress?(progress: KmeansProgress): void;
  signal?: AbortSignal;
}

export interface KmeansResult {
  centroids: tf.Tensor2D; // [K, D]; the caller disposes it
  /** Points of the whole set assigned to each centroid at the end. */
  counts: Float32Array; // [K]
  /** Mean squared distance of each update's mini-batch before the update (convergence curve). */
  history: number[];
  /** Mean squared distance of the whole set to its nearest centroid at the end. */
  meanDistance: number;
  /** Centroids re-seeded because they went empty. */
  reseeded: number;
}

/** Resolves on the next macrotask, so messages (a cancel command) get handled meanwhile. */
function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Yields at most every YIELD_MS and throws the abort reason once the signal is aborted. */
class Pacer {
  private last = performance.now();

  constructor(private readonly signal?: AbortSignal) {}

  async maybeYield(): Promise<void> {
    if (performance.now() - this.last < YIELD_MS) return;
    await nextMacrotask();
    this.last = performance.now();
    this.signal?.throwIfAborted();
  }
}

/** Squared L2 norm of each row, [n, D] → [n]. */
function rowNorms(x: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => x.square().sum(1) as tf.Tensor1D);
}

/**
 * Nearest centroid of each row, ‖c‖² − 2x·c smallest (‖x‖² does not change the argmin):
 * x [n, D], centroids [K, D] and their squared norms [K] → [n] int32.
 */
export function nearestIndex(
  x: tf.Tensor2D,
  centroids: tf.Tensor2D,
  centroidNorms: tf.Tensor1D,
): tf.Tensor1D {
  return tf.tidy(() => {
    const cross = tf.matMul(x, centroids, false, true); // [n, K]
    return tf.argMin(centroidNorms.reshape([1, -1]).sub(cross.mul(2)), 1) as tf.Tensor1D;
  });
}

/**
 * Nearest centroid of each row and its squared distance ‖x‖² − 2x·c + ‖c‖² (clamped at 0):
 * x [n, D] with its squared norms [n] (computed when absent), centroids [K, D] with theirs [K]
 * → index [n] int32, distance [n]. The distance is read at the argmin (one row reduction, not two).
 */
export function nearestCentroids(
  x: tf.Tensor2D,
  centroids: tf.Tensor2D,
  centroidNorms: tf.Tensor1D,
  pointNorms?: tf.Tensor1D,
): { index: tf.Tensor1D; distance: tf.Tensor1D } {
  return tf.tidy(() => {
    const [n] = x.shape;
    const k = centroids.shape[0];
    const cross = tf.matMul(x, centroids, false, true); // [n, K]
    const partial = centroidNorms.reshape([1, -1]).sub(cross.mul(2)); // [n, K]
    const index = tf.argMin(partial, 1) as tf.Tensor1D; // [n] int32
    const rowStarts = tf.range(0, n * k, k, 'int32');
    const best = tf.gather(partial.reshape([-1]), rowStarts.add(index)); // [n]
    const norms = pointNorms ?? rowNorms(x);
    return { index, distance: best.add(norms).maximum(0) as tf.Tensor1D };
  });
}

/**
 * Nearest-centroid indices of many rows, in chunks whose distance matrix holds at most
 * `chunkFloats` values: x [n, D] → [n] int32. Chunk shapes repeat from call to call.
 */
export function assignToCentroids(
  x: tf.Tensor2D,
  centroids: tf.Tensor2D,
  centroidNorms: tf.Tensor1D,
  chunkFloats = DISTANCE_CHUNK_FLOATS,
): tf.Tensor1D {
  const [n, d] = x.shape;
  const rows = Math.max(1, Math.floor(chunkFloats / centroids.shape[0]));
  if (n <= rows) return nearestIndex(x, centroids, centroidNorms);
  return tf.tidy(() => {
    const parts: tf.Tensor1D[] = [];
    for (let start = 0; start < n; start += rows) {
      const chunk = x.slice([start, 0], [Math.min(rows, n - start), d]);
      parts.push(nearestIndex(chunk, centroids, centroidNorms));
    }
    return tf.concat(parts) as tf.Tensor1D;
  });
}

/** K distinct row indices in [0, M), drawn with a partial Fisher–Yates shuffle. */
function distinctIndices(rng: SeededRandom, m: number, k: number): Int32Array {
  const pool = new Int32Array(m);
  for (let i = 0; i < m; i++) pool[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(m - i);
    const swap = pool[i];
    pool[i] = pool[j];
    pool[j] = swap;
  }
  return pool.slice(0, k);
}

/**
 * k-means++ seeding on the device: returns the chosen row indices. Each step keeps the squared
 * distance of every point to its nearest chosen centroid ([M]); the next centroid is the first
 * point whose cumulative distance exceeds u · total (u uniform), i.e. a draw ∝ distance.
 */
async function kmeansPlusPlus(
  points: tf.Tensor2D,
  norms: tf.Tensor1D,
  k: number,
  rng: SeededRandom,
  pacer: Pacer,
  onProgress?: (progress: KmeansProgress) => void,
): Promise<Int32Array> {
  const m = points.shape[0];
  const chosen = new Int32Array(k);
  chosen[0] = rng.int(m);
  const distanceTo = (row: tf.Tensor1D) =>
    tf.tidy(() => {
      const center = tf.gather(points, row); // [1, D]
      const cross = tf.matMul(points, center, false, true).reshape([m]); // [M]
      return norms.sub(cross.mul(2)).add(rowNorms(center)).maximum(0) as tf.Tensor1D; // [M]
    });
  let nearest = tf.tidy(() => distanceTo(tf.tensor1d([chosen[0]], 'int32')));
  const pending: Promise<void>[] = [];
  try {
    for (let i = 1; i < k; i++) {
      const u = rng.next();
      const { index, next } = tf.tidy(() => {
        const cdf = tf.cumsum(nearest); // [M]
        const target = cdf.slice([m - 1], [1]).mul(u); // [1]
        // 'right': the first point whose cumulative mass exceeds the target (never a chosen one).
        const pick = tf
          .searchSorted(cdf, target, 'right')
          .reshape([1])
          .minimum(tf.scalar(m - 1, 'int32')) as tf.Tensor1D; // [1]
        return { index: pick, next: tf.minimum(nearest, distanceTo(pick)) as tf.Tensor1D };
      });
      nearest.dispose();
      nearest = next;
      pending.push(
        index.data().then((value) => {
          chosen[i] = value[0];
          index.dispose();
        }),
      );
      if (i % 16 === 0 || i === k - 1) {
        await Promise.all(pending.splice(0)); // keeps the device queue short
        onProgress?.({ stage: 'init', done: i + 1, total: k });
        await pacer.maybeYield();
      }
    }
    await Promise.all(pending);
  } finally {
    nearest.dispose();
  }
  return chosen;
}

/** Initial centroids [K, D] by the chosen method. */
async function initialCentroids(
  points: tf.Tensor2D,
  norms: tf.Tensor1D,
  options: KmeansOptions,
  rng: SeededRandom,
  pacer: Pacer,
  onProgress?: (progress: KmeansProgress) => void,
): Promise<tf.Tensor2D> {
  if (options.initial) return tf.clone(options.initial);
  const m = points.shape[0];
  const rows =
    options.init === 'kmeans++'
      ? await kmeansPlusPlus(points, norms, options.k, rng, pacer, onProgress)
      : distinctIndices(rng, m, options.k);
  onProgress?.({ stage: 'init', done: options.k, total: options.k });
  return tf.tidy(() => tf.gather(points, tf.tensor1d(rows, 'int32')) as tf.Tensor2D);
}

/** State of the mini-batch updates (all tensors owned by the loop). */
interface UpdateState {
  centroids: tf.Tensor2D; // [K, D]
  totals: tf.Tensor1D; // [K] points assigned so far (since the last re-seed)
  recent: tf.Tensor1D; // [K] points assigned since the last empty-cluster check
}

/** One mini-batch update: returns the new state and the batch's distances before it. */
function miniBatchUpdate(
  state: UpdateState,
  batch: tf.Tensor2D,
  batchNorms: tf.Tensor1D,
): { next: UpdateState; distance: tf.Tensor1D } {
  return tf.tidy(() => {
    const k = state.centroids.shape[0];
    const { index, distance } = nearestCentroids(
      batch,
      state.centroids,
      rowNorms(state.centroids),
      batchNorms,
    );
    const sums = tf.unsortedSegmentSum(batch, index, k) as tf.Tensor2D; // [K, D]
    const counts = tf.unsortedSegmentSum(tf.onesLike(distance), index, k) as tf.Tensor1D; // [K]
    const totals = state.totals.add(counts) as tf.Tensor1D;
    const step = sums
      .sub(state.centroids.mul(counts.reshape([-1, 1])))
      .div(totals.maximum(1).reshape([-1, 1])); // zero for centroids without points
    return {
      next: {
        centroids: state.centroids.add(step) as tf.Tensor2D,
        totals,
        recent: state.recent.add(counts) as tf.Tensor1D,
      },
      distance,
    };
  });
}

/**
 * Re-seeds the centroids that got no point since the last check at the batch points worst
 * fitted (largest distance, ties to the lower index); their running counts restart at 0.
 * Returns the new state (the old one is disposed) and how many were re-seeded.
 */
async function reseedEmpty(
  state: UpdateState,
  batch: tf.Tensor2D,
  batchDistance: tf.Tensor1D,
): Promise<{ state: UpdateState; reseeded: number }> {
  const [recent, distance] = await Promise.all([state.recent.data(), batchDistance.data()]);
  const k = recent.length;
  const empty: number[] = [];
  for (let c = 0; c < k; c++) if (recent[c] === 0) empty.push(c);
  const zeros = tf.zerosLike(state.recent) as tf.Tensor1D;
  if (empty.length === 0) {
    state.recent.dispose();
    return { state: { ...state, recent: zeros }, reseeded: 0 };
  }
  const order = Array.from(distance.keys()).sort((a, b) => distance[b] - distance[a] || a - b);
  const mapping = new Int32Array(k);
  const keep = new Float32Array(k).fill(1);
  for (let c = 0; c < k; c++) mapping[c] = c;
  const used = Math.min(empty.length, order.length);
  for (let j = 0; j < used; j++) {
    mapping[empty[j]] = k + order[j]; // row k + i of [centroids; batch] is batch point i
    keep[empty[j]] = 0;
  }
  const next = tf.tidy(() => ({
    centroids: tf.gather(
      tf.concat([state.centroids, batch]),
      tf.tensor1d(mapping, 'int32'),
    ) as tf.Tensor2D,
    totals: state.totals.mul(tf.tensor1d(keep)) as tf.Tensor1D,
  }));
  tf.dispose([state.centroids, state.totals, state.recent]);
  return { state: { ...next, recent: zeros }, reseeded: used };
}

/** Counts of points per centroid and the mean squared distance over the whole set. */
async function finalStatistics(
  points: tf.Tensor2D,
  pointNorms: tf.Tensor1D,
  centroids: tf.Tensor2D,
  pacer: Pacer,
): Promise<{ counts: Float32Array; meanDistance: number }> {
  const [m, d] = points.shape;
  const k = centroids.shape[0];
  const rows = Math.max(1, Math.floor(DISTANCE_CHUNK_FLOATS / k));
  const norms = rowNorms(centroids);
  let totals = tf.zeros([k]) as tf.Tensor1D;
  let distanceSum = tf.scalar(0);
  try {
    for (let start = 0; start < m; start += rows) {
      const next = tf.tidy(() => {
        const size = Math.min(rows, m - start);
        const chunk = points.slice([start, 0], [size, d]);
        const chunkNorms = pointNorms.slice([start], [size]);
        const { index, distance } = nearestCentroids(chunk, centroids, norms, chunkNorms);
        return {
          totals: totals.add(tf.unsortedSegmentSum(tf.onesLike(distance), index, k)),
          distanceSum: distanceSum.add(distance.sum()),
        };
      });
      tf.dispose([totals, distanceSum]);
      totals = next.totals as tf.Tensor1D;
      distanceSum = next.distanceSum as tf.Scalar;
      await pacer.maybeYield();
    }
    const [counts, sum] = await Promise.all([totals.data(), distanceSum.data()]);
    return { counts: Float32Array.from(counts), meanDistance: sum[0] / m };
  } finally {
    tf.dispose([norms, totals, distanceSum]);
  }
}

/**
 * Fits K centroids to `points` [M, D] (M ≥ K). Yields to the event loop while it works, reports
 * progress, and throws the signal's reason when aborted (no tensor is left behind).
 */
export async function fitKmeans(
  points: tf.Tensor2D,
  options: KmeansOptions,
  hooks: KmeansHooks = {},
): Promise<KmeansResult> {
  const m = points.shape[0];
  const { k, iterations } = options;
  if (!(Number.isInteger(k) && k >= 1 && k <= m)) {
    throw new RangeError(`k-means needs 1 ≤ K ≤ points (K = ${k}, points = ${m})`);
  }
  const initial = options.initial?.shape;
  if (initial && (initial[0] !== k || initial[1] !== points.shape[1])) {
    throw new RangeError(
      `initial centroids must be [${k}, ${points.shape[1]}] (got [${initial.join(', ')}])`,
    );
  }
  const batchSize = Math.min(options.batchSize, m);
  const rng = new SeededRandom(options.seed);
  const pacer = new Pacer(hooks.signal);
  const norms = rowNorms(points);
  let state: UpdateState | null = null;
  try {
    const centroids = await initialCentroids(points, norms, options, rng, pacer, hooks.onProgress);
    state = { centroids, totals: tf.zeros([k]), recent: tf.zeros([k]) };
    const history: number[] = [];
    let reseeded = 0;
    const indices = new Int32Array(batchSize);
    for (let it = 0; it < iterations; it++) {
      for (let i = 0; i < batchSize; i++) indices[i] = rng.int(m);
      const rows = tf.tensor1d(indices, 'int32');
      const batch = tf.gather(points, rows) as tf.Tensor2D;
      const batchNorms = tf.gather(norms, rows) as tf.Tensor1D;
      rows.dispose();
      const { next, distance } = miniBatchUpdate(state, batch, batchNorms);
      batchNorms.dispose();
      tf.dispose([state.centroids, state.totals, state.recent]);
      state = next;
      try {
        if ((it + 1) % RESEED_AFTER === 0 && it + 1 < iterations) {
          const result = await reseedEmpty(state, batch, distance);
          state = result.state;
          reseeded += result.reseeded;
        }
        const meanTensor = distance.mean();
        const mean = (await meanTensor.data())[0];
        meanTensor.dispose();
        history.push(mean);
        hooks.onProgress?.({
          stage: 'update',
          done: it + 1,
          total: iterations,
          meanDistance: mean,
        });
      } finally {
        tf.dispose([batch, distance]);
      }
      await pacer.maybeYield();
    }
    hooks.onProgress?.({ stage: 'finish', done: 0, total: 1 });
    const final = await finalStatistics(points, norms, state.centroids, pacer);
    const result = { centroids: state.centroids, history, reseeded, ...final };
    tf.dispose([state.totals, state.recent]);
    state = null;
    return result;
  } catch (error) {
    if (state) tf.dispose([state.centroids, state.totals, state.recent]);
    throw error;
  } finally {
    norms.dispose();
  }
}
