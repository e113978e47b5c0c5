/**
 * The example checkpoints shipped in public/checkpoints/ match their manifest and still load into
 * the current models (a change to a model's tensors must come with regenerated examples; the
 * command lines are in public/checkpoints/README.md), and stay small enough for git.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint, readCheckpointInfo } from '../src/core/checkpoint/run-checkpoint';
import { modelDefinition } from '../src/core/models/registry';
import type { ExampleCheckpoint } from '../src/app/checkpoints/examples';

const DIR = 'public/checkpoints';

let examples: ExampleCheckpoint[];

beforeAll(async () => {
  await tf.setBackend('cpu');
  const manifest = JSON.parse(await readFile(path.join(DIR, 'manifest.json'), 'utf8'));
  examples = manifest.examples;
});

describe('shipped example checkpoints', () => {
  it('exist for the LSTM and the VGAN, with unique ids, within 28 MB each', async () => {
    expect(examples.map((e) => e.model).sort()).toEqual(expect.arrayContaining(['lstm', 'vgan']));
    expect(new Set(examples.map((e) => e.id)).size).toBe(examples.length);
    let total = 0;
    for (const example of examples) {
      const { size } = await stat(path.join(DIR, example.file));
      expect(size).toBe(example.size);
      // The largest, the 256-unit LSTM: 9.5 MB of weights, as much again for each of Adam's
      // moments (why 256 units: public/checkpoints/README.md).
      expect(size).toBeLessThan(28 * 2 ** 20);
      total += size;
    }
    // 27.4 MB for the LSTM, 13.8 MB for the VGAN (G 32 / D 16 channels), 0.4 MB for the rCNN.
    expect(total).toBeLessThan(44 * 2 ** 20);
  });

  it('match their manifest entries and load into the current models', async () => {
    for (const example of examples) {
      const bytes = new Uint8Array(await readFile(path.join(DIR, example.file)));
      const info = readCheckpointInfo(bytes);
      expect(info.run.model).toBe(example.model);
      expect(info.step).toBe(example.steps);
      expect(info.producer).toBe('video-model-playground cli');
      const checkpoint = decodeCheckpoint(bytes);
      expect(checkpoint.history.at(-1)?.step).toBe(example.steps);
      const { model: kind, variant, preset, config, seed } = checkpoint.run;
      const resolved = modelDefinition(kind).restore(variant, preset, config);
      const model = (await resolved.builder())(seed);
      try {
        model.importState(checkpoint.model); // throws on any missing, extra or misshapen tensor
      } finally {
        model.dispose();
      }
    }
  });
});
