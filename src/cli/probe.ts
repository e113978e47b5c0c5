/**
 * Probes a checkpoint: `npm run probe -- --checkpoint file.safetensors [--mode linear|fine-tune]
 * [--task first-digit|digits-present] [--labels 1,5,10,50,all] [--digits 1] …`. A frozen linear
 * probe on the model's features, or the features network fine-tuned with a K-way head
 * (src/core/probe), classifies Moving MNIST clips; the same network from random initialisation is
 * probed on the same clips. Prints one JSON object. CPU backend.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { decodeCheckpoint } from '../core/checkpoint/run-checkpoint';
import { loadMnistFromDisk, loadMnistLabelsFromDisk } from '../core/data/mnist-node';
import type { MovingMnistDataSpec } from '../core/data/types';
import { movingMnistOptionsFor } from '../core/data/video-stream';
import { modelDefinition } from '../core/models/registry';
import { compareWithRandomInit, DEFAULT_PROBE_SETTINGS, modelFactory } from '../core/probe/compare';
import type { ProbeMode } from '../core/probe/compare';
import type { LabelTask } from '../core/data/labels';
import type { LabelCount } from '../core/probe/targets';
import { runAsMain } from './program';

export const PROBE_USAGE = `Usage: npm run probe -- --checkpoint FILE [options]
  --checkpoint FILE   a run checkpoint (.safetensors) of a Moving MNIST run
  --mode MODE         linear (a probe on frozen features, default) or fine-tune (the features
                      network trains with the head)
  --task TASK         first-digit (default) or digits-present (which digits the clip shows)
  --labels LIST       labelled clips per class, comma-separated; 'all' = every training clip
                      (default 1,5,10,50)
  --epochs N          fine-tuning passes over the labelled clips (default 5)
  --digits N          digits per clip (default: the run's; 1 makes "first digit" unambiguous)
  --train-clips N     clips the labelled ones are drawn from (default 1000)
  --test-clips N      clips scored (default 500)
  --seeds N           probe draws averaged (default 3)
  --batch N           clips per features() call and fine-tuning step (default 50)`;

export class ProbeArgsError extends Error {}

export interface ProbeArgs {
  help: boolean;
  checkpoint: string;
  mode: ProbeMode;
  task: LabelTask;
  labels: LabelCount[];
  epochs: number;
  batch: number;
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
    mode: 'linear',
    task: 'first-digit',
    labels: [1, 5, 10, 50],
    epochs: DEFAULT_PROBE_SETTINGS.epochs,
    batch: DEFAULT_PROBE_SETTINGS.batch,
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
    else if (flag === '--mode' && (value === 'linear' || value === 'fine-tune')) args.mode = value;
    else if (flag === '--task' && (value === 'first-digit' || value === 'digits-present'))
      args.task = value;
    else if (flag === '--labels')
      args.labels = (value ?? '')
        .split(',')
        .map((part) => (part === 'all' ? 'all' : positiveInteger('--labels', part)));
    else if (flag === '--epochs') args.epochs = positiveInteger(flag, value);
    else if (flag === '--batch') args.batch = positiveInteger(flag, value);
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
  const resolved = modelDefinition(kind).restore(variant, preset, config);
  const build = await resolved.builder();
  const make = await modelFactory(build, seed, checkpoint.model);
  const spec: MovingMnistDataSpec = args.digits === null ? data : { ...data, digits: args.digits };
  const result = await compareWithRandomInit(
    make,
    { images: images.train, labels: labels.train },
    { images: images.test, labels: labels.test },
    movingMnistOptionsFor(spec, resolved.dataRequirements()),
    {
      ...DEFAULT_PROBE_SETTINGS,
      mode: args.mode,
      task: args.task,
      labelsPerClass: args.labels,
      trainClips: args.trainClips,
      testClips: args.testClips,
      seeds: Array.from({ length: args.seeds }, (_, i) => i + 1),
      batch: args.batch,
      epochs: args.epochs,
    },
  );
  console.log(JSON.stringify({ checkpoint: args.checkpoint, model: kind, ...result }));
  return 0;
}

runAsMain(import.meta.url, {
  usage: PROBE_USAGE,
  parse: parseProbeArgs,
  argsError: ProbeArgsError,
  run: runProbe,
});
