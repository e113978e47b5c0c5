/**
 * Probes a checkpoint: `npm run probe -- --checkpoint file.safetensors [--labels 1,5,10,50]
 * [--digits 1] [--train-clips 1000] [--test-clips 500]`. A frozen linear probe on the model's
 * features (src/core/probe) classifies each Moving MNIST clip's first digit; the same network from
 * random initialisation is probed on the same clips. Prints one JSON object. CPU backend.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { decodeCheckpoint } from '../core/checkpoint/run-checkpoint';
import { loadMnistFromDisk, loadMnistLabelsFromDisk } from '../core/data/mnist-node';
import type { MovingMnistDataSpec } from '../core/data/types';
import { movingMnistOptionsFor } from '../core/data/video-stream';
import { modelDefinition } from '../core/models/registry';
import { compareWithRandomInit } from '../core/probe/compare';
import { runAsMain } from './program';

export const PROBE_USAGE = `Usage: npm run probe -- --checkpoint FILE [options]
  --checkpoint FILE   a run checkpoint (.safetensors) of a Moving MNIST run
  --labels LIST       labelled clips per class, comma-separated (default 1,5,10,50)
  --digits N          digits per clip (default: the run's; 1 makes "first digit" unambiguous)
  --train-clips N     clips the labelled ones are drawn from (default 1000)
  --test-clips N      clips scored (default 500)
  --seeds N           probe draws averaged (default 3)`;

export class ProbeArgsError extends Error {}

export interface ProbeArgs {
  help: boolean;
  checkpoint: string;
  labels: number[];
  digits: number | null;
  trainClips: number;
  testClips: number;
  seeds: number;
}

function positiveInteger(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new ProbeArgsError(`${flag} needs a positive integer (got ${text ?? 'nothing'})`);
  }
  return value;
}

export function parseProbeArgs(argv: string[]): ProbeArgs {
  const args: ProbeArgs = {
    help: false,
    checkpoint: '',
    labels: [1, 5, 10, 50],
    digits: null,
    trainClips: 1000,
    testClips: 500,
    seeds: 3,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--help' || flag === '-h') {
      args.help = true;
      continue;
    }
    i++;
    if (flag === '--checkpoint' && value) args.checkpoint = value;
    else if (flag === '--labels')
      args.labels = (value ?? '').split(',').map((part) => positiveInteger('--labels', part));
    else if (flag === '--digits') args.digits = positiveInteger(flag, value);
    else if (flag === '--train-clips') args.trainClips = positiveInteger(flag, value);
    else if (flag === '--test-clips') args.testClips = positiveInteger(flag, value);
    else if (flag === '--seeds') args.seeds = positiveInteger(flag, value);
    else throw new ProbeArgsError(`unknown or incomplete option ${flag}`);
  }
  if (!args.help && !args.checkpoint) throw new ProbeArgsError('--checkpoint FILE is required');
  return args;
}

export async function runProbe(args: ProbeArgs): Promise<number> {
  await tf.setBackend('cpu');
  const checkpoint = decodeCheckpoint(new Uint8Array(await readFile(args.checkpoint)));
  const { model: kind, variant, preset, config, seed, data } = checkpoint.run;
  if (data?.source !== 'moving-mnist') {
    console.error(
      `${args.checkpoint}: probes need a Moving MNIST run (this one trained on ${data?.source})`,
    );
    return 1;
  }
  const [images, labels] = await Promise.all([loadMnistFromDisk(), loadMnistLabelsFromDisk()]);
  const build = await modelDefinition(kind).restore(variant, preset, config).builder();
  const pretrained = build(seed);
  const random = build(seed);
  try {
    pretrained.importState(checkpoint.model);
    const spec: MovingMnistDataSpec =
      args.digits === null ? data : { ...data, digits: args.digits };
    const result = await compareWithRandomInit(
      pretrained,
      random,
      { images: images.train, labels: labels.train },
      { images: images.test, labels: labels.test },
      movingMnistOptionsFor(spec, pretrained.data),
      {
        labelsPerClass: args.labels,
        trainClips: args.trainClips,
        testClips: args.testClips,
        dataSeed: 7,
        probeSeeds: Array.from({ length: args.seeds }, (_, i) => i + 1),
        batch: 100,
      },
    );
    console.log(
      JSON.stringify({ checkpoint: args.checkpoint, model: kind, task: 'first-digit', ...result }),
    );
    return 0;
  } finally {
    pretrained.dispose();
    random.dispose();
  }
}

runAsMain(import.meta.url, {
  usage: PROBE_USAGE,
  parse: parseProbeArgs,
  argsError: ProbeArgsError,
  run: runProbe,
});
