import { describe, expect, it } from 'vitest';
import { MetricHistory, lttbIndices } from '../src/app/runs/metric-history';

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
