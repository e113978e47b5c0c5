/** Animated GIF from RGBA frames, with gifenc (mattdesl/gifenc). */
import { GIFEncoder, applyPalette, quantize } from 'gifenc';
import type { Palette } from 'gifenc';

const GRAYS: Palette = Array.from({ length: 256 }, (_, v) => [v, v, v]);

function isGray(rgba: Uint8ClampedArray): boolean {
  for (let i = 0; i < rgba.length; i += 4) {
    if (rgba[i] !== rgba[i + 1] || rgba[i] !== rgba[i + 2]) return false;
  }
  return true;
}

/**
 * Loops forever at `delayMs` per frame. Gray frames (Moving MNIST) use an exact 256-level gray
 * palette; colour frames get a per-frame palette from gifenc's quantizer.
 */
export function encodeGif(
  frames: readonly Uint8ClampedArray[],
  width: number,
  height: number,
  delayMs: number,
): Uint8Array {
  if (frames.length === 0) throw new Error('A GIF needs at least one frame');
  const gif = GIFEncoder();
  for (const rgba of frames) {
    if (rgba.length !== width * height * 4) {
      throw new RangeError(`frame has ${rgba.length} bytes, expected ${width * height * 4}`);
    }
    let palette: Palette;
    let index: Uint8Array;
    if (isGray(rgba)) {
      palette = GRAYS;
      index = new Uint8Array(width * height);
      for (let p = 0; p < index.length; p++) index[p] = rgba[p * 4];
    } else {
      palette = quantize(rgba, 256);
      index = applyPalette(rgba, palette);
    }
    gif.writeFrame(index, width, height, { palette, delay: delayMs, repeat: 0 });
  }
  gif.finish();
  return gif.bytes();
}
