/**
 * Probes on the user's own labelled clips (src/core/probe/file-labels.ts): which clips a label
 * per file gives, the stratified split that keeps every label on both sides (whole files where a
 * label has several), the label counts capped by what exists, and the errors that say why a
 * dataset cannot be probed.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FrameSegment, FrameSet } from '../src/core/data/types';
import {
  capLabelCounts,
  fileLabelledSets,
  labelledClipStarts,
  stratifiedSplit,
} from '../src/core/probe/file-labels';
import type { DataRequirements } from '../src/core/models/types';

/** Segments of the given lengths, back to back. */
function segments(lengths: number[]): FrameSegment[] {
  let start = 0;
  return lengths.map((length, i) => {
    const segment = { name: `file ${i}`, start, length };
    start += length;
    return segment;
  });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('clips of labelled files', () => {
  it('labels every non-overlapping clip of a labelled file and skips unlabelled files', () => {
    // Files of 10, 7, 12 and 3 frames, clips of 4: 2, 1, 3 and 0 clips.
    const clips = labelledClipStarts(segments([10, 7, 12, 3]), ['wave', '', ' clap ', 'wave'], 4);
    expect(clips.classes).toEqual(['wave', 'clap']);
    expect(clips.starts).toEqual([0, 4, 17, 21, 25]);
    expect(clips.classOf).toEqual([0, 0, 1, 1, 1]);
    expect(clips.fileOf).toEqual([0, 0, 2, 2, 2]);
  });
});

describe('stratified split', () => {
  it('keeps every label on both sides and each file on one side', () => {
    // Three labels of four files with two clips each.
    const labels = Array.from({ length: 12 }, (_, i) => ['a', 'b', 'c'][i % 3]);
    const clips = labelledClipStarts(segments(new Array(12).fill(8)), labels, 4);
    for (const seed of [1, 2, 3]) {
      const { train, test } = stratifiedSplit(clips, 4, seed);
      expect([...train, ...test].sort((x, y) => x - y)).toEqual(clips.starts.map((_, i) => i));
      for (let c = 0; c < 3; c++) {
        const inTest = test.filter((i) => clips.classOf[i] === c).length;
        expect(inTest).toBeGreaterThanOrEqual(1);
        expect(train.filter((i) => clips.classOf[i] === c).length).toBeGreaterThan(inTest);
      }
      const testFiles = new Set(test.map((i) => clips.fileOf[i]));
      expect(train.some((i) => testFiles.has(clips.fileOf[i]))).toBe(false);
    }
    expect(stratifiedSplit(clips, 4, 1)).toEqual(stratifiedSplit(clips, 4, 1));
    expect(stratifiedSplit(clips, 4, 1)).not.toEqual(stratifiedSplit(clips, 4, 2));
  });

  it('holds out the last clips of a label recorded in one file', () => {
    const clips = labelledClipStarts(segments([12, 4, 4]), ['long', 'short', 'short'], 4);
    const { train, test } = stratifiedSplit(clips, 4, 1);
    // 'long': clips 0, 1, 2 of one file → its last clip (2) is held out; 'short': one file each.
    expect(test.filter((i) => clips.classOf[i] === 0)).toEqual([2]);
    expect(train.filter((i) => clips.classOf[i] === 0)).toEqual([0, 1]);
    expect(test.filter((i) => clips.classOf[i] === 1)).toHaveLength(1);
  });

  it('says why there is nothing to probe', () => {
    const split = (lengths: number[], labels: string[]) =>
      stratifiedSplit(labelledClipStarts(segments(lengths), labels, 4), 4, 1);
    expect(() => split([8, 8], ['', ''])).toThrow(
      /No labelled clips.*give the files of the dataset labels/,
    );
    expect(() => split([8, 8], ['wave', 'wave'])).toThrow(
      /at least two different labels; every labelled clip is "wave"/,
    );
    expect(() => split([8, 4], ['wave', 'clap'])).toThrow(
      /Label "clap" has 1 clip of 4 frames; a probe needs at least 2 per label/,
    );
    // A label whose only file is shorter than a clip is named, not dropped.
    expect(() => split([8, 3], ['wave', 'clap'])).toThrow(/Label "clap" has 0 clips of 4 frames/);
  });
});

describe('labelled clips per class', () => {
  it('are capped by the training clips of the label with fewest', () => {
    expect(capLabelCounts([1, 5, 10, 'all'], [3, 3])).toEqual([1, 'all']);
    expect(capLabelCounts([1, 5, 10, 'all'], [3, 7])).toEqual([1, 3, 'all']);
    expect(capLabelCounts([1, 2], [6, 6])).toEqual([1, 2]);
    expect(capLabelCounts([10], [2, 2])).toEqual(['all']);
  });
});

describe('labelled sets for a model', () => {
  it('are the labelled clips resized to the model, with the labels as classes', () => {
    // Gray 4×4 frames whose value is their file's index · 50.
    const lengths = [8, 8, 4, 8, 8];
    const frames = lengths.reduce((a, b) => a + b, 0);
    const data = new Uint8Array(frames * 16);
    const segs = segments(lengths);
    segs.forEach((s, file) => data.fill(file * 50, s.start * 16, (s.start + s.length) * 16));
    const set: FrameSet = { data, frames, width: 4, height: 4, channels: 1, segments: segs };
    const needs: DataRequirements = {
      frames: 4,
      height: 2,
      width: 2,
      channels: 3,
      range: 'unit',
      batchSize: 2,
    };
    const sets = fileLabelledSets(
      set,
      'center',
      ['up', 'down', '', 'up', 'down'],
      needs,
      [1, 5],
      1,
    );
    expect(sets.classes).toEqual(['up', 'down']);
    expect(sets.train.labels.n + sets.test.labels.n).toBe(8); // two clips in each labelled file
    expect(sets.labelsPerClass).toEqual([1, 'all']); // two training clips per label
    const batch = sets.test.batch([0], needs);
    expect(batch.shape).toEqual([1, 4, 2, 2, 3]);
    // The clip's pixels come from a file of its label: files 0 and 3 are 'up', 1 and 4 'down'.
    const value = Math.round(batch.dataSync()[0] * 255);
    const label = sets.classes[sets.test.labels.classes![0]];
    expect(label === 'up' ? [0, 150] : [50, 200]).toContain(value);
    batch.dispose();
    expect(() => fileLabelledSets(set, 'center', ['up'], needs, [1], 1)).toThrow(
      /1 file labels for the 5 files/,
    );
  });
});
