/**
 * Labelled clips from the user's own videos (pure TypeScript + tfjs): every file of an imported
 * or webcam dataset may carry a label (e.g. a gesture), and its clips are labelled with it — the
 * issue's "video Teachable Machine": pretrain on unlabelled clips, probe with a handful of labels.
 *
 * The classes are the distinct labels given; clips of unlabelled files stay out of the probe
 * (they still train the run). Clips are the model's length and never overlap. The split into
 * probe-train and probe-test clips is stratified: every label is in both. A label with several
 * files keeps each file on one side (clips of one recording look alike, and would otherwise be
 * learned rather than recognised); a label with one file holds out its last clips.
 */
import type * as tf from '@tensorflow/tfjs';
import { clipStarts } from '../data/clips';
import { resizeFrameSet } from '../data/frames';
import { SeededRandom } from '../data/random';
import type { CropMode, FrameSegment, FrameSet } from '../data/types';
import { clipsToTensor } from '../data/video-clips';
import type { DataRequirements } from '../models/types';
import { quote } from '../quote';
import type { LabelledClips } from './clips';
import { singleLabels } from './targets';
import type { LabelCount } from './targets';

/** Share of each label's clips held out to score the probe (at least one clip). */
export const PROBE_TEST_SHARE = 1 / 3;

/** The labelled clips of a dataset: their first frames, classes and files. */
export interface FileLabelledClips {
  classes: string[]; // the distinct labels, in the order of their first file
  starts: number[]; // [N] first frame of each clip in the frame set
  classOf: number[]; // [N] index into `classes`
  fileOf: number[]; // [N] index of the clip's segment
}

/**
 * Clips of `length` frames (not overlapping) of every labelled segment; `labels[i]` is segment
 * i's label, '' for none.
 */
export function labelledClipStarts(
  segments: readonly FrameSegment[],
  labels: readonly string[],
  length: number,
): FileLabelledClips {
  const out: FileLabelledClips = { classes: [], starts: [], classOf: [], fileOf: [] };
  segments.forEach((segment, file) => {
    const label = (labels[file] ?? '').trim();
    if (!label) return;
    // A label whose files are too short still counts, so that the split names it.
    let c = out.classes.indexOf(label);
    if (c < 0) c = out.classes.push(label) - 1;
    for (const start of clipStarts(segment.start, segment.length, length, length)) {
      out.starts.push(start);
      out.classOf.push(c);
      out.fileOf.push(file);
    }
  });
  return out;
}

/** Indices (sorted) of the probe-train and probe-test clips. */
export interface ProbeSplit {
  train: number[];
  test: number[];
}

/**
 * The stratified split of `clips`, seeded. Throws, naming the label, when there are fewer than
 * two labels or a label has fewer than two clips of `length` frames.
 */
export function stratifiedSplit(
  clips: FileLabelledClips,
  length: number,
  seed: number,
): ProbeSplit {
  const { classes, classOf, fileOf } = clips;
  if (classes.length < 2) {
    throw new Error(
      classes.length === 0
        ? `No labelled clips to probe: give the files of the dataset labels (at least two different ones, each with two clips of ${length} frames or more)`
        : `Probes need at least two different labels; every labelled clip is ${quote(classes[0])}`,
    );
  }
  const rng = new SeededRandom(seed);
  const train: number[] = [];
  const test: number[] = [];
  classes.forEach((label, c) => {
    const members = classOf.flatMap((k, i) => (k === c ? [i] : []));
    if (members.length < 2) {
      throw new Error(
        `Label ${quote(label)} has ${members.length} clip${members.length === 1 ? '' : 's'} of ${length} frames; a probe needs at least 2 per label (one to train on, one to test)`,
      );
    }
    const held = Math.min(
      members.length - 1,
      Math.max(1, Math.round(members.length * PROBE_TEST_SHARE)),
    );
    const files = [...new Set(members.map((i) => fileOf[i]))];
    if (files.length === 1) {
      // One recording: its last clips, later in time than every training clip.
      train.push(...members.slice(0, members.length - held));
      test.push(...members.slice(members.length - held));
      return;
    }
    // Whole files held out in a seeded order while that brings their clips nearer `held`; at
    // least one file on each side.
    const order = rng.shuffle(Int32Array.from(files));
    const heldFiles = new Set<number>();
    let heldClips = 0;
    for (const file of order.subarray(0, order.length - 1)) {
      const clipsOfFile = members.filter((i) => fileOf[i] === file).length;
      if (heldClips > 0 && heldClips + clipsOfFile - held >= held - heldClips) break;
      heldFiles.add(file);
      heldClips += clipsOfFile;
    }
    for (const i of members) (heldFiles.has(fileOf[i]) ? test : train).push(i);
  });
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/**
 * The asked labelled clips per class, capped by what exists: counts below the fewest training
 * clips of any label stay, the rest become that number (when labels have more) and 'all'.
 */
export function capLabelCounts(
  asked: readonly LabelCount[],
  trainPerClass: readonly number[],
): LabelCount[] {
  const fewest = Math.min(...trainPerClass);
  const balanced = trainPerClass.every((n) => n === fewest);
  const out: LabelCount[] = [];
  const add = (count: LabelCount) => {
    if (!out.includes(count)) out.push(count);
  };
  for (const count of asked) {
    if (count !== 'all' && count < fewest) add(count);
    else {
      if (count !== 'all' && !balanced) add(fewest);
      add('all');
    }
  }
  return out;
}

/** A dataset's labelled clips, split and ready for a model: what a probe on file labels reads. */
export interface FileLabelledSets {
  classes: string[];
  train: LabelledClips;
  test: LabelledClips;
  /** The asked labelled clips per class, capped by the training clips of each label. */
  labelsPerClass: LabelCount[];
}

/**
 * The clips of `frames` labelled with `labels` (one per segment, '' = unlabelled) as the model
 * described by `needs` reads them, split for a probe (seeded by `seed`).
 */
export function fileLabelledSets(
  frames: FrameSet,
  crop: CropMode,
  labels: readonly string[],
  needs: DataRequirements,
  labelsPerClass: readonly LabelCount[],
  seed: number,
): FileLabelledSets {
  if (labels.length < frames.segments.length) {
    throw new Error(
      `${labels.length} file labels for the ${frames.segments.length} files of the dataset`,
    );
  }
  const clips = labelledClipStarts(frames.segments, labels, needs.frames);
  const split = stratifiedSplit(clips, needs.frames, seed);
  const k = clips.classes.length;
  const sized = resizeFrameSet(frames, needs.width, needs.height, needs.channels, crop);
  const labelled = (indices: readonly number[]): LabelledClips => ({
    labels: singleLabels(
      indices.map((i) => clips.classOf[i]),
      k,
      'file-labels',
    ),
    batch: (chosen, data) =>
      clipsToTensor(
        sized,
        Array.from(chosen, (j) => clips.starts[indices[j]]),
        data,
      ) as tf.Tensor5D, // [B, T, H, W, C]
  });
  const trainPerClass = new Array<number>(k).fill(0);
  for (const i of split.train) trainPerClass[clips.classOf[i]]++;
  return {
    classes: clips.classes,
    train: labelled(split.train),
    test: labelled(split.test),
    labelsPerClass: capLabelCounts(labelsPerClass, trainPerClass),
  };
}
