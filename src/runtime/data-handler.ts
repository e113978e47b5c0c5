/**
 * Everything the data worker does, behind one `handle(command)` method so tests can drive it in
 * Node with a fake `post` and synthetic videos. The worker entry only wires messages to it.
 *
 * Videos are resampled to a constant frame rate on a time grid (frame k shows what the video shows
 * at start + (k + ½) / fps), which handles variable frame rates and rotation metadata, and is
 * refused before anything is allocated when it would be too large or too short.
 */
import { splitClips, DEFAULT_HELD_OUT_FRACTION } from '../core/data/clips';
import { DataError } from '../core/data/data-error';
import { rgbaToChannels } from '../core/data/frames';
import { MAX_DATASET_BYTES, checkDatasetBytes, formatMegabytes } from '../core/data/limits';
import type { MnistDigits } from '../core/data/mnist';
import { MovingMnistGenerator, resolveMovingMnistOptions } from '../core/data/moving-mnist';
import {
  NPY_LAYOUTS,
  NPY_PREFIX_BYTES,
  checkNpyFileSize,
  frameSetToNpy,
  npyHeaderLength,
  npyVideoShape,
  parseNpyHeader,
  readNpyFrames,
  resolveNpySlice,
} from '../core/data/npy';
import type { NpyVideoShape } from '../core/data/npy';
import {
  checkLabelsFileSize,
  labelsOfSlice,
  labelsWhat,
  parseLabelsFile,
} from '../core/data/sequence-labels';
import type { CropMode, FrameSegment, FrameSet } from '../core/data/types';
import { ConfigError } from '../core/models/config-schema';
import { describeValue, quote } from '../core/quote';
import type {
  CameraFrame,
  DataCommand,
  DataCommandMessage,
  DataEvent,
  DataResult,
  MovingMnistExportOptions,
  NpyImportOptions,
  Thumbnails,
} from '../protocol/data-messages';
import { dataTransferables } from '../protocol/data-messages';
import type { DecodedFrame, OpenVideo, VideoSource } from './video-source';

export interface DataEnvironment {
  openVideo: OpenVideo;
  /**
   * A camera frame's RGBA pixels drawn into `width × height`: 'center' fills the box and crops
   * the middle, 'fit' shows the whole frame with black bars. The caller closes the frame. Only
   * browsers record (Node has no camera): elsewhere it is absent and a recording is refused.
   */
  drawCameraFrame?(
    frame: CameraFrame,
    width: number,
    height: number,
    crop: CropMode,
  ): Uint8ClampedArray | Promise<Uint8ClampedArray>;
  loadMnist(): Promise<MnistDigits>;
  now(): number;
}

export const THUMBNAIL_COUNT = 8;
export const THUMBNAIL_HEIGHT = 48;
const PROGRESS_EVERY_MS = 100;

class Cancelled extends Error {
  constructor() {
    super('Cancelled');
  }
}

type DecodeCommand = Extract<DataCommand, { type: 'decode-video' }>;
type RecordCommand = Extract<DataCommand, { type: 'record-clip' }>;

/** A webcam recording in progress: frames drawn in arrival order into a preallocated buffer. */
interface Recording {
  options: RecordCommand['options'];
  draw: NonNullable<DataEnvironment['drawCameraFrame']>;
  data: Uint8Array; // [maxFrames, H, W, C]
  maxFrames: number;
  count: number;
  /** Every frame also at thumbnail size (RGB), to pick the strip from at the end. */
  thumbnails: Uint8Array[];
  thumbnailWidth: number;
  /** The frames' drawing, one after another. */
  drawing: Promise<void>;
  report: (done: number, force?: boolean) => void;
  finish(): void;
  fail(error: Error): void;
  finished: boolean;
}

export class DataHandler {
  private readonly cancelled = new Set<number>();
  private readonly recordings = new Map<number, Recording>();

  constructor(
    private readonly post: (event: DataEvent, transfer?: Transferable[]) => void,
    private readonly env: DataEnvironment,
  ) {}

