/**
 * The headless training CLI end to end: `npm run train` trains in a child process, writes a
 * checkpoint that the independent reader parses and a model loads, takes exactly the steps a run
 * worker takes with the same spec (so the app resumes it seamlessly), and resumes itself.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgsError, parseTrainArgs } from '../src/cli/args';
import { decodeCheckpoint } from '../src/core/checkpoint/run-checkpoint';
import type { MnistDigits } from '../src/core/data/mnist';
import { loadMnistFromDisk } from '../src/core/data/mnist-node';
import type { LstmConfig } from '../src/core/models/lstm/config';
import { LstmEncoderDecoder } from '../src/core/models/lstm/model';
import type { RunSpec } from '../src/protocol/messages';
import { FakeRun } from './helpers/fake-run';
import { floatsOf, readSafetensors, tensorBytes } from './helpers/safetensors-reader';
import { launchOf } from '../src/protocol/run-spec';

const CONFIG = { frameSize: 16, hiddenUnits: 8, inputFrames: 4, futureFrames: 3, batchSize: 4 };
const FLAGS = [
  '--model',
  'lstm',
  '--preset',
  'tiny',
  ...Object.entries(CONFIG).flatMap(([key, value]) => ['--config', `${key}=${value}`]),
  '--config',
  'evalSequences=4',
  '--data',
  'digitSize=8',
  '--seed',
  '2',
  '--data-seed',
  '9',
];
const SPEC: RunSpec = {
  model: 'lstm',
  preset: 'tiny',
  backend: 'cpu',
  seed: 2,
  config: { ...CONFIG, evalSequences: 4 },
  data: { source: 'moving-mnist', digitSize: 8, seed: 9 },
};

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // As `npm run train` runs it: tsx as a loader, no wrapper process in between.
  const command = ['--import', 'tsx', 'src/cli/train.ts', ...args];
  return new Promise((resolve) => {
    execFile(process.execPath, command, { timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

let dir: string;
let digits: MnistDigits;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(path.join(tmpdir(), 'train-cli-'));
  digits = await loadMnistFromDisk();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm run train', () => {
  it('trains, writes a checkpoint that loads, takes the worker’s steps, and resumes', async () => {
    const out = path.join(dir, 'nested', 'lstm.safetensors');
    const first = await cli([...FLAGS, '--steps', '3', '--log-every', '1', '--out', out]);
    expect(first.stderr).not.toMatch(/Error/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/backend: cpu/);
    expect(first.stdout).toMatch(/step 1\/3 {2}loss \S+ {2}recon_loss/);
    expect(first.stdout).toMatch(/step 3\/3/);
    expect(first.stdout).toMatch(/future\/mse/); // the held-out evaluation
    expect(first.stdout).toMatch(/wrote .*lstm\.safetensors \(\d+\.\d+ MB, step 3\)/);

    const bytes = new Uint8Array(await readFile(out));
    const file = readSafetensors(bytes);
    expect(file.metadata).toMatchObject({
      format: 'video-model-playground.checkpoint',
      model: 'lstm',
      variant: 'composite',
      preset: 'tiny',
      step: '3',
      seed: '2',
      producer: 'video-model-playground cli',
    });

    const history = JSON.parse(file.metadata.history) as { points: number[][] };
    expect(history.points.map((row) => row[0])).toEqual([1, 2, 3]);

    // A model loads it and then holds exactly the file's weights.
    const checkpoint = decodeCheckpoint(bytes);
    const model = new LstmEncoderDecoder(checkpoint.run.config as unknown as LstmConfig, 123);
    try {
      model.importState(checkpoint.model);
      for (const [name, variable] of model.namedParameters()) {
        expect(Array.from(variable.dataSync())).toEqual(
          Array.from(floatsOf(file.tensors.get(name)!)),
        );
      }
    } finally {
      model.dispose();
    }

    // A run worker with the same spec takes the same three steps: same weights, optimiser, stream.
    const worker = new FakeRun(digits);
    expect(await worker.send({ type: 'init', ...launchOf(SPEC) })).toMatchObject({ ok: true });
    const steps = () => worker.of('metrics').flatMap((e) => e.points).length;
    await worker.send({ type: 'step', n: 3 });
    await worker.until(() => steps() === 3 && worker.lastStatus() === 'paused');
    const exported = async () => {
      const reply = await worker.send({ type: 'export-checkpoint' });
      const value = reply.ok ? reply.value : undefined;
      return new Uint8Array(value?.type === 'checkpoint' ? value.bytes : new ArrayBuffer(0));
    };
    expect(tensorBytes(await exported())).toEqual(tensorBytes(bytes));

    // --resume continues where it stopped, as the worker does.
    const resumedOut = path.join(dir, 'resumed.safetensors');
    const second = await cli(['--resume', out, '--steps', '2', '--no-eval', '--out', resumedOut]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/resumed from .* at step 3/);
    expect(second.stdout).toMatch(/step 5\/5/);
    expect(second.stdout).not.toMatch(/held-out evaluation/);
    await worker.send({ type: 'step', n: 2 });
    await worker.until(() => steps() === 5 && worker.lastStatus() === 'paused');
    const resumed = new Uint8Array(await readFile(resumedOut));
    expect(readSafetensors(resumed).metadata.step).toBe('5');
    const curves = JSON.parse(readSafetensors(resumed).metadata.history) as { points: number[][] };
    expect(curves.points.map((row) => row[0])).toEqual([1, 2, 3, 4, 5]);
    expect(tensorBytes(await exported())).toEqual(tensorBytes(resumed));
    await worker.send({ type: 'dispose' });
  });

  it('rejects bad arguments and bad configs with a message naming them', async () => {
    const unknownModel = await cli([
      '--model',
      'nope',
      '--steps',
      '1',
      '--out',
      path.join(dir, 'x.safetensors'),
    ]);
    expect(unknownModel.code).toBe(2);
    expect(unknownModel.stderr).toMatch(/model must be one of: lstm, vgan/);
    const badKey = await cli([
      ...FLAGS,
      '--config',
      'bogus=1',
      '--steps',
      '1',
      '--out',
      path.join(dir, 'x.safetensors'),
    ]);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toMatch(/Unknown config key "bogus"/);
    const notCheckpoint = path.join(dir, 'not-a-checkpoint.safetensors');
    await import('node:fs/promises').then((fs) => fs.writeFile(notCheckpoint, 'hello'));
    const badResume = await cli([
      '--resume',
      notCheckpoint,
      '--steps',
      '1',
      '--out',
      path.join(dir, 'y.safetensors'),
    ]);
    expect(badResume.code).toBe(2);
    expect(badResume.stderr).toMatch(/Cannot resume from .*not a safetensors file/);
  });
});

describe('parseTrainArgs', () => {
  it('reads flags, key=value overrides with typed values, and --flag=value', () => {
    const args = parseTrainArgs([
      '--model=vgan',
      '--steps',
      '10',
      '--out',
      'a.safetensors',
      '--config',
      'dLearningRate=0.001',
      '--config',
      'variant=x',
      '--data',
      'compositing=additive',
      '--data',
      'speed=2.5',
      '--backend',
      'webgpu',
      '--no-eval',
    ]);
    expect(args).toMatchObject({
      model: 'vgan',
      steps: 10,
      out: 'a.safetensors',
      config: { dLearningRate: 0.001, variant: 'x' },
      data: { compositing: 'additive', speed: 2.5 },
      backend: 'webgpu',
      evaluate: false,
    });
  });

  it.each([
    [['--steps', '1', '--out', 'a'], /--model is required/],
    [['--model', 'lstm', '--out', 'a'], /--steps is required/],
    [['--model', 'lstm', '--steps', '0', '--out', 'a'], /--steps must be a positive integer/],
    [['--model', 'lstm', '--steps', '2'], /--out is required/],
    [
      ['--model', 'lstm', '--steps', '2', '--out', 'a', '--backend', 'tpu'],
      /--backend must be cpu or webgpu/,
    ],
    [
      ['--model', 'lstm', '--steps', '2', '--out', 'a', '--config', 'lr'],
      /--config needs key=value/,
    ],
    [['--bogus'], /Unknown option "--bogus"/],
    [
      ['--resume', 'a', '--model', 'lstm', '--steps', '1', '--out', 'b'],
      /--resume takes the model/,
    ],
  ])('%j fails: %s', (argv, message) => {
    expect(() => parseTrainArgs(argv)).toThrow(ArgsError);
    expect(() => parseTrainArgs(argv)).toThrow(message);
  });
});
