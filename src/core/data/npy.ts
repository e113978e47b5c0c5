/**
 * NumPy `.npy` files of uint8 videos, read and written without NumPy: the layout of the standard
 * Moving MNIST test file `mnist_test_seq.npy` (uint8 [T, N, H, W] = (20, 10000, 64, 64)), the
 * [N, T, H, W] layout most code uses, and RGB arrays with a trailing channel axis of 3.
 *
 * Format (numpy.lib.format): magic "\x93NUMPY", major and minor version bytes, the header length
 * (uint16 LE in version 1, uint32 LE in versions 2 and 3), then a Python dict literal
 * `{'descr': '|u1', 'fortran_order': False, 'shape': (…), }` padded with spaces to a multiple of 64
 * bytes and ending in a newline, then the array in C order.
 *
 * Reading takes a byte-range reader, so a slice of an 819 MB file reads only the bytes it needs.
 */
import { describeValue, excerpt, quote } from '../quote';
import { DataError } from './data-error';
import { formatByteCount } from './limits';
import type { FrameSet } from './types';

export type NpyLayout = 'TNHW' | 'NTHW';
export const NPY_LAYOUTS: readonly NpyLayout[] = ['TNHW', 'NTHW'];

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
/** Bytes that always hold the magic, version and header length. */
export const NPY_PREFIX_BYTES = 12;
/**
 * Longest header read. A uint8 array's header is one line of under 200 bytes; NumPy itself
 * refuses headers over 10,000 bytes (`max_header_size`), so anything longer is damage or junk.
 */
export const NPY_MAX_HEADER_BYTES = 10_000;

export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the array data. */
  dataOffset: number;
}

/** The shape of a video array, whatever its layout. */
export interface NpyVideoShape {
  sequences: number; // N
  frames: number; // T per sequence
  height: number;
  width: number;
  channels: 1 | 3;
}

/** Total header bytes (prefix + dict) given at least the first NPY_PREFIX_BYTES of a file. */
export function npyHeaderLength(prefix: Uint8Array, what: string): number {
  if (prefix.length < 10 || MAGIC.some((byte, i) => prefix[i] !== byte)) {
    throw new DataError(`${what} is not a .npy file (it does not start with "\\x93NUMPY").`);
  }
  const major = prefix[6];
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  let dictBytes: number;
  if (major === 1) dictBytes = view.getUint16(8, true);
  else if (major === 2 || major === 3) {
    if (prefix.length < 12)
      throw new DataError(`${what} is truncated: its .npy header is cut off.`);
    dictBytes = view.getUint32(8, true);
  } else {
    throw new DataError(
      `${what} uses .npy format version ${major}, which is not supported (1–3 are).`,
    );
  }
  if (dictBytes > NPY_MAX_HEADER_BYTES) {
    throw new DataError(
      `${what} has a damaged .npy header: it claims ${dictBytes.toLocaleString('en-US')} bytes, but an array's header is one short line (NumPy refuses headers over ${NPY_MAX_HEADER_BYTES.toLocaleString('en-US')} bytes).`,
    );
  }
  return (major === 1 ? 10 : 12) + dictBytes;
}

/** Parses the header of a .npy file from its first `npyHeaderLength` bytes. */
export function parseNpyHeader(bytes: Uint8Array, what: string): NpyHeader {
  const dataOffset = npyHeaderLength(bytes, what);
  if (bytes.length < dataOffset) {
    throw new DataError(`${what} is truncated: its .npy header is cut off.`);
  }
  const start = bytes[6] === 1 ? 10 : 12;
  const text = new TextDecoder().decode(bytes.subarray(start, dataOffset));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new DataError(
      `${what} has a damaged .npy header (no 'descr', 'fortran_order' and 'shape'): ${quote(text.trim())}`,
    );
  }
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map(Number);
  if (shape.some((n) => !Number.isSafeInteger(n) || n < 0)) {
    throw new DataError(`${what} has a damaged .npy header: shape (${excerpt(shapeText)}).`);
  }
  return { descr, fortranOrder: fortran === 'True', shape, dataOffset };
}

