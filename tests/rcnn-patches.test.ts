/**
 * Frames ↔ patches of the rCNN (tfjs CPU backend): extraction reads the right pixels at any
 * stride, assembling averages overlapping patches, std normalisation per frame or per clip, and
 * the dictionary's quantize → decode round trip.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PatchDictionary } from '../src/core/models/rcnn/dictionary';
import { PatchCodec, STD_FLOOR, frameStds, patchGeometry } from '../src/core/models/rcnn/patches';
import { maxAbsDiff, values } from './helpers/arrays';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Frames [N, S, S, 1] with values in [0, 1). */
function frames(n: number, side: number, seed: number): tf.Tensor4D {
  const v = values(n * side * side, seed).map((x) => (x + 1) / 2);
  return tf.tensor4d(v, [n, side, side, 1]);
}

describe('PatchCodec', () => {
  it('rejects patch layouts that do not tile the frame', () => {
    expect(() => patchGeometry(64, 8, 3)).toThrow(/do not tile/);
    expect(() => patchGeometry(16, 8, 12)).toThrow(/do not tile/);
    expect(patchGeometry(64, 8, 4)).toMatchObject({ grid: 15, dims: 64 });
  });

  it.each([8, 4, 2])('extracts the pixel block of each patch at stride %i', async (stride) => {
    const codec = new PatchCodec(patchGeometry(16, 8, stride));
    const x = frames(2, 16, 1);
    const patches = codec.extract(x);
    const g = (16 - 8) / stride + 1;
    expect(patches.shape).toEqual([2, g, g, 64]);
    const [pv, xv] = await Promise.all([patches.data(), x.data()]);
    for (const [n, gy, gx] of [
      [0, 0, 0],
      [1, g - 1, 0],
      [1, 1, g - 1],
    ]) {
      for (let dy = 0; dy < 8; dy++) {
        for (let dx = 0; dx < 8; dx++) {
          const pixel = xv[(n * 16 + gy * stride + dy) * 16 + gx * stride + dx];
          expect(pv[((n * g + gy) * g + gx) * 64 + dy * 8 + dx]).toBeCloseTo(pixel, 6);
        }
      }
    }
    tf.dispose([x, patches]);
    codec.dispose();
  });

  it.each([8, 4, 1])(
    'assembles extracted patches back into the frame at stride %i',
    async (stride) => {
      const codec = new PatchCodec(patchGeometry(16, 8, stride));
      const x = frames(3, 16, 2);
      const back = tf.tidy(() => codec.assemble(codec.extract(x)));
      expect(maxAbsDiff(await back.data(), await x.data())).toBeLessThan(1e-5);
      tf.dispose([x, back]);
      codec.dispose();
    },
  );

  it('averages the pixels where patches overlap', async () => {
    // 12-px frame, 8-px patches at stride 4: a 2×2 grid; patch (gy, gx) is the constant 1 + gy·2 + gx.
    const codec = new PatchCodec(patchGeometry(12, 8, 4));
    const constants = [1, 2, 3, 4];
    const patches = tf.tensor4d(
      constants.flatMap((c) => Array.from({ length: 64 }, () => c)),
      [1, 2, 2, 64],
    );
    const out = await codec.assemble(patches).data();
    const at = (y: number, x: number) => out[y * 12 + x];
    expect(at(0, 0)).toBeCloseTo(1, 6); // only patch (0, 0)
    expect(at(0, 11)).toBeCloseTo(2, 6); // only patch (0, 1)
    expect(at(11, 0)).toBeCloseTo(3, 6);
    expect(at(0, 6)).toBeCloseTo(1.5, 6); // patches (0, 0) and (0, 1)
    expect(at(6, 0)).toBeCloseTo(2, 6); // patches (0, 0) and (1, 0)
    expect(at(6, 6)).toBeCloseTo(2.5, 6); // all four
    patches.dispose();
    codec.dispose();
  });
});

describe('frameStds', () => {
  it('divides by each frame’s std or by its clip’s, floored for flat frames', async () => {
    // Two clips of two frames: 2×2 frames.
    const x = tf.tensor4d([0, 1, 0, 1, 0, 0, 0, 0, 0, 2, 0, 2, 1, 1, 1, 1], [4, 2, 2, 1]);
    const perFrame = await frameStds(x, 2, 'frame').data();
    expect(Array.from(perFrame)).toEqual([0.5, STD_FLOOR, 1, STD_FLOOR].map(Math.fround));
    const perClip = await frameStds(x, 2, 'video').data();
    // Clip 1: values {0,1,0,1,0,0,0,0}: mean 0.25, std √(0.1875); clip 2: {0,2,0,2,1,1,1,1}: std √0.5.
    const s1 = Math.sqrt(0.1875);
    const s2 = Math.sqrt(0.5);
    for (const [i, expected] of [s1, s1, s2, s2].entries())
      expect(perClip[i]).toBeCloseTo(expected, 6);
    x.dispose();
  });
});

describe('PatchDictionary', () => {
  /** A dictionary whose centroids are exactly the std-normalised patches of `frame`. */
  function dictionaryOf(codec: PatchCodec, frame: tf.Tensor4D): PatchDictionary {
    const centroids = tf.tidy(() => {
      const std = frameStds(frame, 1, 'frame');
      return codec.extract(frame.div(std.reshape([-1, 1, 1, 1]))).reshape([-1, 64]) as tf.Tensor2D;
    });
    return new PatchDictionary(codec, centroids, new Float32Array(centroids.shape[0]), 'frame');
  }

  it.each([8, 4])(
    'quantizes and decodes a frame made of its own centroids exactly (stride %i)',
    async (stride) => {
      const codec = new PatchCodec(patchGeometry(16, 8, stride));
      const frame = frames(1, 16, 3);
      const dictionary = dictionaryOf(codec, frame);
      const { codes, std } = dictionary.encode(frame, 1);
      const g = (16 - 8) / stride + 1;
      // Each location picks its own patch: code = its row in the dictionary.
      expect(Array.from(await codes.data())).toEqual(Array.from({ length: g * g }, (_, i) => i));
      const decoded = dictionary.decode(codes, std);
      expect(maxAbsDiff(await decoded.data(), await frame.data())).toBeLessThan(1e-5);
      tf.dispose([frame, codes, std, decoded]);
      dictionary.dispose();
      codec.dispose();
    },
  );

  it('decodes another frame to its nearest centroids, rescaled by its std', async () => {
    const codec = new PatchCodec(patchGeometry(16, 8, 8));
    const dictionary = dictionaryOf(codec, frames(1, 16, 4));
    const other = frames(1, 16, 5);
    const { codes, std } = dictionary.encode(other, 1);
    const decoded = await dictionary.decode(codes, std).data();
    const [centroids, codeValues, s] = await Promise.all([
      dictionary.centroids.data(),
      codes.data(),
      std.data(),
    ]);
    for (let gy = 0; gy < 2; gy++) {
      for (let gx = 0; gx < 2; gx++) {
        const code = codeValues[gy * 2 + gx];
        for (let dy = 0; dy < 8; dy++) {
          for (let dx = 0; dx < 8; dx++) {
            const expected = Math.min(1, Math.max(0, centroids[code * 64 + dy * 8 + dx] * s[0]));
            expect(decoded[(gy * 8 + dy) * 16 + gx * 8 + dx]).toBeCloseTo(expected, 5);
          }
        }
      }
    }
    tf.dispose([other, codes, std]);
    dictionary.dispose();
    codec.dispose();
  });
});
