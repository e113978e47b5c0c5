/**
 * Weights as pictures (feature views): each unit's or filter's weights drawn as a small gray tile
 * in one mosaic image, 50% gray for 0, lighter for positive and darker for negative weights, each
 * tile scaled by its own largest |weight| (the pattern shows, whatever the unit's scale). Plain
 * TypeScript on values already read back.
 */
import type { FramePanel, SampleChart } from '../types';

/** Gray of the 1-px lines between tiles. */
const GRID_GRAY = 0.15;
/** Mosaics are magnified by whole pixels up to about this width. */
const MIN_WIDTH = 240;

/**
 * Tiles [count, frames, height, width] (row-major) as a panel of `frames` mosaic images: frame k
 * shows every tile's k-th slice (a filter over time, for 3-D convolutions), tile j at row
 * ⌊j / columns⌋, column j mod columns of a near-square grid.
 */
export function tilePanel(
  label: string,
  tiles: Float32Array,
  count: number,
  frames: number,
  height: number,
  width: number,
): FramePanel {
  const size = frames * height * width;
  if (tiles.length !== count * size) {
    throw new RangeError(
      `tiles has ${tiles.length} values, expected ${count}×${frames}×${height}×${width}`,
    );
  }
  const columns = Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / columns);
  const [cellH, cellW] = [height + 1, width + 1];
  const [imageH, imageW] = [rows * cellH + 1, columns * cellW + 1];
  const zoom = Math.max(1, Math.floor(MIN_WIDTH / imageW));
  const [outH, outW] = [imageH * zoom, imageW * zoom];
  const out = new Float32Array(frames * outH * outW).fill(GRID_GRAY);
  for (let j = 0; j < count; j++) {
    let max = 0;
    for (let i = 0; i < size; i++) max = Math.max(max, Math.abs(tiles[j * size + i]));
    const top = Math.floor(j / columns) * cellH + 1;
    const left = (j % columns) * cellW + 1;
    for (let f = 0; f < frames; f++) {
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const w = tiles[j * size + (f * height + y) * width + x];
          const gray = 0.5 + (0.5 * w) / (max || 1);
          for (let dy = 0; dy < zoom; dy++) {
            const row = f * outH * outW + ((top + y) * zoom + dy) * outW;
            for (let dx = 0; dx < zoom; dx++) out[row + (left + x) * zoom + dx] = gray;
          }
        }
      }
    }
  }
  return { label, frames: out, t: frames, height: outH, width: outW, channels: 1, timeOffset: 0 };
}

/** Indices of the `k` largest values, largest first (ties: lower index first). */
export function topIndices(values: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: values.length }, (_, i) => i)
    .sort((a, b) => values[b] - values[a] || a - b)
    .slice(0, k);
}

/** Rows `which` of `values` [count, size] (row-major), concatenated: the tiles shown. */
export function pickTiles(
  values: Float32Array,
  which: readonly number[],
  size: number,
): Float32Array {
  const out = new Float32Array(which.length * size);
  which.forEach((row, j) => out.set(values.subarray(row * size, (row + 1) * size), j * size));
  return out;
}

/** What a response chart shows: `perStep` [steps, units] (row-major), of the units `which`. */
export interface Responses {
  title: string;
  yLabel: string;
  perStep: Float32Array;
  steps: number;
  which: readonly number[];
  unit: string; // what a series is called, e.g. 'unit' or 'channel'
}

/** The units `which` over the frames as a chart, one series per unit (1-based numbers). */
export function responseChart({
  title,
  yLabel,
  perStep,
  steps,
  which,
  unit,
}: Responses): SampleChart {
  const units = perStep.length / steps;
  return {
    title,
    xLabel: 'frame',
    yLabel,
    series: which.map((u) => ({
      label: `${unit} ${u + 1}`,
      points: Array.from({ length: steps }, (_, t): [number, number] => [
        t + 1,
        perStep[t * units + u],
      ]),
    })),
  };
}

/** The mean |value| of each unit over the steps of `perStep` [steps, units]. */
export function meanAbsolute(perStep: Float32Array, steps: number): number[] {
  const units = perStep.length / steps;
  const sums = new Array<number>(units).fill(0);
  for (let t = 0; t < steps; t++)
    for (let u = 0; u < units; u++) sums[u] += Math.abs(perStep[t * units + u]);
  return sums.map((sum) => sum / steps);
}

/**
 * The variance of each unit over the rows of `values` [rows, units]: how much a unit's response
 * changes over a clip's frames and locations (a constant response to the background, whatever
 * its size, says nothing about the clip).
 */
export function unitVariance(values: Float32Array, rows: number): number[] {
  const units = values.length / rows;
  const mean = new Array<number>(units).fill(0);
  const square = new Array<number>(units).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < units; u++) {
      const v = values[r * units + u];
      mean[u] += v / rows;
      square[u] += (v * v) / rows;
    }
  }
  return mean.map((m, u) => Math.max(0, square[u] - m * m));
}