/** The video shape of an array, or a DataError naming what is wrong with it. */
export function npyVideoShape(header: NpyHeader, layout: NpyLayout, what: string): NpyVideoShape {
  if (!['|u1', '<u1', '>u1', 'u1'].includes(header.descr)) {
    throw new DataError(
      `${what} holds ${excerpt(header.descr)} values; the playground reads uint8 arrays (0–255). Convert it with array.astype(numpy.uint8) (scale [0, 1] floats by 255 first).`,
    );
  }
  if (header.fortranOrder) {
    throw new DataError(
      `${what} is stored in Fortran order; save it in C order (numpy.ascontiguousarray) and try again.`,
    );
  }
  const shape = header.shape;
  const described = `(${excerpt(shape.join(', '))})`;
  if (shape.includes(0)) throw new DataError(`${what} is empty: its array has shape ${described}.`);
  if (shape.length === 3) {
    const [frames, height, width] = shape;
    return { sequences: 1, frames, height, width, channels: 1 };
  }
  if (shape.length === 4 || shape.length === 5) {
    const channels = shape.length === 5 ? shape[4] : 1;
    if (channels !== 1 && channels !== 3) {
      throw new DataError(
        `${what} has shape ${described}: a 5-D array needs 1 or 3 channels in its last axis.`,
      );
    }
    const [a, b, height, width] = shape;
    const [frames, sequences] = layout === 'TNHW' ? [a, b] : [b, a];
    return { sequences, frames, height, width, channels };
  }
  throw new DataError(
    `${what} has shape ${described}; expected [T, H, W], [T, N, H, W] or [N, T, H, W] (optionally with a last axis of 1 or 3 channels).`,
  );
}

export interface NpySlice {
  offset: number; // first sequence
  count: number; // sequences
}

/** Checks and completes a slice request against the array's sequence count. */
export function resolveNpySlice(
  shape: NpyVideoShape,
  request: Partial<NpySlice>,
  what: string,
): NpySlice {
  const offset = request.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset >= Math.max(1, shape.sequences)) {
    throw new DataError(
      `offset must be an integer from 0 to ${shape.sequences - 1}: ${what} has ${shape.sequences} sequences (got ${describeValue(offset)}).`,
    );
  }
  const count = request.count ?? shape.sequences - offset;
  if (!Number.isInteger(count) || count < 1 || offset + count > shape.sequences) {
    throw new DataError(
      `count must be an integer from 1 to ${shape.sequences - offset}: ${what} has ${shape.sequences} sequences from offset ${offset} (got ${describeValue(count)}).`,
    );
  }
  return { offset, count };
}

/**
 * Throws unless the file holds every byte its header promises. Comes before any size limit, so a
 * header whose shape no file could hold is called damaged, not merely too large to import.
 */
export function checkNpyFileSize(
  header: NpyHeader,
  shape: NpyVideoShape,
  fileBytes: number,
  what: string,
): void {
  const { sequences, frames, height, width, channels } = shape;
  const expected = header.dataOffset + sequences * frames * height * width * channels;
  if (fileBytes < expected) {
    throw new DataError(
      `${what} is truncated or its header is damaged: its shape (${excerpt(header.shape.join(', '))}) needs ${formatByteCount(expected)}, but the file has ${formatByteCount(fileBytes)}.`,
    );
  }
}

/** Reads bytes [start, end) of the file. */
export type ByteReader = (start: number, end: number) => Promise<Uint8Array>;

/**
 * Reads sequences [offset, offset + count) into a frame set (one segment per sequence), asking
 * `read` only for the bytes they occupy. `onProgress` gets the fraction read so far.
 */
