/**
 * Frames drawn by the browser into small OffscreenCanvases, in the data worker: video frames the
 * Y'CbCr path cannot read, and webcam frames (ImageBitmaps) at a dataset's size.
 */
import type { CropMode } from '../core/data/types';

/** One canvas per output size, reused for every frame (creating a context per frame is slow). */
const canvases = new Map<string, OffscreenCanvasRenderingContext2D>();

/** A cleared (black) 2D context of `width × height`, smoothing on. */
export function canvasOfSize(width: number, height: number): OffscreenCanvasRenderingContext2D {
  const key = `${width}x${height}`;
  let context = canvases.get(key);
  if (!context) {
    const created = new OffscreenCanvas(width, height).getContext('2d', {
      willReadFrequently: true,
    });
    if (!created) throw new Error('OffscreenCanvas 2D is not available');
    context = created;
    canvases.set(key, context);
  }
  context.fillStyle = '#000';
  context.fillRect(0, 0, width, height);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  return context;
}

/** The place of a `sourceWidth × sourceHeight` image in the box: 'center' covers it, 'fit' fits inside. */
export function fittedRect(
  sourceWidth: number,
  sourceHeight: number,
  width: number,
  height: number,
  crop: CropMode,
): { x: number; y: number; width: number; height: number } {
  const scale = (crop === 'center' ? Math.max : Math.min)(
    width / sourceWidth,
    height / sourceHeight,
  );
  const w = sourceWidth * scale;
  const h = sourceHeight * scale;
  return { x: (width - w) / 2, y: (height - h) / 2, width: w, height: h };
}

/** A camera frame's RGBA pixels at `width × height` (cropped or fitted). */
export function drawBitmap(
  frame: ImageBitmap,
  width: number,
  height: number,
  crop: CropMode,
): Uint8ClampedArray {
  const context = canvasOfSize(width, height);
  const rect = fittedRect(frame.width, frame.height, width, height, crop);
  context.drawImage(frame, rect.x, rect.y, rect.width, rect.height);
  return context.getImageData(0, 0, width, height).data;
}
