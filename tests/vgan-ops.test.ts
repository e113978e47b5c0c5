/**
 * VGAN building blocks (src/core/models/vgan/ops.ts): the trainable conv3dTranspose (value against
 * Torch's definition, gradients against central finite differences, WebGPU against CPU), the
 * space-to-depth strided convs against tfjs's own, and the small helpers.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  accuracy,
  batchNorm,
  blockFilter,
  composeVideo,
  conv3dTranspose,
  convDown,
  convUp,
  sigmoidCrossEntropy,
  slerp,
  splitChannels,
} from '../src/core/models/vgan/ops';
import type { Strides3 } from '../src/core/models/vgan/ops';
import { maxAbs, maxAbsDiff, size, values } from './helpers/arrays';
import { setupNodeWebGpu } from './helpers/node-webgpu';

const hasWebGpu = await setupNodeWebGpu();

type Shape5 = [number, number, number, number, number];

/**
 * Torch's VolumetricFullConvolution (no bias) by definition: input voxel i with tap k adds
 * x[i]·w[k] to output voxel i·s − p + k. x [B, T, H, W, Cin], w [kT, kH, kW, Cout, Cin].
 */
function naiveTransposedConv(
  x: Float32Array,
  xShape: Shape5,
  w: Float32Array,
  wShape: Shape5,
  stride: Strides3,
  pad: Strides3,
  outShape: Shape5,
): Float32Array {
  const [b, t, h, wd, cin] = xShape;
  const [kt, kh, kw, cout] = wShape;
  const [, ot, oh, ow] = outShape;
  const out = new Float32Array(size(outShape));
  for (let n = 0; n < b; n++)
    for (let i = 0; i < t; i++)
      for (let j = 0; j < h; j++)
        for (let l = 0; l < wd; l++)
          for (let a = 0; a < kt; a++)
            for (let c = 0; c < kh; c++)
              for (let e = 0; e < kw; e++) {
                const [y0, y1, y2] = [
                  i * stride[0] - pad[0] + a,
                  j * stride[1] - pad[1] + c,
                  l * stride[2] - pad[2] + e,
                ];
                if (y0 < 0 || y0 >= ot || y1 < 0 || y1 >= oh || y2 < 0 || y2 >= ow) continue;
                for (let o = 0; o < cout; o++) {
                  let sum = 0;
                  for (let q = 0; q < cin; q++) {
                    const xv = x[(((n * t + i) * h + j) * wd + l) * cin + q];
                    sum += xv * w[(((a * kh + c) * kw + e) * cout + o) * cin + q];
                  }
                  out[(((n * ot + y0) * oh + y1) * ow + y2) * cout + o] += sum;
                }
              }
  return out;
}

interface Case {
  name: string;
  x: Shape5;
  w: Shape5;
  out: Shape5;
  strides: Strides3;
  pad: 'same' | 'valid';
}

const CASES: Case[] = [
  // The generator's layers: kernel 4, stride 2, 'same' (= pad 1).
  {
    name: 'k4 s2 same',
    x: [2, 2, 3, 2, 3],
    w: [4, 4, 4, 2, 3],
    out: [2, 4, 6, 4, 2],
    strides: [2, 2, 2],
    pad: 'same',
  },
  // The 2D layers run as 3D with kernel depth 1.
  {
    name: 'k1×4×4 s1×2×2 same',
    x: [2, 1, 2, 3, 2],
    w: [1, 4, 4, 3, 2],
    out: [2, 1, 4, 6, 3],
    strides: [1, 2, 2],
    pad: 'same',
  },
  // The blocked form's kernel-2 'valid' transposed conv.
  {
    name: 'k2 s1 valid',
    x: [1, 2, 3, 2, 2],
    w: [2, 2, 2, 3, 2],
    out: [1, 3, 4, 3, 3],
    strides: [1, 1, 1],
    pad: 'valid',
  },
];

/** ½‖convT(x, w)‖², a quadratic: central differences are exact up to rounding. */
function loss(x: tf.Tensor, w: tf.Tensor, c: Case): tf.Scalar {
  return tf.tidy(() => {
    const y = conv3dTranspose(x as tf.Tensor5D, w as tf.Tensor5D, c.out, c.strides, c.pad);
    return y.square().sum().mul(0.5) as tf.Scalar;
  });
}

