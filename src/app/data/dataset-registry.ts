/**
 * The app's imported datasets: decoded frames (uint8, at the size chosen on import) kept on the
 * main thread, their metadata in the `useDatasets` store, imports and exports done by the data
 * worker. Runs get a copy of a dataset's frames in their `init` command, so several runs can
 * share one dataset and removing it never disturbs a run that is training on it.
 */
import { DEFAULT_HELD_OUT_FRACTION, trySplitClips } from '../../core/data/clips';
import { DataError } from '../../core/data/data-error';
import { labelsFileText, labelsOfExportedSequences } from '../../core/data/sequence-labels';
import { ConfigError } from '../../core/models/config-schema';
import { describeValue, excerpt, quote } from '../../core/quote';
import type { NpyLayout } from '../../core/data/npy';
import type { DatasetPayload, FrameSet } from '../../core/data/types';
import type {
  DataResult,
  MovingMnistExportOptions,
  NpyImportOptions,
  RecordOptions,
  Thumbnails,
  VideoImportOptions,
} from '../../protocol/data-messages';
import { useDatasets } from '../state/datasets';
import type { DatasetInfo } from '../state/datasets';
import { DataRequestError } from './data-client';
import type { DataClient, DataProgress } from './data-client';

/** Srivastava et al.'s sequences have 20 frames; runs use their model's own clip length. */
export const DEFAULT_CLIP_LENGTH = 20;

export const DEFAULT_VIDEO_OPTIONS = {
  width: 64,
  height: 64,
  crop: 'center',
  color: 'rgb',
  clipLength: DEFAULT_CLIP_LENGTH,
} as const satisfies VideoImportOptions;

/** Webcam clips: 3 s at 10 fps hold one 20-frame clip with room to spare. */
export const DEFAULT_RECORD_OPTIONS = {
  width: 64,
  height: 64,
  crop: 'center',
  color: 'rgb',
  fps: 10,
  seconds: 3,
  clipLength: DEFAULT_CLIP_LENGTH,
} as const satisfies RecordOptions;

/** The name of a dataset of webcam clips. */
export const WEBCAM_DATASET_NAME = 'Webcam clips';

/** A webcam recording in progress (`startRecording`). */
export interface Recording {
  jobId: number;
  /** The captured frames' size and rate, as resolved (from the dataset it joins, if any). */
  options: Required<Omit<RecordOptions, 'appendTo'>>;
  /** Sends one captured frame to the data worker (transferred: do not use it afterwards). */
  addFrame(frame: ImageBitmap): void;
  /** Ends the clip with the frames sent so far. */
  stop(): void;
  /** Drops the clip; `result` rejects. */
  cancel(): void;
  /** The dataset the clip joined. */
  result: Promise<ImportSummary>;
}

/** What `importVideo` and `importNpy` resolve to. */
export interface ImportSummary {
  datasetId: string;
  name: string;
  frames: number;
  width: number;
  height: number;
  channels: 1 | 3;
  fps: number | null;
  /** Training plus held-out clips of `clipLength` frames. */
  clips: number;
  trainClips: number;
  heldOutClips: number;
  clipLength: number;
  segments: number;
  durationSeconds: number | null;
  codec: string | null;
}

export type ExportRequest =
  | { datasetId: string; layout?: NpyLayout; length?: number }
  | ({ source: 'moving-mnist'; layout?: NpyLayout } & MovingMnistExportOptions);

interface StoredDataset {
  info: DatasetInfo;
  frames: FrameSet;
  thumbnails: Thumbnails | null;
}

export class DatasetRegistry {
  private readonly datasets = new Map<string, StoredDataset>();
  private nextNumber = 1;
  private readonly jobs = new Map<number, number>(); // job id → data-worker request id

  constructor(private readonly client: DataClient) {}

  list(): DatasetInfo[] {
    const { order, datasets } = useDatasets.getState();
    return order.map((id) => datasets[id]);
  }

  get(id: string): StoredDataset | undefined {
    return this.datasets.get(id);
  }

  /** A copy-on-send view for a run's `init` command. */
  payload(id: string): DatasetPayload | undefined {
    const stored = this.datasets.get(id);
    if (!stored) return undefined;
    return {
      id,
      name: stored.info.name,
      frames: stored.frames,
      crop: stored.info.crop,
      fps: stored.info.fps,
    };
  }

