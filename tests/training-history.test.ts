/** The training curves a checkpoint carries: bounded by thinning, and their compact JSON round-trips. */
import { describe, expect, it } from 'vitest';
import { TrainingHistory, historyFromJson, historyToJson } from '../src/core/train/history';

const point = (step: number) => ({
  step,
  wallMs: step * 10.4,
  values: { loss: 1 / step, aux: step },
});

describe('TrainingHistory', () => {
  it('keeps every step until the limit, then every 2nd, 4th, … step', () => {
    const history = new TrainingHistory([], 8);
    for (let step = 1; step <= 8; step++) history.add(point(step));
    expect(history.toArray().map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    history.add(point(9)); // full: thinned to the even steps, and 9 is dropped
    expect(history.toArray().map((p) => p.step)).toEqual([2, 4, 6, 8]);
    for (let step = 10; step <= 16; step++) history.add(point(step));
    expect(history.toArray().map((p) => p.step)).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
    history.add(point(17));
    history.add(point(18)); // full again: every 4th step
    expect(history.toArray().map((p) => p.step)).toEqual([4, 8, 12, 16]);
    expect(history.lastWallMs()).toBeCloseTo(166.4); // step 16
  });

  it('round-trips through JSON with 7 significant digits; missing and non-finite values are left out', () => {
    const points = [point(1), point(3), { step: 4, wallMs: 50, values: { loss: NaN } }];
    const json = JSON.parse(JSON.stringify(historyToJson(points)));
    expect(json.names).toEqual(['loss', 'aux']);
    expect(json.points[2]).toEqual([4, 50, null, null]);
    const back = historyFromJson(json)!;
    expect(back.map((p) => p.step)).toEqual([1, 3, 4]);
    expect(back[1].values.loss).toBe(0.3333333);
    expect(back[1].wallMs).toBe(31);
    expect(back[2].values).toEqual({});
  });

  it('rejects malformed JSON', () => {
    expect(historyFromJson(null)).toBeNull();
    expect(historyFromJson({ names: ['loss'], points: [[1, 0]] })).toBeNull();
    expect(historyFromJson({ names: ['loss'], points: [[1.5, 0, 2]] })).toBeNull();
    expect(historyFromJson({ names: ['loss'], points: [[1, 0, 'x']] })).toBeNull();
    expect(historyFromJson({ names: [3], points: [] })).toBeNull();
  });
});
