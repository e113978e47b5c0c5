/**
 * Full metric history per run, kept outside React: charts read a bounded, downsampled copy (LTTB)
 * so thousands of steps never slow rendering.
 */
import type { MetricPoint } from '../../protocol/messages';

export interface Series {
  steps: number[];
  wallMs: number[];
  values: number[];
}

export class MetricHistory {
  private readonly series = new Map<string, Series>();

  append(points: readonly MetricPoint[]): void {
    for (const point of points) {
      for (const [name, value] of Object.entries(point.values)) {
        let series = this.series.get(name);
        if (!series) {
          series = { steps: [], wallMs: [], values: [] };
          this.series.set(name, series);
        }
        series.steps.push(point.step);
        series.wallMs.push(point.wallMs);
        series.values.push(value);
      }
    }
  }

  /** Replaces the whole history (a run restored from a checkpoint takes on its curves). */
  replace(points: readonly MetricPoint[]): void {
    this.series.clear();
    this.append(points);
  }

  /** Drops every point after `step` (a run restored to an earlier checkpoint continues from there). */
  truncateAfter(step: number): void {
    for (const series of this.series.values()) {
      let keep = series.steps.length;
      while (keep > 0 && series.steps[keep - 1] > step) keep--;
      series.steps.length = keep;
      series.wallMs.length = keep;
      series.values.length = keep;
    }
  }

  names(): string[] {
    return [...this.series.keys()];
  }

  get(name: string): Series | undefined {
    return this.series.get(name);
  }

  /** `[step, value][]` per metric, as the automation API returns it. */
  toPairs(): Record<string, [number, number][]> {
    const result: Record<string, [number, number][]> = {};
    for (const [name, series] of this.series) {
      result[name] = series.steps.map((step, i) => [step, series.values[i]]);
    }
    return result;
  }
}

/**
 * Largest-Triangle-Three-Buckets downsampling: keeps the visual shape of a curve in `threshold`
 * points. Returns indices into the input arrays.
 */
export function lttbIndices(
  xs: readonly number[],
  ys: readonly number[],
  threshold: number,
): number[] {
  const n = xs.length;
  if (threshold >= n || threshold < 3) return Array.from({ length: n }, (_, i) => i);
  const picked = [0];
  const bucketSize = (n - 2) / (threshold - 2);
  let previous = 0;
  for (let bucket = 0; bucket < threshold - 2; bucket++) {
    const nextStart = Math.floor((bucket + 1) * bucketSize) + 1;
    const nextEnd = Math.min(Math.floor((bucket + 2) * bucketSize) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let i = nextStart; i < nextEnd; i++) {
      avgX += xs[i];
      avgY += ys[i];
    }
    const count = Math.max(1, nextEnd - nextStart);
    avgX /= count;
    avgY /= count;
    const start = Math.floor(bucket * bucketSize) + 1;
    const end = Math.floor((bucket + 1) * bucketSize) + 1;
    let best = start;
    let bestArea = -1;
    for (let i = start; i < end; i++) {
      const area = Math.abs(
        (xs[previous] - avgX) * (ys[i] - ys[previous]) -
          (xs[previous] - xs[i]) * (avgY - ys[previous]),
      );
      if (area > bestArea) {
        bestArea = area;
        best = i;
      }
    }
    picked.push(best);
    previous = best;
  }
  picked.push(n - 1);
  return picked;
}

/** One x position of a chart: the value of each series there. */
export interface ChartRow {
  x: number;
  values: Record<string, number>; // series key → value
}

/**
 * TensorBoard's curve smoothing: an exponential moving average with weight `weight` in [0, 1)
 * (0 = the raw values), debiased so that the first points are not pulled towards zero: after n
 * values the average is divided by 1 − weight^n. A constant series stays exactly as it is.
 */
export function emaSmooth(values: readonly number[], weight: number): number[] {
  if (!(weight > 0) || values.every((value) => value === values[0])) return [...values];
  let average = 0;
  return values.map((value, i) => {
    average = average * weight + (1 - weight) * value;
    return average / (1 - weight ** (i + 1));
  });
}

/** The key of a series' raw values in chart rows when the series itself is smoothed. */
export function rawSeriesKey(id: string): string {
  return `${id}:raw`;
}

