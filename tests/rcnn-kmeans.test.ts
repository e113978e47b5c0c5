/**
 * The rCNN's patch dictionary k-means (tfjs CPU backend): it recovers clusters that are known,
 * gives the same dictionary for the same seed, re-seeds centroids that go empty, and its
 * nearest-centroid assignment (chunked or not) agrees with a brute-force search.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../src/core/data/random';
import { assignToCentroids, fitKmeans, nearestCentroids } from '../src/core/models/rcnn/kmeans';
import type { KmeansProgress } from '../src/core/models/rcnn/kmeans';
import { DISTANCE_CHUNK_FLOATS } from '../src/core/models/rcnn/config';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** `perCluster` points around each of `centers` ([C][D]) with gaussian noise of std `noise`. */
function clusteredPoints(
  centers: number[][],
  perCluster: number,
  noise: number,
  seed: number,
): { points: Float32Array; labels: Int32Array } {
  const rng = new SeededRandom(seed);
  const d = centers[0].length;
  const points = new Float32Array(centers.length * perCluster * d);
  const labels = new Int32Array(centers.length * perCluster);
  let row = 0;
  // Interleaved, so that no cluster sits in one block of rows.
  for (let i = 0; i < perCluster; i++) {
    centers.forEach((center, c) => {
      for (let j = 0; j < d; j++) points[row * d + j] = center[j] + noise * rng.normal();
      labels[row++] = c;
    });
  }
  return { points, labels };
}

function randomCenters(count: number, d: number, spread: number, seed: number): number[][] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: d }, () => spread * (2 * rng.next() - 1)),
  );
}

const distance2 = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return sum;
};

/** For every true center, the squared distance to the nearest fitted centroid. */
async function matchCenters(centroids: tf.Tensor2D, centers: number[][]): Promise<number[]> {
  const values = await centroids.data();
  const d = centers[0].length;
  const k = centroids.shape[0];
  return centers.map((center) => {
    let best = Infinity;
    for (let c = 0; c < k; c++)
      best = Math.min(best, distance2(values.slice(c * d, (c + 1) * d), center));
    return best;
  });
}

