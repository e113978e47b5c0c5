/**
 * The safetensors file format (github.com/huggingface/safetensors), written and read in pure
 * TypeScript so the same code runs in the browser, in workers, in Node tests and in the CLI:
 *
 *   [8 bytes]  N, the header's length: unsigned 64-bit little-endian
 *   [N bytes]  a UTF-8 JSON object, starting with `{`, padded with spaces (here: to make 8 + N a
 *              multiple of 8, so the data starts 8-byte aligned):
 *                { "__metadata__": { "key": "string", … },
 *                  "name": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, … }
 *   [rest]     the tensors' bytes, little-endian, row-major; offsets are relative to the start of
 *              this buffer, which the tensors cover exactly (contiguous, no holes, nothing after).
 *
 * Reading checks every rule and throws a CheckpointError whose message names the problem.
 */
import { CheckpointError } from './errors';
import { describeValue, excerpt, quote } from '../quote';

/** The dtypes this app writes and reads (the format defines more; those are refused by name). */
export type SafetensorsDtype = 'F32' | 'I32' | 'U32' | 'U8';
export type TensorData = Float32Array | Int32Array | Uint32Array | Uint8Array;

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** One tensor's entry in the header. */
export interface HeaderEntry {
  dtype: string;
  shape: number[];
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  entries: Map<string, HeaderEntry>;
  metadata: Record<string, string>;
  /** Byte offset of the data buffer in the file: 8 + N. */
  dataStart: number;
}

const SUPPORTED: Record<
  SafetensorsDtype,
  { bytes: number; array: (b: ArrayBuffer) => TensorData }
> = {
  F32: { bytes: 4, array: (b) => new Float32Array(b) },
  I32: { bytes: 4, array: (b) => new Int32Array(b) },
  U32: { bytes: 4, array: (b) => new Uint32Array(b) },
  U8: { bytes: 1, array: (b) => new Uint8Array(b) },
};

/** Element sizes of every dtype the format defines, to check byte lengths of those we refuse. */
const FORMAT_DTYPE_BYTES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

/** The reference implementation's limit on the header, which also bounds what we try to parse. */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function dtypeOf(data: TensorData): SafetensorsDtype {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Uint32Array) return 'U32';
  return 'U8';
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** Little-endian bytes of a typed array (a copy). */
function littleEndianBytes(data: TensorData): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return bytes;
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  const dtype = dtypeOf(data);
  for (let i = 0; i < data.length; i++) {
    if (dtype === 'F32') view.setFloat32(i * 4, data[i], true);
    else if (dtype === 'I32') view.setInt32(i * 4, data[i], true);
    else view.setUint32(i * 4, data[i], true);
  }
  return out;
}

/**
 * Writes a safetensors file. Tensors are laid out by element size (largest first), then by name,
 * so every tensor starts aligned to its element size. `shape` must match the data's length.
 */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = Object.keys(tensors).sort((a, b) => {
    const size = SUPPORTED[tensors[b].dtype].bytes - SUPPORTED[tensors[a].dtype].bytes;
    return size !== 0 ? size : a < b ? -1 : a > b ? 1 : 0;
  });
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const name of names) {
    const { dtype, shape, data } = tensors[name];
    if (name === METADATA_KEY || name.length === 0) {
      throw new Error(`"${name}" cannot be a tensor name`);
    }
    if (dtypeOf(data) !== dtype) {
      throw new Error(`tensor "${name}": data is ${dtypeOf(data)}, declared ${dtype}`);
    }
    if (!shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
      throw new Error(`tensor "${name}": bad shape [${shape.join(', ')}]`);
    }
    if (elementCount(shape) !== data.length) {
      throw new Error(
        `tensor "${name}": shape [${shape.join(', ')}] has ${elementCount(shape)} elements, data ${data.length}`,
      );
    }
    header[name] = { dtype, shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil((8 + json.length) / 8) * 8 - 8; // padded: data 8-byte aligned
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true); // low word; the high word stays 0 (header < 4 GiB)
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength); // spaces
  let position = 8 + headerLength;
  for (const name of names) {
    const bytes = littleEndianBytes(tensors[name].data);
    out.set(bytes, position);
    position += bytes.length;
  }
  return out;
}

