/**
 * A small seeded pseudo-random generator for the data layer: sfc32 (Chris Doty-Humphrey's
 * "small fast counting" generator, from PractRand) with its 128-bit state filled by splitmix32.
 *
 * Everything is 32-bit integer arithmetic (`Math.imul`, `>>>`), so the uint32 stream and `next()`
 * are bit-identical in every JavaScript engine. `normal()` goes through `Math.log`/`Math.cos`,
 * which engines are allowed to round differently in the last bit (V8 in Chrome and Node agree).
 */
import { describeValue } from '../quote';

const TWO_POW_32 = 4294967296;

/** The splitmix32 finalizer: a bijection on 32-bit words that spreads every input bit. */
function splitmix32(state: number): number {
  let z = state | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

const GOLDEN_GAMMA = 0x9e3779b9;

/** sfc32's state words a, b, c, d, each an unsigned 32-bit integer. */
export type RandomState = [number, number, number, number];

export function isRandomState(value: unknown): value is RandomState {
  return (
    Array.isArray(value) &&
    value.length === 4 &&
    value.every((word) => Number.isInteger(word) && word >= 0 && word < TWO_POW_32)
  );
}

export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed` is any safe integer; the high and low 32 bits both feed the state. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`seed must be a safe integer (got ${seed})`);
    }
    const low = seed >>> 0;
    const high = Math.floor(seed / TWO_POW_32) >>> 0;
    // a and c depend on the low word, b and d on the high word, each through a bijection,
    // so distinct seeds always give distinct states.
    this.a = splitmix32(low + GOLDEN_GAMMA);
    this.b = splitmix32(high + 2 * GOLDEN_GAMMA);
    this.c = splitmix32(low + 3 * GOLDEN_GAMMA);
    this.d = splitmix32(high + 4 * GOLDEN_GAMMA);
    // The first outputs of sfc32 still correlate with the seed words; the reference code discards 12.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** The generator's 128-bit state as four uint32 words (for checkpoints). */
  getState(): RandomState {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }

  /** Continues from a state returned by `getState()`; throws a RangeError on a malformed one. */
  setState(state: unknown): void {
    if (!isRandomState(state)) {
      throw new RangeError(
        `a random-generator state must be four integers in [0, 2^32) (got ${describeValue(state)})`,
      );
    }
    [this.a, this.b, this.c, this.d] = state.map((word) => word | 0);
  }

  /** The next raw 32-bit output, an integer in [0, 2^32). */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1), with 32 random bits. */
  next(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** Uniform integer in [0, n); n must be a positive integer up to 2^32. */
  int(n: number): number {
    if (!(Number.isInteger(n) && n > 0 && n <= TWO_POW_32)) {
      throw new RangeError(`int(n) needs an integer n in [1, 2^32] (got ${n})`);
    }
    // Rejection keeps the result exactly uniform instead of favouring small values.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let value = this.uint32();
    while (value >= limit) value = this.uint32();
    return value % n;
  }

  /** Standard normal sample (Box–Muller; one of the pair is discarded to keep no hidden state). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log(0) must never happen
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** An independent generator seeded from this one's stream (for separate sub-streams). */
  split(): SeededRandom {
    // 53 bits from two draws, so forks rarely collide.
    const high = this.uint32() & 0x1fffff;
    return new SeededRandom(high * TWO_POW_32 + this.uint32());
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T extends { length: number; [index: number]: number }>(values: T): T {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const swap = values[i];
      values[i] = values[j];
      values[j] = swap;
    }
    return values;
  }
}
