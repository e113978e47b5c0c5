/**
 * Decoded video frames (8-bit I420 or NV12 planes, as WebCodecs' VideoFrame.copyTo gives them)
 * straight to small RGBA frames: resample each plane to the target size (centre crop or fit, in
 * the frame's stored orientation), convert Y'CbCr to RGB with the frame's matrix and range, then
 * apply the display rotation and flip. Resampling before colour conversion keeps the work
 * proportional to the output size, which makes 720p → 64×64 several times faster than drawing
 * into a canvas. Pure TypeScript.
 */
import { FrameResampler } from './frames';
import type { CropMode } from './types';

export type YuvFormat = 'I420' | 'NV12';
export type YuvMatrix = 'bt601' | 'bt709';

export interface YuvFrame {
  format: YuvFormat;
  width: number; // visible size, in the stored (coded) orientation
  height: number;
  data: Uint8Array; // tightly packed planes (see yuvLayout)
  matrix: YuvMatrix;
  fullRange: boolean;
  rotation: 0 | 90 | 180 | 270; // clockwise, applied before the flip
  flip: boolean;
}

/** Offsets and strides of tightly packed planes, for VideoFrame.copyTo({ layout }). */
export function yuvLayout(format: YuvFormat, width: number, height: number) {
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  const luma = width * height;
  const planes =
    format === 'I420'
      ? [
          { offset: 0, stride: width },
          { offset: luma, stride: cw },
          { offset: luma + cw * ch, stride: cw },
        ]
      : [
          { offset: 0, stride: width },
          { offset: luma, stride: 2 * cw },
        ];
  return { planes, bytes: luma + 2 * cw * ch };
}

/** The matrix a stream uses: its own when tagged, else BT.709 for HD and BT.601 below (ffmpeg's rule). */
export function matrixFor(tag: string | null | undefined, height: number): YuvMatrix {
  if (tag === 'bt709') return 'bt709';
  if (tag === 'bt470bg' || tag === 'smpte170m') return 'bt601';
  return height >= 720 ? 'bt709' : 'bt601';
}

const COEFFICIENTS: Record<YuvMatrix, { rv: number; gu: number; gv: number; bu: number }> = {
  bt601: { rv: 1.402, gu: 0.344136, gv: 0.714136, bu: 1.772 },
  bt709: { rv: 1.5748, gu: 0.187324, gv: 0.468124, bu: 1.8556 },
};

const resamplers = new Map<string, FrameResampler>();

function resampler(sw: number, sh: number, dw: number, dh: number, c: number, mode: CropMode) {
  const key = `${sw}x${sh}>${dw}x${dh}x${c}:${mode}`;
  let found = resamplers.get(key);
  if (!found) {
    found = new FrameResampler(sw, sh, dw, dh, c, mode);
    resamplers.set(key, found);
    if (resamplers.size > 32) resamplers.delete(resamplers.keys().next().value as string);
  }
  return found;
}

/** RGBA [height, width, 4] of the frame as displayed, fitted into `width × height`. */
export function yuvToRgba(
  frame: YuvFrame,
  width: number,
  height: number,
  crop: CropMode,
): Uint8ClampedArray {
  const sideways = frame.rotation === 90 || frame.rotation === 270;
  // Target size in the stored orientation; crop and fit commute with rotation.
  const tw = sideways ? height : width;
  const th = sideways ? width : height;
  const { planes } = yuvLayout(frame.format, frame.width, frame.height);
  const cw = Math.ceil(frame.width / 2);
  const ch = Math.ceil(frame.height / 2);
  const y = new Uint8Array(tw * th);
  resampler(frame.width, frame.height, tw, th, 1, crop).resample(frame.data, 0, y, 0);
  const chroma = new Uint8Array(tw * th * 2); // interleaved Cb, Cr
  if (frame.format === 'NV12') {
    resampler(cw, ch, tw, th, 2, crop).resample(frame.data, planes[1].offset, chroma, 0);
  } else {
    const u = new Uint8Array(tw * th);
    const v = new Uint8Array(tw * th);
    resampler(cw, ch, tw, th, 1, crop).resample(frame.data, planes[1].offset, u, 0);
    resampler(cw, ch, tw, th, 1, crop).resample(frame.data, planes[2].offset, v, 0);
    for (let i = 0; i < tw * th; i++) {
      chroma[2 * i] = u[i];
      chroma[2 * i + 1] = v[i];
    }
  }
  // In fit mode the bars must be black, not Y = 0 / Cb = Cr = 0 (which is green).
  const bars = crop === 'fit' ? barMask(frame.width, frame.height, tw, th) : null;
  const k = COEFFICIENTS[frame.matrix];
  const yScale = frame.fullRange ? 1 : 255 / 219;
  const cScale = frame.fullRange ? 1 : 255 / 224;
  const yOffset = frame.fullRange ? 0 : 16;
  const stored = new Uint8ClampedArray(tw * th * 4);
  for (let i = 0; i < tw * th; i++) {
    const o = 4 * i;
    stored[o + 3] = 255;
    if (bars && bars[i]) continue;
    const luma = (y[i] - yOffset) * yScale;
    const cb = (chroma[2 * i] - 128) * cScale;
    const cr = (chroma[2 * i + 1] - 128) * cScale;
    stored[o] = luma + k.rv * cr;
    stored[o + 1] = luma - k.gu * cb - k.gv * cr;
    stored[o + 2] = luma + k.bu * cb;
  }
  return orient(stored, tw, th, frame.rotation, frame.flip);
}

/** 1 where a fitted frame has no picture (the same placement FrameResampler uses). */
function barMask(sw: number, sh: number, tw: number, th: number): Uint8Array {
  const scale = Math.min(tw / sw, th / sh);
  const w = Math.max(1, Math.min(tw, Math.round(sw * scale)));
  const h = Math.max(1, Math.min(th, Math.round(sh * scale)));
  const x0 = Math.floor((tw - w) / 2);
  const y0 = Math.floor((th - h) / 2);
  const mask = new Uint8Array(tw * th).fill(1);
  for (let r = y0; r < y0 + h; r++) mask.fill(0, r * tw + x0, r * tw + x0 + w);
  return mask;
}

/** Rotates an RGBA image [h, w] clockwise by `rotation`, then flips it horizontally if asked. */
export function orient(
  rgba: Uint8ClampedArray,
  w: number,
  h: number,
  rotation: 0 | 90 | 180 | 270,
  flip: boolean,
): Uint8ClampedArray {
  if (rotation === 0 && !flip) return rgba;
  const sideways = rotation === 90 || rotation === 270;
  const dw = sideways ? h : w;
  const dh = sideways ? w : h;
  const out = new Uint8ClampedArray(rgba.length);
  for (let dy = 0; dy < dh; dy++) {
    for (let dxShown = 0; dxShown < dw; dxShown++) {
      const dx = flip ? dw - 1 - dxShown : dxShown;
      let sx: number;
      let sy: number;
      if (rotation === 90) [sx, sy] = [dy, h - 1 - dx];
      else if (rotation === 180) [sx, sy] = [w - 1 - dx, h - 1 - dy];
      else if (rotation === 270) [sx, sy] = [w - 1 - dy, dx];
      else [sx, sy] = [dx, dy];
      const from = 4 * (sy * w + sx);
      const to = 4 * (dy * dw + dxShown);
      out[to] = rgba[from];
      out[to + 1] = rgba[from + 1];
      out[to + 2] = rgba[from + 2];
      out[to + 3] = rgba[from + 3];
    }
  }
  return out;
}