  /**
   * The label of each segment of the dataset's frames: a video file or webcam clip is one
   * segment; a .npy array is one file of many sequences, each with its label from a labels file
   * when one was given, else all with the array's label.
   */
  fileLabels(id: string): string[] | undefined {
    const stored = this.datasets.get(id);
    if (!stored) return undefined;
    const { labels, sequenceLabels } = stored.info;
    if (sequenceLabels) return [...sequenceLabels];
    const segments = stored.frames.segments.length;
    return labels.length === segments
      ? [...labels]
      : new Array<string>(segments).fill(labels[0] ?? '');
  }

  remove(id: string): void {
    if (!this.datasets.delete(id)) throw new Error(`Unknown dataset ${quote(String(id))}`);
    useDatasets.getState().removeDataset(id);
  }

  /** Stops an import in progress; its promise rejects with a "cancelled" message. */
  cancel(jobId: number): void {
    const requestId = this.jobs.get(jobId);
    if (requestId !== undefined) this.client.cancel(requestId);
  }

  async importVideo(file: Blob, options: VideoImportOptions = {}): Promise<ImportSummary> {
    const name = importName(file, options.name, 'video');
    const label = importLabel(options.label);
    const target = options.appendTo ? this.datasets.get(options.appendTo) : undefined;
    if (options.appendTo && !target) {
      return this.fail(
        name,
        `Cannot add ${quote(name)}: there is no dataset ${quote(String(options.appendTo))}.`,
      );
    }
    const stored = target?.frames;
    const resolved = {
      name,
      width: stored?.width ?? options.width ?? DEFAULT_VIDEO_OPTIONS.width,
      height: stored?.height ?? options.height ?? DEFAULT_VIDEO_OPTIONS.height,
      crop: target?.info.crop ?? options.crop ?? DEFAULT_VIDEO_OPTIONS.crop,
      color: stored ? (stored.channels === 1 ? 'gray' : 'rgb') : (options.color ?? 'rgb'),
      clipLength: options.clipLength ?? target?.info.clipLength ?? DEFAULT_CLIP_LENGTH,
      ...(target?.info.fps ? { fps: target.info.fps } : options.fps ? { fps: options.fps } : {}),
      ...(options.maxSeconds !== undefined ? { maxSeconds: options.maxSeconds } : {}),
    } as const;
    const result = await this.run(name, {
      type: 'decode-video',
      file,
      options: resolved,
      existingBytes: stored?.data.length ?? 0,
      existingSegments: stored?.segments ?? [],
    });
    if (result.kind !== 'video') throw new Error('The data worker answered with the wrong result');
    const frames = target ? appendFrames(target.frames, result.frames) : result.frames;
    const id = target?.info.id ?? this.newId();
    const info: DatasetInfo = {
      ...describe(id, target?.info.name ?? name, 'video', frames, result.fps, resolved.clipLength),
      files: [...(target?.info.files ?? []), name],
      labels: [...(target?.info.labels ?? []), label],
      crop: resolved.crop,
      durationSeconds: frames.frames / result.fps,
      source: {
        codec: result.info.codec,
        displayWidth: result.info.displayWidth,
        displayHeight: result.info.displayHeight,
        rotation: result.info.rotation,
        sourceFps: result.info.sourceFps,
        variableFrameRate: result.info.variableFrameRate,
      },
    };
    this.store({ info, frames, thumbnails: target?.thumbnails ?? result.thumbnails });
    return summary(info);
  }

  async importNpy(file: Blob, options: NpyImportOptions = {}): Promise<ImportSummary> {
    const name = importName(file, options.name, 'array.npy');
    checkLabelsOption(options.labels);
    const result = await this.run(name, { type: 'read-npy', file, options: { ...options, name } });
    if (result.kind !== 'npy-frames')
      throw new Error('The data worker answered with the wrong result');
    const clipLength =
      options.clipLength ?? result.frames.segments[0]?.length ?? DEFAULT_CLIP_LENGTH;
    const info: DatasetInfo = {
      ...describe(this.newId(), name, 'npy', result.frames, null, clipLength),
      files: [name],
      labels: [''],
      ...(result.labels
        ? { sequenceLabels: result.labels.map((label) => excerpt(label, MAX_NAME_CHARS)) }
        : {}),
      crop: 'center',
      durationSeconds: null,
    };
    this.store({ info, frames: result.frames, thumbnails: null });
    return summary(info);
  }

