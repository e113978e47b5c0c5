/**
 * Probes a checkpoint: `npm run probe -- --checkpoint file.safetensors [--mode linear|fine-tune]
 * [--task first-digit|digits-present] [--labels 1,5,10,50,all] [--digits 1] …`. A frozen linear
 * probe on the model's features, or the features network fine-tuned with a K-way head
 * (src/core/probe), classifies Moving MNIST clips, or the sequences of a .npy array by a labels
 * file beside it (`--npy clips.npy --labels-file clips.labels.txt`, as the Data view reads
 * them); the same network from random initialisation is probed on the same clips, and a linear
 * probe also on each clip's mean frame (`meanFrame`). Prints one JSON object. CPU backend.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { decodeCheckpoint } from '../core/checkpoint/run-checkpoint';
import { loadMnistFromDisk, loadMnistLabelsFromDisk } from '../core/data/mnist-node';
import type { MovingMnistDataSpec } from '../core/data/types';
import { movingMnistOptionsFor } from '../core/data/video-stream';
import { modelDefinition } from '../core/models/registry';
import {
  compareOnFileLabels,
  compareWithRandomInit,
  DEFAULT_PROBE_SETTINGS,
  modelFactory,
} from '../core/probe/compare';
import type { LabelledDataset, ProbeMode, ProbeResult, ProbeSettings } from '../core/probe/compare';
import { DataError } from '../core/data/data-error';
import { frameSetFromNpy, npyVideoShape, parseNpyHeader, resolveNpySlice } from '../core/data/npy';
import type { NpyLayout } from '../core/data/npy';
import { labelsOfSlice, parseLabelsFile } from '../core/data/sequence-labels';
import { quote } from '../core/quote';
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
  --batch N           clips per features() call and fine-tuning step (default 50)
  --npy FILE          probe on the sequences of this uint8 .npy array instead of Moving MNIST
                      (needed for a run on an imported dataset); with --labels-file
  --labels-file FILE  one label per sequence of the array (or of the slice): a .npy [N] of
                      integers or strings, or text with one label per line
  --npy-layout L      TNHW (default, as mnist_test_seq.npy) or NTHW
  --npy-offset N      first sequence read (default 0)
  --npy-count N       sequences read (default: all from the offset)`;

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
  npy: string | null;
  labelsFile: string | null;
  npyLayout: NpyLayout;
  npyOffset: number;
  npyCount: number | null;
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
    npy: null,
    labelsFile: null,
    npyLayout: 'TNHW',
    npyOffset: 0,
    npyCount: null,
  };
  let taskGiven = false;
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
    else if (flag === '--task' && (value === 'first-digit' || value === 'digits-present')) {
      args.task = value;
      taskGiven = true;
    } else if (flag === '--labels')
      args.labels = (value ?? '')
        .split(',')
        .map((part) => (part === 'all' ? 'all' : positiveInteger('--labels', part)));
    else if (flag === '--epochs') args.epochs = positiveInteger(flag, value);
    else if (flag === '--batch') args.batch = positiveInteger(flag, value);
    else if (flag === '--digits') args.digits = positiveInteger(flag, value);
    else if (flag === '--train-clips') args.trainClips = positiveInteger(flag, value);
    else if (flag === '--test-clips') args.testClips = positiveInteger(flag, value);
    else if (flag === '--seeds') args.seeds = positiveInteger(flag, value);
    else if (flag === '--npy' && value) args.npy = value;
    else if (flag === '--labels-file' && value) args.labelsFile = value;
    else if (flag === '--npy-layout' && (value === 'TNHW' || value === 'NTHW'))
      args.npyLayout = value;
    else if (flag === '--npy-offset')
      args.npyOffset = Number(value) === 0 ? 0 : positiveInteger(flag, value);
    else if (flag === '--npy-count') args.npyCount = positiveInteger(flag, value);
    else throw new ProbeArgsError(`unknown or incomplete option ${flag}`);
  }
  if (!args.help && !args.checkpoint) throw new ProbeArgsError('--checkpoint FILE is required');
  if ((args.npy === null) !== (args.labelsFile === null)) {
    throw new ProbeArgsError('--npy FILE and --labels-file FILE go together');
  }
  if (args.npy && (taskGiven || args.digits !== null)) {
    throw new ProbeArgsError(
      "--task and --digits are for Moving MNIST clips; with --npy the labels file's labels are the classes",
    );
  }
  return args;
}

export async function runProbe(args: ProbeArgs): Promise<number> {
  await tf.setBackend('cpu');
  const checkpoint = decodeCheckpoint(new Uint8Array(await readFile(args.checkpoint)));
  const { model: kind, variant, preset, config, seed, data } = checkpoint.run;
  if (data?.source !== 'moving-mnist' && !args.npy) {
    console.error(
      `${args.checkpoint} trained on an imported dataset: give the clips to probe with --npy FILE and their labels with --labels-file FILE`,
    );
    return 1;
  }
  const resolved = modelDefinition(kind).restore(variant, preset, config);
  const build = await resolved.builder();
  const make = await modelFactory(build, seed, checkpoint.model);
  const settings: ProbeSettings = {
    ...DEFAULT_PROBE_SETTINGS,
    mode: args.mode,
    task: args.task,
    labelsPerClass: args.labels,
    trainClips: args.trainClips,
    testClips: args.testClips,
    seeds: Array.from({ length: args.seeds }, (_, i) => i + 1),
    batch: args.batch,
    epochs: args.epochs,
  };
  let result: ProbeResult;
  if (args.npy && args.labelsFile) {
    let dataset: LabelledDataset;
    try {
      dataset = await labelledArray(args.npy, args.labelsFile, args);
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      console.error(error.message);
      return 1;
    }
    result = await compareOnFileLabels(make, dataset, resolved.dataRequirements(), settings);
  } else {
    if (data?.source !== 'moving-mnist') throw new Error('unreachable: checked above');
    const [images, labels] = await Promise.all([loadMnistFromDisk(), loadMnistLabelsFromDisk()]);
    const spec: MovingMnistDataSpec =
      args.digits === null ? data : { ...data, digits: args.digits };
    result = await compareWithRandomInit(
      make,
      { images: images.train, labels: labels.train },
      { images: images.test, labels: labels.test },
      movingMnistOptionsFor(spec, resolved.dataRequirements()),
      settings,
    );
  }
  console.log(JSON.stringify({ checkpoint: args.checkpoint, model: kind, ...result }));
  return 0;
}

/** The sequences of a .npy array (or of its slice), each labelled by the labels file. */
async function labelledArray(
  npyPath: string,
  labelsPath: string,
  args: Pick<ProbeArgs, 'npyLayout' | 'npyOffset' | 'npyCount'>,
): Promise<LabelledDataset> {
  const [bytes, labelBytes] = await Promise.all([readFile(npyPath), readFile(labelsPath)]);
  const array = new Uint8Array(bytes);
  const what = quote(npyPath);
  const header = parseNpyHeader(array.subarray(0, Math.min(array.length, 1 << 16)), what);
  const shape = npyVideoShape(header, args.npyLayout, what);
  const request = { offset: args.npyOffset, ...(args.npyCount ? { count: args.npyCount } : {}) };
  const slice = resolveNpySlice(shape, request, what);
  const frames = await frameSetFromNpy(array, args.npyLayout, what, slice);
  const labelsWhat = quote(labelsPath);
  const all = parseLabelsFile(new Uint8Array(labelBytes), labelsWhat);
  const labels = labelsOfSlice(all, shape.sequences, slice, labelsWhat, what);
  return { frames, crop: 'center', labels };
}

runAsMain(import.meta.url, {
  usage: PROBE_USAGE,
  parse: parseProbeArgs,
  argsError: ProbeArgsError,
  run: runProbe,
});
