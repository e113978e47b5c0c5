import { describe, expect, it } from 'vitest';
import { MetricHistory, lttbIndices, niceScale, rowExtents } from '../src/app/runs/metric-history';

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
