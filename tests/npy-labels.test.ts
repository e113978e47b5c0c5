/**
 * Labels of a .npy array's sequences from a file beside it: integer and string .npy arrays and
 * text files parsed (src/core/data/sequence-labels.ts, `readNpyLabels`), counts checked against
 * the imported slice, which selected file labels which array, and the dataset registry storing a
 * label per sequence that `fileLabels` hands to probes.
 */
import { describe, expect, it } from 'vitest';
import { encodeNpy, frameSetToNpy, readNpyLabels } from '../src/core/data/npy';
import {
  labelsOfExportedSequences,
  labelsOfSlice,
  pairLabelsFiles,
  parseLabelsFile,
  parseLabelsText,
} from '../src/core/data/sequence-labels';
import type { FrameSet } from '../src/core/data/types';
import { useDatasets } from '../src/app/state/datasets';
import { inProcessDatasetRegistry } from './helpers/in-process-data-worker';

const text = (value: string) => new TextEncoder().encode(value);

/** A .npy array [values.length] of `descr`, written as numpy writes it (little-endian). */
function integerNpy(descr: '<i8' | '<i4' | '|u1', values: number[]): Uint8Array {
  const size = { '<i8': 8, '<i4': 4, '|u1': 1 }[descr];
  const view = new DataView(new ArrayBuffer(values.length * size));
  values.forEach((value, i) => {
    if (size === 8) view.setBigInt64(i * 8, BigInt(value), true);
    else if (size === 4) view.setInt32(i * 4, value, true);
    else view.setUint8(i, value);
  });
  return encodeNpy(new Uint8Array(view.buffer), [values.length], descr);
}

/** numpy's `<U{width}` array of `values`: UTF-32 LE, zero-padded. */
function unicodeNpy(values: string[], width: number): Uint8Array {
  const view = new DataView(new ArrayBuffer(values.length * width * 4));
  values.forEach((value, i) =>
    [...value].forEach((char, c) =>
      view.setUint32((i * width + c) * 4, char.codePointAt(0) ?? 0, true),
    ),
  );
  return encodeNpy(new Uint8Array(view.buffer), [values.length], `<U${width}`);
}

describe('labels files', () => {
  it('reads int64, int32 and uint8 arrays as decimal strings', () => {
    expect(readNpyLabels(integerNpy('<i8', [0, 7, -3, 2 ** 40]), 'y')).toEqual([
      '0',
      '7',
      '-3',
      String(2 ** 40),
    ]);
    expect(readNpyLabels(integerNpy('<i4', [5, -1, 2]), 'y')).toEqual(['5', '-1', '2']);
    expect(readNpyLabels(integerNpy('|u1', [255, 0]), 'y')).toEqual(['255', '0']);
    // The content decides: a labels file without a name is read as the array it is.
    expect(parseLabelsFile(integerNpy('<i4', [1, 2]), 'y')).toEqual(['1', '2']);
  });

  it('reads unicode arrays, trimmed', () => {
    expect(readNpyLabels(unicodeNpy(['wave', ' clap ', 'é✋'], 6), 'y')).toEqual([
      'wave',
      'clap',
      'é✋',
    ]);
  });

  it('refuses floats, booleans, objects and arrays of more than one axis, saying how to fix it', () => {
    const floats = encodeNpy(new Uint8Array(16), [2], '<f8');
    expect(() => readNpyLabels(floats, '"y.npy"')).toThrow(
      '"y.npy" holds <f8 values; labels must be integers or strings. Save them with labels.astype(numpy.int64) or labels.astype(str).',
    );
    expect(() => readNpyLabels(encodeNpy(new Uint8Array(2), [2], '|b1'), 'y')).toThrow(
      /holds \|b1 values/,
    );
    // numpy's header for pickled objects, '|O', which no plain type descr matches.
    const latin1 = Buffer.from(encodeNpy(new Uint8Array(2), [2])).toString('latin1');
    const objects = new Uint8Array(Buffer.from(latin1.replace("'|u1'", "'|O' "), 'latin1'));
    expect(() => readNpyLabels(objects, 'y')).toThrow(/y holds \|O values/);
    expect(() => readNpyLabels(encodeNpy(new Uint8Array(4), [2, 2]), '"y.npy"')).toThrow(
      '"y.npy" has shape (2, 2); a labels array has one axis, one label per sequence.',
    );
    const truncated = integerNpy('<i8', [1, 2, 3]).subarray(0, -4);
    expect(() => readNpyLabels(truncated, 'y')).toThrow(/y is truncated/);
  });

  it('reads text one label per line, ignoring blank lines at the end', () => {
    expect(parseLabelsText(text('wave\nclap\n'), 'y')).toEqual(['wave', 'clap']);
    expect(parseLabelsText(text('\ufeffwave\r\n clap \r\n\r\n\n'), 'y')).toEqual(['wave', 'clap']);
    // A blank line between labels leaves that sequence unlabelled.
    expect(parseLabelsFile(text('wave\n\nclap'), 'y')).toEqual(['wave', '', 'clap']);
    expect(() => parseLabelsText(text('\n \n'), '"y.txt"')).toThrow('"y.txt" holds no labels.');
    expect(() => parseLabelsFile(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0xff]), '"y.txt"')).toThrow(
      /"y\.txt" is neither a \.npy array nor text/,
    );
  });

  it('gives the labels of the imported slice, and refuses other counts naming both', () => {
    const labels = ['a', 'b', 'c', 'd', 'e'];
    expect(labelsOfSlice(labels, 5, { offset: 1, count: 3 }, 'y', 'x')).toEqual(['b', 'c', 'd']);
    // A label per imported sequence is taken as it is.
    expect(labelsOfSlice(['p', 'q'], 5, { offset: 3, count: 2 }, 'y', 'x')).toEqual(['p', 'q']);
    expect(() => labelsOfSlice(labels, 6, { offset: 0, count: 6 }, '"y.txt"', '"x.npy"')).toThrow(
      '"y.txt" holds 5 labels, but "x.npy" has 6 sequences: give one label per sequence, in order.',
    );
    expect(() => labelsOfSlice(labels, 8, { offset: 2, count: 4 }, 'y', 'x')).toThrow(
      'y holds 5 labels, but x has 8 sequences (4 imported from sequence 2)',
    );
  });
});