function asBytes(input: ArrayBuffer | Uint8Array): Uint8Array {
  return input instanceof Uint8Array ? input : new Uint8Array(input);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function badHeader(message: string): CheckpointError {
  return new CheckpointError('bad-header', `Invalid safetensors header: ${message}`);
}

const NOT_SAFETENSORS =
  'This is not a safetensors file: it does not start with an 8-byte header length followed by a JSON header';

/**
 * Reads and checks the header only (cheap: no tensor data is copied). Checks the length field,
 * the JSON, every entry's dtype, shape and offsets, that the offsets tile the data buffer exactly,
 * and that the file holds all of it.
 */
export function parseSafetensorsHeader(input: ArrayBuffer | Uint8Array): SafetensorsHeader {
  const bytes = asBytes(input);
  if (bytes.length < 8) {
    throw new CheckpointError(
      'not-safetensors',
      `This is not a safetensors file: ${bytes.length} bytes is shorter than the 8-byte header length`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const startsLikeJson = bytes.length > 8 && bytes[8] === 0x7b; // '{'
  if (!startsLikeJson) throw new CheckpointError('not-safetensors', NOT_SAFETENSORS);
  if (high !== 0 || low > MAX_HEADER_BYTES) {
    throw badHeader(`the header length ${high * 2 ** 32 + low} exceeds ${MAX_HEADER_BYTES} bytes`);
  }
  const headerLength = low;
  if (8 + headerLength > bytes.length) {
    throw new CheckpointError(
      'truncated',
      `The file is truncated: its header needs ${headerLength} bytes but only ${bytes.length - 8} follow the length field`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch (error) {
    throw badHeader(`the header is not valid UTF-8 JSON (${excerpt((error as Error).message)})`);
  }
  if (!isRecord(parsed)) throw badHeader('the header must be a JSON object');

  let metadata: Record<string, string> = {};
  const entries = new Map<string, HeaderEntry>();
  for (const [name, value] of Object.entries(parsed)) {
    if (name === METADATA_KEY) {
      if (!isRecord(value)) throw badHeader('__metadata__ must be an object of strings');
      for (const [key, text] of Object.entries(value)) {
        if (typeof text !== 'string') {
          throw badHeader(
            `__metadata__ value ${quote(key)} must be a string (got ${describeValue(text)})`,
          );
        }
      }
      metadata = value as Record<string, string>;
      continue;
    }
    entries.set(name, parseEntry(name, value));
  }

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const ordered = [...entries].sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0]);
  let expected = 0;
  for (const [name, entry] of ordered) {
    const [begin, end] = entry.dataOffsets;
    if (begin !== expected) {
      throw badHeader(
        `tensor ${quote(name)} starts at byte ${begin}, expected ${expected} (data offsets must be contiguous, without holes or overlaps)`,
      );
    }
    expected = end;
  }
  if (expected > dataLength) {
    throw new CheckpointError(
      'truncated',
      `The file is truncated: its tensors need ${expected} bytes of data but only ${dataLength} are present`,
    );
  }
  if (expected < dataLength) {
    throw badHeader(`${dataLength - expected} bytes follow the last tensor's data`);
  }
  return { entries, metadata, dataStart };
}

function parseEntry(name: string, value: unknown): HeaderEntry {
  if (!isRecord(value)) throw badHeader(`tensor ${quote(name)} must be an object`);
  for (const key of Object.keys(value)) {
    if (!['dtype', 'shape', 'data_offsets'].includes(key)) {
      throw badHeader(`tensor ${quote(name)} has an unknown field ${quote(key)}`);
    }
  }
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string' || !(dtype in FORMAT_DTYPE_BYTES)) {
    throw badHeader(`tensor ${quote(name)} has an unknown dtype ${describeValue(dtype)}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw badHeader(
      `tensor ${quote(name)} has a shape that is not a list of non-negative integers`,
    );
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw badHeader(`tensor ${quote(name)} needs data_offsets [begin, end] with 0 ≤ begin ≤ end`);
  }
  const byteLength = elementCount(shape) * FORMAT_DTYPE_BYTES[dtype];
  if (offsets[1] - offsets[0] !== byteLength) {
    throw badHeader(
      `tensor ${quote(name)} (${dtype} [${shape.join(', ')}]) needs ${byteLength} bytes but its data_offsets span ${offsets[1] - offsets[0]}`,
    );
  }
  return { dtype, shape: [...shape], dataOffsets: [offsets[0], offsets[1]] };
}

/** Reads a whole file: the checked header plus a copy of every tensor's data. */
export function decodeSafetensors(input: ArrayBuffer | Uint8Array): SafetensorsFile {
  const bytes = asBytes(input);
  const header = parseSafetensorsHeader(bytes);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, entry] of header.entries) {
    if (!(entry.dtype in SUPPORTED)) {
      throw new CheckpointError(
        'unsupported-dtype',
        `Tensor ${quote(name)} has dtype ${entry.dtype}; this app reads ${Object.keys(SUPPORTED).join(', ')}`,
      );
    }
    const dtype = entry.dtype as SafetensorsDtype;
    const begin = bytes.byteOffset + header.dataStart + entry.dataOffsets[0];
    const end = bytes.byteOffset + header.dataStart + entry.dataOffsets[1];
    const copy = bytes.buffer.slice(begin, end) as ArrayBuffer; // a fresh, aligned buffer
    tensors.set(name, { dtype, shape: entry.shape, data: fromLittleEndian(dtype, copy) });
  }
  return { tensors, metadata: header.metadata };
}

function fromLittleEndian(dtype: SafetensorsDtype, buffer: ArrayBuffer): TensorData {
  const { bytes, array } = SUPPORTED[dtype];
  if (LITTLE_ENDIAN || bytes === 1) return array(buffer);
  const view = new DataView(buffer);
  const out = array(new ArrayBuffer(buffer.byteLength));
  for (let i = 0; i < out.length; i++) {
    if (dtype === 'F32') out[i] = view.getFloat32(i * 4, true);
    else if (dtype === 'I32') out[i] = view.getInt32(i * 4, true);
    else out[i] = view.getUint32(i * 4, true);
  }
  return out;
}
