/**
 * The parts of an export that need a canvas (OffscreenCanvas, in the export worker): drawing a
 * sheet's text over its pixels, and PNG encoding with the browser's own encoder.
 */
import { TEXT_GRAY } from './sheet';
import type { Sheet } from './sheet';

function context(width: number, height: number): OffscreenCanvasRenderingContext2D {
  if (typeof OffscreenCanvas === 'undefined') {
    throw new Error('Image export needs OffscreenCanvas, which this browser lacks');
  }
  const ctx = new OffscreenCanvas(width, height).getContext('2d');
  if (!ctx) throw new Error('Could not create a 2D canvas for the export');
  return ctx;
}

/** Draws the sheet's title, labels and (for animations) the counter of frame `t` over `rgba`. */
export function drawSheetText(
  sheet: Sheet,
  rgba: Uint8ClampedArray<ArrayBuffer>,
  t = 0,
): Uint8ClampedArray<ArrayBuffer> {
  const ctx = context(sheet.width, sheet.height);
  ctx.putImageData(new ImageData(rgba, sheet.width, sheet.height), 0, 0);
  ctx.fillStyle = `rgb(${TEXT_GRAY}, ${TEXT_GRAY}, ${TEXT_GRAY})`;
  ctx.textBaseline = 'alphabetic';
  const texts = [...sheet.texts];
  if (sheet.counter) {
    texts.push({ ...sheet.counter, text: `frame ${t + 1} / ${sheet.frames}`, align: 'left' });
  }
  for (const text of texts) {
    ctx.font = `${text.bold ? '600 ' : ''}${text.size}px system-ui, sans-serif`;
    ctx.textAlign = text.align;
    ctx.fillText(text.text, text.x, text.y);
  }
  return ctx.getImageData(0, 0, sheet.width, sheet.height).data;
}

export async function encodePng(
  rgba: Uint8ClampedArray<ArrayBuffer>,
  width: number,
  height: number,
): Promise<Uint8Array> {
  const ctx = context(width, height);
  ctx.putImageData(new ImageData(rgba, width, height), 0, 0);
  const blob = await ctx.canvas.convertToBlob({ type: 'image/png' });
  return new Uint8Array(await blob.arrayBuffer());
}
