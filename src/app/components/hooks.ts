/** Small hooks shared by the run views. */
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { RefObject } from 'react';

/**
 * Follows `value` at most once per `intervalMs`: a burst of changes yields one update at the end
 * of each interval, and the latest value always arrives (it is never dropped, only delayed).
 */
export function useThrottledValue<T>(value: T, intervalMs: number): T {
  const [state, setState] = useState({ value, at: 0 });
  useEffect(() => {
    if (Object.is(state.value, value)) return;
    const wait = Math.max(0, state.at + intervalMs - performance.now());
    const timer = setTimeout(() => setState({ value, at: performance.now() }), wait);
    return () => clearTimeout(timer);
  }, [value, intervalMs, state]);
  return state.value;
}

/** The content-box size of an element, kept up to date with a ResizeObserver. */
export function useElementSize(ref: RefObject<HTMLElement | null>): {
  width: number;
  height: number;
} {
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    // A ResizeObserver reports after the browser's own layout: reading the size here forces none.
    const observer = new ResizeObserver((entries) => {
      const box = entries[entries.length - 1]?.contentRect;
      if (!box) return;
      const width = Math.floor(box.width);
      const height = Math.floor(box.height);
      setSize((last) =>
        last.width === width && last.height === height ? last : { width, height },
      );
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return size;
}

/** The content-box width of an element, kept up to date with a ResizeObserver. */
export function useElementWidth(ref: RefObject<HTMLElement | null>): number {
  return useElementSize(ref).width;
}

/** Whether a CSS media query matches, kept up to date as the window changes. */
export function useMediaQuery(query: string): boolean {
  const subscribe = useCallback(
    (onChange: () => void) => {
      const list = window.matchMedia(query);
      list.addEventListener('change', onChange);
      return () => list.removeEventListener('change', onChange);
    },
    [query],
  );
  return useSyncExternalStore(subscribe, () => window.matchMedia(query).matches);
}

/** True when the user asked the OS for reduced motion (animations then start paused). */
export function prefersReducedMotion(): boolean {
  return (
    typeof window !== 'undefined' && window.matchMedia?.('(prefers-reduced-motion: reduce)').matches
  );
}

/**
 * Calls `onTick` `fps` times a second while `running`. A timer rather than a requestAnimationFrame
 * loop: an rAF loop makes the browser produce a frame 60 times a second whether or not anything
 * changed, and on a machine that renders in software those frames compete with training.
 */
export function useFrameClock(fps: number, running: boolean, onTick: () => void): void {
  const latest = useRef(onTick);
  useEffect(() => {
    latest.current = onTick;
  });
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => latest.current(), 1000 / fps);
    return () => clearInterval(timer);
  }, [fps, running]);
}
