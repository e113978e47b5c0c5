/**
 * The static textured background of the Moving MNIST generator (`data.background: 'texture'`):
 * one smooth texture per sequence, the same in every frame, deterministic per seed, with the
 * digits laid over it; 'none' stays exactly Srivastava's black background.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { MnistDigits, MnistImages } from '../src/core/data/mnist';
import { loadMnistFromDisk } from '../src/core/data/mnist-node';
import {
  DEFAULT_MOVING_MNIST,
  MovingMnistGenerator,
  TEXTURE_MAX,
  TEXTURE_MIN,
  resolveMovingMnistOptions,
} from '../src/core/data/moving-mnist';
import { movingMnistOptionsFor } from '../src/core/data/video-stream';
import { ConfigError } from '../src/core/models/config-schema';
import type { MovingMnistOptions, VideoBytes } from '../src/core/data/types';
import { parseRunSpec } from '../src/protocol/run-spec';

let mnist: MnistDigits;
beforeAll(async () => {
  mnist = await loadMnistFromDisk();
});

const TEXTURE: MovingMnistOptions = { ...DEFAULT_MOVING_MNIST, frames: 6, background: 'texture' };

/** Digits that are black everywhere: the frames show the background alone. */
function blankDigits(count: number): MnistImages {
  return { count, rows: 28, cols: 28, pixels: new Uint8Array(count * 784) };
}

function frameOf(videos: VideoBytes, sequence: number, frame: number): Uint8Array {
  const area = videos.height * videos.width;
  const start = (sequence * videos.t + frame) * area;
  return videos.data.subarray(start, start + area);
}

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return null;
}

describe('Moving MNIST background', () => {
  it("defaults to 'none', the reference generator's black background", () => {
    expect(DEFAULT_MOVING_MNIST.background).toBe('none');
    expect(resolveMovingMnistOptions({}).background).toBe('none');
    const videos = new MovingMnistGenerator(blankDigits(4), DEFAULT_MOVING_MNIST, 3).nextBatch(2);
    expect(videos.data.every((v) => v === 0)).toBe(true);
  });

  it('is a texture static over time, within its gray range, different per sequence', () => {
    const videos = new MovingMnistGenerator(blankDigits(8), TEXTURE, 5).nextBatch(3);
    for (let s = 0; s < 3; s++) {
      const first = frameOf(videos, s, 0);
      for (let t = 1; t < videos.t; t++) expect(frameOf(videos, s, t)).toEqual(first);
      expect(Math.min(...first)).toBeGreaterThanOrEqual(TEXTURE_MIN);
      expect(Math.max(...first)).toBeLessThanOrEqual(TEXTURE_MAX);
      expect(Math.max(...first) - Math.min(...first)).toBeGreaterThan(20); // not flat
    }
    expect(frameOf(videos, 0, 0)).not.toEqual(frameOf(videos, 1, 0));
  });

  it('is smooth: neighbouring pixels differ far less than the gray range', () => {
    const videos = new MovingMnistGenerator(blankDigits(8), TEXTURE, 11).nextBatch(4);
    const size = videos.width;
    let total = 0;
    let count = 0;
    for (let s = 0; s < 4; s++) {
      const frame = frameOf(videos, s, 0);
      for (let y = 0; y < size; y++) {
        for (let x = 1; x < size; x++) {
          total += Math.abs(frame[y * size + x] - frame[y * size + x - 1]);
          count++;
        }
      }
    }
    expect(total / count).toBeLessThan(0.05 * (TEXTURE_MAX - TEXTURE_MIN));
  });

  it('is deterministic per seed and independent of how the stream is cut into batches', () => {
    const a = new MovingMnistGenerator(mnist.train, TEXTURE, 42).nextBatch(4);
    const b = new MovingMnistGenerator(mnist.train, TEXTURE, 42).nextBatch(4);
    const c = new MovingMnistGenerator(mnist.train, TEXTURE, 43).nextBatch(4);
    expect(a.data).toEqual(b.data);
    expect(a.data).not.toEqual(c.data);
    const pieces = new MovingMnistGenerator(mnist.train, TEXTURE, 42);
    const joined = new Uint8Array(a.data.length);
    joined.set(pieces.nextBatch(2).data);
    joined.set(pieces.nextBatch(2).data, a.data.length / 2);
    expect(joined).toEqual(a.data);
  });

  it('keeps the digits, moving as without it, laid over the texture', () => {
    const plain = { ...TEXTURE, background: 'none' as const };
    const digits = new MovingMnistGenerator(mnist.train, plain, 7).nextBatchWithLayout(3);
    const textured = new MovingMnistGenerator(mnist.train, TEXTURE, 7).nextBatchWithLayout(3);
    // Same digits on the same paths: the texture draws from a stream of its own.
    expect(textured.layout).toEqual(digits.layout);
    const d = digits.videos.data;
    const out = textured.videos.data;
    let strokes = 0;
    for (let i = 0; i < d.length; i++) {
      expect(out[i]).toBeGreaterThanOrEqual(d[i]); // d + (1 − d/255)·texture ≥ d
      if (d[i] === 255) {
        expect(out[i]).toBe(255); // opaque strokes hide the texture
        strokes++;
      }
    }
    expect(strokes).toBeGreaterThan(0);
    // Where no digit is, the texture shows, and it is the same in every frame.
    const area = textured.videos.height * textured.videos.width;
    for (let s = 0; s < 3; s++) {
      for (let p = 0; p < area; p++) {
        const values = new Set<number>();
        for (let t = 0; t < textured.videos.t; t++) {
          const i = (s * textured.videos.t + t) * area + p;
          if (d[i] === 0) values.add(out[i]);
        }
        expect(values.size).toBeLessThanOrEqual(1);
      }
    }
  });

  it('rejects unknown backgrounds naming data.background, in options and in run specs', () => {
    const error = errorOf(() => resolveMovingMnistOptions({ background: 'noise' as never }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('data.background');
    const needs = {
      frames: 8,
      height: 32,
      width: 32,
      channels: 1 as const,
      range: 'symmetric' as const,
      batchSize: 2,
    };
    expect(
      movingMnistOptionsFor({ source: 'moving-mnist', background: 'texture' }, needs).background,
    ).toBe('texture');
    const spec = parseRunSpec({
      model: 'lstm',
      data: { source: 'moving-mnist', background: 'texture' },
    });
    expect(spec.data).toMatchObject({ source: 'moving-mnist', background: 'texture' });
  });
});
