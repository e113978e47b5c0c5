/**
 * Pixel work on uint8 frames, shared by the video decoder, the dataset registry's previews and the
 * run worker: resampling to a target size (centre crop or fit inside), gray/RGB conversion and
 * resizing a whole frame set. Pure TypeScript, no DOM.
 */
import type { CropMode, FrameSet } from './types';

/** ITU-R BT.601 luma weights, the usual definition of "gray-scale" for video. */
const LUMA = [0.299, 0.587, 0.114] as const;

interface AxisWeights {
  // For each destination index: the source indices and weights (summing to 1) that make it.
  index: Int32Array[];
  weight: Float32Array[];
}

/**
 * Weights that map `dstLength` pixels onto the source interval [from, from + span) of an axis of
 * `srcLength` pixels: exact area averaging when shrinking (no aliasing), linear interpolation of
 * pixel centres when enlarging.
 */
function axisWeights(
  srcLength: number,
  from: number,
  span: number,
  dstLength: number,
): AxisWeights {
  const scale = span / dstLength; // source pixels per destination pixel
  const index: Int32Array[] = [];
  const weight: Float32Array[] = [];
  const clamp = (i: number) => Math.min(srcLength - 1, Math.max(0, i));
  for (let i = 0; i < dstLength; i++) {
    if (scale >= 1) {
      const a = from + i * scale;
      const b = a + scale;
      const first = Math.floor(a);
      const last = Math.min(Math.ceil(b), srcLength) - 1;
      const ids: number[] = [];
      const ws: number[] = [];
      for (let j = first; j <= last; j++) {
        const overlap = Math.min(b, j + 1) - Math.max(a, j);
        if (overlap > 1e-9) {
          ids.push(clamp(j));
          ws.push(overlap);
        }
      }
      const total = ws.reduce((sum, w) => sum + w, 0);
      index.push(Int32Array.from(ids));
      weight.push(Float32Array.from(ws, (w) => w / total));
    } else {
      const centre = from + (i + 0.5) * scale - 0.5;
      const low = Math.floor(centre);
      const t = centre - low;
      index.push(Int32Array.of(clamp(low), clamp(low + 1)));
      weight.push(Float32Array.of(1 - t, t));
    }
  }
  return { index, weight };
}

/** Where the source lands in the destination and which part of the source is used. */
interface Placement {
  srcX: number;
  srcY: number;
  srcW: number;
  srcH: number;
  dstX: number;
  dstY: number;
  dstW: number;
  dstH: number;
}

function placement(sw: number, sh: number, dw: number, dh: number, mode: CropMode): Placement {
  if (mode === 'center') {
    // Scale until the destination is covered, then keep the middle of the source.
    const scale = Math.max(dw / sw, dh / sh);
    const srcW = dw / scale;
    const srcH = dh / scale;
    return {
      srcX: (sw - srcW) / 2,
      srcY: (sh - srcH) / 2,
      srcW,
      srcH,
      dstX: 0,
      dstY: 0,
      dstW: dw,
      dstH: dh,
    };
  }
  // Fit: the whole source inside the destination, centred, black bars on the other sides.
  const scale = Math.min(dw / sw, dh / sh);
  const dstW = Math.max(1, Math.min(dw, Math.round(sw * scale)));
  const dstH = Math.max(1, Math.min(dh, Math.round(sh * scale)));
  return {
    srcX: 0,
    srcY: 0,
    srcW: sw,
    srcH: sh,
    dstX: Math.floor((dw - dstW) / 2),
    dstY: Math.floor((dh - dstH) / 2),
    dstW,
    dstH,
  };
}

/** A resampler from [sh, sw, c] to [dh, dw, c], built once and reused for every frame. */
export class FrameResampler {
  private readonly place: Placement;
  private readonly rows: AxisWeights;
  // The horizontal weights flattened (the hot loop): destination column x reads the source
  // offsets colTap[colStart[x] .. colStart[x + 1]) of a row, with weights colWeight[…].
  private readonly colStart: Int32Array;
  private readonly colTap: Int32Array;
  private readonly colWeight: Float32Array;
  // The source rows the vertical pass reads; the horizontal pass skips the others (cropped away).
  private readonly firstRow: number;
  private readonly lastRow: number;
  private readonly rowBuffer: Float32Array;

