import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FramePanel } from '../src/core/models/types';
import { lazyFrameSources, panelFrameSources } from '../src/app/components/frame-drawing';

/** Canvas 2D stand-ins (Node has neither OffscreenCanvas nor ImageData) that record each draw. */
const drawn: number[][] = [];

class FakeImageData {
  data: Uint8ClampedArray;
  constructor(
    public width: number,
    public height: number,
  ) {
    this.data = new Uint8ClampedArray(width * height * 4);
  }
}

class FakeOffscreenCanvas {
  constructor(
    public width: number,
    public height: number,
  ) {}
  getContext() {
    return { putImageData: (image: FakeImageData) => drawn.push([...image.data]) };
  }
}

beforeEach(() => {
  drawn.length = 0;
  vi.stubGlobal('ImageData', FakeImageData);
  vi.stubGlobal('OffscreenCanvas', FakeOffscreenCanvas);
});
afterEach(() => vi.unstubAllGlobals());

/** A 1×1 gray panel whose frame t has the value t / 10. */
function panel(t: number): FramePanel {
  const frames = Float32Array.from({ length: t }, (_, i) => i / 10);
  return { label: 'clip', frames, t, height: 1, width: 1, channels: 1, timeOffset: 0 };
}

describe('lazyFrameSources', () => {
  it('builds a frame only when it is first asked for, then reuses it', () => {
    const frameAt = lazyFrameSources(panel(20));
    expect(drawn).toHaveLength(0);
    const third = frameAt(3);
    expect(drawn).toEqual([[77, 77, 77, 255]]); // 0.3 × 255, gray into R, G and B
    expect(frameAt(3)).toBe(third);
    expect(drawn).toHaveLength(1);
  });

  it('clamps frames outside the panel to its first and last frame', () => {
    const frameAt = lazyFrameSources(panel(5));
    expect(frameAt(-2)).toBe(frameAt(0));
    expect(frameAt(9)).toBe(frameAt(4));
    expect(drawn.map((pixel) => pixel[0])).toEqual([0, 102]);
  });

  it('still gives every frame at once for strips', () => {
    const sources = panelFrameSources(panel(4));
    expect(sources).toHaveLength(4);
    expect(new Set(sources).size).toBe(4);
    expect(drawn.map((pixel) => pixel[0])).toEqual([0, 26, 51, 77]);
  });
});