  /**
   * Records a webcam clip: the caller captures frames (on the main thread, from getUserMedia) and
   * passes each to `addFrame`; the data worker draws them at the dataset's size. The clip becomes
   * a dataset of its own, or joins `appendTo` (a dataset of webcam clips or videos) at its size.
   */
  startRecording(options: RecordOptions = {}): Recording {
    const target = options.appendTo ? this.datasets.get(options.appendTo) : undefined;
    if (options.appendTo && !target) {
      throw new ConfigError(
        'appendTo',
        `Cannot add the clip: there is no dataset ${quote(String(options.appendTo))}.`,
      );
    }
    if (options.label !== undefined && typeof options.label !== 'string') {
      throw new ConfigError(
        'label',
        `label must be a string (got ${describeValue(options.label)})`,
      );
    }
    const label = excerpt((options.label ?? '').trim(), MAX_NAME_CHARS);
    const number = (target?.info.files.length ?? 0) + 1;
    const name = excerpt(options.name ?? `${label || 'clip'} ${number}`, MAX_NAME_CHARS);
    const stored = target?.frames;
    const resolved = {
      name,
      label,
      width: stored?.width ?? options.width ?? DEFAULT_RECORD_OPTIONS.width,
      height: stored?.height ?? options.height ?? DEFAULT_RECORD_OPTIONS.height,
      crop: target?.info.crop ?? options.crop ?? DEFAULT_RECORD_OPTIONS.crop,
      color: stored
        ? stored.channels === 1
          ? 'gray'
          : 'rgb'
        : (options.color ?? DEFAULT_RECORD_OPTIONS.color),
      fps: target?.info.fps ?? options.fps ?? DEFAULT_RECORD_OPTIONS.fps,
      seconds: options.seconds ?? DEFAULT_RECORD_OPTIONS.seconds,
      clipLength:
        options.clipLength ?? target?.info.clipLength ?? DEFAULT_RECORD_OPTIONS.clipLength,
    } as const;
    const { label: _label, ...recordOptions } = resolved;
    const { jobId, result } = this.track(name, {
      type: 'record-clip',
      options: recordOptions,
      existingBytes: stored?.data.length ?? 0,
    });
    const finished = result.then((answer) => {
      if (answer.kind !== 'recording') {
        throw new Error('The data worker answered with the wrong result');
      }
      // The dataset may have been removed while recording: then the clip starts a new one.
      const joined = target && this.datasets.has(target.info.id) ? target : undefined;
      const frames = joined ? appendFrames(joined.frames, answer.frames) : answer.frames;
      const id = joined?.info.id ?? this.newId();
      const info: DatasetInfo = {
        ...describe(
          id,
          joined?.info.name ?? WEBCAM_DATASET_NAME,
          joined?.info.kind ?? 'webcam',
          frames,
          answer.fps,
          resolved.clipLength,
        ),
        files: [...(joined?.info.files ?? []), name],
        labels: [...(joined?.info.labels ?? []), label],
        crop: resolved.crop,
        durationSeconds: frames.frames / answer.fps,
        ...(joined?.info.source ? { source: joined.info.source } : {}),
      };
      this.store({ info, frames, thumbnails: joined?.thumbnails ?? answer.thumbnails });
      return summary(info);
    });
    return {
      jobId,
      options: resolved,
      addFrame: (frame) => this.client.notify({ type: 'record-frame', target: jobId, frame }),
      stop: () => this.client.notify({ type: 'record-stop', target: jobId }),
      cancel: () => this.client.cancel(jobId),
      result: finished,
    };
  }

  /**
   * Sets the class of file `file` (its index in `files`) of a dataset; '' removes it. A .npy
   * array read with a labels file is one file: its label replaces every sequence's.
   */
  setLabel(datasetId: string, file: number, label: string): DatasetInfo {
    const stored = this.datasets.get(datasetId);
    if (!stored) throw new Error(`Unknown dataset ${quote(String(datasetId))}`);
    if (!(Number.isInteger(file) && file >= 0 && file < stored.info.files.length)) {
      throw new ConfigError(
        'file',
        `file must be the index of one of the dataset's ${stored.info.files.length} files, from 0 (got ${describeValue(file)})`,
      );
    }
    if (typeof label !== 'string') {
      throw new ConfigError('label', `label must be a string (got ${describeValue(label)})`);
    }
    const labels = [...stored.info.labels];
    labels[file] = excerpt(label.trim(), MAX_NAME_CHARS);
    const { sequenceLabels: _replaced, ...rest } = stored.info;
    const info = { ...rest, labels };
    this.store({ ...stored, info });
    return info;
  }