describe('fitKmeans', () => {
  const d = 16;
  const centers = randomCenters(6, d, 5, 1);
  const noise = 0.1;
  const { points } = clusteredPoints(centers, 200, noise, 2);

  it('recovers known, separated clusters with k-means++ seeding', async () => {
    const x = tf.tensor2d(points, [1200, d]);
    const progress: KmeansProgress[] = [];
    const result = await fitKmeans(
      x,
      { k: 6, init: 'kmeans++', iterations: 40, batchSize: 256, seed: 3 },
      { onProgress: (p) => progress.push(p) },
    );
    // Every true center has a centroid within a few standard errors of its mean.
    for (const gap of await matchCenters(result.centroids, centers)) expect(gap).toBeLessThan(0.02);
    // Each centroid got one cluster's 200 points, and the fit is as tight as the noise.
    expect([...result.counts].sort()).toEqual([200, 200, 200, 200, 200, 200]);
    expect(result.meanDistance).toBeGreaterThan(0.8 * d * noise ** 2);
    expect(result.meanDistance).toBeLessThan(1.2 * d * noise ** 2);
    // The convergence curve falls to the noise floor.
    expect(result.history).toHaveLength(40);
    expect(result.history[39]).toBeLessThan(1.3 * d * noise ** 2);
    // Progress: the init, every update, then the final pass.
    expect(progress.filter((p) => p.stage === 'update').map((p) => p.done)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    expect(progress.at(-1)?.stage).toBe('finish');
    tf.dispose([x, result.centroids]);
  });

  it('is deterministic for a seed and depends on it', async () => {
    const x = tf.tensor2d(points, [1200, d]);
    const fit = async (seed: number, init: 'kmeans++' | 'sample') => {
      const result = await fitKmeans(x, { k: 12, init, iterations: 15, batchSize: 128, seed });
      const values = Array.from(await result.centroids.data());
      result.centroids.dispose();
      return values;
    };
    for (const init of ['kmeans++', 'sample'] as const) {
      const first = await fit(7, init);
      expect(await fit(7, init)).toEqual(first);
      expect(await fit(8, init)).not.toEqual(first);
    }
    x.dispose();
  });

  it('seeds "sample" with K distinct data points', async () => {
    const x = tf.tensor2d(points, [1200, d]);
    const result = await fitKmeans(x, {
      k: 10,
      init: 'sample',
      iterations: 0,
      batchSize: 64,
      seed: 5,
    });
    const values = await result.centroids.data();
    const rows = new Set<number>();
    for (let c = 0; c < 10; c++) {
      const centroid = values.slice(c * d, (c + 1) * d);
      let found = -1;
      for (let r = 0; r < 1200 && found < 0; r++) {
        if (distance2(centroid, points.slice(r * d, (r + 1) * d)) === 0) found = r;
      }
      expect(found).toBeGreaterThanOrEqual(0);
      rows.add(found);
    }
    expect(rows.size).toBe(10);
    tf.dispose([x, result.centroids]);
  });

  it('re-seeds a centroid that gets no point, which then takes the cluster it missed', async () => {
    const line = [0, 10, -10].map((c) => Array.from({ length: 4 }, () => c));
    const { points: data, labels } = clusteredPoints(line, 100, 0.05, 9);
    const x = tf.tensor2d(data, [300, 4]);
    // Two centroids share the three clusters; the third starts far from every point.
    const initial = tf.tensor2d([0, 0, 0, 0, 0.1, 0.1, 0.1, 0.1, 100, 100, 100, 100], [3, 4]);
    const result = await fitKmeans(x, {
      k: 3,
      init: 'sample',
      initial,
      iterations: 40,
      batchSize: 64,
      seed: 1,
    });
    expect(result.reseeded).toBeGreaterThanOrEqual(1);
    // The final assignment is the true partition: one centroid per cluster.
    const norms = result.centroids.square().sum(1) as tf.Tensor1D;
    const { index, distance } = nearestCentroids(x, result.centroids, norms);
    const assigned = await index.data();
    const owner = new Map<number, number>();
    labels.forEach((label, i) => {
      expect(owner.get(label) ?? assigned[i]).toBe(assigned[i]);
      owner.set(label, assigned[i]);
    });
    expect(new Set(owner.values()).size).toBe(3);
    expect([...result.counts].sort()).toEqual([100, 100, 100]);
    // No centroid is left far out: every one sits within its cluster's spread of 10.
    const far = await matchCenters(result.centroids, line);
    for (const gap of far) expect(gap).toBeLessThan(4 * 4 * 4);
    tf.dispose([x, initial, result.centroids, norms, index, distance]);
  });

  it('stops with the abort reason and leaves no tensor behind', async () => {
    const x = tf.tensor2d(points, [1200, d]);
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const reason = new Error('stop now');
    const fit = fitKmeans(
      x,
      { k: 6, init: 'kmeans++', iterations: 100_000, batchSize: 64, seed: 3 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.stage === 'update' && p.done === 5) controller.abort(reason);
        },
      },
    );
    await expect(fit).rejects.toBe(reason);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('rejects K larger than the number of points', async () => {
    const x = tf.zeros([4, 2]) as tf.Tensor2D;
    await expect(
      fitKmeans(x, { k: 5, init: 'sample', iterations: 1, batchSize: 4, seed: 0 }),
    ).rejects.toThrow(/K ≤ points/);
    x.dispose();
  });
});

describe('nearest-centroid assignment', () => {
  /** Brute force on the CPU in JS. */
  function bruteForce(x: Float32Array, c: Float32Array, d: number): Int32Array {
    const n = x.length / d;
    const k = c.length / d;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = Infinity;
      for (let j = 0; j < k; j++) {
        const dist = distance2(x.slice(i * d, (i + 1) * d), c.slice(j * d, (j + 1) * d));
        if (dist < best) {
          best = dist;
          out[i] = j;
        }
      }
    }
    return out;
  }

  it('matches a brute-force search, with distances', async () => {
    const rng = new SeededRandom(4);
    const d = 8;
    const x = Float32Array.from({ length: 300 * d }, () => rng.normal());
    const c = Float32Array.from({ length: 20 * d }, () => rng.normal());
    const xs = tf.tensor2d(x, [300, d]);
    const cs = tf.tensor2d(c, [20, d]);
    const norms = cs.square().sum(1) as tf.Tensor1D;
    const { index, distance } = nearestCentroids(xs, cs, norms);
    const expected = bruteForce(x, c, d);
    expect(Array.from(await index.data())).toEqual(Array.from(expected));
    const got = await distance.data();
    for (let i = 0; i < 300; i++) {
      const exact = distance2(
        x.slice(i * d, (i + 1) * d),
        c.slice(expected[i] * d, (expected[i] + 1) * d),
      );
      expect(got[i]).toBeCloseTo(exact, 3);
    }
    tf.dispose([xs, cs, norms, index, distance]);
  });

  it('chunks large assignments without changing them', async () => {
    const rng = new SeededRandom(6);
    const d = 4;
    const k = 50;
    const chunkFloats = 1000; // 20 rows per chunk: 2.5 chunks, the last one partial
    const n = 50;
    const x = Float32Array.from({ length: n * d }, () => rng.normal());
    const c = Float32Array.from({ length: k * d }, () => rng.normal());
    const xs = tf.tensor2d(x, [n, d]);
    const cs = tf.tensor2d(c, [k, d]);
    const norms = cs.square().sum(1) as tf.Tensor1D;
    const chunked = assignToCentroids(xs, cs, norms, chunkFloats);
    const defaults = assignToCentroids(xs, cs, norms); // one chunk of DISTANCE_CHUNK_FLOATS
    const whole = tf.tidy(() => nearestCentroids(xs.slice([0, 0], [32, d]), cs, norms).index);
    const [a, b, c1] = await Promise.all([chunked.data(), whole.data(), defaults.data()]);
    expect(chunked.shape).toEqual([n]);
    expect(Array.from(a)).toEqual(Array.from(c1));
    expect(n * k).toBeLessThan(DISTANCE_CHUNK_FLOATS);
    expect(Array.from(a.slice(0, 32))).toEqual(Array.from(b));
    expect(Array.from(a.slice(n - 16))).toEqual(
      Array.from(bruteForce(x.slice((n - 16) * d), c, d)),
    );
    tf.dispose([xs, cs, norms, chunked, whole, defaults]);
  });
});