describe('which selected file labels which array', () => {
  const files = (...names: string[]) => names.map((name) => ({ name }));
  const pairs = (...names: string[]) => {
    const { imports, error } = pairLabelsFiles(files(...names));
    return { imports: imports.map(({ file, labels }) => [file.name, labels?.name]), error };
  };

  it('pairs a labels file with the array it is named after, else with the only array', () => {
    expect(pairs('a.npy', 'b.npy', 'b_labels.npy', 'a.labels.txt', 'walk.mp4')).toEqual({
      imports: [
        ['a.npy', 'a.labels.txt'],
        ['b.npy', 'b_labels.npy'],
        ['walk.mp4', undefined],
      ],
    });
    expect(pairs('labels.csv', 'clips.npy')).toEqual({ imports: [['clips.npy', 'labels.csv']] });
    // Names that merely contain "label" are arrays.
    expect(pairs('unlabelled.npy', 'labelled_clips.npy')).toEqual({
      imports: [
        ['unlabelled.npy', undefined],
        ['labelled_clips.npy', undefined],
      ],
    });
  });

  it('refuses a labels file it cannot place, and then imports no array', () => {
    expect(pairs('labels.txt', 'a.npy', 'b.npy', 'walk.mp4')).toEqual({
      imports: [['walk.mp4', undefined]],
      error:
        '"labels.txt" could label any of "a.npy", "b.npy": name it after its array (e.g. "a.labels.txt") or select one array with it. No .npy array was imported.',
    });
    expect(pairs('labels.txt').error).toMatch(
      /^"labels\.txt" is a labels file: select it together with the \.npy array it labels\./,
    );
    expect(pairs('a.npy', 'a.labels.txt', 'a_labels.npy').error).toMatch(
      /^"a\.npy" was selected with two labels files, "a\.labels\.txt", "a_labels\.npy"/,
    );
  });
});

