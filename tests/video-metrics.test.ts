/**
 * SSIM as Wang, Bovik, Sheikh and Simoncelli (2004) define it, against a direct evaluation of
 * their formula with the 2D gaussian window (11×11, σ = 1.5, 'valid' positions), on the CPU, with
 * the window applied either way (`GaussianFilter`).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gaussianFilterFor, ssimPerImage } from '../src/core/train/video-metrics';
import { values } from './helpers/arrays';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Mean SSIM of two h×w images by the formula, window by window (no filtering tricks). */
function referenceSsim(a: Float32Array, b: Float32Array, h: number, w: number, size = 11): number {
  const sigma = 1.5;
  const half = (size - 1) / 2;
  const window: number[] = [];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      window.push(Math.exp(-((x - half) ** 2 + (y - half) ** 2) / (2 * sigma * sigma)));
    }
  }
  const total = window.reduce((s, v) => s + v, 0);
  const [c1, c2] = [0.01 ** 2, 0.03 ** 2];
  let sum = 0;
  let count = 0;
  for (let top = 0; top + size <= h; top++) {
    for (let left = 0; left + size <= w; left++) {
      let [mx, my, xx, yy, xy] = [0, 0, 0, 0, 0];
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const g = window[y * size + x] / total;
          const [p, q] = [a[(top + y) * w + left + x], b[(top + y) * w + left + x]];
          mx += g * p;
          my += g * q;
          xx += g * p * p;
          yy += g * q * q;
          xy += g * p * q;
        }
      }
      const [vx, vy, cov] = [xx - mx * mx, yy - my * my, xy - mx * my];
      sum += ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      count++;
    }
  }
  return sum / count;
}

describe.each(['convolutions', 'band-products'] as const)('SSIM by %s', (filter) => {
  it('equals the formula with the 2D gaussian window, per image', async () => {
    const [n, h, w] = [3, 16, 20];
    const unit = (v: Float32Array) => v.map((x) => (x + 1) / 2); // [0, 1]
    const a = unit(values(n * h * w, 41));
    // b: a blurred and noisy copy of a (SSIM well inside (0, 1)), and one unrelated image.
    const noise = values(n * h * w, 42);
    const b = a.map((v, i) => Math.min(1, Math.max(0, 0.7 * v + 0.15 + 0.2 * noise[i])));
    b.set(unit(values(h * w, 43)), 2 * h * w);
    const got = await ssimPerImage(tf.tensor4d(a, [n, h, w, 1]), tf.tensor4d(b, [n, h, w, 1]), {
      filter,
    }).data();
    const want = Array.from({ length: n }, (_, i) =>
      referenceSsim(
        a.subarray(i * h * w, (i + 1) * h * w),
        b.subarray(i * h * w, (i + 1) * h * w),
        h,
        w,
      ),
    );
    expect(want[0]).toBeGreaterThan(0.2);
    expect(want[2]).toBeLessThan(0.2);
    for (let i = 0; i < n; i++) expect(got[i]).toBeCloseTo(want[i], 5);
  });

  it('is 1 for identical images and shrinks its window to small frames', async () => {
    const a = values(2 * 8 * 8, 44).map((v) => (v + 1) / 2);
    const same = await ssimPerImage(tf.tensor4d(a, [2, 8, 8, 1]), tf.tensor4d(a, [2, 8, 8, 1]), {
      filter,
    }).data();
    expect(Array.from(same).map((v) => +v.toFixed(5))).toEqual([1, 1]);
    const b = a.map((v) => 1 - v);
    const small = await ssimPerImage(tf.tensor4d(a, [2, 8, 8, 1]), tf.tensor4d(b, [2, 8, 8, 1]), {
      filter,
    }).data();
    expect(small[0]).toBeCloseTo(referenceSsim(a.subarray(0, 64), b.subarray(0, 64), 8, 8, 8), 5);
  });

  it('scores each channel of colour images and averages them', async () => {
    const [n, h, w, c] = [2, 14, 12, 3];
    const a = values(n * h * w * c, 45).map((v) => (v + 1) / 2);
    const b = a.map((v, i) => Math.min(1, Math.max(0, 0.8 * v + 0.1 * Math.sin(i))));
    const got = await ssimPerImage(tf.tensor4d(a, [n, h, w, c]), tf.tensor4d(b, [n, h, w, c]), {
      filter,
    }).data();
    /** Channel `k` of image `i` (channels last) as its own h×w image. */
    const plane = (x: Float32Array, i: number, k: number) =>
      Float32Array.from({ length: h * w }, (_, p) => x[(i * h * w + p) * c + k]);
    for (let i = 0; i < n; i++) {
      const perChannel = [0, 1, 2].map((k) => referenceSsim(plane(a, i, k), plane(b, i, k), h, w));
      expect(new Set(perChannel.map((v) => v.toFixed(3))).size).toBe(3);
      expect(got[i]).toBeCloseTo(perChannel.reduce((s, v) => s + v, 0) / c, 5);
    }
  });
});

it('filters by convolutions on the CPU backend and by band products on the GPU backends', () => {
  expect(['cpu', 'webgpu', 'webgl'].map(gaussianFilterFor)).toEqual([
    'convolutions',
    'band-products',
    'band-products',
  ]);
});
