/**
 * Geometry of the papers' few-label chart (no React): where each number of labelled clips per
 * class sits on a log axis — 'all' at the average clips per class it stands for, kept clear of
 * the largest count — and what its tick says.
 */
import type { LabelCount } from '../../protocol/probe';

/** Classes of the Moving MNIST tasks (the digits); file labels bring their own. */
const DIGIT_CLASSES = 10;
/** Least gap on the log10 axis between 'all' and the largest count (50 → 'all' ≥ ~100). */
const ALL_GAP = 0.3;

export interface ProbeTick {
  count: LabelCount;
  /** Position on the log10 axis. */
  at: number;
  label: string;
}

/**
 * A tick per entry of `counts`, in the given order; `trainClips` of `classes` classes is what
 * 'all' labels.
 */
export function probeTicks(
  counts: readonly LabelCount[],
  trainClips: number,
  classes = DIGIT_CLASSES,
): ProbeTick[] {
  const finite = counts.filter((c): c is number => c !== 'all');
  const largest = finite.length > 0 ? Math.log10(Math.max(...finite)) : 0;
  const perClass = trainClips / classes;
  const allAt = Math.max(Math.log10(perClass), largest + ALL_GAP);
  return counts.map((count) =>
    count === 'all'
      ? { count, at: allAt, label: `all (~${Math.round(perClass)})` }
      : { count, at: Math.log10(count), label: String(count) },
  );
}

/** Maps [from, to] onto [start, end] linearly (a single value sits in the middle). */
export function linearMap(
  from: number,
  to: number,
  start: number,
  end: number,
): (value: number) => number {
  if (to === from) return () => (start + end) / 2;
  return (value) => start + ((value - from) / (to - from)) * (end - start);
}
