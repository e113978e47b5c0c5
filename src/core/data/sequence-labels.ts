/**
 * The labels of a .npy array's sequences, from a file given beside it: a .npy array [N] of
 * integers or strings (see `readNpyLabels`), or text with one label per line (.txt, .csv). The
 * file's content decides which, so a Blob without a name works too. Which selected file labels
 * which array is decided by their names (`pairLabelsFiles`).
 */
import { quote } from '../quote';
import { DataError } from './data-error';
import { formatByteCount } from './limits';
import { readNpyLabels } from './npy';
import type { NpySlice } from './npy';
import type { FrameSegment } from './types';

/** Far more than a label per sequence of the largest dataset needs; larger is the wrong file. */
export const MAX_LABELS_FILE_BYTES = 16 * 2 ** 20;

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** A labels file's labels, in order: a .npy array's, or the lines of a text file. */
export function parseLabelsFile(bytes: Uint8Array, what: string): string[] {
  checkLabelsFileSize(bytes.length, what);
  const npy = bytes.length >= NPY_MAGIC.length && NPY_MAGIC.every((byte, i) => bytes[i] === byte);
  return npy ? readNpyLabels(bytes, what) : parseLabelsText(bytes, what);
}

/** Throws unless a labels file of `bytes` is small enough to be one (checked before reading it). */
export function checkLabelsFileSize(bytes: number, what: string): void {
  if (bytes > MAX_LABELS_FILE_BYTES) {
    throw new DataError(
      `${what} is too large for a labels file (${formatByteCount(bytes)}; at most ${formatByteCount(MAX_LABELS_FILE_BYTES)}).`,
    );
  }
}

/**
 * One label per line, trimmed. Blank lines at the end are ignored; a blank line before the last
 * label leaves that sequence unlabelled.
 */
export function parseLabelsText(bytes: Uint8Array, what: string): string[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    text = '\0';
  }
  if (text.includes('\0')) {
    throw new DataError(
      `${what} is neither a .npy array nor text: a labels file holds one label per line, or an array of integers or strings.`,
    );
  }
  const lines = text.split(/\r\n|\n|\r/).map((line) => line.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new DataError(`${what} holds no labels.`);
  return lines;
}

/**
 * The labels of the imported sequences: `labels` has one per sequence of the array (those of the
 * slice are taken) or one per imported sequence. Anything else is refused naming both counts.
 */
export function labelsOfSlice(
  labels: readonly string[],
  sequences: number,
  slice: NpySlice,
  what: string,
  arrayWhat: string,
): string[] {
  if (labels.length === sequences) return labels.slice(slice.offset, slice.offset + slice.count);
  if (labels.length === slice.count) return [...labels];
  const imported =
    slice.count === sequences
      ? ''
      : ` (${slice.count.toLocaleString('en-US')} imported from sequence ${slice.offset})`;
  throw new DataError(
    `${what} holds ${labels.length.toLocaleString('en-US')} labels, but ${arrayWhat} has ${sequences.toLocaleString('en-US')} sequences${imported}: give one label per sequence, in order.`,
  );
}

/** How a labels option is named in messages. */
export function labelsWhat(labels: Blob | string[]): string {
  if (Array.isArray(labels)) return 'The list of labels';
  const name = (labels as Partial<File>).name;
  return typeof name === 'string' && name.length > 0 ? quote(name) : 'The labels file';
}

/**
 * A labels file: a .npy, .txt or .csv whose name ends in "labels" or "label" before that
 * (`labels.txt`, `clips.labels.npy`, `clips_label.csv`; not `unlabelled.npy`).
 */
export function isLabelsFile(name: string): boolean {
  return /labels?\.(npy|txt|csv)$/i.test(name);
}

/** Whether `labels` is named after the array `array` (`clips.npy` ← `clips.labels.txt`). */
function namedAfter(labels: string, array: string): boolean {
  const stem = array.replace(/\.npy$/i, '');
  return labels.startsWith(stem) && /[._\- ]/.test(labels.charAt(stem.length));
}

/**
 * The files to import with each array's labels file: a labels file goes with the selected array
 * whose name (without .npy) its own starts with (`clips.npy` ← `clips.labels.txt`,
 * `clips_labels.npy`), else with the only array selected. A labels file that fits no array or
 * several, or a second one for an array, is an error; then no array is imported.
 */
export function pairLabelsFiles<F extends { name: string }>(
  files: readonly F[],
): { imports: { file: F; labels?: F }[]; error?: string } {
  const labelsFiles = files.filter((file) => isLabelsFile(file.name));
  const others = files.filter((file) => !isLabelsFile(file.name));
  const arrays = others.filter((file) => file.name.toLowerCase().endsWith('.npy'));
  const labelsOf = new Map<F, F>();
  let error: string | undefined;
  for (const labels of labelsFiles) {
    const byName = arrays
      .filter((array) => namedAfter(labels.name, array.name))
      .sort((a, b) => b.name.length - a.name.length)[0];
    const array = byName ?? (arrays.length === 1 ? arrays[0] : undefined);
    const names = (list: readonly F[]) => list.map((file) => quote(file.name)).join(', ');
    if (!array) {
      error =
        arrays.length === 0
          ? `${quote(labels.name)} is a labels file: select it together with the .npy array it labels.`
          : `${quote(labels.name)} could label any of ${names(arrays)}: name it after its array (e.g. ${quote(arrays[0].name.replace(/\.npy$/i, '.labels.txt'))}) or select one array with it.`;
    } else if (labelsOf.has(array)) {
      const first = labelsOf.get(array) ?? labels;
      error = `${quote(array.name)} was selected with two labels files, ${names([first, labels])}: select one.`;
    } else {
      labelsOf.set(array, labels);
    }
  }
  if (error) {
    return {
      imports: others.filter((file) => !arrays.includes(file)).map((file) => ({ file })),
      error: `${error} No .npy array was imported.`,
    };
  }
  return { imports: others.map((file) => ({ file, labels: labelsOf.get(file) })) };
}

/**
 * The label of every sequence a .npy export writes (`sequenceStarts`: each segment cut into
 * sequences of `length` frames, leftovers dropped), from each segment's label ('' = none).
 */
export function labelsOfExportedSequences(
  segments: readonly FrameSegment[],
  segmentLabels: readonly string[],
  length: number,
): string[] {
  return segments.flatMap((segment, i) =>
    new Array<string>(Math.floor(segment.length / length)).fill(segmentLabels[i] ?? ''),
  );
}

/**
 * A labels text file (one label per line, as `parseLabelsText` reads it back): an unlabelled
 * sequence is a blank line, and a line break inside a label becomes a space.
 */
export function labelsFileText(labels: readonly string[]): string {
  return labels.map((label) => label.replace(/[\r\n]+/g, ' ').trim()).join('\n') + '\n';
}
