import { describe, expect, it } from 'vitest';
import {
  MetricHistory,
  chartAxes,
  chartRows,
  curvePath,
  emaSmooth,
  logAxisScale,
  lttbIndices,
  nearestRow,
  niceScale,
  pixelScale,
  rawSeriesKey,
  rowExtents,
} from '../src/app/runs/metric-history';
import type { ChartRow } from '../src/app/runs/metric-history';

describe('MetricHistory', () => {
  it('keeps every point per metric and returns [step, value] pairs', () => {
    const history = new MetricHistory();
    history.append([
      { step: 1, wallMs: 10, values: { loss: 5, recon_loss: 2 } },
      { step: 2, wallMs: 20, values: { loss: 4 } },
    ]);
    expect(history.names()).toEqual(['loss', 'recon_loss']);
    expect(history.toPairs()).toEqual({
      loss: [
        [1, 5],
        [2, 4],
      ],
      recon_loss: [[1, 2]],
    });
  });
});

describe('lttbIndices', () => {
  it('keeps short series whole', () => {
    expect(lttbIndices([0, 1, 2], [5, 6, 7], 10)).toEqual([0, 1, 2]);
  });

  it('bounds long series, keeps the ends and the extreme points', () => {
    const xs = Array.from({ length: 10_000 }, (_, i) => i);
    const ys = xs.map((x) => (x === 4321 ? 100 : Math.sin(x / 500)));
    const picked = lttbIndices(xs, ys, 500);
    expect(picked.length).toBe(500);
    expect(picked[0]).toBe(0);
    expect(picked[picked.length - 1]).toBe(9_999);
    expect(picked).toContain(4321);
    expect([...picked].sort((a, b) => a - b)).toEqual(picked);
  });
});

