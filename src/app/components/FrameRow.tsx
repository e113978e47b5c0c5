/** A row of uint8 frames (gray or RGB) drawn side by side on one canvas, pixel-exact. */
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
}

export function FrameRow({
  data,
  count,
  width,
  height,
  channels,
  label,
  scale = 1,
}: FrameRowProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const canvasWidth = count * width + Math.max(0, count - 1) * GAP;
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
      context.putImageData(image, f * (width + GAP), 0);
    }
  }, [data, count, width, height, channels]);
  return (
    <canvas
      ref={ref}
      className="frame-row-canvas"
      width={canvasWidth}
      height={height}
      role="img"
      aria-label={label}
      style={{ width: canvasWidth * scale }}
    />
  );
}
