/**
 * Decoded Y'CbCr planes to small RGBA frames: colour conversion (BT.601 / BT.709, limited and
 * full range), NV12 equal to I420, black bars when fitting, and the display rotation.
 */
import { describe, expect, it } from 'vitest';
import { matrixFor, orient, yuvLayout, yuvToRgba } from '../src/core/data/yuv';
import type { YuvFrame } from '../src/core/data/yuv';

/** A solid frame of one Y'CbCr colour. */
function solid(format: 'I420' | 'NV12', w: number, h: number, [y, u, v]: number[]): YuvFrame {
  const { planes, bytes } = yuvLayout(format, w, h);
  const data = new Uint8Array(bytes);
  data.fill(y, 0, w * h);
  const chroma = Math.ceil(w / 2) * Math.ceil(h / 2);
  if (format === 'I420') {
    data.fill(u, planes[1].offset, planes[1].offset + chroma);
    data.fill(v, planes[2].offset, planes[2].offset + chroma);
  } else {
    for (let i = 0; i < chroma; i++) {
      data[planes[1].offset + 2 * i] = u;
      data[planes[1].offset + 2 * i + 1] = v;
    }
  }
  return {
    format,
    width: w,
    height: h,
    data,
    matrix: 'bt601',
    fullRange: false,
    rotation: 0,
    flip: false,
  };
}

const rgbAt = (rgba: Uint8ClampedArray, i: number) => [...rgba.subarray(4 * i, 4 * i + 3)];

/** Within one level per channel (8-bit Y'CbCr is quantized). */
function expectRgb(actual: number[], expected: number[]) {
  actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThanOrEqual(1));
}

describe('Y′CbCr to RGB', () => {
  it('converts limited-range BT.601 red, white and black', () => {
    expectRgb(rgbAt(yuvToRgba(solid('I420', 8, 6, [81, 90, 240]), 4, 3, 'center'), 0), [255, 0, 0]);
    expect(rgbAt(yuvToRgba(solid('I420', 8, 6, [235, 128, 128]), 4, 3, 'center'), 5)).toEqual([
      255, 255, 255,
    ]);
    expect(rgbAt(yuvToRgba(solid('I420', 8, 6, [16, 128, 128]), 4, 3, 'center'), 5)).toEqual([
      0, 0, 0,
    ]);
  });

  it('uses the BT.709 matrix for tagged or HD streams, and full range when flagged', () => {
    expect(matrixFor('bt709', 480)).toBe('bt709');
    expect(matrixFor(null, 720)).toBe('bt709');
    expect(matrixFor(null, 480)).toBe('bt601');
    const red709 = { ...solid('I420', 4, 4, [63, 102, 240]), matrix: 'bt709' as const };
    const [r, g, b] = rgbAt(yuvToRgba(red709, 2, 2, 'center'), 0);
    expect(r).toBeGreaterThan(250);
    expect(Math.max(g, b)).toBeLessThan(5);
    const full = { ...solid('I420', 4, 4, [200, 128, 128]), fullRange: true };
    expect(rgbAt(yuvToRgba(full, 2, 2, 'center'), 0)).toEqual([200, 200, 200]);
  });

  it('gives the same pixels from NV12 as from I420, odd sizes included', () => {
    const i420 = yuvToRgba(solid('I420', 7, 5, [120, 60, 200]), 5, 5, 'center');
    expect(yuvToRgba(solid('NV12', 7, 5, [120, 60, 200]), 5, 5, 'center')).toEqual(i420);
  });

  it('fits a wide frame with black bars (not Y = 0 green)', () => {
    const out = yuvToRgba(solid('I420', 8, 4, [235, 128, 128]), 4, 4, 'fit');
    expect(rgbAt(out, 0)).toEqual([0, 0, 0]); // row 0 is a bar
    expect(rgbAt(out, 4)).toEqual([255, 255, 255]); // row 1 is picture
  });
});

describe('orientation', () => {
  // A 2×1 image: red, then blue.
  const image = Uint8ClampedArray.from([255, 0, 0, 255, 0, 0, 255, 255]);

  it('rotates clockwise and flips after rotating', () => {
    expect([...orient(image, 2, 1, 90, false)]).toEqual([255, 0, 0, 255, 0, 0, 255, 255]); // red on top
    expect([...orient(image, 2, 1, 270, false)]).toEqual([0, 0, 255, 255, 255, 0, 0, 255]); // blue on top
    expect([...orient(image, 2, 1, 180, false)]).toEqual([0, 0, 255, 255, 255, 0, 0, 255]);
    expect([...orient(image, 2, 1, 0, true)]).toEqual([0, 0, 255, 255, 255, 0, 0, 255]);
  });

  it('turns a rotated frame to its display size', () => {
    const frame = { ...solid('I420', 8, 4, [128, 128, 128]), rotation: 90 as const };
    expect(yuvToRgba(frame, 4, 8, 'center')).toHaveLength(4 * 8 * 4);
  });
});