export async function readNpyFrames(
  header: NpyHeader,
  shape: NpyVideoShape,
  layout: NpyLayout,
  slice: NpySlice,
  read: ByteReader,
  fileBytes: number,
  what: string,
  onProgress: (fraction: number) => void = () => {},
): Promise<FrameSet> {
  checkNpyFileSize(header, shape, fileBytes, what);
  const { frames: T, height, width, channels } = shape;
  const frameBytes = height * width * channels;
  const { offset, count } = slice;
  const data = new Uint8Array(count * T * frameBytes);
  const at = (byte: number) => header.dataOffset + byte;
  if (layout === 'NTHW' || shape.sequences === 1) {
    // The slice is one contiguous run of bytes; read it in chunks for progress.
    const start = offset * T * frameBytes;
    const chunk = 32 * 2 ** 20;
    for (let done = 0; done < data.length; done += chunk) {
      const end = Math.min(data.length, done + chunk);
      data.set(await read(at(start + done), at(start + end)), done);
      onProgress(end / data.length);
    }
  } else {
    // [T, N, …]: one run per time step, scattered into each sequence's frame t.
    for (let t = 0; t < T; t++) {
      const start = (t * shape.sequences + offset) * frameBytes;
      const run = await read(at(start), at(start + count * frameBytes));
      for (let i = 0; i < count; i++) {
        data.set(run.subarray(i * frameBytes, (i + 1) * frameBytes), (i * T + t) * frameBytes);
      }
      onProgress((t + 1) / T);
    }
  }
  return {
    data,
    frames: count * T,
    height,
    width,
    channels,
    segments: Array.from({ length: count }, (_, i) => ({
      name: `sequence ${offset + i}`,
      start: i * T,
      length: T,
    })),
  };
}

/**
 * A .npy file (version 1.0, C order) holding `data` with `shape`: uint8 unless `descr` names
 * another type, whose values `data` then holds as raw bytes (`descr` byte order).
 */
