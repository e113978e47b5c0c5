/**
 * Non-finite state (issue 20): a checkpoint whose weights or optimiser state hold NaN or ±Inf is
 * refused at import, naming the tensor, and changes nothing; the trainer checks every weight and
 * optimiser slot every few steps (one fused flag per tensor, read with the losses), so a run whose
 * state goes bad while its loss stays finite pauses with 'non-finite-parameters', refuses to
 * train on or to be saved, and a restore of a good checkpoint brings it back.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError } from '../src/core/checkpoint/errors';
import { decodeCheckpoint } from '../src/core/checkpoint/run-checkpoint';
import type { BatchSource } from '../src/core/data/batch-source';
import { resolveLstmConfig } from '../src/core/models/lstm/config';
import { LstmEncoderDecoder } from '../src/core/models/lstm/model';
import type { VideoModel } from '../src/core/models/types';
import { Trainer } from '../src/core/train/trainer';
import type { RunSpec } from '../src/protocol/messages';
import { FakeRun } from './helpers/fake-run';
import { readSafetensors } from './helpers/safetensors-reader';
import { launchOf } from '../src/protocol/run-spec';

const SPEC: RunSpec = {
  model: 'lstm',
  preset: 'tiny',
  backend: 'cpu',
  config: {
    frameSize: 16,
    hiddenUnits: 8,
    inputFrames: 3,
    futureFrames: 3,
    batchSize: 2,
    evalSequences: 2,
    evalEvery: 100_000,
    sampleEvery: 100_000,
  },
  data: { source: 'moving-mnist', seed: 5, digitSize: 8, speed: 2 },
};

/** A copy of a checkpoint with value `index` of tensor `name` set to `value`. */
function withValue(bytes: Uint8Array, name: string, index: number, value: number): Uint8Array {
  const copy = bytes.slice();
  const tensor = readSafetensors(copy).tensors.get(name);
  if (!tensor) throw new Error(`no tensor ${name}`);
  new DataView(tensor.bytes.buffer, tensor.bytes.byteOffset).setFloat32(index * 4, value, true);
  return copy;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('a checkpoint with non-finite state', () => {
  let run: FakeRun;
  let good: Uint8Array;

  beforeAll(async () => {
    run = new FakeRun();
    const reply = await run.send({ type: 'init', ...launchOf(SPEC) });
    if (!reply.ok) throw new Error(reply.error.message);
    await run.train(2);
    good = await run.exportCheckpoint();
  });

  it.each([
    ['an optimiser moment', 'optimizer.m.encoder.0.bias', Infinity],
    ['a weight', 'encoder.0.w', NaN],
    ['a weight', 'future.readout.b', -Infinity],
  ])('is refused at import when %s (%s) is %s, naming it', async (_what, name, value) => {
    const bad = withValue(good, name, 3, value);
    expect(() => decodeCheckpoint(bad)).toThrow(CheckpointError);
    const reply = await run.send({ type: 'import-checkpoint', bytes: bad.buffer as ArrayBuffer });
    expect(reply.ok).toBe(false);
    if (reply.ok) return;
    expect(reply.error.code).toBe('invalid-checkpoint');
    expect(reply.error.message).toBe(
      `Tensor "${name}" holds ${value} at index 3; a checkpoint's weights and optimiser state must be finite numbers (the run that wrote it had diverged)`,
    );
    // Nothing changed: the run saves exactly the state it had.
    const after = await run.exportCheckpoint();
    expect(readSafetensors(after).tensors.get(name)?.bytes).toEqual(
      readSafetensors(good).tensors.get(name)?.bytes,
    );
  });
});

/** A model whose loss stays 1 while its one weight turns NaN at step `badFrom`. */
function silentlyDivergingModel(badFrom: number): VideoModel & { weights: tf.Variable } {
  let step = 0;
  const weights = tf.variable(tf.ones([4]));
  const slot = tf.variable(tf.zeros([4]));
  return {
    weights,
    kind: 'lstm',
    data: { frames: 2, height: 2, width: 2, channels: 1, range: 'unit', batchSize: 1 },
    samplesUseHeldOut: false,
    trainStep: () => {
      step += 1;
      if (step === badFrom) weights.assign(tf.tensor1d([1, NaN, 1, 1]));
      return { loss: tf.scalar(1) };
    },
    warmUp: async () => {},
    evaluate: async () => ({ scalars: {}, perFrame: {} }),
    sample: async () => [],
    getHyperparameters: () => ({}),
    setHyperparameters: () => {},
    parameterCount: () => 4,
    exportState: async () => ({ tensors: {}, meta: {} }),
    importState: () => {},
    stateVariables: () => [
      ['w', weights],
      ['optimizer.m.w', slot],
    ],
    dispose: () => tf.dispose([weights, slot]),
  };
}

const zeros: BatchSource = {
  nextBatch: () => tf.zeros([1, 2, 2, 2, 1]),
  getState: () => ({ arrays: {}, meta: {} }),
  setState: () => {},
};

describe('the trainer’s state check', () => {
  it('names the tensors that went non-finite at the next check, while the loss is finite', async () => {
    const model = silentlyDivergingModel(3);
    const trainer = new Trainer(model, zeros);
    trainer.stateCheckEvery = 5;
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await trainer.trainStep());
    expect(results.map((r) => r.nonFiniteState)).toEqual([
      [],
      [],
      [],
      [],
      ['w'], // step 5: the first check after the weight went bad at step 3
      [],
      [],
      [],
      [],
      ['w'],
    ]);
    expect(results.every((r) => r.nonFinite.length === 0)).toBe(true);
    model.dispose();
  });

  it('leaks no tensor and catches every kind of non-finite value', async () => {
    for (const value of [NaN, Infinity, -Infinity]) {
      const weights = tf.variable(tf.tensor1d([0, 1, 2]));
      const model: VideoModel = {
        ...silentlyDivergingModel(0),
        stateVariables: () => [['w', weights] as const],
      };
      const trainer = new Trainer(model, zeros);
      trainer.stateCheckEvery = 1;
      const before = tf.memory().numTensors;
      expect((await trainer.trainStep()).nonFiniteState).toEqual([]);
      expect(tf.memory().numTensors).toBe(before);
      weights.assign(tf.tensor1d([0, value, 2]));
      expect((await trainer.trainStep()).nonFiniteState).toEqual(['w']);
      model.dispose();
      weights.dispose();
    }
  });

  it('finds an Inf optimiser moment of a real LSTM within a check, before the loss shows it', async () => {
    const config = resolveLstmConfig('composite', 'tiny', SPEC.config);
    const model = new LstmEncoderDecoder(config, 0);
    const source = new LstmEncoderDecoder(config, 1);
    const state = await source.exportState();
    source.dispose();
    state.tensors['optimizer.m.encoder.0.bias'].data[0] = Infinity;
    model.importState(state); // the model's own import: decodeCheckpoint is what refuses files
    const trainer = new Trainer(model, {
      ...zeros,
      nextBatch: () => tf.randomUniform([2, 6, 16, 16, 1]),
    });
    trainer.stateCheckEvery = 2;
    await trainer.trainStep();
    const checked = await trainer.trainStep();
    expect(checked.nonFiniteState).toContain('encoder.0.bias');
    model.dispose();
  });
});
