/**
 * An independent, minimal safetensors reader for tests (it shares no code with src/core/checkpoint):
 * checks the layout rules of the format and returns the header, the metadata and each tensor's
 * bytes, so tests can verify files the app and the CLI write, and build broken ones.
 */

export interface RawTensor {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
  bytes: Uint8Array;
}

export interface RawFile {
  headerLength: number;
  header: Record<string, unknown>;
  metadata: Record<string, string>;
  tensors: Map<string, RawTensor>;
}

const DTYPE_BYTES: Record<string, number> = {
  F32: 4,
  I32: 4,
  U32: 4,
  U8: 1,
  F64: 8,
  I64: 8,
  F16: 2,
};

/** Parses `bytes`, throwing an Error that says which rule a file breaks. */
export function readSafetensors(bytes: Uint8Array): RawFile {
  if (bytes.length < 8) throw new Error('shorter than 8 bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length) throw new Error('header runs past the end');
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
  if (!text.startsWith('{')) throw new Error('header does not start with {');
  const header = JSON.parse(text) as Record<string, unknown>;
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new Error(`metadata ${key} is not a string`);
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, RawTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets } = entry as {
      dtype: string;
      shape: number[];
      data_offsets: [number, number];
    };
    if (!(dtype in DTYPE_BYTES)) throw new Error(`${name}: unknown dtype ${dtype}`);
    const [begin, end] = data_offsets;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * DTYPE_BYTES[dtype])
      throw new Error(`${name}: byte length mismatch`);
    if (begin < 0 || end > dataLength) throw new Error(`${name}: offsets out of bounds`);
    tensors.set(name, {
      dtype,
      shape,
      begin,
      end,
      bytes: bytes.subarray(dataStart + begin, dataStart + end),
    });
  }
  const spans = [...tensors.values()].sort((a, b) => a.begin - b.begin);
  let cursor = 0;
  for (const span of spans) {
    if (span.begin !== cursor) throw new Error('offsets are not contiguous');
    cursor = span.end;
  }
  if (cursor !== dataLength) throw new Error('data buffer not covered exactly');
  return { headerLength, header, metadata, tensors };
}

/** A tensor's values as a Float32Array (little-endian F32). */
export function floatsOf(tensor: RawTensor): Float32Array {
  if (tensor.dtype !== 'F32') throw new Error(`not F32: ${tensor.dtype}`);
  const view = new DataView(tensor.bytes.buffer, tensor.bytes.byteOffset, tensor.bytes.byteLength);
  return Float32Array.from({ length: tensor.bytes.length / 4 }, (_, i) =>
    view.getFloat32(i * 4, true),
  );
}

/**
 * Writes a file from a header object and the data buffer as they are (no checks), so tests can
 * produce files that break the rules on purpose.
 */
export function writeRaw(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** The data buffer of a file (everything after the header). */
export function dataOf(bytes: Uint8Array): Uint8Array {
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return bytes.subarray(8 + headerLength);
}

/** A copy of `bytes` with its header changed by `edit` (the data stays as it is). */
export function editHeader(
  bytes: Uint8Array,
  edit: (header: Record<string, unknown>, metadata: Record<string, string>) => void,
): Uint8Array {
  const { header } = readSafetensors(bytes);
  const copy = JSON.parse(JSON.stringify(header)) as Record<string, unknown>;
  copy.__metadata__ ??= {};
  edit(copy, copy.__metadata__ as Record<string, string>);
  return writeRaw(copy, dataOf(bytes));
}

/** Every tensor's bytes by name (a file's metadata aside: it holds the time of writing). */
export function tensorBytes(bytes: Uint8Array): Map<string, Uint8Array> {
  return new Map([...readSafetensors(bytes).tensors].map(([name, t]) => [name, t.bytes.slice()]));
}