  constructor(
    readonly srcWidth: number,
    readonly srcHeight: number,
    readonly dstWidth: number,
    readonly dstHeight: number,
    readonly channels: number,
    mode: CropMode,
  ) {
    for (const [name, value] of Object.entries({ srcWidth, srcHeight, dstWidth, dstHeight })) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`FrameResampler: ${name} must be a positive integer (got ${value})`);
      }
    }
    this.place = placement(srcWidth, srcHeight, dstWidth, dstHeight, mode);
    const p = this.place;
    const cols = axisWeights(srcWidth, p.srcX, p.srcW, p.dstW);
    this.colStart = new Int32Array(p.dstW + 1);
    for (let x = 0; x < p.dstW; x++) this.colStart[x + 1] = this.colStart[x] + cols.index[x].length;
    this.colTap = new Int32Array(this.colStart[p.dstW]);
    this.colWeight = new Float32Array(this.colStart[p.dstW]);
    for (let x = 0; x < p.dstW; x++) {
      this.colTap.set(
        cols.index[x].map((i) => i * channels),
        this.colStart[x],
      );
      this.colWeight.set(cols.weight[x], this.colStart[x]);
    }
    this.rows = axisWeights(srcHeight, p.srcY, p.srcH, p.dstH);
    this.firstRow = srcHeight - 1;
    this.lastRow = 0;
    for (const ids of this.rows.index) {
      for (const row of ids) {
        this.firstRow = Math.min(this.firstRow, row);
        this.lastRow = Math.max(this.lastRow, row);
      }
    }
    this.rowBuffer = new Float32Array(srcHeight * p.dstW * channels);
  }

  /** Resamples one frame read at `srcOffset` of `src` into `dst` at `dstOffset`. */
  resample(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number): void {
    const { srcWidth, dstWidth, dstHeight, channels: c, place: p } = this;
    const frameLength = dstWidth * dstHeight * c;
    if (p.dstW !== dstWidth || p.dstH !== dstHeight)
      dst.fill(0, dstOffset, dstOffset + frameLength);
    // Horizontal pass over the source rows in use, then the vertical pass into the destination.
    const tmp = this.rowBuffer;
    const { colStart, colTap, colWeight } = this;
    for (let y = this.firstRow; y <= this.lastRow; y++) {
      const rowStart = srcOffset + y * srcWidth * c;
      for (let x = 0; x < p.dstW; x++) {
        const from = colStart[x];
        const to = colStart[x + 1];
        for (let ch = 0; ch < c; ch++) {
          const at = rowStart + ch;
          let sum = 0;
          for (let k = from; k < to; k++) sum += colWeight[k] * src[at + colTap[k]];
          tmp[(y * p.dstW + x) * c + ch] = sum;
        }
      }
    }
    for (let y = 0; y < p.dstH; y++) {
      const ids = this.rows.index[y];
      const ws = this.rows.weight[y];
      const outRow = dstOffset + ((p.dstY + y) * dstWidth + p.dstX) * c;
      for (let x = 0; x < p.dstW * c; x++) {
        let sum = 0;
        for (let k = 0; k < ids.length; k++) sum += ws[k] * tmp[ids[k] * p.dstW * c + x];
        dst[outRow + x] = Math.min(255, Math.max(0, Math.round(sum)));
      }
    }
  }
}

/** One frame [sh, sw, c] → a new frame [dh, dw, c]. */
export function resampleFrame(
  src: Uint8Array,
  srcWidth: number,
  srcHeight: number,
  channels: number,
  dstWidth: number,
  dstHeight: number,
  mode: CropMode,
): Uint8Array {
  const out = new Uint8Array(dstWidth * dstHeight * channels);
  new FrameResampler(srcWidth, srcHeight, dstWidth, dstHeight, channels, mode).resample(
    src,
    0,
    out,
    0,
  );
  return out;
}

/** Pixels [n, from] → [n, to]: gray is repeated into RGB, RGB becomes its BT.601 luma. */
export function convertChannels(data: Uint8Array, from: 1 | 3, to: 1 | 3): Uint8Array {
  if (from === to) return data;
  const pixels = data.length / from;
  const out = new Uint8Array(pixels * to);
  if (to === 3) {
    for (let i = 0; i < pixels; i++) {
      const v = data[i];
      out[3 * i] = v;
      out[3 * i + 1] = v;
      out[3 * i + 2] = v;
    }
  } else {
    for (let i = 0; i < pixels; i++) {
      out[i] = Math.round(
        LUMA[0] * data[3 * i] + LUMA[1] * data[3 * i + 1] + LUMA[2] * data[3 * i + 2],
      );
    }
  }
  return out;
}

/** RGBA pixels (canvas ImageData) → gray or RGB, written into `out` at `offset`. */
export function rgbaToChannels(
  rgba: Uint8Array | Uint8ClampedArray,
  channels: 1 | 3,
  out: Uint8Array,
  offset: number,
): void {
  const pixels = rgba.length / 4;
  if (channels === 3) {
    for (let i = 0; i < pixels; i++) {
      out[offset + 3 * i] = rgba[4 * i];
      out[offset + 3 * i + 1] = rgba[4 * i + 1];
      out[offset + 3 * i + 2] = rgba[4 * i + 2];
    }
  } else {
    for (let i = 0; i < pixels; i++) {
      out[offset + i] = Math.round(
        LUMA[0] * rgba[4 * i] + LUMA[1] * rgba[4 * i + 1] + LUMA[2] * rgba[4 * i + 2],
      );
    }
  }
}

/**
 * The frame set at another size and channel count (frames and segments unchanged). Returns the
 * input itself when nothing changes.
 */
export function resizeFrameSet(
  set: FrameSet,
  width: number,
  height: number,
  channels: 1 | 3,
  mode: CropMode,
): FrameSet {
  if (set.width === width && set.height === height && set.channels === channels) return set;
  const sameSize = set.width === width && set.height === height;
  // Convert colour on the smaller side of the resize, so RGB → gray shrinks before resampling.
  const grayFirst = channels === 1 && set.channels === 3;
  const resampleChannels = grayFirst ? 1 : set.channels;
  const inFrame = set.width * set.height * set.channels;
  const outFrame = width * height * channels;
  const out = new Uint8Array(set.frames * outFrame);
  const resampler = sameSize
    ? null
    : new FrameResampler(set.width, set.height, width, height, resampleChannels, mode);
  const scratch = new Uint8Array(width * height * resampleChannels);
  for (let f = 0; f < set.frames; f++) {
    let frame = set.data.subarray(f * inFrame, (f + 1) * inFrame);
    if (grayFirst) frame = convertChannels(frame, 3, 1);
    let resized: Uint8Array = frame;
    if (resampler) {
      resampler.resample(frame, 0, scratch, 0);
      resized = scratch;
    }
    out.set(convertChannels(resized, resampleChannels as 1 | 3, channels), f * outFrame);
  }
  return { ...set, data: out, width, height, channels };
}