export function encodeNpy(
  data: Uint8Array,
  shape: readonly number[],
  descr: string = '|u1',
): Uint8Array {
  const count = shape.reduce((product, n) => product * n, 1) * npyItemBytes(descr);
  if (count !== data.length) {
    throw new RangeError(
      `encodeNpy: shape (${shape.join(', ')}) of ${descr} needs ${count} bytes, got ${data.length}`,
    );
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const header = new TextEncoder().encode(dict);
  const out = new Uint8Array(10 + header.length + data.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(header, 10);
  out.set(data, 10 + header.length);
  return out;
}

/** `descr` split into byte order, kind and size: `<i8` is little-endian, integer, 8 bytes. */
const DESCR = /^([<>|=]?)([a-zA-Z])(\d+)$/;

/** Bytes per item of a plain `descr` (`<U5`: five UTF-32 characters, 20 bytes). */
function npyItemBytes(descr: string): number {
  const match = DESCR.exec(descr);
  if (!match) throw new RangeError(`npyItemBytes: ${descr} is not a plain numpy type`);
  return (match[2] === 'U' ? 4 : 1) * Number(match[3]);
}

/**
 * The values of a one-dimensional .npy array of labels, as text: integers of any size (numpy's
 * int64 default, int32, uint8 …) as their decimal strings, and strings (`<U…` unicode, `|S…`
 * bytes) as they are, trimmed. Anything else (floats, booleans, pickled objects) is refused
 * with a DataError naming `what` and saying how to convert it.
 */
export function readNpyLabels(bytes: Uint8Array, what: string): string[] {
  const header = parseNpyHeader(bytes.subarray(0, Math.min(bytes.length, 1 << 16)), what);
  if (header.shape.length !== 1) {
    throw new DataError(
      `${what} has shape (${excerpt(header.shape.join(', '))}); a labels array has one axis, one label per sequence.`,
    );
  }
  const [, order, kind, sizeText] = DESCR.exec(header.descr) ?? [];
  const size = Number(sizeText);
  const integer = (kind === 'i' || kind === 'u') && [1, 2, 4, 8].includes(size);
  if (!integer && !((kind === 'U' || kind === 'S') && size > 0)) {
    throw new DataError(
      `${what} holds ${excerpt(header.descr)} values; labels must be integers or strings. Save them with labels.astype(numpy.int64) or labels.astype(str).`,
    );
  }
  const n = header.shape[0];
  const itemBytes = npyItemBytes(header.descr);
  if (bytes.length < header.dataOffset + n * itemBytes) {
    throw new DataError(
      `${what} is truncated: its shape (${n},) of ${header.descr} needs ${formatByteCount(header.dataOffset + n * itemBytes)}, but the file has ${formatByteCount(bytes.length)}.`,
    );
  }
  const littleEndian = order !== '>';
  const view = new DataView(bytes.buffer, bytes.byteOffset + header.dataOffset, n * itemBytes);
  const bytesText = new TextDecoder();
  const labels = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const at = i * itemBytes;
    if (kind === 'U') {
      // UTF-32 code points, padded with zeros to the array's width.
      let text = '';
      for (let c = 0; c < size; c++) {
        const point = view.getUint32(at + 4 * c, littleEndian);
        if (point === 0) break;
        if (point > 0x10ffff) {
          throw new DataError(`${what} is damaged: label ${i} holds no valid character.`);
        }
        text += String.fromCodePoint(point);
      }
      labels[i] = text.trim();
    } else if (kind === 'S') {
      const item = new Uint8Array(view.buffer, view.byteOffset + at, size);
      const end = item.indexOf(0);
      labels[i] = bytesText.decode(end < 0 ? item : item.subarray(0, end)).trim();
    } else if (size === 8) {
      labels[i] = String(
        kind === 'i' ? view.getBigInt64(at, littleEndian) : view.getBigUint64(at, littleEndian),
      );
    } else {
      labels[i] = String(readInteger(view, at, kind === 'i', size, littleEndian));
    }
  }
  return labels;
}

function readInteger(
  view: DataView,
  at: number,
  signed: boolean,
  size: number,
  littleEndian: boolean,
): number {
  if (size === 1) return signed ? view.getInt8(at) : view.getUint8(at);
  if (size === 2)
    return signed ? view.getInt16(at, littleEndian) : view.getUint16(at, littleEndian);
  return signed ? view.getInt32(at, littleEndian) : view.getUint32(at, littleEndian);
}

/** Sequences of `length` frames: whole segments when all have that length, else cut from each. */
export function sequenceStarts(set: FrameSet, length: number): number[] {
  return set.segments.flatMap((segment) => {
    const starts: number[] = [];
    for (let s = 0; s + length <= segment.length; s += length) starts.push(segment.start + s);
    return starts;
  });
}

/**
 * A frame set as a .npy array of sequences in `layout`: gray as 4-D, RGB with a last axis of 3.
 * Without `length`, each segment is one sequence (they must all have the same length); with it,
 * every segment is cut into non-overlapping sequences of `length` frames (leftovers dropped).
 */
export function frameSetToNpy(set: FrameSet, layout: NpyLayout, length?: number): Uint8Array {
  const lengths = new Set(set.segments.map((segment) => segment.length));
  const T = length ?? (lengths.size === 1 ? [...lengths][0] : 0);
  if (T < 1) {
    throw new DataError(
      `The dataset's parts have different lengths (${[...lengths].join(', ')} frames); choose a sequence length to export.`,
    );
  }
  const starts = sequenceStarts(set, T);
  if (starts.length === 0) {
    throw new DataError(`No part of the dataset has ${T} frames to export as one sequence.`);
  }
  const N = starts.length;
  const frameBytes = set.width * set.height * set.channels;
  const data = new Uint8Array(N * T * frameBytes);
  for (let i = 0; i < N; i++) {
    for (let t = 0; t < T; t++) {
      const source = set.data.subarray(
        (starts[i] + t) * frameBytes,
        (starts[i] + t + 1) * frameBytes,
      );
      const index = layout === 'NTHW' ? i * T + t : t * N + i;
      data.set(source, index * frameBytes);
    }
  }
  const leading = layout === 'NTHW' ? [N, T] : [T, N];
  const tail = set.channels === 3 ? [set.height, set.width, 3] : [set.height, set.width];
  return encodeNpy(data, [...leading, ...tail]);
}

/** Parses a whole .npy file held in memory (tests, small files). */
export async function frameSetFromNpy(
  bytes: Uint8Array,
  layout: NpyLayout,
  what: string,
  request: Partial<NpySlice> = {},
): Promise<FrameSet> {
  const header = parseNpyHeader(bytes.subarray(0, Math.min(bytes.length, 1 << 16)), what);
  const shape = npyVideoShape(header, layout, what);
  const slice = resolveNpySlice(shape, request, what);
  return readNpyFrames(
    header,
    shape,
    layout,
    slice,
    async (start, end) => bytes.subarray(start, end),
    bytes.length,
    what,
  );
}
