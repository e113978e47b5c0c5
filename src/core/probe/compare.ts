/**
 * The papers' comparison for one trained model (pure TypeScript + tfjs): its features against the
 * same network from random initialisation (same config, same initialisation seed), each probed
 * with a frozen linear probe or fully fine-tuned, at several numbers of labelled clips per class,
 * on Moving MNIST clips labelled by their first digit or by the digits they show, or on the clips
 * of a user's dataset labelled by the label of their file (file-labels.ts). A linear probe also
 * reads the pixels of each clip's mean frame: a reference that features must beat to have learned
 * more about the labels than the frames show a linear classifier directly.
 */
import * as tf from '@tensorflow/tfjs';
import type { ProbeTask } from '../data/labels';
import type { CropMode, FrameSet, MovingMnistOptions } from '../data/types';
import type { DataRequirements, ModelState, VideoModel } from '../models/types';
import { drawLabelledClips } from './clips';
import type { LabelledClips, LabelledDigits } from './clips';
import { fileLabelledSets } from './file-labels';
import { DEFAULT_FINE_TUNE, featuresOf, fineTuneScore, namedWeights } from './fine-tune';
import type { Between, FeatureSource, FineTuneOptions } from './fine-tune';
import { DEFAULT_LINEAR_PROBE, linearProbeScore } from './linear-probe';
import type { LabelledFeatures } from './linear-probe';
import { chanceScore, describeLabelCount } from './targets';
import type { LabelCount } from './targets';

export type { LabelledDigits } from './clips';

/** linear: a probe on frozen features; fine-tune: the features network trains with the head. */
export type ProbeMode = 'linear' | 'fine-tune';

export interface ProbeSettings {
  mode: ProbeMode;
  task: ProbeTask;
  labelsPerClass: LabelCount[]; // e.g. [1, 5, 10, 50, 'all']
  trainClips: number; // clips the labelled ones are drawn from (train digits; Moving MNIST only)
  testClips: number; // clips scored (test digits; Moving MNIST only)
  dataSeed: number; // train clips, the test clips use dataSeed + 1; the split of file-labelled clips
  seeds: number[]; // one draw of labelled clips and head initialisation per seed; scores averaged
  batch: number; // clips per features() call (and per fine-tuning step)
  epochs: number; // fine-tuning passes over the labelled clips
}

export const DEFAULT_PROBE_SETTINGS: Readonly<ProbeSettings> = Object.freeze({
  mode: 'linear',
  task: 'first-digit',
  labelsPerClass: [1, 5, 10, 50],
  trainClips: 1000,
  testClips: 500,
  dataSeed: 7,
  seeds: [1, 2, 3],
  batch: 50,
  epochs: DEFAULT_FINE_TUNE.epochs,
});

/** Mean scores (targets.ts) per entry of `labelsPerClass`, with the chance level of the score. */
export interface ProbeResult {
  mode: ProbeMode;
  task: ProbeTask;
  /** As asked, or for file labels capped by the training clips of each label. */
  labelsPerClass: LabelCount[];
  pretrained: number[];
  random: number[];
  /** Linear probes: the same probe on the pixels of each clip's mean frame (absent when fine-tuning). */
  meanFrame?: number[];
  chance: number;
  trainClips: number;
  testClips: number;
  seeds: number[];
  /** The labels the classes stand for (file labels; the digits 0–9 otherwise). */
  classes?: string[];
}

/** A fresh model: with the trained weights (`pretrained`) or as initialised. */
export type ModelFactory = (pretrained: boolean) => VideoModel;

/**
 * Models to probe from a trained state: `build(seed)` with that state, or with the weights
 * `build(seed)` initialises and the rest of the trained state — what training does not learn by
 * gradient (the rCNN's k-means patch dictionary) stays, so that only the learning is compared.
 */
export async function modelFactory(
  build: (seed: number) => VideoModel,
  seed: number,
  trained: ModelState,
): Promise<ModelFactory> {
  const fresh = build(seed);
  const tensors = { ...trained.tensors };
  try {
    for (const [name, variable] of namedWeights(fresh)) {
      const saved = trained.tensors[name];
      if (!saved) throw new Error(`the trained state has no weight "${name}"`);
      const data = await variable.data();
      tensors[name] = {
        dtype: saved.dtype,
        shape: [...variable.shape],
        data: data as Float32Array,
      };
    }
  } finally {
    fresh.dispose();
  }
  const initial: ModelState = { tensors, meta: trained.meta };
  return (pretrained) => {
    const model = build(seed);
    try {
      model.importState(pretrained ? trained : initial);
    } catch (error) {
      model.dispose();
      throw error;
    }
    return model;
  };
}

export interface ProbeHooks {
  /** Awaited between batches and steps (a run worker lets training go on there). */
  between?: Between;
  /** Share of the work done and what is being done. */
  onProgress?: (fraction: number, message: string) => void;
}

/**
 * The clips' mean frame as features: clips [B, T, H, W, C] → [B, 1, H·W·C], as the model reads
 * them (its size, colour and range). One vector a clip, not one a frame: a probe's cost grows
 * with the vectors it fits, and 20 frames of 4,096 pixels a clip would outweigh most models'.
 */
function meanFrameSource(needs: DataRequirements): FeatureSource {
  return {
    kind: 'mean frame',
    data: needs,
    features: (videos) =>
      tf.tidy(() => {
        const [b, t] = videos.shape;
        return videos.reshape([b, t, -1]).mean(1, true) as tf.Tensor3D; // [B, 1, H·W·C]
      }),
  };
}