function analyticGradients(xv: Float32Array, wv: Float32Array, c: Case) {
  return tf.tidy(() => {
    const [dx, dw] = tf.grads((x: tf.Tensor, w: tf.Tensor) => loss(x, w, c))([
      tf.tensor5d(xv, c.x),
      tf.tensor5d(wv, c.w),
    ]);
    return { dx: dx.dataSync().slice(), dw: dw.dataSync().slice() };
  });
}

describe('conv3dTranspose on the CPU backend', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it("equals Torch's VolumetricFullConvolution with pad 1 (kernel 4, stride 2, 'same')", () => {
    for (const c of CASES.filter((k) => k.pad === 'same')) {
      const xv = values(size(c.x), 1);
      const wv = values(size(c.w), 2);
      const expected = naiveTransposedConv(
        xv,
        c.x,
        wv,
        c.w,
        c.strides,
        [c.w[0] === 4 ? 1 : 0, 1, 1],
        c.out,
      );
      const actual = tf.tidy(() =>
        conv3dTranspose(
          tf.tensor5d(xv, c.x),
          tf.tensor5d(wv, c.w),
          c.out,
          c.strides,
          c.pad,
        ).dataSync(),
      );
      expect(maxAbsDiff(actual, expected), c.name).toBeLessThan(1e-5);
    }
  });

  it.each(CASES)('has dx and dw equal to central finite differences ($name)', (c) => {
    const xv = values(size(c.x), 3);
    const wv = values(size(c.w), 4);
    const { dx, dw } = analyticGradients(xv, wv, c);
    const eps = 1e-2;
    const numeric = (which: 'x' | 'w', index: number): number => {
      const probe = (delta: number) => {
        const xs = xv.slice();
        const ws = wv.slice();
        (which === 'x' ? xs : ws)[index] += delta;
        return tf.tidy(() => loss(tf.tensor5d(xs, c.x), tf.tensor5d(ws, c.w), c).dataSync()[0]);
      };
      return (probe(eps) - probe(-eps)) / (2 * eps);
    };
    const scaleX = maxAbs(dx);
    for (let i = 0; i < xv.length; i++) {
      expect(Math.abs(dx[i] - numeric('x', i)), `dx[${i}]`).toBeLessThan(2e-3 * scaleX);
    }
    const scaleW = maxAbs(dw);
    const stride = Math.max(1, Math.floor(wv.length / 64)); // 64 filter entries spread over w
    for (let i = 0; i < wv.length; i += stride) {
      expect(Math.abs(dw[i] - numeric('w', i)), `dw[${i}]`).toBeLessThan(2e-3 * scaleW);
    }
    expect(scaleX).toBeGreaterThan(0);
    expect(scaleW).toBeGreaterThan(0);
  });

  it('leaks no tensor through its gradient', () => {
    const c = CASES[0];
    const x = tf.tensor5d(values(size(c.x), 5), c.x);
    const w = tf.tensor5d(values(size(c.w), 6), c.w);
    const before = tf.memory().numTensors;
    tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor) => loss(a, b, c))([x, w]));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });
});

