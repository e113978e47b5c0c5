/**
 * What the data worker needs from a video file, independent of the demuxer: its metadata and its
 * frames at chosen timestamps. The browser implementation is mediabunny + WebCodecs
 * (mediabunny-source.ts); tests drive the DataHandler with synthetic sources.
 */
import type { CropMode } from '../core/data/types';

export interface DecodedFrame {
  /**
   * The frame's RGBA pixels drawn into `width × height` with its rotation applied: 'center' fills
   * the box and crops the middle, 'fit' shows the whole frame with black bars.
   */
  draw(width: number, height: number, crop: CropMode): Promise<Uint8ClampedArray>;
  close(): void;
}

export interface VideoSource {
  /** Readable codec name, e.g. "H.264 (avc1.64000a)". */
  codec: string;
  displayWidth: number; // after rotation
  displayHeight: number;
  rotation: 0 | 90 | 180 | 270; // clockwise, as stored in the file
  startSeconds: number; // first frame's timestamp
  endSeconds: number; // end of the last frame
  /** Best guess of the file's own frame rate (the median for variable frame rates). */
  frameRate: number;
  variableFrameRate: boolean;
  /**
   * For each timestamp (ascending), the frame shown at that time: the last one that starts at or
   * before it. Null where there is none.
   */
  framesAt(timestamps: readonly number[]): AsyncIterable<DecodedFrame | null>;
  dispose(): void;
}

/** Opens a file; throws a DataError naming the file and the reason when it cannot be decoded. */
export type OpenVideo = (file: Blob, name: string) => Promise<VideoSource>;
