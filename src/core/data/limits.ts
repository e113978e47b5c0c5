/**
 * How much decoded data one imported dataset may hold. Datasets live in the app's memory and are
 * copied into every run that trains on them, so imports are refused before anything is allocated
 * when they would be larger than this.
 */
import { DataError } from './data-error';

export const MAX_DATASET_BYTES = 512 * 2 ** 20;

/** A byte count in full (`1,234 bytes`), or in powers of ten past anything a file holds. */
export function formatByteCount(bytes: number): string {
  return bytes < 1e15
    ? `${bytes.toLocaleString('en-US')} bytes`
    : `${bytes.toExponential(2).replace('e+', ' × 10^')} bytes`;
}

export function formatMegabytes(bytes: number): string {
  return bytes >= 2 ** 30
    ? `${(bytes / 2 ** 30).toFixed(1)} GB`
    : `${Math.round(bytes / 2 ** 20)} MB`;
}

/**
 * Throws a DataError naming `what`, its decoded size and the limit when `frames` frames of
 * `width × height × channels` bytes would exceed MAX_DATASET_BYTES; `advice` says what to change.
 */
export function checkDatasetBytes(
  what: string,
  frames: number,
  width: number,
  height: number,
  channels: number,
  advice: string,
  existingBytes = 0,
): void {
  const bytes = frames * width * height * channels;
  if (existingBytes + bytes <= MAX_DATASET_BYTES) return;
  const colour = channels === 3 ? 'RGB' : 'gray';
  const together =
    existingBytes > 0
      ? ` (with the dataset it is added to, ${formatMegabytes(existingBytes + bytes)})`
      : '';
  throw new DataError(
    `${what} is too large: ${frames.toLocaleString('en-US')} frames of ${width}×${height} ${colour} are ${formatMegabytes(bytes)} decoded${together}, and a dataset may hold at most ${formatMegabytes(MAX_DATASET_BYTES)}. ${advice}`,
  );
}