export interface ChartRowOptions {
  /** Points kept per series (LTTB). */
  maxPoints?: number;
  /**
   * EMA weight (emaSmooth); above 0, each series' values are smoothed and its raw values are kept
   * beside them under rawSeriesKey(id), at the same x positions.
   */
  smoothing?: number;
}

/**
 * Several series on one x axis (step, or seconds of wall-clock time), each downsampled on its own
 * (LTTB, on the raw values) and merged into rows keyed by x, so series logged at different steps
 * share one chart. Non-finite values (and values ≤ 0 on a log scale) are left out.
 */
export function chartRows(
  series: { id: string; series: Series | undefined }[],
  xMode: 'step' | 'time',
  logScale: boolean,
  { maxPoints = 300, smoothing = 0 }: ChartRowOptions = {},
): ChartRow[] {
  const byX = new Map<number, ChartRow>();
  for (const { id, series: s } of series) {
    if (!s) continue;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < s.values.length; i++) {
      const y = s.values[i];
      if (!Number.isFinite(y) || (logScale && y <= 0)) continue;
      xs.push(xMode === 'step' ? s.steps[i] : s.wallMs[i] / 1000);
      ys.push(y);
    }
    const smoothed = smoothing > 0 ? emaSmooth(ys, smoothing) : ys;
    for (const i of lttbIndices(xs, ys, maxPoints)) {
      let row = byX.get(xs[i]);
      if (!row) {
        row = { x: xs[i], values: {} };
        byX.set(xs[i], row);
      }
      row.values[id] = smoothed[i];
      if (smoothing > 0) row.values[rawSeriesKey(id)] = ys[i];
    }
  }
  return [...byX.values()].sort((a, b) => a.x - b.x);
}

/** A linear axis: its domain and the ticks on it. */
export interface AxisScale {
  domain: [number, number];
  ticks: number[];
}

const NICE_STEPS = [1, 2, 2.5, 5, 10];

/**
 * About `count` evenly spaced round ticks (1, 2, 2.5 or 5 × 10^k apart) covering [min, max], and
 * the domain they span; `fromZero` starts the domain at 0 (steps, seconds). Plain floating point:
 * recharts' own nice ticks use a decimal library that costs more than drawing the chart.
 */
export function niceScale(min: number, max: number, count = 5, fromZero = false): AxisScale {
  let lo = fromZero ? Math.min(0, min) : min;
  let hi = max;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { domain: [0, 1], ticks: [0, 1] };
  if (hi === lo) {
    const pad = Math.abs(hi) > 0 ? Math.abs(hi) * 0.1 : 1;
    hi += pad;
    if (!fromZero || lo !== 0) lo -= pad;
  }
  const raw = (hi - lo) / Math.max(1, count - 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = magnitude * (NICE_STEPS.find((s) => s * magnitude >= raw) ?? 10);
  const first = Math.floor(lo / step + 1e-9) * step;
  const last = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; first + i * step <= last + step * 1e-9; i++) {
    ticks.push(Number((first + i * step).toPrecision(12)));
  }
  return { domain: [ticks[0], ticks[ticks.length - 1]], ticks };
}

/** The x and y extents of chart rows (every series). */
export function rowExtents(rows: readonly ChartRow[]): {
  x: [number, number];
  y: [number, number];
} {
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const row of rows) {
    for (const id in row.values) {
      const y = row.values[id];
      if (y < yMin) yMin = y;
      if (y > yMax) yMax = y;
    }
  }
  const x: [number, number] = rows.length ? [rows[0].x, rows[rows.length - 1].x] : [0, 1];
  return { x, y: [yMin, yMax] };
}

/**
 * A log axis over [min, max] (both > 0): whole decades, with ticks at each decade (every few
 * decades when there are many), or at 1, 2 and 5 × 10^k when the values fit in one decade.
 */
