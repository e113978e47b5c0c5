/**
 * Turning FramePanel data ([T, H, W, C] float32 in [0, 1]) into small canvases, and drawing those
 * scaled with nearest-neighbour sampling. Plain Canvas 2D and ImageData; no tfjs.
 */
import type { FramePanel } from '../../core/models/types';

export type FrameSource = OffscreenCanvas | HTMLCanvasElement;

/** Gap between frames on a strip, in CSS pixels (left transparent: the page shows through). */
export const FRAME_GAP_PX = 4;

function toByte(value: number): number {
  if (!(value > 0)) return 0; // also maps NaN to black
  return value >= 1 ? 255 : Math.round(value * 255);
}

/** Frame `index` of a panel as RGBA ImageData (gray replicated into R, G and B). */
export function frameImageData(panel: FramePanel, index: number): ImageData {
  const { height, width, channels, frames } = panel;
  const image = new ImageData(width, height);
  const rgba = image.data;
  const pixels = height * width;
  const base = index * pixels * channels;
  for (let p = 0; p < pixels; p++) {
    const o = p * 4;
    if (channels === 1) {
      const v = toByte(frames[base + p]);
      rgba[o] = v;
      rgba[o + 1] = v;
      rgba[o + 2] = v;
    } else {
      const s = base + p * 3;
      rgba[o] = toByte(frames[s]);
      rgba[o + 1] = toByte(frames[s + 1]);
      rgba[o + 2] = toByte(frames[s + 2]);
    }
    rgba[o + 3] = 255;
  }
  return image;
}

function makeCanvas(width: number, height: number): FrameSource {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(width, height);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

/**
 * The panel's frames as native-size canvases, each made when first asked for and kept: a player
 * that shows one frame at a time builds only the frames it shows (a view mounting a dozen players
 * would otherwise build every frame of every panel in one task). Out-of-range `t` is clamped.
 */
export function lazyFrameSources(panel: FramePanel): (t: number) => FrameSource {
  const made: FrameSource[] = [];
  return (t) => {
    const index = Math.min(panel.t - 1, Math.max(0, t));
    let canvas = made[index];
    if (!canvas) {
      canvas = makeCanvas(panel.width, panel.height);
      const context = canvas.getContext('2d') as
        CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
      context?.putImageData(frameImageData(panel, index), 0, 0);
      made[index] = canvas;
    }
    return canvas;
  };
}

/** One native-size canvas per frame of the panel. */
export function panelFrameSources(panel: FramePanel): FrameSource[] {
  const frame = lazyFrameSources(panel);
  return Array.from({ length: panel.t }, (_, t) => frame(t));
}

/** Length of the shared time axis: the last frame any panel reaches. */
export function timeAxisLength(panels: readonly FramePanel[]): number {
  return panels.reduce((length, panel) => Math.max(length, panel.timeOffset + panel.t), 0);
}

/**
 * CSS pixels per frame pixel for a comfortable view: 2× for 64-px frames, and small frames
 * (16–32 px on tiny presets) scaled up to about 64 px.
 */
export function preferredScale(frameHeight: number): number {
  return frameHeight >= 48 ? 2 : Math.ceil(64 / Math.max(1, frameHeight));
}

/**
 * Snaps a CSS scale to whole device pixels from 2× up (crisp, even pixels). Between 1× and 2× the
 * fractional scale stays (nearest-neighbour, slightly uneven but larger); below 1× frames are drawn
 * smoothed instead.
 */
export function snapScale(scale: number, devicePixelRatio: number): number {
  const device = scale * devicePixelRatio;
  return device >= 2 ? Math.floor(device) / devicePixelRatio : scale;
}

/** Sizes a canvas for `cssWidth × cssHeight` at the device pixel ratio; returns its context. */
export function prepareCanvas(
  canvas: HTMLCanvasElement,
  cssWidth: number,
  cssHeight: number,
  smooth: boolean,
): CanvasRenderingContext2D | null {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(cssWidth * ratio));
  const height = Math.max(1, Math.round(cssHeight * ratio));
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  const context = canvas.getContext('2d');
  if (!context) return null;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, cssWidth, cssHeight);
  context.imageSmoothingEnabled = smooth;
  if (smooth) context.imageSmoothingQuality = 'high';
  return context;
}
