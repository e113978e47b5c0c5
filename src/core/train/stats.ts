/** Summary statistics of repeated timings, shared by the benchmark worker and its report. */

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  /** Quartiles (linear interpolation between order statistics). */
  p25: number;
  p75: number;
}

/** The q-quantile (0 ≤ q ≤ 1) of sorted values, interpolating linearly between neighbours. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    min: sorted.length ? sorted[0] : NaN,
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    p25: quantile(sorted, 0.25),
    p75: quantile(sorted, 0.75),
  };
}

/**
 * Steps per second over steps a … b of a loop, from the wall-clock time at the end of each step
 * (`endMs[i]` = end of step i + 1): (b − a) / (end of b − end of a). Skipping the first steps
 * keeps start-up out of it.
 */
export function throughput(endMs: readonly number[], skip: number): number {
  if (endMs.length - skip < 2) return NaN;
  const first = endMs[skip];
  const last = endMs[endMs.length - 1];
  return (1000 * (endMs.length - 1 - skip)) / (last - first);
}

/** Relative change from `before` to `after` (0.1 = 10% more); NaN when either is missing. */
export function relativeChange(
  before: number | null | undefined,
  after: number | null | undefined,
) {
  if (before == null || after == null || !Number.isFinite(before) || !Number.isFinite(after)) {
    return NaN;
  }
  return before === 0 ? NaN : after / before - 1;
}
