/**
 * Saving and restoring a training run (model + data stream + step) as a checkpoint, shared by the
 * run worker and the CLI. A run resumed from a checkpoint draws the same batches and noise and
 * takes the same steps as the run that wrote it would have.
 */
import { CheckpointError } from '../checkpoint/errors';
import { configDifferences, encodeCheckpoint } from '../checkpoint/run-checkpoint';
import type {
  CheckpointRun,
  DatasetFingerprint,
  RunCheckpoint,
} from '../checkpoint/run-checkpoint';
import type { DataSpec } from '../data/types';
import type { BatchSource } from '../data/batch-source';
import { ConfigError } from '../models/config-schema';
import type { VideoModel } from '../models/types';
import type { HistoryPoint } from './history';

/** What a checkpoint is taken from. */
export interface CheckpointSource {
  run: CheckpointRun;
  model: VideoModel;
  stream: BatchSource;
  /** The imported dataset of a `source: 'video'` run. */
  dataset?: DatasetFingerprint;
  step: number;
  history: readonly HistoryPoint[];
}

/**
 * The run as a safetensors file. Everything is captured synchronously when this is called, so the
 * run may keep training while the tensors are read back.
 */
export function captureCheckpoint(source: CheckpointSource, producer: string): Promise<Uint8Array> {
  const { run, step } = source;
  const history = [...source.history];
  const data = source.stream.getState();
  const modelState = source.model.exportState();
  const createdAt = new Date().toISOString();
  const dataset = source.dataset;
  return modelState.then((model) =>
    encodeCheckpoint({
      run,
      step,
      model,
      data,
      ...(dataset ? { dataset } : {}),
      history,
      createdAt,
      producer,
    }),
  );
}

/** A checked plan to restore a checkpoint: the run it describes and its data stream, positioned. */
export interface RestorePlan<S extends BatchSource = BatchSource> {
  run: CheckpointRun;
  stream: S;
  step: number;
  history: HistoryPoint[];
}

/**
 * Checks that `checkpoint` fits the run (`current`: its model kind and config, except the live
 * hyperparameters, which the checkpoint restores) and builds its data stream (`makeStream`, for
 * the checkpoint's data spec) at the saved position. Changes nothing: the caller then calls
 * `model.importState(checkpoint.model)` (which checks the tensors before it assigns any) and swaps
 * in the stream. `makeStream` throws a ConfigError or DataError when the data spec does not fit.
 */
export function planRestore<S extends BatchSource>(
  current: { run: CheckpointRun; model: VideoModel },
  checkpoint: RunCheckpoint,
  makeStream: (data: DataSpec) => S,
): RestorePlan<S> {
  const { model } = current;
  const saved = checkpoint.run;
  if (saved.model !== current.run.model) {
    throw new CheckpointError(
      'wrong-model',
      `This checkpoint is for model "${saved.model}", but this run is "${current.run.model}"`,
    );
  }
  const live = Object.keys(model.getHyperparameters());
  const differences = configDifferences(current.run.config, saved.config, live);
  if (saved.variant !== current.run.variant) {
    differences.unshift(
      `variant is "${current.run.variant}" here, "${saved.variant}" in the checkpoint`,
    );
  }
  if (differences.length > 0) {
    throw new CheckpointError(
      'incompatible-config',
      `This checkpoint's config does not match this run (${differences.slice(0, 3).join('; ')}${differences.length > 3 ? `; ${differences.length - 3} more` : ''}); open it as a new run instead`,
    );
  }
  let stream: S;
  try {
    stream = makeStream(saved.data);
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new CheckpointError('bad-metadata', `Checkpoint data spec: ${error.message}`);
    }
    throw error;
  }
  try {
    stream.setState(checkpoint.data);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new CheckpointError('bad-state', `Checkpoint data stream state: ${error.message}`);
    }
    throw error;
  }
  return { run: saved, stream, step: checkpoint.step, history: checkpoint.history };
}