  /** A .npy file of a dataset's sequences, or of a freshly generated Moving MNIST set. */
  async exportNpy(request: ExportRequest): Promise<Blob> {
    const layout = request.layout ?? 'TNHW';
    let result: DataResult;
    if ('datasetId' in request) {
      const stored = this.datasets.get(request.datasetId);
      if (!stored) throw new Error(`Unknown dataset ${quote(String(request.datasetId))}`);
      result = await this.client.request({
        type: 'encode-npy',
        frames: stored.frames,
        layout,
        ...(request.length !== undefined ? { length: request.length } : {}),
      }).result;
    } else {
      const { source: _source, layout: _layout, ...options } = request;
      result = await this.client.request({ type: 'generate-moving-mnist', options, layout }).result;
    }
    if (result.kind !== 'npy-file')
      throw new Error('The data worker answered with the wrong result');
    return new Blob([result.bytes as Uint8Array<ArrayBuffer>], {
      type: 'application/octet-stream',
    });
  }

  /**
   * The labels of the sequences `exportNpy` writes for the same request, as a text file of one
   * label per line (blank = unlabelled) that `importNpy` reads back with that array; null when
   * the dataset has no label.
   */
  exportLabels(request: { datasetId: string; length?: number }): Blob | null {
    const stored = this.datasets.get(request.datasetId);
    if (!stored) throw new Error(`Unknown dataset ${quote(String(request.datasetId))}`);
    const segmentLabels = this.fileLabels(request.datasetId) ?? [];
    if (!segmentLabels.some((label) => label !== '')) return null;
    const { segments } = stored.frames;
    const lengths = [...new Set(segments.map((segment) => segment.length))];
    if (request.length === undefined && lengths.length > 1) {
      throw new DataError(
        `The dataset's parts have different lengths (${lengths.join(', ')} frames); choose a sequence length to export.`,
      );
    }
    const length = request.length ?? lengths[0] ?? 1;
    if (!Number.isInteger(length) || length < 1) {
      throw new ConfigError(
        'length',
        `length must be a whole number of frames, at least 1 (got ${describeValue(length)})`,
      );
    }
    const labels = labelsOfExportedSequences(segments, segmentLabels, length);
    return new Blob([labelsFileText(labels)], { type: 'text/plain' });
  }

  /** Runs one import in the worker, tracked as a job; failures are recorded for the UI. */
  private run(name: string, command: Parameters<DataClient['request']>[0]): Promise<DataResult> {
    return this.track(name, command).result;
  }

  /** `run`, with the job's id known at once (a recording sends frames to it). */
  private track(
    name: string,
    command: Parameters<DataClient['request']>[0],
  ): { jobId: number; result: Promise<DataResult> } {
    const store = useDatasets.getState();
    const onProgress = (progress: DataProgress) =>
      useDatasets.getState().putJob({ id: jobId, name, ...progressFields(progress) });
    const { requestId, result } = this.client.request(command, onProgress);
    const jobId = requestId;
    this.jobs.set(jobId, requestId);
    store.putJob({ id: jobId, name, done: 0, total: 0, secondsLeft: null, message: 'Starting' });
    return { jobId, result: this.settle(name, jobId, result) };
  }

  private async settle(
    name: string,
    jobId: number,
    result: Promise<DataResult>,
  ): Promise<DataResult> {
    try {
      return await result;
    } catch (error) {
      if (error instanceof DataRequestError && error.cancelled) {
        throw new Error(`The import of ${quote(name)} was cancelled.`, { cause: error });
      }
      const message = error instanceof Error ? error.message : String(error);
      return this.fail(
        name,
        message.includes(quote(name)) ? message : `Cannot import ${quote(name)}: ${message}`,
      );
    } finally {
      this.jobs.delete(jobId);
      useDatasets.getState().endJob(jobId);
    }
  }

