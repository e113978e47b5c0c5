/**
 * The data work behind a dataset card: the split of a stored dataset into clips, a preview of
 * its first training and held-out clips as a model would see them (size, colour), the thumbnail
 * strip, and its export as .npy.
 */
import { useMemo } from 'react';
import { DEFAULT_HELD_OUT_FRACTION, trySplitClips } from '../../core/data/clips';
import { resizeFrameSet } from '../../core/data/frames';
import type { NpyLayout } from '../../core/data/npy';
import type { FrameSet } from '../../core/data/types';
import { downloadBlob } from '../export/export-client';
import type { DatasetInfo } from '../state/datasets';
import { datasetRegistry } from './instance';

const THUMBNAILS = 8;

export type PreviewSize = 'stored' | 32 | 64;
export type PreviewColour = 'stored' | 1 | 3;

/** `count` frames of `set` starting at `start` as a small frame set (for previews). */
function framesAt(set: FrameSet, starts: number[]): FrameSet {
  const frameBytes = set.width * set.height * set.channels;
  const data = new Uint8Array(starts.length * frameBytes);
  starts.forEach((f, i) =>
    data.set(set.data.subarray(f * frameBytes, (f + 1) * frameBytes), i * frameBytes),
  );
  return {
    ...set,
    data,
    frames: starts.length,
    segments: [{ name: '', start: 0, length: starts.length }],
  };
}

/** Frames of one size and colour for a FrameRow. */
export interface FrameStrip {
  count: number;
  width: number;
  height: number;
  data: Uint8Array;
  channels: 1 | 3;
}

/** The thumbnails of a video; for .npy, the first frame of evenly spaced sequences. */
function thumbnailStrip(
  info: DatasetInfo,
  frames: FrameSet,
  thumbnails: FrameStrip | null,
): FrameStrip {
  if (thumbnails) return thumbnails;
  const count = Math.min(THUMBNAILS, info.segments);
  const starts = Array.from(
    { length: count },
    (_, i) => frames.segments[Math.round((i * (info.segments - 1)) / Math.max(1, count - 1))].start,
  );
  const set = framesAt(frames, starts);
  return { count, width: set.width, height: set.height, data: set.data, channels: set.channels };
}

/**
 * The dataset `info` names, cut into clips of `clipLength` (`split` null: too short for a training
 * and a held-out clip), its first clips resized to `size` and `colour`, and its thumbnail strip;
 * null once the dataset is removed.
 */
export function useDatasetPreview(
  info: DatasetInfo,
  clipLength: number,
  size: PreviewSize,
  colour: PreviewColour,
) {
  const stored = datasetRegistry.get(info.id);
  const split = useMemo(
    () =>
      stored
        ? trySplitClips(stored.frames.segments, {
            length: clipLength,
            stride: clipLength,
            heldOutFraction: DEFAULT_HELD_OUT_FRACTION,
          })
        : null,
    [stored, clipLength],
  );
  const preview = useMemo(() => {
    if (!stored || !split) return null;
    const frames = stored.frames;
    const width = size === 'stored' ? frames.width : size;
    const height = size === 'stored' ? frames.height : size;
    const channels = colour === 'stored' ? frames.channels : colour;
    const clipFrames = (start: number) => Array.from({ length: clipLength }, (_, i) => start + i);
    const rows = [
      { label: `Training clip 1 of ${split.train.length}`, start: split.train[0] },
      { label: `Held-out clip 1 of ${split.heldOut.length}`, start: split.heldOut[0] },
    ];
    return rows.map((row) => ({
      ...row,
      frames: resizeFrameSet(
        framesAt(frames, clipFrames(row.start)),
        width,
        height,
        channels,
        info.crop,
      ),
    }));
  }, [stored, split, size, colour, clipLength, info.crop]);
  const strip = useMemo(
    () =>
      stored
        ? thumbnailStrip(
            info,
            stored.frames,
            stored.thumbnails ? { ...stored.thumbnails, channels: 3 } : null,
          )
        : null,
    [stored, info],
  );
  return stored && strip ? { split, preview, strip } : null;
}

/**
 * Downloads the dataset as .npy in `layout`: as stored for an .npy import of equal-length
 * sequences, otherwise cut into clips of `clipLength`.
 */
export async function exportDatasetNpy(
  info: DatasetInfo,
  layout: NpyLayout,
  clipLength: number,
): Promise<void> {
  const blob = await datasetRegistry.exportNpy({
    datasetId: info.id,
    layout,
    ...exportLength(info, clipLength),
  });
  downloadBlob(blob, `${exportStem(info, layout)}.npy`);
}

/**
 * Downloads the labels of the sequences `exportDatasetNpy` writes, named after that array
 * (`clips-TNHW.labels.txt` beside `clips-TNHW.npy`) so that picking both imports them labelled.
 */
export function exportDatasetLabels(
  info: DatasetInfo,
  layout: NpyLayout,
  clipLength: number,
): void {
  const blob = datasetRegistry.exportLabels({
    datasetId: info.id,
    ...exportLength(info, clipLength),
  });
  if (!blob) throw new Error(`${info.name} has no labels to export`);
  downloadBlob(blob, `${exportStem(info, layout)}.labels.txt`);
}

/** Whole sequences for an array whose sequences have one length, else clips of `clipLength`. */
function exportLength(info: DatasetInfo, clipLength: number): { length?: number } {
  const stored = datasetRegistry.get(info.id);
  if (!stored) throw new Error(`Dataset ${info.name} was removed`);
  const lengths = new Set(stored.frames.segments.map((s) => s.length));
  return lengths.size === 1 && info.kind === 'npy' ? {} : { length: clipLength };
}

function exportStem(info: DatasetInfo, layout: NpyLayout): string {
  return `${info.name.replace(/\.[^.]+$/, '')}-${layout}`;
}
