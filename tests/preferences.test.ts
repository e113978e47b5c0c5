import { afterEach, describe, expect, it, vi } from 'vitest';
import { readSmoothing, writeSmoothing } from '../src/app/state/preferences';
import type { PreferenceStorage } from '../src/app/state/preferences';

function memoryStorage(): PreferenceStorage & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => void values.set(key, value),
  };
}

describe('smoothing preference', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('reads back what was written', () => {
    const storage = memoryStorage();
    writeSmoothing(storage, 0.85);
    expect(readSmoothing(storage, 0.6, 0.99)).toBe(0.85);
    writeSmoothing(storage, 0);
    expect(readSmoothing(storage, 0.6, 0.99)).toBe(0);
  });

  it('falls back on missing, malformed, out-of-range or failing storage', () => {
    const storage = memoryStorage();
    expect(readSmoothing(storage, 0.6, 0.99)).toBe(0.6);
    expect(readSmoothing(null, 0.6, 0.99)).toBe(0.6);
    for (const bad of ['', 'abc', '1.5', '-0.1', 'NaN', 'Infinity']) {
      storage.values.set('video-model-playground.smoothing', bad);
      expect(readSmoothing(storage, 0.6, 0.99)).toBe(0.6);
    }
    const failing: PreferenceStorage = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
    };
    expect(readSmoothing(failing, 0.6, 0.99)).toBe(0.6);
    expect(() => writeSmoothing(failing, 0.7)).not.toThrow();
  });

  it('the workspace store keeps the slider value across a reload (a fresh module)', async () => {
    const storage = memoryStorage();
    vi.stubGlobal('localStorage', storage);
    const first = await import('../src/app/state/workspace');
    expect(first.useWorkspace.getState().smoothing).toBe(first.DEFAULT_SMOOTHING);
    first.useWorkspace.getState().setSmoothing(0.9);
    first.useWorkspace.getState().setSmoothing(1.5); // clamped to the maximum before it is kept
    vi.resetModules();
    const reloaded = await import('../src/app/state/workspace');
    expect(reloaded.useWorkspace.getState().smoothing).toBe(reloaded.MAX_SMOOTHING);
    reloaded.useWorkspace.getState().setSmoothing(0.3);
    vi.resetModules();
    const again = await import('../src/app/state/workspace');
    expect(again.useWorkspace.getState().smoothing).toBe(0.3);
  });
});
