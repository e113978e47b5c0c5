/**
 * The one rule for seeds, wherever they come from (run specs, links, checkpoints, the CLI, the
 * Data view's exports): an integer from 0 to 2^32 − 1.
 *
 * Why this range: seeds fill 32-bit generator words (sfc32 in `data/random.ts`), and models derive
 * one seed per weight as `seed + i` (tfjs's seeded initialisers); in this range every derived
 * seed is exact and distinct. Near 2^53 and above, `seed + i` rounds back to `seed`, so every
 * weight of a model would start from the same values.
 */
import { ConfigError } from './models/config-schema';
import { describeValue } from './quote';

export const MAX_SEED = 2 ** 32 - 1;

export function isSeed(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_SEED;
}

/** What a message says a seed must be. */
export const SEED_RULE = `an integer from 0 to ${MAX_SEED} (2^32 − 1)`;

/** `value` when it is a seed; otherwise a ConfigError naming `field` and what was given. */
export function checkSeed(field: string, value: unknown): number {
  if (isSeed(value)) return value;
  throw new ConfigError(field, `${field} must be ${SEED_RULE} (got ${describeValue(value)})`);
}