  /** Marks a request as cancelled; a running one stops at its next frame. */
  cancel(target: number): void {
    this.cancelled.add(target);
    const recording = this.recordings.get(target);
    if (recording) recording.fail(new Cancelled());
  }

  async handle(message: DataCommandMessage): Promise<void> {
    const { requestId } = message;
    try {
      const result = await this.dispatch(message);
      if (result) this.emit({ type: 'result', requestId, result });
    } catch (error) {
      const cancelled = error instanceof Cancelled;
      this.emit({
        type: 'failed',
        requestId,
        message: cancelled ? 'Cancelled' : error instanceof Error ? error.message : String(error),
        cancelled,
      });
    } finally {
      this.cancelled.delete(requestId);
    }
  }

  private async dispatch(message: DataCommandMessage): Promise<DataResult | null> {
    switch (message.type) {
      case 'decode-video':
        return this.decodeVideo(message.requestId, message);
      case 'record-clip':
        return this.record(message.requestId, message);
      case 'record-frame':
        this.recordFrame(message.target, message.frame);
        return null;
      case 'record-stop':
        this.recordings.get(message.target)?.finish();
        return null;
      case 'read-npy':
        return this.readNpy(message.requestId, message.file, message.options);
      case 'encode-npy': {
        const bytes = frameSetToNpy(message.frames, message.layout, message.length);
        return { kind: 'npy-file', bytes, shape: npyShapeOf(bytes) };
      }
      case 'generate-moving-mnist':
        return this.generateMovingMnist(message.requestId, message.options, message.layout);
      case 'cancel':
        this.cancel(message.target);
        return null;
      default: {
        const unreachable: never = message;
        throw new Error(`Unknown data command ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private checkCancelled(requestId: number): void {
    if (this.cancelled.has(requestId)) throw new Cancelled();
  }

  /** A progress reporter that posts at most every PROGRESS_EVERY_MS, with the time left. */
  private progress(requestId: number, total: number, label: string | ((done: number) => string)) {
    const started = this.env.now();
    let last = -Infinity;
    return (done: number, force = false) => {
      const now = this.env.now();
      if (!force && now - last < PROGRESS_EVERY_MS && done < total) return;
      last = now;
      const elapsed = (now - started) / 1000;
      const rate = done / Math.max(1e-3, elapsed);
      // The first frames include the decoder's start-up: no estimate until the rate settles.
      const settled = done >= 3 && elapsed >= 0.3;
      this.emit({
        type: 'progress',
        requestId,
        done,
        total,
        secondsLeft: settled ? (total - done) / rate : null,
        message:
          typeof label === 'function'
            ? label(done)
            : `${label} ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}`,
      });
    };
  }

  private async decodeVideo(requestId: number, command: DecodeCommand): Promise<DataResult> {
    const { file, options, existingBytes } = command;
    checkVideoOptions(options);
    const what = quote(options.name);
    if (file.size === 0)
      throw new DataError(`${what} is empty (0 bytes): there is nothing to decode.`);
    const source = await this.env.openVideo(file, options.name);
    try {
      this.checkCancelled(requestId);
      return await this.decodeFrames(requestId, source, command, existingBytes);
    } finally {
      source.dispose();
    }
  }

  private async decodeFrames(
    requestId: number,
    source: VideoSource,
    { options, existingSegments }: DecodeCommand,
    existingBytes: number,
  ): Promise<DataResult> {
    const what = quote(options.name);
    const { width, height, crop, clipLength } = options;
    const channels = options.color === 'gray' ? 1 : 3;
    const fps = options.fps ?? roundRate(source.frameRate);
    const end = Math.min(
      source.endSeconds,
      source.startSeconds + (options.maxSeconds ?? Number.POSITIVE_INFINITY),
    );
    const timestamps = frameTimes(source.startSeconds, end, fps);
    const count = timestamps.length;
    const seconds = (end - source.startSeconds).toFixed(1);
    checkDatasetBytes(
      what,
      count,
      width,
      height,
      channels,
      `Lower the frame rate, the frame size or use gray-scale, or import only the first seconds (maxSeconds) — ${seconds} s at ${fps} fps is ${count.toLocaleString('en-US')} frames.`,
      existingBytes,
    );
    const segments: FrameSegment[] = [
      ...existingSegments,
      { name: options.name, start: 0, length: count },
    ];
    const split = {
      length: clipLength,
      stride: clipLength,
      heldOutFraction: DEFAULT_HELD_OUT_FRACTION,
    };
    splitClips(segments, split, what, fps);

    const frameBytes = width * height * channels;
    const data = new Uint8Array(count * frameBytes);
    const thumbs = thumbnailPlan(source, count);
    const report = this.progress(requestId, count, 'Decoded frame');
    report(0, true);
    let index = 0;
    for await (const frame of source.framesAt(timestamps)) {
      try {
        this.checkCancelled(requestId);
        // Every timestamp lies after the first frame, so a missing frame means missing data.
        if (!frame) break;
        rgbaToChannels(await frame.draw(width, height, crop), channels, data, index * frameBytes);
        await drawThumbnail(thumbs, index, frame);
      } finally {
        frame?.close();
      }
      index += 1;
      report(index);
    }
    if (index < count) {
      throw new DataError(
        `${what} is truncated or corrupt: its index lists ${(end - source.startSeconds).toFixed(1)} s of video (${count} frames at ${fps} fps), but only ${index === 0 ? 'no frame' : `the first ${index}`} could be decoded.`,
      );
    }
    report(count, true);
    return {
      kind: 'video',
      frames: {
        data,
        frames: count,
        width,
        height,
        channels,
        segments: [{ name: options.name, start: 0, length: count }],
      },
      fps,
      info: {
        codec: source.codec,
        displayWidth: source.displayWidth,
        displayHeight: source.displayHeight,
        rotation: source.rotation,
        sourceFps: source.frameRate,
        variableFrameRate: source.variableFrameRate,
        durationSeconds: count / fps,
      },
      thumbnails: thumbs.strip,
    };
  }

  /**
   * A webcam clip: frames arrive as `record-frame` messages (the app paces them at `fps`) and are
   * drawn at the dataset's size as they come; the clip ends at `record-stop` or after `seconds`.
   * Refused before recording when it could not fit the dataset, and at the end when it is
   * shorter than one clip.
   */
  private record(
    requestId: number,
    { options, existingBytes }: RecordCommand,
  ): Promise<DataResult> {
    checkRecordOptions(options);
    const draw = this.env.drawCameraFrame?.bind(this.env);
    if (!draw) throw new DataError('Webcam clips can only be recorded in a browser.');
    const { width, height, fps, seconds } = options;
    const what = quote(options.name);
    const channels = options.color === 'gray' ? 1 : 3;
    const maxFrames = Math.max(1, Math.round(seconds * fps));
    checkDatasetBytes(
      what,
      maxFrames,
      width,
      height,
      channels,
      'Record shorter clips, at a lower frame rate, smaller or in gray-scale, or start a new dataset.',
      existingBytes,
    );
    return new Promise<DataResult>((resolve, reject) => {
      const recording: Recording = {
        options,
        draw,
        data: new Uint8Array(maxFrames * width * height * channels),
        maxFrames,
        count: 0,
        thumbnails: [],
        thumbnailWidth: 0,
        drawing: Promise.resolve(),
        report: this.progress(
          requestId,
          maxFrames,
          (done) => `Recorded ${(done / fps).toFixed(1)} of ${seconds} s`,
        ),
        finished: false,
        finish: () => {
          if (recording.finished) return;
          recording.finished = true;
          // The frames already sent are still being drawn: the clip ends after them.
          void recording.drawing.then(() => {
            this.recordings.delete(requestId);
            try {
              resolve(this.recordingResult(recording));
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          });
        },
        fail: (error) => {
          recording.finished = true;
          this.recordings.delete(requestId);
          reject(error);
        },
      };
      this.recordings.set(requestId, recording);
      recording.report(0, true);
    });
  }

  private recordFrame(target: number, frame: CameraFrame): void {
    const recording = this.recordings.get(target);
    if (!recording || recording.finished) {
      frame.close(); // late frames of a stopped or cancelled recording
      return;
    }
    const index = recording.count;
    recording.count += 1;
    const last = recording.count >= recording.maxFrames;
    recording.drawing = recording.drawing.then(async () => {
      try {
        const { width, height, crop, color } = recording.options;
        const channels = color === 'gray' ? 1 : 3;
        const { draw } = recording;
        const pixels = await draw(frame, width, height, crop);
        rgbaToChannels(pixels, channels, recording.data, index * width * height * channels);
        if (recording.thumbnailWidth === 0) {
          const aspect = frame.width / Math.max(1, frame.height);
          recording.thumbnailWidth = Math.max(
            8,
            Math.min(4 * THUMBNAIL_HEIGHT, Math.round(THUMBNAIL_HEIGHT * aspect)),
          );
        }
        const thumbnail = new Uint8Array(recording.thumbnailWidth * THUMBNAIL_HEIGHT * 3);
        rgbaToChannels(
          await draw(frame, recording.thumbnailWidth, THUMBNAIL_HEIGHT, 'fit'),
          3,
          thumbnail,
          0,
        );
        recording.thumbnails[index] = thumbnail;
        recording.report(index + 1);
      } catch (error) {
        recording.fail(error instanceof Error ? error : new Error(String(error)));
      } finally {
        frame.close();
      }
    });
    if (last) recording.finish();
  }

  private recordingResult(recording: Recording): DataResult {
    const { options, count } = recording;
    const { width, height, fps, clipLength, color } = options;
    const what = quote(options.name);
    if (count < clipLength) {
      const seconds = (frames: number) => `${(frames / fps).toFixed(1)} s`;
      throw new DataError(
        `${what} is too short: it has ${count} frame${count === 1 ? '' : 's'} (${seconds(count)} at ${fps} fps), but a clip needs ${clipLength} frames (${seconds(clipLength)}). Record for longer.`,
      );
    }
    const channels = color === 'gray' ? 1 : 3;
    const frames: FrameSet = {
      data: recording.data.slice(0, count * width * height * channels),
      frames: count,
      width,
      height,
      channels,
      segments: [{ name: options.name, start: 0, length: count }],
    };
    const strip = Math.min(THUMBNAIL_COUNT, count);
    const thumbWidth = recording.thumbnailWidth;
    const thumbBytes = thumbWidth * THUMBNAIL_HEIGHT * 3;
    const thumbnails: Thumbnails = {
      count: strip,
      width: thumbWidth,
      height: THUMBNAIL_HEIGHT,
      data: new Uint8Array(strip * thumbBytes),
    };
    for (let i = 0; i < strip; i++) {
      const index = strip === 1 ? 0 : Math.round((i * (count - 1)) / (strip - 1));
      thumbnails.data.set(recording.thumbnails[index], i * thumbBytes);
    }
    recording.report(count, true);
    return { kind: 'recording', frames, fps, thumbnails };
  }

  private async readNpy(
    requestId: number,
    file: Blob,
    options: NpyImportOptions & { name: string },
  ): Promise<DataResult> {
    const what = quote(options.name);
    if (file.size === 0)
      throw new DataError(`${what} is empty (0 bytes): there is nothing to read.`);
    const layout = options.layout ?? 'TNHW';
    if (!NPY_LAYOUTS.includes(layout)) {
      throw new ConfigError(
        'layout',
        `layout must be one of ${NPY_LAYOUTS.join(', ')} (got ${describeValue(layout)})`,
      );
    }
    const read = async (start: number, end: number) =>
      new Uint8Array(await file.slice(start, end).arrayBuffer());
    const headerBytes = npyHeaderLength(await read(0, NPY_PREFIX_BYTES), what);
    const header = parseNpyHeader(await read(0, headerBytes), what);
    const shape = npyVideoShape(header, layout, what);
    checkNpyFileSize(header, shape, file.size, what);
    const slice = resolveNpySlice(shape, { offset: options.offset, count: options.count }, what);
    const labels =
      options.labels === undefined
        ? undefined
        : labelsOfSlice(
            await readLabels(options.labels),
            shape.sequences,
            slice,
            labelsWhat(options.labels),
            what,
          );
    const frames = slice.count * shape.frames;
    checkDatasetBytes(
      what,
      frames,
      shape.width,
      shape.height,
      shape.channels,
      npySizeAdvice(shape),
    );
    const clipLength = options.clipLength ?? shape.frames;
    const segments = Array.from({ length: slice.count }, (_, i) => ({
      name: `sequence ${slice.offset + i}`,
      start: i * shape.frames,
      length: shape.frames,
    }));
    splitClips(
      segments,
      { length: clipLength, stride: clipLength, heldOutFraction: DEFAULT_HELD_OUT_FRACTION },
      what,
    );
    const megabytes = (frames * shape.width * shape.height * shape.channels) / 2 ** 20;
    const report = this.progress(
      requestId,
      100,
      (percent) => `Read ${percent}% of ${megabytes.toFixed(1)} MB`,
    );
    const set = await readNpyFrames(header, shape, layout, slice, read, file.size, what, (f) => {
      this.checkCancelled(requestId);
      report(Math.round(f * 100));
    });
    return { kind: 'npy-frames', frames: set, shape: header.shape, ...(labels ? { labels } : {}) };
  }

  private async generateMovingMnist(
    requestId: number,
    spec: MovingMnistExportOptions,
    layout: 'TNHW' | 'NTHW',
  ): Promise<DataResult> {
    const { count, seed = 0, digitSplit = 'test', ...rest } = spec;
    if (!Number.isInteger(count) || count < 1) {
      throw new ConfigError(
        'count',
        `count must be a positive integer number of sequences (got ${count})`,
      );
    }
    const options = resolveMovingMnistOptions(rest);
    checkDatasetBytes(
      `A Moving MNIST set of ${count} sequences`,
      count * options.frames,
      options.canvasSize,
      options.canvasSize,
      1,
      'Export fewer sequences at a time.',
    );
    const digits = await this.env.loadMnist();
    const generator = new MovingMnistGenerator(digits[digitSplit], options, seed);
    const frameBytes = options.canvasSize * options.canvasSize;
    const sequenceBytes = options.frames * frameBytes;
    const data = new Uint8Array(count * sequenceBytes);
    const report = this.progress(requestId, count, 'Generated sequence');
    for (let done = 0; done < count;) {
      this.checkCancelled(requestId);
      const batch = generator.nextBatch(Math.min(256, count - done));
      data.set(batch.data, done * sequenceBytes);
      done += batch.n;
      report(done);
      await new Promise((resolve) => setTimeout(resolve, 0)); // let a cancel arrive
    }
    const set: FrameSet = {
      data,
      frames: count * options.frames,
      width: options.canvasSize,
      height: options.canvasSize,
      channels: 1,
      segments: Array.from({ length: count }, (_, i) => ({
        name: `sequence ${i}`,
        start: i * options.frames,
        length: options.frames,
      })),
    };
    const bytes = frameSetToNpy(set, layout);
    return { kind: 'npy-file', bytes, shape: npyShapeOf(bytes) };
  }

  private emit(event: DataEvent): void {
    this.post(event, dataTransferables(event));
  }
}

/** Timestamps start + (k + ½)/fps below `end`: the middle of each output frame's interval. */
export function frameTimes(start: number, end: number, fps: number): number[] {
  const times: number[] = [];
  for (let k = 0; start + (k + 0.5) / fps < end; k++) times.push(start + (k + 0.5) / fps);
  return times;
}

/** Frame rates near a whole number (29.97 stays) are kept to 3 decimals. */
function roundRate(rate: number): number {
  return Math.round(rate * 1000) / 1000;
}

/** The labels of a .npy import, trimmed: a labels file's, read after its size is checked. */
async function readLabels(labels: Blob | string[]): Promise<string[]> {
  if (Array.isArray(labels)) return labels.map((label) => label.trim());
  const what = labelsWhat(labels);
  checkLabelsFileSize(labels.size, what);
  return parseLabelsFile(new Uint8Array(await labels.arrayBuffer()), what);
}

/** What to change when an array is too large to import: a slice, or shorter or smaller frames. */
function npySizeAdvice(shape: NpyVideoShape): string {
  const sequenceBytes = shape.frames * shape.width * shape.height * shape.channels;
  const fitting = Math.floor(MAX_DATASET_BYTES / sequenceBytes);
  if (fitting >= 1) {
    return `Import a slice: set count to at most ${fitting.toLocaleString('en-US')} sequences.`;
  }
  return `Even one sequence (${shape.frames.toLocaleString('en-US')} frames of ${shape.width}×${shape.height}) is ${formatMegabytes(sequenceBytes)}: split the array into shorter sequences or smaller frames first (e.g. with NumPy).`;
}

function npyShapeOf(bytes: Uint8Array): number[] {
  return parseNpyHeader(bytes, 'the export').shape;
}

function checkVideoOptions(options: DecodeCommand['options']): void {
  const integer = (key: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(
        key,
        `${key} must be an integer from ${min} to ${max} (got ${describeValue(value)})`,
      );
    }
  };
  integer('width', options.width, 4, 1024);
  integer('height', options.height, 4, 1024);
  integer('clipLength', options.clipLength, 1, 10_000);
  if (options.crop !== 'center' && options.crop !== 'fit') {
    throw new ConfigError(
      'crop',
      `crop must be "center" or "fit" (got ${describeValue(options.crop)})`,
    );
  }
  if (options.color !== 'gray' && options.color !== 'rgb') {
    throw new ConfigError(
      'color',
      `color must be "gray" or "rgb" (got ${describeValue(options.color)})`,
    );
  }
  if (
    options.fps !== undefined &&
    !(typeof options.fps === 'number' && options.fps > 0 && options.fps <= 240)
  ) {
    throw new ConfigError(
      'fps',
      `fps must be a number of frames per second in (0, 240] (got ${describeValue(options.fps)})`,
    );
  }
  if (
    options.maxSeconds !== undefined &&
    !(typeof options.maxSeconds === 'number' && options.maxSeconds > 0)
  ) {
    throw new ConfigError(
      'maxSeconds',
      `maxSeconds must be a positive number (got ${describeValue(options.maxSeconds)})`,
    );
  }
}

function checkRecordOptions(options: RecordCommand['options']): void {
  checkVideoOptions({ ...options, maxSeconds: options.seconds });
  if (!(typeof options.fps === 'number' && options.fps > 0 && options.fps <= 60)) {
    throw new ConfigError(
      'fps',
      `fps must be a number of frames per second in (0, 60] (got ${describeValue(options.fps)})`,
    );
  }
  if (!(typeof options.seconds === 'number' && options.seconds > 0 && options.seconds <= 60)) {
    throw new ConfigError(
      'seconds',
      `seconds must be a number from 0 to 60 (got ${describeValue(options.seconds)})`,
    );
  }
}

interface ThumbnailPlan {
  strip: Thumbnails;
  /** Output frame index → thumbnail slot. */
  slots: Map<number, number>;
}

function thumbnailPlan(source: VideoSource, frames: number): ThumbnailPlan {
  const count = Math.min(THUMBNAIL_COUNT, frames);
  const aspect = source.displayWidth / Math.max(1, source.displayHeight);
  const height = THUMBNAIL_HEIGHT;
  const width = Math.max(8, Math.min(4 * height, Math.round(height * aspect)));
  const slots = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    slots.set(count === 1 ? 0 : Math.round((i * (frames - 1)) / (count - 1)), i);
  }
  return {
    strip: { count, width, height, data: new Uint8Array(count * width * height * 3) },
    slots,
  };
}

async function drawThumbnail(
  plan: ThumbnailPlan,
  index: number,
  frame: DecodedFrame,
): Promise<void> {
  const slot = plan.slots.get(index);
  if (slot === undefined) return;
  const { width, height, data } = plan.strip;
  rgbaToChannels(await frame.draw(width, height, 'fit'), 3, data, slot * width * height * 3);
}