async function linearScores(
  model: FeatureSource,
  train: LabelledClips,
  test: LabelledClips,
  settings: ProbeSettings,
  between: Between,
  progress: (message: string) => void,
): Promise<number[]> {
  const all = (clips: LabelledClips) => Int32Array.from({ length: clips.labels.n }, (_, i) => i);
  progress(`features of ${train.labels.n + test.labels.n} clips`);
  const trainSet: LabelledFeatures = {
    features: await featuresOf(model, train, all(train), settings.batch, between),
    labels: train.labels,
  };
  try {
    const testSet: LabelledFeatures = {
      features: await featuresOf(model, test, all(test), settings.batch, between),
      labels: test.labels,
    };
    try {
      const scores: number[] = [];
      for (const perClass of settings.labelsPerClass) {
        let sum = 0;
        for (const seed of settings.seeds) {
          progress(`linear probe, ${describeLabelCount(perClass)} per class, seed ${seed}`);
          const options = { ...DEFAULT_LINEAR_PROBE, seed };
          sum += await linearProbeScore(trainSet, testSet, perClass, options);
          await between();
        }
        scores.push(sum / settings.seeds.length);
      }
      return scores;
    } finally {
      testSet.features.dispose();
    }
  } finally {
    trainSet.features.dispose();
  }
}

/**
 * Probes the model `make(true)` builds against `make(false)` on the same labelled clips, at
 * `settings.labelsPerClass`. Every model it builds it disposes.
 */
async function compareOnClips(
  make: ModelFactory,
  trainClips: LabelledClips,
  testClips: LabelledClips,
  settings: ProbeSettings,
  hooks: ProbeHooks,
): Promise<ProbeResult> {
  const between = hooks.between ?? (() => Promise.resolve());
  const result: ProbeResult = {
    mode: settings.mode,
    task: settings.task,
    labelsPerClass: [...settings.labelsPerClass],
    pretrained: [],
    random: [],
    chance: chanceScore(testClips.labels),
    trainClips: trainClips.labels.n,
    testClips: testClips.labels.n,
    seeds: [...settings.seeds],
  };
  const units =
    settings.mode === 'linear' ? 3 : 2 * settings.labelsPerClass.length * settings.seeds.length;
  let done = 0;
  const progress = (message: string) => hooks.onProgress?.(done / units, message);

  let needs: DataRequirements | null = null;
  for (const pretrained of [true, false]) {
    const which = pretrained ? 'pretrained' : 'random init';
    const out = pretrained ? result.pretrained : result.random;
    if (settings.mode === 'linear') {
      const model = make(pretrained);
      needs = model.data;
      try {
        out.push(
          ...(await linearScores(model, trainClips, testClips, settings, between, (message) =>
            progress(`${which}: ${message}`),
          )),
        );
      } finally {
        model.dispose();
      }
      done++;
      continue;
    }
    for (const perClass of settings.labelsPerClass) {
      let sum = 0;
      for (const seed of settings.seeds) {
        progress(`${which}: fine-tuning, ${describeLabelCount(perClass)} per class, seed ${seed}`);
        const options: FineTuneOptions = {
          ...DEFAULT_FINE_TUNE,
          epochs: settings.epochs,
          batch: settings.batch,
          linear: { ...DEFAULT_LINEAR_PROBE, seed },
        };
        const model = make(pretrained);
        try {
          sum += await fineTuneScore(model, trainClips, testClips, perClass, options, between);
        } finally {
          model.dispose();
        }
        done++;
      }
      out.push(sum / settings.seeds.length);
    }
  }
  if (needs) {
    result.meanFrame = await linearScores(
      meanFrameSource(needs),
      trainClips,
      testClips,
      settings,
      between,
      (message) => progress(`mean frame: ${message}`),
    );
  }
  hooks.onProgress?.(1, 'probed');
  return result;
}

/** Probes on Moving MNIST clips drawn from `train` and `test` digits, labelled for the task. */
export async function compareWithRandomInit(
  make: ModelFactory,
  train: LabelledDigits,
  test: LabelledDigits,
  data: MovingMnistOptions,
  settings: ProbeSettings,
  hooks: ProbeHooks = {},
): Promise<ProbeResult> {
  if (settings.task === 'file-labels') {
    throw new Error('Moving MNIST clips have digits, not file labels');
  }
  const { task, dataSeed } = settings;
  return compareOnClips(
    make,
    drawLabelledClips(train, data, settings.trainClips, dataSeed, task),
    drawLabelledClips(test, data, settings.testClips, dataSeed + 1, task),
    settings,
    hooks,
  );
}

/** A user's dataset with a label per file ('' = unlabelled), as a run holds it. */
export interface LabelledDataset {
  frames: FrameSet;
  crop: CropMode;
  labels: readonly string[];
}

/**
 * Probes on the clips of a dataset's labelled files (file-labels.ts), split stratified by
 * label; `needs` is what the model reads. The label counts are capped by what each label has.
 */
export async function compareOnFileLabels(
  make: ModelFactory,
  dataset: LabelledDataset,
  needs: DataRequirements,
  settings: ProbeSettings,
  hooks: ProbeHooks = {},
): Promise<ProbeResult> {
  const sets = fileLabelledSets(
    dataset.frames,
    dataset.crop,
    dataset.labels,
    needs,
    settings.labelsPerClass,
    settings.dataSeed,
  );
  const capped = { ...settings, task: 'file-labels' as const, labelsPerClass: sets.labelsPerClass };
  const result = await compareOnClips(make, sets.train, sets.test, capped, hooks);
  return { ...result, classes: sets.classes };
}
