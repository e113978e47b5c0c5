/**
 * A row of uint8 frames (gray or RGB) drawn side by side on one canvas, pixel-exact; with
 * `perLine`, a long row wraps into lines of that many frames instead of shrinking them.
 */
import { useEffect, useRef } from 'react';

const GAP = 2;

interface FrameRowProps {
  /** [count, height, width, channels] bytes. */
  data: Uint8Array;
  count: number;
  width: number;
  height: number;
  channels: 1 | 3;
  label: string;
  /** CSS pixels per frame pixel (the canvas still shrinks to fit its box). */
  scale?: number;
  /** Frames per line (default: all on one line). */
  perLine?: number;
}

export function FrameRow({
  data,
  count,
  width,
  height,
  channels,
  label,
  scale = 1,
  perLine = count,
}: FrameRowProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const columns = Math.max(1, Math.min(count, perLine));
  const lines = Math.max(1, Math.ceil(count / columns));
  const canvasWidth = columns * width + (columns - 1) * GAP;
  const canvasHeight = lines * height + (lines - 1) * GAP;
  useEffect(() => {
    const canvas = ref.current;
    const context = canvas?.getContext('2d');
    if (!canvas || !context) return;
    context.clearRect(0, 0, canvas.width, canvas.height);
    const image = new ImageData(width, height);
    const rgba = image.data;
    const pixels = width * height;
    for (let f = 0; f < count; f++) {
      const base = f * pixels * channels;
      for (let p = 0; p < pixels; p++) {
        const o = 4 * p;
        if (channels === 1) {
          rgba[o] = rgba[o + 1] = rgba[o + 2] = data[base + p];
        } else {
          rgba[o] = data[base + 3 * p];
          rgba[o + 1] = data[base + 3 * p + 1];
          rgba[o + 2] = data[base + 3 * p + 2];
        }
        rgba[o + 3] = 255;
      }
      const [line, column] = [Math.floor(f / columns), f % columns];
      context.putImageData(image, column * (width + GAP), line * (height + GAP));
    }
  }, [data, count, width, height, channels, columns]);
  return (
    <canvas
      ref={ref}
      className="frame-row-canvas"
      width={canvasWidth}
      height={canvasHeight}
      role="img"
      aria-label={label}
      style={{ width: canvasWidth * scale }}
    />
  );
}