describe('niceScale', () => {
  it('covers the range with round, evenly spaced ticks', () => {
    expect(niceScale(0.13, 0.92)).toEqual({ domain: [0, 1], ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(niceScale(103, 487)).toEqual({ domain: [100, 500], ticks: [100, 200, 300, 400, 500] });
    expect(niceScale(-3, 7)).toEqual({ domain: [-5, 7.5], ticks: [-5, -2.5, 0, 2.5, 5, 7.5] });
    // Steps: from zero.
    expect(niceScale(25, 1230, 5, true)).toEqual({
      domain: [0, 1500],
      ticks: [0, 500, 1000, 1500],
    });
  });

  it('handles a single value, tiny ranges and no data', () => {
    expect(niceScale(5, 5).domain).toEqual([4.5, 5.5]);
    expect(niceScale(0, 0, 5, true)).toEqual({ domain: [0, 1], ticks: [0, 0.25, 0.5, 0.75, 1] });
    const tiny = niceScale(1.0001, 1.0004);
    expect(tiny.domain[0]).toBeLessThanOrEqual(1.0001);
    expect(tiny.domain[1]).toBeGreaterThanOrEqual(1.0004);
    expect(tiny.ticks.length).toBeGreaterThanOrEqual(3);
    expect(tiny.ticks.length).toBeLessThanOrEqual(8);
    expect(niceScale(Infinity, -Infinity)).toEqual({ domain: [0, 1], ticks: [0, 1] });
  });

  it('measures the extents of chart rows', () => {
    expect(
      rowExtents([
        { x: 1, values: { a: 3 } },
        { x: 4, values: { a: -1, b: 9 } },
      ]),
    ).toEqual({ x: [1, 4], y: [-1, 9] });
  });
});

describe('logAxisScale', () => {
  it('spans whole decades with a tick at each', () => {
    expect(logAxisScale(0.031, 4.2)).toEqual({ domain: [0.01, 10], ticks: [0.01, 0.1, 1, 10] });
  });

  it('puts 1, 2 and 5 ticks inside a single decade', () => {
    expect(logAxisScale(0.25, 0.8)).toEqual({ domain: [0.1, 1], ticks: [0.1, 0.2, 0.5, 1] });
    expect(logAxisScale(3, 3)).toEqual({ domain: [1, 10], ticks: [1, 2, 5, 10] });
  });

  it('ticks every few decades, evenly, over a wide range', () => {
    expect(logAxisScale(1e-7, 3)).toEqual({
      domain: [1e-7, 10],
      ticks: [1e-7, 1e-5, 1e-3, 0.1, 10],
    });
  });

  it('falls back to one decade without positive values', () => {
    expect(logAxisScale(Infinity, -Infinity)).toEqual({ domain: [1, 10], ticks: [1, 10] });
  });
});

describe('chart geometry', () => {
  const rows: ChartRow[] = [
    { x: 0, values: { a: 4 } },
    { x: 10, values: { b: 2 } },
    { x: 20, values: { a: 1, b: 0.5 } },
  ];

  it('starts x at 0 with room to grow and pads y, or 0–1 for fractions, or decades on log', () => {
    const axes = chartAxes(rows, false);
    expect(axes.x).toEqual(niceScale(0, 25, 6, true));
    expect(axes.x.domain).toEqual([0, 25]);
    expect(axes.y).toEqual(niceScale(0, 4.7)); // 0.5–4 padded by a fifth of 3.5, not below 0
    expect(chartAxes(rows, false, true).y).toEqual({
      domain: [0, 1],
      ticks: [0, 0.25, 0.5, 0.75, 1],
    });
    expect(chartAxes(rows, true).y).toEqual({ domain: [0.1, 10], ticks: [0.1, 1, 10] });
  });

  it('keeps the last axes while the values still fit them well', () => {
    const first = chartAxes(rows, false);
    const grown = [...rows, { x: 24, values: { a: 0.9 } }];
    const kept = chartAxes(grown, false, false, first);
    expect(kept.x).toBe(first.x);
    expect(kept.y).toBe(first.y);
  });

  it('moves an axis once values leave it or fill too little of it', () => {
    const first = chartAxes(rows, false);
    const past = chartAxes([...rows, { x: 26, values: { a: 0.9 } }], false, false, first);
    expect(past.x.domain[1]).toBeGreaterThanOrEqual(26 * 1.25);
    expect(past.y).toBe(first.y);
    const shrunk = chartAxes(
      [
        { x: 0, values: { a: 1 } },
        { x: 8, values: { a: 2 } },
      ],
      false,
      false,
      first,
    );
    expect(shrunk.x.domain).toEqual([0, 10]);
    const below = chartAxes([...rows, { x: 21, values: { a: -5 } }], false, false, first);
    expect(below.y.domain[0]).toBeLessThanOrEqual(-6.8);
    expect(below.x).toBe(first.x);
  });

  it('does not pad non-negative values below 0', () => {
    const rising = chartAxes(
      [
        { x: 0, values: { a: 0.1 } },
        { x: 1, values: { a: 9 } },
      ],
      false,
    );
    expect(rising.y.domain[0]).toBe(0);
  });

  it('finds the row nearest an x, ties to the left', () => {
    expect(nearestRow(rows, 4)?.x).toBe(0);
    expect(nearestRow(rows, 5)?.x).toBe(0);
    expect(nearestRow(rows, 6)?.x).toBe(10);
    expect(nearestRow(rows, 99)?.x).toBe(20);
    expect(nearestRow([], 3)).toBeNull();
    expect(nearestRow(rows, NaN)).toBeNull();
  });

  it('draws a series through the rows that have it, skipping points off the scale', () => {
    const double = (v: number) => v * 2;
    expect(curvePath(rows, 'a', double, double)).toBe('M0.0,8.0L40.0,2.0');
    expect(curvePath(rows, 'b', double, (v) => (v < 1 ? undefined : -v))).toBe('M20.0,-2.0');
    expect(curvePath(rows, 'missing', double, double)).toBe('');
  });

  it('maps an axis onto pixels, linear or log, and back', () => {
    const x = pixelScale({ domain: [0, 40], ticks: [0, 20, 40] }, 72, 472);
    expect(x(0)).toBe(72);
    expect(x(20)).toBe(272);
    expect(x(50)).toBe(572); // beyond the domain: beyond the pixels, clipped by the chart
    expect(x.invert(272)).toBe(20);
    // A y axis: pixels grow downwards, so the domain's top is the smallest pixel.
    const y = pixelScale({ domain: [0.4, 0.8], ticks: [] }, 208, 8);
    expect(y(0.4)).toBeCloseTo(208);
    expect(y(0.8)).toBeCloseTo(8);
    expect(y.invert(108)).toBeCloseTo(0.6);
    const log = pixelScale({ domain: [1, 1000], ticks: [] }, 300, 0, true);
    expect(log(10)).toBeCloseTo(200);
    expect(log(1000)).toBeCloseTo(0);
    expect(log(0)).toBeUndefined();
    expect(log(-1)).toBeUndefined();
    expect(log.invert(100)).toBeCloseTo(100);
    // A zero-width domain still maps (to its start) rather than dividing by zero.
    expect(pixelScale({ domain: [5, 5], ticks: [] }, 0, 100)(5)).toBe(0);
  });
});

describe('smoothing (TensorBoard EMA)', () => {
  it('is the debiased exponential moving average: no pull towards 0 at the start', () => {
    const smoothed = emaSmooth([10, 0, 10, 0], 0.5);
    // average_n = 0.5·average_{n−1} + 0.5·value_n, divided by 1 − 0.5^n
    expect(smoothed[0]).toBeCloseTo(10);
    expect(smoothed[1]).toBeCloseTo(2.5 / 0.75);
    expect(smoothed[2]).toBeCloseTo(6.25 / 0.875);
    expect(smoothed[3]).toBeCloseTo(3.125 / 0.9375);
  });

  it('leaves the values alone at weight 0 and keeps a constant series exact', () => {
    expect(emaSmooth([3, 1, 2], 0)).toEqual([3, 1, 2]);
    expect(emaSmooth([0.1, 0.1, 0.1], 0.9)).toEqual([0.1, 0.1, 0.1]);
  });

  it('turns alternating noise around a falling trend into a curve close to the trend', () => {
    const trend = Array.from({ length: 400 }, (_, i) => 2 - i / 400);
    const noisy = trend.map((value, i) => value + (i % 2 === 0 ? 0.5 : -0.5));
    const smoothed = emaSmooth(noisy, 0.9);
    const worst = (values: number[]) =>
      Math.max(...values.slice(50).map((value, i) => Math.abs(value - trend[i + 50])));
    expect(worst(noisy)).toBeCloseTo(0.5);
    expect(worst(smoothed)).toBeLessThan(0.1);
  });

  it('puts smoothed values under the series id and raw ones beside them, at the same steps', () => {
    const history = new MetricHistory();
    history.append(
      [4, 2, 4, 2].map((loss, i) => ({ step: i + 1, wallMs: 10 * i, values: { loss } })),
    );
    const series = [{ id: 'loss', series: history.get('loss') }];
    const rows = chartRows(series, 'step', false, { smoothing: 0.5 });
    expect(rows.map((row) => row.values[rawSeriesKey('loss')])).toEqual([4, 2, 4, 2]);
    expect(rows.map((row) => row.values.loss)).toEqual(emaSmooth([4, 2, 4, 2], 0.5));
    expect(rows[1].values.loss).not.toBe(2);
    // Without smoothing there are no raw keys.
    expect(chartRows(series, 'step', false).map((row) => Object.keys(row.values))).toEqual([
      ['loss'],
      ['loss'],
      ['loss'],
      ['loss'],
    ]);
  });
});
