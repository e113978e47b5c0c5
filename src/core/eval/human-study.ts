/**
 * Vondrick et al.'s human study ("Generating Videos with Scene Dynamics", 2016, section 4.1) as a
 * classroom vote: people see two clips side by side and click the one that looks more realistic.
 * The paper pairs real videos with generated ones and one model with another, and reports how
 * often the generated (or the first model's) video was preferred.
 *
 * Pure functions, no tfjs: the seeded order in which the pairs are shown (each pair's clips on
 * random sides, so the position never gives the answer away) and the tally of the votes with the
 * Wilson score interval of each share.
 */
import { SeededRandom } from '../data/random';

/** z of a two-sided 95% normal interval (Φ⁻¹(0.975)). */
export const Z_95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/**
 * The Wilson score interval of a binomial proportion (`successes` of `trials`): unlike p̂ ± z·SE
 * it stays inside [0, 1] and does not collapse to a point at 0 or `trials` successes, which
 * matters for the handful of votes a class casts. With no trials it is [0, 1] (nothing is known).
 */
export function wilsonInterval(successes: number, trials: number, z = Z_95): Interval {
  if (!(Number.isInteger(trials) && trials >= 0)) {
    throw new RangeError(`trials must be a non-negative integer (got ${trials})`);
  }
  if (!(Number.isInteger(successes) && successes >= 0 && successes <= trials)) {
    throw new RangeError(`successes must be an integer from 0 to ${trials} (got ${successes})`);
  }
  if (!(z > 0)) throw new RangeError(`z must be positive (got ${z})`);
  if (trials === 0) return { low: 0, high: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  // Clamped: at 0 or `trials` successes the bound is 0 or 1 up to rounding.
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** One pair on screen: which pair, and whether clip A (the generated one, or the first model's) is on the left. */
export interface ShownPair {
  pair: number;
  aOnLeft: boolean;
}

/**
 * The order in which `pairs` pairs are shown to voter `round` (0, 1, …) of a vote seeded with
 * `seed`: every pair once, in a shuffled order, each with its clips on random sides. The same
 * seed and round always give the same order, so a vote can be repeated.
 */
export function voteOrder(pairs: number, seed: number, round = 0): ShownPair[] {
  if (!(Number.isInteger(pairs) && pairs >= 1)) {
    throw new RangeError(`pairs must be a positive integer (got ${pairs})`);
  }
  if (!(Number.isInteger(round) && round >= 0)) {
    throw new RangeError(`round must be a non-negative integer (got ${round})`);
  }
  const random = new SeededRandom(seed);
  for (let r = 0; r < round; r++) random.split(); // one independent stream per round
  const stream = random.split();
  const order = stream.shuffle(Array.from({ length: pairs }, (_, i) => i));
  return order.map((pair) => ({ pair, aOnLeft: stream.next() < 0.5 }));
}

/** The clip a vote went to: A (generated, or the first model) or B (real, or the second model). */
export type VoteChoice = 'a' | 'b';

export interface VoteTally {
  votes: number;
  /** Votes for A and for B. */
  a: number;
  b: number;
  /** Share of the votes A and B got (0 with no votes). */
  shareA: number;
  shareB: number;
  /** 95% Wilson intervals of the two shares. */
  intervalA: Interval;
  intervalB: Interval;
}

/**
 * The tally of a vote. With A the generated clip and B the real one, `shareA` is the fooled rate:
 * the share of pairs in which the generated video was judged the more realistic (0.5 means the
 * voters could not tell them apart).
 */
export function tallyVotes(votes: readonly VoteChoice[]): VoteTally {
  let a = 0;
  for (const vote of votes) {
    if (vote === 'a') a += 1;
    else if (vote !== 'b') throw new RangeError(`a vote is 'a' or 'b' (got ${String(vote)})`);
  }
  const n = votes.length;
  const b = n - a;
  return {
    votes: n,
    a,
    b,
    shareA: n === 0 ? 0 : a / n,
    shareB: n === 0 ? 0 : b / n,
    intervalA: wilsonInterval(a, n),
    intervalB: wilsonInterval(b, n),
  };
}