describe('space-to-depth strided convs on the CPU backend', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('moves tap (2q + r) of a standard filter to [q] and channel r', () => {
    const w = tf.tensor5d(values(4 * 4 * 4 * 3 * 2, 7), [4, 4, 4, 3, 2]);
    const b = blockFilter(w);
    expect(b.shape).toEqual([2, 2, 2, 24, 2]);
    const wb = w.bufferSync();
    const bb = b.bufferSync();
    for (const [t, y, x, a, o] of [
      [0, 0, 0, 0, 0],
      [3, 1, 2, 2, 1],
      [1, 3, 0, 1, 0],
      [2, 2, 3, 0, 1],
    ]) {
      const channel = (((t % 2) * 2 + (y % 2)) * 2 + (x % 2)) * 3 + a;
      expect(bb.get(t >> 1, y >> 1, x >> 1, channel, o)).toBe(wb.get(t, y, x, a, o));
    }
    const plane = blockFilter(tf.tensor5d(values(4 * 4 * 3 * 2, 8), [1, 4, 4, 3, 2]));
    expect(plane.shape).toEqual([1, 2, 2, 12, 2]);
    tf.dispose([w, b, plane]);
  });

  it.each([
    { time: true, x: [2, 4, 6, 4, 3] as Shape5, w: [4, 4, 4, 3, 5] as Shape5 },
    { time: false, x: [2, 3, 6, 4, 3] as Shape5, w: [1, 4, 4, 3, 5] as Shape5 },
  ])(
    'convDown and convUp equal tf.conv3d and conv3dTranspose, values and gradients (time: $time)',
    ({ time, x: xShape, w: wShape }) => {
      const x = tf.tensor5d(values(size(xShape), 9), xShape);
      const w = tf.tensor5d(values(size(wShape), 10), wShape);
      const strides: Strides3 = time ? [2, 2, 2] : [1, 2, 2];
      const down = tf.conv3d(x, w, strides, 'same');
      expect(maxAbsDiff(convDown(x, w, time).dataSync(), down.dataSync())).toBeLessThan(1e-5);
      // The transposed conv maps `down`-shaped tensors back: its filter is [k, k, k, out = 3, in = 5].
      const y = tf.tensor5d(values(down.size, 11), down.shape);
      const upShape = xShape;
      const reference = (a: tf.Tensor, b: tf.Tensor) =>
        conv3dTranspose(a as tf.Tensor5D, b as tf.Tensor5D, upShape, strides, 'same')
          .square()
          .sum();
      const blocked = (a: tf.Tensor, b: tf.Tensor) =>
        convUp(a as tf.Tensor5D, b as tf.Tensor5D, time)
          .square()
          .sum();
      expect(
        maxAbsDiff(
          convUp(y, w, time).dataSync(),
          tf.conv3dTranspose(y, w, upShape, strides, 'same').dataSync(),
        ),
      ).toBeLessThan(1e-5);
      const [gy1, gw1] = tf.grads(reference)([y, w]);
      const [gy2, gw2] = tf.grads(blocked)([y, w]);
      expect(maxAbsDiff(gy1.dataSync(), gy2.dataSync())).toBeLessThan(
        1e-4 * maxAbs(gy1.dataSync()),
      );
      expect(maxAbsDiff(gw1.dataSync(), gw2.dataSync())).toBeLessThan(
        1e-4 * maxAbs(gw1.dataSync()),
      );
      const downLoss =
        (f: (a: tf.Tensor5D, b: tf.Tensor5D) => tf.Tensor) => (a: tf.Tensor, b: tf.Tensor) =>
          f(a as tf.Tensor5D, b as tf.Tensor5D)
            .square()
            .sum();
      const [gx1, gwd1] = tf.grads(downLoss((a, b) => tf.conv3d(a, b, strides, 'same')))([x, w]);
      const [gx2, gwd2] = tf.grads(downLoss((a, b) => convDown(a, b, time)))([x, w]);
      expect(maxAbsDiff(gx1.dataSync(), gx2.dataSync())).toBeLessThan(
        1e-4 * maxAbs(gx1.dataSync()),
      );
      expect(maxAbsDiff(gwd1.dataSync(), gwd2.dataSync())).toBeLessThan(
        1e-4 * maxAbs(gwd1.dataSync()),
      );
      tf.dispose([x, w, down, y, gy1, gw1, gy2, gw2, gx1, gwd1, gx2, gwd2]);
    },
  );
});