export function logAxisScale(min: number, max: number): AxisScale {
  if (!(min > 0) || !(max > 0) || !Number.isFinite(max)) return { domain: [1, 10], ticks: [1, 10] };
  const lo = Math.floor(Math.log10(min) + 1e-9);
  const top = Math.max(lo + 1, Math.ceil(Math.log10(max) - 1e-9));
  const every = Math.ceil((top - lo) / 6);
  const hi = lo + Math.ceil((top - lo) / every) * every; // evenly spaced up to the last tick
  const decade = (k: number) => Number((10 ** k).toPrecision(12));
  const ticks: number[] = [];
  if (hi - lo === 1) {
    for (const m of [1, 2, 5]) ticks.push(Number((m * 10 ** lo).toPrecision(12)));
    ticks.push(decade(hi));
  } else {
    for (let k = lo; k <= hi; k += every) ticks.push(decade(k));
  }
  return { domain: [decade(lo), decade(hi)], ticks };
}

export interface ChartAxes {
  x: AxisScale;
  y: AxisScale;
}

/**
 * The axes of a chart: x from 0 (steps, seconds); y over the values, 0–1 for fractions, or whole
 * decades on a log scale. Given the axes it drew last, a chart keeps them while the values still
 * fit them well, so a curve that grows a little each redraw does not move the axes each time
 * (a new axis is the expensive part of a redraw). A new x axis leaves room to grow (a quarter of
 * the steps so far), a new linear y axis a fifth of the values' range on both sides (not below 0
 * for values that are not).
 */
export function chartAxes(
  rows: readonly ChartRow[],
  logScale: boolean,
  fraction = false,
  previous?: ChartAxes,
): ChartAxes {
  const extents = rowExtents(rows);
  const xMax = extents.x[1];
  const keepX = previous && xMax <= previous.x.domain[1] && xMax >= previous.x.domain[1] / 2;
  const x = keepX ? previous.x : niceScale(0, xMax * 1.25, 6, true);
  if (fraction) return { x, y: niceScale(0, 1) };
  const [yMin, yMax] = extents.y;
  if (logScale) return { x, y: logAxisScale(yMin, yMax) };
  if (previous) {
    const [lo, hi] = previous.y.domain;
    if (yMin >= lo && yMax <= hi && yMax - yMin >= 0.3 * (hi - lo)) return { x, y: previous.y };
  }
  const pad = 0.2 * (yMax - yMin);
  const bottom = yMin >= 0 ? Math.max(0, yMin - pad) : yMin - pad;
  return { x, y: niceScale(bottom, yMax + pad) };
}

/** The row whose x is closest to `x` (rows sorted by x). */
export function nearestRow(rows: readonly ChartRow[], x: number): ChartRow | null {
  if (rows.length === 0 || !Number.isFinite(x)) return null;
  let lo = 0;
  let hi = rows.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].x < x) lo = mid;
    else hi = mid;
  }
  return Math.abs(rows[lo].x - x) <= Math.abs(rows[hi].x - x) ? rows[lo] : rows[hi];
}

/** An axis's map from values to pixels; undefined where it has none (≤ 0 on a log axis). */
export type Scale = (value: number) => number | undefined;

/** A scale that also maps pixels back to values (the hover readout). */
export type PixelScale = Scale & { invert(pixel: number): number };

/**
 * The map from an axis's domain onto the pixels from `start` to `end` (end < start for a y axis,
 * whose pixels grow downwards), linear or log10. Values beyond the domain map beyond the pixels
 * (the chart clips them).
 */
export function pixelScale(axis: AxisScale, start: number, end: number, log = false): PixelScale {
  const into = log ? Math.log10 : (value: number) => value;
  const lo = into(axis.domain[0]);
  const span = into(axis.domain[1]) - lo || 1;
  const perUnit = (end - start) / span;
  const scale = (value: number) => {
    if (log && !(value > 0)) return undefined;
    return start + (into(value) - lo) * perUnit;
  };
  scale.invert = (pixel: number) => {
    const value = lo + (pixel - start) / perUnit;
    return log ? 10 ** value : value;
  };
  return scale;
}

/** SVG path data of one series, joined across rows that lack it. */
export function curvePath(
  rows: readonly ChartRow[],
  id: string,
  xScale: Scale,
  yScale: Scale,
): string {
  let path = '';
  for (const row of rows) {
    const value = row.values[id];
    if (value === undefined) continue;
    const px = xScale(row.x);
    const py = yScale(value);
    if (px === undefined || py === undefined || !Number.isFinite(px + py)) continue;
    path += `${path ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`;
  }
  return path;
}
