/**
 * Chart redraws, one at a time. A chart's redraw costs a few milliseconds (more when its axes
 * change, far more on a software-rendered machine whose cores are busy training), and the compare
 * view shows a dozen charts that all get new points from the same message: redrawn together they
 * make one long main-thread task.
 * Here each chart asks for a redraw and the scheduler grants them round-robin, one per macrotask
 * and at most one every `SLOT_MS`, so no redraw waits behind another and the charts' share of the
 * main thread stays bounded however many charts and runs there are (each chart then refreshes
 * every SLOT_MS × waiting charts, at most as often as its own throttle allows).
 */
import { startTransition, useEffect, useRef, useState } from 'react';

export const SLOT_MS = 100;

type Grant = () => void;

const waiting = new Set<Grant>(); // insertion order = queue order
let timer: ReturnType<typeof setTimeout> | null = null;
let lastGrantAt = -Infinity;

function schedule(): void {
  if (timer !== null || waiting.size === 0) return;
  const wait = Math.max(0, lastGrantAt + SLOT_MS - performance.now());
  timer = setTimeout(grantNext, wait);
}

function grantNext(): void {
  timer = null;
  const [next] = waiting;
  if (next) {
    waiting.delete(next);
    lastGrantAt = performance.now();
    next();
  }
  schedule();
}

/** Queues `grant` (once, keeping its place if already queued); returns a cancel function. */
export function requestRedraw(grant: Grant): () => void {
  waiting.add(grant);
  schedule();
  return () => {
    waiting.delete(grant);
  };
}

/** Charts waiting for their turn (tests). */
export function pendingRedraws(): number {
  return waiting.size;
}

/**
 * Follows `value` through the scheduler: later values arrive when this chart's turn comes (always
 * the latest value by then). The first one is drawn at once, or with `deferFirst` also in turn
 * (undefined until then), so that a view mounting many charts draws them one task at a time.
 */
export function useScheduledValue<T>(value: T): T;
export function useScheduledValue<T>(value: T, deferFirst: true): T | undefined;
export function useScheduledValue<T>(value: T, deferFirst = false): T | undefined {
  const [drawn, setDrawn] = useState<T | undefined>(deferFirst ? undefined : value);
  const latest = useRef(value);
  // One stable grant per chart: queued once, it draws whatever value is latest when it runs.
  // A transition: React renders the redraw in slices of a few milliseconds, yielding between
  // them, instead of in one task (only the DOM commit is one piece).
  const [grant] = useState<Grant>(() => () => startTransition(() => setDrawn(latest.current)));
  useEffect(() => {
    latest.current = value;
    if (drawn === undefined || !Object.is(drawn, value)) requestRedraw(grant);
  }, [value, drawn, grant]);
  useEffect(
    () => () => {
      waiting.delete(grant);
    },
    [grant],
  );
  return drawn;
}