describe('helpers', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('sigmoid cross-entropy is stable and exact; accuracy thresholds at 0', () => {
    const logits = tf.tensor1d([-200, -2, 0, 3, 200]);
    const real = sigmoidCrossEntropy(logits, 1).dataSync()[0];
    const fake = sigmoidCrossEntropy(logits, 0).dataSync()[0];
    const softplus = (v: number) => (v > 30 ? v : Math.log1p(Math.exp(v)));
    const l = [-200, -2, 0, 3, 200];
    expect(real).toBeCloseTo(l.reduce((s, v) => s + softplus(-v), 0) / 5, 3);
    expect(fake).toBeCloseTo(l.reduce((s, v) => s + softplus(v), 0) / 5, 3);
    expect(accuracy(logits, 1).dataSync()[0]).toBeCloseTo(2 / 5);
    expect(accuracy(logits, 0).dataSync()[0]).toBeCloseTo(3 / 5);
    const [grad] = tf.grads((x: tf.Tensor) => sigmoidCrossEntropy(x as tf.Tensor1D, 1))([logits]);
    expect(Array.from(grad.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([logits, grad]);
  });

  it('composes m⊙f + (1−m)⊙b with the mask over channels and the background over time', () => {
    const [b, t, h, w, c] = [2, 3, 2, 2, 3];
    const f = tf.tensor5d(values(b * t * h * w * c, 12), [b, t, h, w, c]);
    const m = tf.sigmoid(tf.tensor5d(values(b * t * h * w, 13), [b, t, h, w, 1])) as tf.Tensor5D;
    const bg = tf.tensor4d(values(b * h * w * c, 14), [b, h, w, c]);
    const video = composeVideo(m, f, bg).bufferSync();
    const [fb, mb, bb] = [f.bufferSync(), m.bufferSync(), bg.bufferSync()];
    for (const [n, i, y, x, k] of [
      [0, 0, 0, 0, 0],
      [1, 2, 1, 0, 2],
      [0, 1, 1, 1, 1],
    ]) {
      const mask = mb.get(n, i, y, x, 0);
      const expected = mask * fb.get(n, i, y, x, k) + (1 - mask) * bb.get(n, y, x, k);
      expect(video.get(n, i, y, x, k)).toBeCloseTo(expected, 6);
    }
    tf.dispose([f, m, bg]);
  });

  it('batch norm normalises each channel over N, H, W', () => {
    const x = tf
      .tensor4d(values(4 * 3 * 3 * 2, 15), [4, 3, 3, 2])
      .mul(5)
      .add(2) as tf.Tensor4D;
    const y = batchNorm(x, tf.ones([2]), tf.zeros([2]), 1e-5);
    const { mean, variance } = tf.moments(y, [0, 1, 2]);
    expect(maxAbs(mean.dataSync())).toBeLessThan(1e-5);
    expect(maxAbsDiff(variance.dataSync(), [1, 1])).toBeLessThan(1e-3);
    tf.dispose([x, y, mean, variance]);
  });

  it('splits columns like tf.split', () => {
    const x = tf.tensor2d(values(5 * 4, 16), [5, 4]);
    const [a, b] = splitChannels(x, 3);
    expect(a.arraySync()).toEqual((x.slice([0, 0], [5, 3]) as tf.Tensor2D).arraySync());
    expect(b.arraySync()).toEqual((x.slice([0, 3], [5, 1]) as tf.Tensor2D).arraySync());
    tf.dispose([x, a, b]);
  });

  it('slerp keeps the endpoints and the norm of orthogonal codes of equal norm', () => {
    const a = new Float32Array([3, 0, 0]);
    const b = new Float32Array([0, 3, 0]);
    expect(Array.from(slerp(a, b, 0))).toEqual([3, 0, 0]);
    expect(maxAbsDiff(slerp(a, b, 1), [0, 3, 0])).toBeLessThan(1e-6);
    const mid = slerp(a, b, 0.5);
    expect(Math.hypot(...mid)).toBeCloseTo(3, 5);
    expect(maxAbsDiff(slerp(a, a, 0.3), a)).toBeLessThan(1e-6); // parallel: linear
  });
});

describe.skipIf(!hasWebGpu)(
  'conv3dTranspose on WebGPU (CPU forwarding off) equals the CPU backend',
  () => {
    /** Value, dx and dw of ½‖convT(x, w)‖² on `backend`. */
    async function run(backend: string, c: Case) {
      await tf.setBackend(backend);
      expect(tf.getBackend()).toBe(backend);
      const xv = values(size(c.x), 17);
      const wv = values(size(c.w), 18);
      const x = tf.tensor5d(xv, c.x);
      const w = tf.tensor5d(wv, c.w);
      const y = conv3dTranspose(x, w, c.out, c.strides, c.pad);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => loss(a, b, c))([x, w]);
      const result = {
        y: (await y.data()).slice(),
        dx: (await dx.data()).slice(),
        dw: (await dw.data()).slice(),
      };
      tf.dispose([x, w, y, dx, dw]);
      return result;
    }

    it.each(CASES)('value, dx and dw ($name)', async (c) => {
      expect(tf.env().getBool('WEBGPU_CPU_FORWARD')).toBe(false);
      const cpu = await run('cpu', c);
      const gpu = await run('webgpu', c);
      expect(maxAbsDiff(gpu.y, cpu.y)).toBeLessThan(1e-5 * maxAbs(cpu.y) + 1e-6);
      expect(maxAbsDiff(gpu.dx, cpu.dx)).toBeLessThan(1e-5 * maxAbs(cpu.dx) + 1e-6);
      expect(maxAbsDiff(gpu.dw, cpu.dw)).toBeLessThan(1e-5 * maxAbs(cpu.dw) + 1e-6);
    });
  },
);
