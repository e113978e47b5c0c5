/** One panel of a run at one frame of the shared time axis, drawn crisp at `size` CSS px. */
import { useDeferredValue, useEffect, useMemo, useRef } from 'react';
import type { FramePanel } from '../../../core/models/types';
import { lazyFrameSources, prepareCanvas } from '../frame-drawing';

interface FrameTileProps {
  panel: FramePanel;
  frame: number;
  /** Height of the tile in CSS px (width follows the panel's aspect ratio). */
  size: number;
}

export function FrameTile({ panel: latest, frame, size }: FrameTileProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  // New samples as a transition: each tile builds its frames in a slice of its own.
  const panel = useDeferredValue(latest);
  const frameAt = useMemo(() => lazyFrameSources(panel), [panel]);
  const local = frame - panel.timeOffset;
  const inRange = local >= 0 && local < panel.t;
  const width = Math.round((size * panel.width) / panel.height);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas || panel.t === 0) return;
    const context = prepareCanvas(canvas, width, size, false);
    if (!context) return;
    context.globalAlpha = inRange ? 1 : 0.25;
    context.drawImage(frameAt(local), 0, 0, width, size);
    context.globalAlpha = 1;
  }, [frameAt, panel.t, local, inRange, width, size]);
  return (
    <figure className={`frame-tile${inRange ? '' : ' is-idle'}`}>
      <canvas
        ref={ref}
        role="img"
        aria-label={`${panel.label}, frame ${frame + 1}${inRange ? '' : ' (outside this row)'}`}
      />
      <figcaption>{panel.label}</figcaption>
    </figure>
  );
}
