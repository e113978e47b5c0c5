/**
 * Viewing preferences kept across reloads in the browser's localStorage: only settings of the
 * view (never runs or their data). Storage that is missing or fails (private windows, quota,
 * Node tests) only costs the default.
 */

/** The part of the Web Storage API the preferences use. */
export type PreferenceStorage = Pick<Storage, 'getItem' | 'setItem'>;

const SMOOTHING_KEY = 'video-model-playground.smoothing';

/** The browser's localStorage, or null where there is none or it cannot be opened. */
export function browserStorage(): PreferenceStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // e.g. storage disabled for the site: reading the property throws
  }
}

/** The stored EMA weight when it is a number in [0, max]; otherwise `fallback`. */
export function readSmoothing(
  storage: PreferenceStorage | null,
  fallback: number,
  max: number,
): number {
  let stored: string | null;
  try {
    stored = storage?.getItem(SMOOTHING_KEY) ?? null;
  } catch {
    return fallback;
  }
  if (stored === null || stored.trim() === '') return fallback;
  const value = Number(stored);
  return Number.isFinite(value) && value >= 0 && value <= max ? value : fallback;
}

export function writeSmoothing(storage: PreferenceStorage | null, weight: number): void {
  try {
    storage?.setItem(SMOOTHING_KEY, String(weight));
  } catch {
    // not kept: the next page load starts at the default
  }
}
