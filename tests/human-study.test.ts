/**
 * The classroom vote's statistics (src/core/eval/human-study.ts): Wilson intervals against
 * published values, the seeded order of the pairs, and the tally.
 */
import { describe, expect, it } from 'vitest';
import { tallyVotes, voteOrder, wilsonInterval } from '../src/core/eval/human-study';
import type { VoteChoice } from '../src/core/eval/human-study';

describe('wilsonInterval', () => {
  // 95% Wilson intervals as R's binom::binom.wilson(x, n) prints them (no continuity correction).
  it.each([
    [0, 10, 0, 0.2775328],
    [1, 10, 0.01787621, 0.40415],
    [5, 10, 0.2365931, 0.7634069],
    [10, 10, 0.7224672, 1],
    [81, 263, 0.2552885, 0.3662096],
  ])('%i of %i → [%f, %f]', (x, n, low, high) => {
    const interval = wilsonInterval(x, n);
    expect(interval.low).toBeCloseTo(low, 6);
    expect(interval.high).toBeCloseTo(high, 6);
  });

  it('is symmetric: the interval of n − x successes mirrors that of x', () => {
    const a = wilsonInterval(3, 17);
    const b = wilsonInterval(14, 17);
    expect(a.low).toBeCloseTo(1 - b.high, 12);
    expect(a.high).toBeCloseTo(1 - b.low, 12);
  });

  it('narrows as votes accumulate at the same share', () => {
    const few = wilsonInterval(3, 6);
    const many = wilsonInterval(300, 600);
    expect(many.high - many.low).toBeLessThan((few.high - few.low) / 5);
    expect(many.low).toBeLessThan(0.5);
    expect(many.high).toBeGreaterThan(0.5);
  });

  it('knows nothing without votes and refuses impossible counts', () => {
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
    expect(() => wilsonInterval(4, 3)).toThrow(/successes/);
    expect(() => wilsonInterval(1.5, 3)).toThrow(/successes/);
    expect(() => wilsonInterval(0, -1)).toThrow(/trials/);
  });
});

describe('voteOrder', () => {
  it('shows every pair once, in the same order for the same seed and round', () => {
    const order = voteOrder(8, 7, 0);
    expect(order.map((shown) => shown.pair).sort((x, y) => x - y)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7,
    ]);
    expect(voteOrder(8, 7, 0)).toEqual(order);
  });

  it('gives each round and each seed an order of its own', () => {
    const key = (seed: number, round: number) => JSON.stringify(voteOrder(8, seed, round));
    expect(key(7, 1)).not.toEqual(key(7, 0));
    expect(key(8, 0)).not.toEqual(key(7, 0));
  });

  it('puts clip A on the left about half the time', () => {
    let left = 0;
    let shown = 0;
    for (let round = 0; round < 200; round++) {
      for (const pair of voteOrder(10, 3, round)) {
        shown += 1;
        if (pair.aOnLeft) left += 1;
      }
    }
    // 2000 fair coin flips: 50% ± 3.5% holds with probability > 0.998.
    expect(left / shown).toBeGreaterThan(0.465);
    expect(left / shown).toBeLessThan(0.535);
  });
});

describe('tallyVotes', () => {
  it('counts shares and the fooled rate (A = generated) with their intervals', () => {
    const votes: VoteChoice[] = ['a', 'b', 'b', 'a', 'b', 'b', 'b', 'b', 'b', 'b'];
    const tally = tallyVotes(votes);
    expect(tally).toMatchObject({ votes: 10, a: 2, b: 8, shareA: 0.2, shareB: 0.8 });
    expect(tally.intervalA.low).toBeCloseTo(0.05668215, 6); // binom.wilson(2, 10)
    expect(tally.intervalA.high).toBeCloseTo(0.5098375, 6);
    expect(tally.intervalB.low).toBeCloseTo(1 - tally.intervalA.high, 12);
  });

  it('is empty before the first vote and refuses anything but a or b', () => {
    expect(tallyVotes([])).toMatchObject({ votes: 0, shareA: 0, intervalA: { low: 0, high: 1 } });
    expect(() => tallyVotes(['a', 'c' as VoteChoice])).toThrow(/'a' or 'b'/);
  });
});
