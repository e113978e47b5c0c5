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
import type { FrameSegment, FrameSet } from '../core/data/types';
import { ConfigError } from '../core/models/config-schema';
import { describeValue, quote } from '../core/quote';
import type {
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

export class DataHandler {
  private readonly cancelled = new Set<number>();

  constructor(
    private readonly post: (event: DataEvent, transfer?: Transferable[]) => void,
    private readonly env: DataEnvironment,
  ) {}

  /** Marks a request as cancelled; a running one stops at its next frame. */
  cancel(target: number): void {
    this.cancelled.add(target);
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
    return { kind: 'npy-frames', frames: set, shape: header.shape };
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
