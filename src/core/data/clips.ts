/**
 * Fixed-length clips from a frame set, split into training and held-out clips that never share a
 * frame, without crossing a segment (file or sequence) boundary. Pure TypeScript.
 *
 * The split: with enough segments (round(S · f) ≥ 1, e.g. a .npy array of many sequences or many
 * files) the last round(S · f) segments are held out whole; otherwise the last max(⌈L · f⌉, T)
 * frames of every segment of L ≥ 2T frames are held out; and when no segment is that long, the
 * last whole segment is. Training clips start every `stride`
 * frames; held-out clips never overlap each other (stride T), so every held-out frame counts once.
 */
import { DataError } from './data-error';
import type { FrameSegment } from './types';

export const DEFAULT_HELD_OUT_FRACTION = 0.1;

export interface ClipOptions {
  length: number; // T: frames per clip (the model's sequence length)
  stride: number; // frames between the starts of consecutive training clips
  heldOutFraction: number; // f in (0, 0.5]
}

export interface ClipSplit {
  length: number;
  /** First-frame indices (into the frame set) of the training clips, in order. */
  train: number[];
  /** First-frame indices of the held-out clips, in order. */
  heldOut: number[];
  by: 'segments' | 'time';
}

/** Starts of clips of `length` every `stride` frames inside [from, from + span). */
export function clipStarts(from: number, span: number, length: number, stride: number): number[] {
  const starts: number[] = [];
  for (let s = 0; s + length <= span; s += stride) starts.push(from + s);
  return starts;
}

export function checkClipOptions(options: ClipOptions): void {
  const { length, stride, heldOutFraction } = options;
  if (!Number.isInteger(length) || length < 1) {
    throw new RangeError(`clip length must be a positive integer (got ${length})`);
  }
  if (!Number.isInteger(stride) || stride < 1) {
    throw new RangeError(`clipStride must be a positive integer (got ${stride})`);
  }
  if (!(heldOutFraction > 0 && heldOutFraction <= 0.5)) {
    throw new RangeError(`heldOutFraction must be in (0, 0.5] (got ${heldOutFraction})`);
  }
}

function splitBySegments(
  segments: FrameSegment[],
  options: ClipOptions,
  heldOutCount: number,
): ClipSplit {
  const { length, stride } = options;
  const cut = segments.length - heldOutCount;
  return {
    length,
    train: segments.slice(0, cut).flatMap((s) => clipStarts(s.start, s.length, length, stride)),
    heldOut: segments.slice(cut).flatMap((s) => clipStarts(s.start, s.length, length, length)),
    by: 'segments',
  };
}

function splitByTime(segments: FrameSegment[], options: ClipOptions): ClipSplit {
  const { length, stride, heldOutFraction } = options;
  const train: number[] = [];
  const heldOut: number[] = [];
  for (const segment of segments) {
    if (segment.length < 2 * length) {
      train.push(...clipStarts(segment.start, segment.length, length, stride));
      continue;
    }
    const hold = Math.max(Math.ceil(segment.length * heldOutFraction), length);
    const trainSpan = segment.length - hold;
    train.push(...clipStarts(segment.start, trainSpan, length, stride));
    heldOut.push(...clipStarts(segment.start + trainSpan, hold, length, length));
  }
  return { length, train, heldOut, by: 'time' };
}

/** The split, or null when the frames cannot give one training and one held-out clip. */
export function trySplitClips(segments: FrameSegment[], options: ClipOptions): ClipSplit | null {
  checkClipOptions(options);
  const usable = (split: ClipSplit) => split.train.length > 0 && split.heldOut.length > 0;
  const heldOutSegments = Math.round(segments.length * options.heldOutFraction);
  if (heldOutSegments >= 1) {
    const bySegments = splitBySegments(segments, options, heldOutSegments);
    if (usable(bySegments)) return bySegments;
  }
  const byTime = splitByTime(segments, options);
  if (usable(byTime)) return byTime;
  if (segments.length >= 2 && heldOutSegments < 1) {
    const lastSegment = splitBySegments(segments, options, 1);
    if (usable(lastSegment)) return lastSegment;
  }
  return null;
}

/**
 * The split, or a DataError that says why there is none: `what` names the data ("clip.mp4"),
 * `fps` (when known) turns frame counts into seconds.
 */
export function splitClips(
  segments: FrameSegment[],
  options: ClipOptions,
  what: string,
  fps?: number,
): ClipSplit {
  const split = trySplitClips(segments, options);
  if (split) return split;
  const total = segments.reduce((sum, s) => sum + s.length, 0);
  const longest = segments.reduce((max, s) => Math.max(max, s.length), 0);
  const T = options.length;
  const seconds = (frames: number) =>
    fps ? ` (${(frames / fps).toFixed(1)} s at ${fps} fps)` : '';
  const need = `one training clip and one held-out clip of ${T} frames need at least ${2 * T} frames`;
  throw new DataError(
    segments.length > 1
      ? `${what} is too short for one clip: its ${segments.length} parts have at most ${longest} frames each, but ${need} in one part, or two parts of ${T}.`
      : `${what} is too short for one clip: it has ${total} frames${seconds(total)}, but ${need}${seconds(2 * T)}.`,
  );
}