describe('a .npy array imported with labels', () => {
  // Six 2-frame sequences of 2×2 gray, sequence i filled with i.
  const set: FrameSet = {
    data: new Uint8Array(6 * 2 * 4).map((_, i) => Math.floor(i / 8)),
    frames: 12,
    width: 2,
    height: 2,
    channels: 1,
    segments: Array.from({ length: 6 }, (_, i) => ({ name: `s${i}`, start: 2 * i, length: 2 })),
  };
  const array = () => new Blob([frameSetToNpy(set, 'TNHW') as Uint8Array<ArrayBuffer>]);
  const blob = (bytes: Uint8Array) => new Blob([bytes as Uint8Array<ArrayBuffer>]);

  it('labels each sequence of the slice, for probes, and the array label relabels them all', async () => {
    useDatasets.getState().reset();
    const registry = inProcessDatasetRegistry();
    const labels = new File(['a\nb\na\nc\nb\na\n\n'], 'x.labels.txt');
    const { datasetId } = await registry.importNpy(array(), { offset: 1, count: 4, labels });
    expect(registry.fileLabels(datasetId)).toEqual(['b', 'a', 'c', 'b']);
    expect(registry.get(datasetId)?.frames.data[0]).toBe(1); // the slice starts at sequence 1
    expect(useDatasets.getState().datasets[datasetId]).toMatchObject({
      files: ['array.npy'],
      labels: [''],
      sequenceLabels: ['b', 'a', 'c', 'b'],
    });

    const ints = await registry.importNpy(array(), {
      labels: blob(integerNpy('<i8', [3, 1, 3, 1, 3, 1])),
    });
    expect(registry.fileLabels(ints.datasetId)).toEqual(['3', '1', '3', '1', '3', '1']);
    const list = await registry.importNpy(array(), {
      count: 2,
      labels: [' wave ', 'x'.repeat(200)],
    });
    const [wave, long] = registry.fileLabels(list.datasetId) ?? [];
    expect(wave).toBe('wave');
    // Cut as any other label is.
    expect(long.length).toBeLessThan(200);
    const { labels: cut } = registry.setLabel(list.datasetId, 0, 'x'.repeat(200));
    expect(long).toBe(cut[0]);

    registry.setLabel(datasetId, 0, 'all');
    expect(registry.fileLabels(datasetId)).toEqual(['all', 'all', 'all', 'all']);
    expect(useDatasets.getState().datasets[datasetId].sequenceLabels).toBeUndefined();
  });

  it('exports the labels of the sequences it exports, which import back with that array', async () => {
    useDatasets.getState().reset();
    const registry = inProcessDatasetRegistry();
    const labels = ['a', 'b', '', 'c', 'line\nbreak', 'a'];
    const { datasetId } = await registry.importNpy(array(), { labels });
    const exported = registry.exportLabels({ datasetId });
    expect(await exported?.text()).toBe('a\nb\n\nc\nline break\na\n');
    const bytes = new Uint8Array(await (await registry.exportNpy({ datasetId })).arrayBuffer());
    const again = await registry.importNpy(blob(bytes), { labels: exported! });
    expect(registry.fileLabels(again.datasetId)).toEqual(['a', 'b', '', 'c', 'line break', 'a']);
    expect(registry.get(again.datasetId)?.frames.data).toEqual(set.data);

    // Sequences of one frame: two per 2-frame sequence, each with its sequence's label.
    expect(await registry.exportLabels({ datasetId, length: 1 })?.text()).toBe(
      'a\na\nb\nb\n\n\nc\nc\nline break\nline break\na\na\n',
    );
    expect(() => registry.exportLabels({ datasetId, length: 0 })).toThrow(
      'length must be a whole number of frames, at least 1 (got 0)',
    );
    // Clips of several files: each labelled with its file's label; none labelled, none exported.
    expect(labelsOfExportedSequences(set.segments.slice(0, 3), ['x', '', 'y'], 2)).toEqual([
      'x',
      '',
      'y',
    ]);
    const bare = await registry.importNpy(array());
    expect(registry.exportLabels({ datasetId: bare.datasetId })).toBeNull();
  });

  it('refuses labels of another count or type, naming both counts, and imports nothing', async () => {
    useDatasets.getState().reset();
    const registry = inProcessDatasetRegistry();
    await expect(
      registry.importNpy(array(), {
        name: 'x.npy',
        count: 4,
        labels: new File(['a\nb\nc\n'], 'x.labels.txt'),
      }),
    ).rejects.toThrow(
      '"x.labels.txt" holds 3 labels, but "x.npy" has 6 sequences (4 imported from sequence 0): give one label per sequence, in order.',
    );
    await expect(
      registry.importNpy(array(), { labels: blob(encodeNpy(new Uint8Array(48), [6], '<f8')) }),
    ).rejects.toThrow(/The labels file holds <f8 values/);
    await expect(
      registry.importNpy(array(), { labels: [1, 2] as unknown as string[] }),
    ).rejects.toThrow('labels must be strings: labels[0] is 1');
    expect(registry.list()).toEqual([]);
    expect(useDatasets.getState().failures.map((failure) => failure.message)).toEqual([
      expect.stringContaining('"x.labels.txt" holds 3 labels'),
      expect.stringContaining('The labels file holds <f8 values'),
    ]);
  });
});