  private fail(_name: string, message: string): never {
    useDatasets.getState().addFailure({ id: Date.now() + Math.random(), message });
    throw new Error(message);
  }

  private newId(): string {
    return `ds-${this.nextNumber++}`;
  }

  private store(dataset: StoredDataset): void {
    this.datasets.set(dataset.info.id, dataset);
    useDatasets.getState().putDataset(dataset.info);
  }
}

function progressFields(progress: DataProgress) {
  const { done, total, secondsLeft, message } = progress;
  return { done, total, secondsLeft, message };
}

/** Longest dataset or file name kept (a longer one is cut, with its length noted). */
const MAX_NAME_CHARS = 120;

/**
 * The name an import goes by in messages and the dataset list: `given`, else the File's own, else
 * `fallback`. Refuses what is not a Blob and a name that is not text, naming what was given.
 */
function importName(file: unknown, given: unknown, fallback: string): string {
  if (!(file instanceof Blob)) {
    throw new ConfigError('file', `An import needs a File or Blob (got ${describeValue(file)})`);
  }
  if (given !== undefined && typeof given !== 'string') {
    throw new ConfigError('name', `name must be a string (got ${describeValue(given)})`);
  }
  const own = (file as Partial<File>).name;
  const name = given ?? (typeof own === 'string' && own.length > 0 ? own : fallback);
  return excerpt(name, MAX_NAME_CHARS);
}

/** A file's class as given on import ('' when none), checked before anything is decoded. */
function importLabel(label: unknown): string {
  if (label === undefined) return '';
  if (typeof label !== 'string') {
    throw new ConfigError('label', `label must be a string (got ${describeValue(label)})`);
  }
  return excerpt(label.trim(), MAX_NAME_CHARS);
}

/** Refuses a `labels` import option that is neither a labels file nor a list of strings. */
function checkLabelsOption(labels: unknown): void {
  if (labels === undefined || labels instanceof Blob) return;
  if (!Array.isArray(labels)) {
    throw new ConfigError(
      'labels',
      `labels must be a labels file (a File or Blob) or a list of strings (got ${describeValue(labels)})`,
    );
  }
  const bad = labels.findIndex((label) => typeof label !== 'string');
  if (bad >= 0) {
    throw new ConfigError(
      'labels',
      `labels must be strings: labels[${bad}] is ${describeValue(labels[bad])}`,
    );
  }
}

/** The older frames followed by the new file's, with its segment moved behind them. */
function appendFrames(existing: FrameSet, added: FrameSet): FrameSet {
  const data = new Uint8Array(existing.data.length + added.data.length);
  data.set(existing.data, 0);
  data.set(added.data, existing.data.length);
  return {
    ...existing,
    data,
    frames: existing.frames + added.frames,
    segments: [
      ...existing.segments,
      ...added.segments.map((s) => ({ ...s, start: s.start + existing.frames })),
    ],
  };
}

function describe(
  id: string,
  name: string,
  kind: DatasetInfo['kind'],
  frames: FrameSet,
  fps: number | null,
  clipLength: number,
): Omit<DatasetInfo, 'files' | 'labels' | 'crop' | 'durationSeconds'> {
  const split = trySplitClips(frames.segments, {
    length: clipLength,
    stride: clipLength,
    heldOutFraction: DEFAULT_HELD_OUT_FRACTION,
  });
  return {
    id,
    name,
    kind,
    width: frames.width,
    height: frames.height,
    channels: frames.channels,
    frames: frames.frames,
    segments: frames.segments.length,
    fps,
    bytes: frames.data.length,
    clipLength,
    trainClips: split?.train.length ?? 0,
    heldOutClips: split?.heldOut.length ?? 0,
  };
}

function summary(info: DatasetInfo): ImportSummary {
  return {
    datasetId: info.id,
    name: info.name,
    frames: info.frames,
    width: info.width,
    height: info.height,
    channels: info.channels,
    fps: info.fps,
    clips: info.trainClips + info.heldOutClips,
    trainClips: info.trainClips,
    heldOutClips: info.heldOutClips,
    clipLength: info.clipLength,
    segments: info.segments,
    durationSeconds: info.durationSeconds,
    codec: info.source?.codec ?? null,
  };
}
