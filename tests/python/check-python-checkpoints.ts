/**
 * The app's side of the round trip (`npm run test:python` runs it after the Python tests): every
 * checkpoint the PyTorch package wrote opens as a new run the way the app opens a file (run spec
 * from the metadata, then `import-checkpoint` in a run worker's handler, tfjs CPU backend), shows
 * its curves, and trains on. Its next step equals the step PyTorch took from the same file
 * (`<name>.next.safetensors`): the same losses, counters and data stream, the same weights to
 * 1e-5 and the same optimiser slots to 1e-4.
 *
 * Usage: node --import tsx tests/python/check-python-checkpoints.ts <reference folder>
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  checkpointRunSpec,
  decodeCheckpoint,
  readCheckpointInfo,
} from '../../src/core/checkpoint/run-checkpoint';
import type { RunCheckpoint } from '../../src/core/checkpoint/run-checkpoint';
import { loadMnistFromDisk } from '../../src/core/data/mnist-node';
import { FakeRun } from '../helpers/fake-run';
import { launchOf } from '../../src/protocol/run-spec';

const TOLERANCE = 1e-5;
/**
 * Adam's moments take 1 − β1 of a gradient summed over batch × positions in an order each
 * library picks: the VGAN example's first discriminator layer differs by 1.3e-5 (as
 * MOMENT_TOLERANCE in python/tests/test_models.py explains).
 */
const MOMENT_TOLERANCE = 1e-4;

/** max |a − b| / max |b|. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let difference = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    difference = Math.max(difference, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale > 0 ? difference / scale : difference;
}

function compareStates(name: string, actual: RunCheckpoint, expected: RunCheckpoint): void {
  assert.equal(actual.step, expected.step, `${name}: step`);
  const names = Object.keys(expected.model.tensors).sort();
  assert.deepEqual(Object.keys(actual.model.tensors).sort(), names, `${name}: tensor names`);
  for (const tensor of names) {
    const error = relativeError(
      actual.model.tensors[tensor].data,
      expected.model.tensors[tensor].data,
    );
    assert.ok(
      error < (tensor.startsWith('optimizer.') ? MOMENT_TOLERANCE : TOLERANCE),
      `${name}: ${tensor} differs by ${error.toExponential(2)} (relative)`,
    );
  }
  assert.deepEqual(actual.data.meta, expected.data.meta, `${name}: data stream state`);
  for (const [array, values] of Object.entries(expected.data.arrays)) {
    assert.deepEqual(actual.data.arrays[array], values, `${name}: data.${array}`);
  }
}

async function main(): Promise<void> {
  const folder = path.join(process.argv[2] ?? '', 'python-checkpoints');
  const names = readdirSync(folder)
    .filter((file) => file.endsWith('.next.safetensors'))
    .map((file) => file.replace('.next.safetensors', ''));
  assert.ok(names.length >= 6, `expected the Python tests' checkpoints in ${folder}`);
  await tf.setBackend('cpu');
  const digits = await loadMnistFromDisk();
  for (const name of names.sort()) {
    const bytes = readFileSync(path.join(folder, `${name}.safetensors`));
    const written = decodeCheckpoint(bytes);
    const next = decodeCheckpoint(readFileSync(path.join(folder, `${name}.next.safetensors`)));
    assert.equal(written.producer, 'video-model-playground pytorch');

    // Opened as the app opens a file: a run from the metadata, then the checkpoint imported.
    const spec = { ...checkpointRunSpec(readCheckpointInfo(bytes).run), backend: 'cpu' as const };
    const run = new FakeRun(digits);
    try {
      const init = await run.send({ type: 'init', ...launchOf(spec) });
      assert.ok(init.ok, `${name}: init failed: ${JSON.stringify(init)}`);
      const reply = await run.send({ type: 'import-checkpoint', bytes: bytes.slice().buffer });
      assert.ok(reply.ok, `${name}: the app refused it: ${JSON.stringify(reply)}`);
      const restored = run.of('restored').at(-1);
      assert.equal(restored?.step, written.step, `${name}: restored step`);
      assert.deepEqual(
        restored?.history.map((p) => p.step),
        written.history.map((p) => p.step),
        `${name}: the curves`,
      );

      // It trains on: the step PyTorch took from the same file.
      await run.train(1);
      const [point] = run.points();
      assert.equal(point.step, written.step + 1);
      const pythonPoint = next.history.find((p) => p.step === point.step);
      for (const [metric, value] of Object.entries(pythonPoint?.values ?? {})) {
        const error = Math.abs(point.values[metric] - value) / Math.max(1, Math.abs(value));
        assert.ok(
          error < 1e-4,
          `${name}: ${metric} is ${point.values[metric]} here, ${value} in PyTorch`,
        );
      }
      compareStates(name, decodeCheckpoint(await run.exportCheckpoint()), next);
      console.log(`${name}: opens at step ${written.step}, trains on as PyTorch does`);
    } finally {
      await run.send({ type: 'dispose' });
    }
  }
}

await main();
