/**
 * The typed protocol between the app and its data worker, which decodes videos, reads and writes
 * .npy arrays and generates Moving MNIST sets off the main thread. Every command has a requestId;
 * the worker answers it with progress events and then exactly one result or failure.
 */
import type { CropMode, FrameSegment, FrameSet, MovingMnistOptions } from '../core/data/types';
import type { NpyLayout } from '../core/data/npy';

export type ColorMode = 'gray' | 'rgb';

/** How a video becomes frames. Every field has a default (see DEFAULT_VIDEO_OPTIONS). */
export interface VideoImportOptions {
  /** The file's name in messages and the dataset list (File objects have one). */
  name?: string;
  width?: number; // px of the stored frames (default 64)
  height?: number; // px (default 64)
  crop?: CropMode; // 'center' (default) crops the middle, 'fit' keeps the whole frame with bars
  color?: ColorMode; // default 'rgb'; runs convert to the model's channels
  /** Frames per second to sample at (the video's own rate when absent; VFR is resampled). */
  fps?: number;
  /** Decode only the first … seconds. */
  maxSeconds?: number;
  /** Clip length for the clip count and the "too short" check (default 20; runs use the model's). */
  clipLength?: number;
  /** Add this file to an existing dataset (same size and colour) instead of creating one. */
  appendTo?: string;
  /** The file's class (e.g. a gesture) for probes and exports; '' or absent = unlabelled. */
  label?: string;
}

/** How webcam frames become a clip. Every field has a default (see DEFAULT_RECORD_OPTIONS). */
export interface RecordOptions {
  /** The clip's name in messages and the dataset's file list. */
  name?: string;
  /** The clip's class (e.g. a gesture), shown and exported with it; '' = unlabelled. */
  label?: string;
  width?: number; // px of the stored frames (default 64)
  height?: number; // px (default 64)
  crop?: CropMode; // 'center' (default) or 'fit'
  color?: ColorMode; // default 'rgb'
  fps?: number; // frames per second the app sends (default 10)
  /** The recording stops by itself after this many seconds (default 3). */
  seconds?: number;
  /** Frames the shortest clip needs (default 20): a shorter recording is refused. */
  clipLength?: number;
  /** Add the clip to an existing dataset (same size and colour) instead of creating one. */
  appendTo?: string;
}

/** A camera frame as the app captures it: an ImageBitmap, transferred to the data worker. */
export type CameraFrame = ImageBitmap;

export interface NpyImportOptions {
  name?: string;
  layout?: NpyLayout; // default 'TNHW', the layout of mnist_test_seq.npy
  offset?: number; // first sequence to read (default 0)
  count?: number; // sequences to read (default: all from offset)
  clipLength?: number; // default: the sequence length
  /**
   * A label per sequence: a labels file (a .npy array [N] of integers or strings, or text with
   * one label per line) or a list, one per sequence of the array or per imported sequence.
   */
  labels?: Blob | string[];
}

export interface MovingMnistExportOptions extends Partial<MovingMnistOptions> {
  count: number; // sequences
  seed?: number;
  /** Digits from MNIST's test images (default, like a held-out set) or its training images. */
  digitSplit?: 'test' | 'train';
}

/** What the decoder learned about a video. */
export interface VideoFileInfo {
  codec: string; // e.g. "H.264 (avc1.64000a)"
  displayWidth: number; // after rotation
  displayHeight: number;
  rotation: 0 | 90 | 180 | 270;
  sourceFps: number; // best guess of the file's own frame rate
  variableFrameRate: boolean;
  durationSeconds: number; // of the decoded part
}

/** A strip of small RGB frames at the video's own aspect ratio. */
export interface Thumbnails {
  count: number;
  width: number;
  height: number;
  data: Uint8Array; // [count, height, width, 3]
}

export type DataCommand =
  | {
      type: 'decode-video';
      file: Blob;
      options: Required<Omit<VideoImportOptions, 'appendTo' | 'label' | 'maxSeconds' | 'fps'>> &
        Pick<VideoImportOptions, 'maxSeconds' | 'fps'>;
      /** The dataset this file is appended to, if any: for the size limit and the clip check. */
      existingBytes: number;
      existingSegments: FrameSegment[];
    }
  /**
   * A webcam recording: the app captures frames and sends each as a `record-frame` for this
   * request; the result comes at `record-stop` or after `seconds`, whichever is first.
   */
  | {
      type: 'record-clip';
      options: Required<Omit<RecordOptions, 'appendTo' | 'label'>>;
      /** The dataset this clip is appended to, if any: for the size limit. */
      existingBytes: number;
    }
  /** One captured frame of recording `target` (the record-clip's requestId); not answered. */
  | { type: 'record-frame'; target: number; frame: CameraFrame }
  /** Ends recording `target` with the frames it has (not answered itself). */
  | { type: 'record-stop'; target: number }
  | { type: 'read-npy'; file: Blob; options: NpyImportOptions & { name: string } }
  | { type: 'encode-npy'; frames: FrameSet; layout: NpyLayout; length?: number }
  | { type: 'generate-moving-mnist'; options: MovingMnistExportOptions; layout: NpyLayout }
  /** Stops request `target`; it fails with `cancelled: true`. */
  | { type: 'cancel'; target: number };

export type DataCommandMessage = DataCommand & { requestId: number };

/**
 * Commands the data worker acts on as they arrive, beside the queued work: a cancel, and a
 * recording's frames and stop (a recording must not wait behind a long video decode).
 */
export function isImmediateCommand(command: DataCommand): boolean {
  return (
    command.type === 'cancel' ||
    command.type === 'record-clip' ||
    command.type === 'record-frame' ||
    command.type === 'record-stop'
  );
}

/** What must be transferred with a command: a camera frame's bitmap. */
export function commandTransferables(command: DataCommand): Transferable[] {
  return command.type === 'record-frame' ? [command.frame] : [];
}

export type DataResult =
  | { kind: 'video'; frames: FrameSet; fps: number; info: VideoFileInfo; thumbnails: Thumbnails }
  | { kind: 'recording'; frames: FrameSet; fps: number; thumbnails: Thumbnails }
  | {
      kind: 'npy-frames';
      frames: FrameSet;
      shape: number[];
      /** Each imported sequence's label, when labels were given. */
      labels?: string[];
    }
  | { kind: 'npy-file'; bytes: Uint8Array; shape: number[] };

export type DataEvent =
  | {
      type: 'progress';
      requestId: number;
      done: number; // frames (or sequences, or bytes) so far
      total: number;
      secondsLeft: number | null;
      message: string;
    }
  | { type: 'result'; requestId: number; result: DataResult }
  | { type: 'failed'; requestId: number; message: string; cancelled: boolean };

/** The typed-array buffers of a result, transferred rather than copied. */
export function dataTransferables(event: DataEvent): Transferable[] {
  if (event.type !== 'result') return [];
  const { result } = event;
  switch (result.kind) {
    case 'video':
    case 'recording':
      return [result.frames.data.buffer, result.thumbnails.data.buffer];
    case 'npy-frames':
      return [result.frames.data.buffer];
    case 'npy-file':
      return [result.bytes.buffer];
    default: {
      const unreachable: never = result;
      return unreachable;
    }
  }
}
