/**
 * A run's checkpoint as a safetensors file (format: docs/checkpoints.md). Pure TypeScript, no
 * tfjs: the UI reads the metadata to build a run, workers and the CLI write and restore it.
 *
 * Tensors: the model's state tensors under their own names (weights as `encoder.0.w`, optimiser
 * slots as `optimizer.<slot>.<name>`, other model state as `state.<name>`), and the data stream's
 * integer arrays as `data.<name>` (I32: Moving MNIST's `data.digit_order`, an imported dataset's
 * `data.clip_order`). Everything else is in `__metadata__`, one string per key; structured values
 * are JSON:
 *
 *   format          "video-model-playground.checkpoint"
 *   format_version  "1"
 *   model, variant, preset
 *   config          the resolved model config (JSON)
 *   data_spec       the data spec including its seed (JSON)
 *   seed            the model seed (weight init and noise streams)
 *   step            training steps taken
 *   model_state     the model's state metadata: optimiser counters, random streams, live
 *                   hyperparameters (JSON)
 *   data_state      the data stream's cursor and random-stream states (JSON)
 *   dataset         runs on an imported dataset: its name, frame count and frame size (JSON), so
 *                   a restore can tell that the dataset at hand is the one it trained on
 *   history         the training curves so far, thinned to at most a few thousand points (JSON)
 *   created_at, producer
 */
import type { DataSpec } from '../data/types';
import { resolveMovingMnistOptions } from '../data/moving-mnist';
import type { StreamState } from '../data/batch-source';
import { historyFromJson, historyToJson } from '../train/history';
import type { HistoryPoint } from '../train/history';
import { ConfigError } from '../models/config-schema';
import { MODEL_KINDS, findModel } from '../models/registry';
import type { ModelKind } from '../models/registry';
import type { ModelState, StateTensor } from '../models/types';
import { describeValue, excerpt, quote, shortJson } from '../quote';
import { SEED_RULE, isSeed } from '../seed';
import { CheckpointError, NonFiniteStateError } from './errors';
import { decodeSafetensors, encodeSafetensors, parseSafetensorsHeader } from './safetensors';
import type { SafetensorsTensor } from './safetensors';

export const CHECKPOINT_FORMAT = 'video-model-playground.checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 1;
/** The data stream's tensors carry this prefix; model tensor names never do. */
const DATA_PREFIX = 'data.';

/** A run as its checkpoint records it: enough to build the same run again. */
export interface CheckpointRun {
  model: ModelKind;
  variant: string;
  preset: string;
  /** The resolved config: preset, variant and overrides together. */
  config: Record<string, unknown>;
  /** The data spec, including its seed. */
  data: DataSpec;
  /** The model seed (weight init and noise streams). */
  seed: number;
}

export interface RunCheckpoint {
  run: CheckpointRun;
  step: number;
  model: ModelState;
  data: StreamState;
  /** The imported dataset a `source: 'video'` run trained on. */
  dataset?: DatasetFingerprint;
  /** Training metrics up to `step` (for the charts; does not affect training). */
  history: HistoryPoint[];
  createdAt: string;
  producer: string;
}

/** Enough of an imported dataset to tell it from another one with the same id. */
export interface DatasetFingerprint {
  name: string;
  frames: number;
  width: number;
  height: number;
  channels: number;
}

/** What the header alone says (cheap: no tensor data is read). */
export interface CheckpointInfo {
  run: CheckpointRun;
  step: number;
  createdAt: string;
  producer: string;
}

/** A run spec (as `RunSpec` in the protocol) that rebuilds a checkpoint's run. */
export interface CheckpointRunSpec {
  model: ModelKind;
  variant: string;
  preset: string;
  config?: Record<string, unknown>;
  data: DataSpec;
  seed: number;
}

// --- writing ---------------------------------------------------------------------------------------

function toFileTensor(name: string, tensor: StateTensor): SafetensorsTensor {
  if (name.startsWith(DATA_PREFIX)) {
    throw new Error(`Model state tensor "${name}" uses the reserved prefix "${DATA_PREFIX}"`);
  }
  return {
    dtype: tensor.dtype === 'int32' ? 'I32' : 'F32',
    shape: tensor.shape,
    data: tensor.data,
  };
}

/** The first NaN or ±Inf among float tensors, by tensor name, or null when all are finite. */
export function firstNonFinite(
  tensors: Iterable<readonly [string, { data: ArrayLike<number>; dtype: string }]>,
): { name: string; index: number; value: number } | null {
  for (const [name, tensor] of tensors) {
    if (tensor.dtype !== 'float32' && tensor.dtype !== 'F32') continue;
    const { data } = tensor;
    for (let i = 0; i < data.length; i++) {
      // x − x is 0 for every finite x, NaN for NaN and ±Inf: one test per value.
      if (data[i] - data[i] !== 0) return { name, index: i, value: data[i] };
    }
  }
  return null;
}

/**
 * The checkpoint as a safetensors file. Refuses (NonFiniteStateError) a state holding NaN or
 * ±Inf: no reader accepts such a file (`decodeCheckpoint`), so it is never written.
 */
export function encodeCheckpoint(checkpoint: RunCheckpoint): Uint8Array {
  const { run, model, data } = checkpoint;
  const bad = firstNonFinite(Object.entries(model.tensors));
  if (bad) {
    throw new NonFiniteStateError(
      `The run's state cannot be saved: tensor "${bad.name}" holds ${bad.value} (at index ${bad.index}); restore an earlier checkpoint, or create a new run with a lower learning rate`,
    );
  }
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, tensor] of Object.entries(model.tensors)) {
    tensors[name] = toFileTensor(name, tensor);
  }
  for (const [name, values] of Object.entries(data.arrays)) {
    tensors[`${DATA_PREFIX}${name}`] = { dtype: 'I32', shape: [values.length], data: values };
  }
  return encodeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_FORMAT_VERSION),
    model: run.model,
    variant: run.variant,
    preset: run.preset,
    config: JSON.stringify(run.config),
    data_spec: JSON.stringify(run.data),
    seed: String(run.seed),
    step: String(checkpoint.step),
    model_state: JSON.stringify(model.meta),
    data_state: JSON.stringify(data.meta),
    ...(checkpoint.dataset ? { dataset: JSON.stringify(checkpoint.dataset) } : {}),
    history: JSON.stringify(historyToJson(checkpoint.history)),
    created_at: checkpoint.createdAt,
    producer: checkpoint.producer,
  });
}

// --- reading ---------------------------------------------------------------------------------------

function badMetadata(key: string, message: string): CheckpointError {
  return new CheckpointError('bad-metadata', `Checkpoint metadata "${key}": ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function required(metadata: Record<string, string>, key: string): string {
  const value = metadata[key];
  if (value === undefined) throw badMetadata(key, 'missing');
  return value;
}

function jsonObject(metadata: Record<string, string>, key: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(required(metadata, key));
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw badMetadata(key, `not valid JSON (${excerpt((error as Error).message)})`);
  }
  if (!isRecord(value)) throw badMetadata(key, 'must be a JSON object');
  return value;
}

function nonNegativeInteger(metadata: Record<string, string>, key: string): number {
  const text = required(metadata, key);
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw badMetadata(key, `must be a non-negative integer (got ${quote(text)})`);
  }
  return value;
}

/** The model seed: digits only, and a seed by the one rule (core/seed.ts). */
function seedField(metadata: Record<string, string>, key: string): number {
  const text = required(metadata, key);
  const value = Number(text);
  if (!/^\d+$/.test(text) || !isSeed(value)) {
    throw badMetadata(key, `must be ${SEED_RULE} (got ${quote(text)})`);
  }
  return value;
}

/** Checks the format marker and version before anything else is read. */
function checkFormat(metadata: Record<string, string>): number {
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(
      'not-a-checkpoint',
      'This safetensors file is not a Video Model Playground checkpoint (its metadata has no "format": "video-model-playground.checkpoint"); it may hold weights from another tool',
    );
  }
  const version = nonNegativeInteger(metadata, 'format_version');
  if (version > CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointError(
      'newer-format',
      `This checkpoint uses format version ${version}, but this app reads version ${CHECKPOINT_FORMAT_VERSION}; open it with a newer version of the playground`,
    );
  }
  if (version < 1) throw badMetadata('format_version', `unknown version ${version}`);
  return version;
}

function parseDataSpec(metadata: Record<string, string>): DataSpec {
  const spec = jsonObject(metadata, 'data_spec');
  const { source, seed, ...options } = spec;
  if (!isSeed(seed)) {
    throw badMetadata('data_spec', `seed must be ${SEED_RULE} (got ${describeValue(seed)})`);
  }
  if (source === 'video') {
    const { datasetId, clipStride, heldOutFraction, ...rest } = options;
    const unknown = Object.keys(rest);
    if (typeof datasetId !== 'string' || datasetId === '') {
      throw badMetadata('data_spec', 'datasetId must be a dataset id');
    }
    if (
      clipStride !== undefined &&
      !(Number.isInteger(clipStride) && (clipStride as number) >= 1)
    ) {
      throw badMetadata('data_spec', 'clipStride must be a positive integer');
    }
    const fraction = heldOutFraction as number | undefined;
    if (fraction !== undefined && !(typeof fraction === 'number' && fraction > 0 && fraction < 1)) {
      throw badMetadata('data_spec', 'heldOutFraction must be between 0 and 1');
    }
    if (unknown.length > 0) throw badMetadata('data_spec', `unknown key ${quote(unknown[0])}`);
    return spec as unknown as DataSpec;
  }
  if (source !== 'moving-mnist') {
    throw badMetadata(
      'data_spec',
      `source must be "moving-mnist" or "video" (got ${describeValue(source)})`,
    );
  }
  try {
    // Unknown keys and bad values throw, naming data.<key>; frames and size are checked later
    // against the model.
    resolveMovingMnistOptions(options);
  } catch (error) {
    if (error instanceof ConfigError) throw badMetadata('data_spec', error.message);
    throw error;
  }
  return spec as unknown as DataSpec;
}

/** The run that the metadata describes, with its config checked against the catalog. */
function parseRun(metadata: Record<string, string>): CheckpointRun {
  const model = required(metadata, 'model');
  const entry = findModel(model);
  if (!entry) {
    throw new CheckpointError(
      'unknown-model',
      `This checkpoint is for model ${quote(model)}, which this app does not have (available: ${MODEL_KINDS.join(', ')})`,
    );
  }
  const variant = required(metadata, 'variant');
  if (!entry.variants.some((v) => v.id === variant)) {
    throw badMetadata('variant', `${quote(variant)} is not a ${model} variant`);
  }
  const preset = required(metadata, 'preset');
  if (!entry.presets.some((p) => p.id === preset)) {
    throw badMetadata('preset', `${quote(preset)} is not a ${model} preset`);
  }
  const run: CheckpointRun = {
    model: entry.kind,
    variant,
    preset,
    config: jsonObject(metadata, 'config'),
    data: parseDataSpec(metadata),
    seed: seedField(metadata, 'seed'),
  };
  try {
    checkpointRunSpec(run); // validates every config value through the model's schema
  } catch (error) {
    if (error instanceof ConfigError) throw badMetadata('config', error.message);
    throw error;
  }
  return run;
}

function parseDataset(metadata: Record<string, string>): DatasetFingerprint | undefined {
  if (metadata.dataset === undefined) return undefined;
  const value = jsonObject(metadata, 'dataset');
  const counts = ['frames', 'width', 'height', 'channels'] as const;
  if (typeof value.name !== 'string' || !counts.every((key) => Number.isSafeInteger(value[key]))) {
    throw badMetadata('dataset', 'must be {"name", "frames", "width", "height", "channels"}');
  }
  return value as unknown as DatasetFingerprint;
}

function parseHistory(metadata: Record<string, string>): HistoryPoint[] {
  if (metadata.history === undefined) return []; // optional: curves are a courtesy
  const history = historyFromJson(jsonObject(metadata, 'history'));
  if (!history)
    throw badMetadata(
      'history',
      'must be {"names": [...], "points": [[step, wallMs, ...values], ...]}',
    );
  return history;
}

/** The metadata of a checkpoint file, checked; reads no tensor data. */
export function readCheckpointInfo(bytes: ArrayBuffer | Uint8Array): CheckpointInfo {
  const header = parseSafetensorsHeader(bytes);
  const metadata = header.metadata;
  checkFormat(metadata);
  return {
    run: parseRun(metadata),
    step: nonNegativeInteger(metadata, 'step'),
    createdAt: metadata.created_at ?? '',
    producer: metadata.producer ?? '',
  };
}

/** A whole checkpoint, checked as far as it can be without a model (see `importState`). */
export function decodeCheckpoint(bytes: ArrayBuffer | Uint8Array): RunCheckpoint {
  const file = decodeSafetensors(bytes);
  const metadata = file.metadata;
  checkFormat(metadata);
  const run = parseRun(metadata);
  const step = nonNegativeInteger(metadata, 'step');
  const modelMeta = jsonObject(metadata, 'model_state');
  const dataMeta = jsonObject(metadata, 'data_state'); // checked by the stream that restores it
  const history = parseHistory(metadata);

  const tensors: Record<string, StateTensor> = {};
  const arrays: Record<string, Int32Array> = {};
  for (const [name, tensor] of file.tensors) {
    if (name.startsWith(DATA_PREFIX)) {
      if (tensor.dtype !== 'I32' || tensor.shape.length !== 1) {
        throw new CheckpointError(
          'dtype-mismatch',
          `Tensor ${quote(name)} must be a 1-D I32 tensor (got ${tensor.dtype} [${tensor.shape.join(', ')}])`,
        );
      }
      arrays[name.slice(DATA_PREFIX.length)] = tensor.data as Int32Array;
      continue;
    }
    if (tensor.dtype !== 'F32' && tensor.dtype !== 'I32') {
      throw new CheckpointError(
        'dtype-mismatch',
        `Tensor ${quote(name)} is ${tensor.dtype}; model state tensors are F32 or I32`,
      );
    }
    tensors[name] = {
      dtype: tensor.dtype === 'F32' ? 'float32' : 'int32',
      shape: tensor.shape,
      data: tensor.data as Float32Array | Int32Array,
    };
  }
  const bad = firstNonFinite(Object.entries(tensors));
  if (bad) {
    throw new CheckpointError(
      'non-finite-tensor',
      `Tensor ${quote(bad.name)} holds ${bad.value} at index ${bad.index}; a checkpoint's weights and optimiser state must be finite numbers (the run that wrote it had diverged)`,
    );
  }
  const dataset = parseDataset(metadata);
  return {
    run,
    step,
    model: { tensors, meta: modelMeta },
    data: { arrays, meta: dataMeta },
    ...(dataset ? { dataset } : {}),
    history,
    createdAt: metadata.created_at ?? '',
    producer: metadata.producer ?? '',
  };
}

// --- runs ------------------------------------------------------------------------------------------

/**
 * The run spec that rebuilds `run`: its model, variant and preset, with only the config keys that
 * differ from the preset as overrides. Throws a ConfigError naming the key of a value the model's
 * schema rejects, or one the variant fixes differently. Keys the checkpoint lacks (added to the
 * app after it was written) keep their preset values.
 */
export function checkpointRunSpec(run: CheckpointRun): CheckpointRunSpec {
  const entry = findModel(run.model);
  if (!entry) throw new ConfigError('model', `Unknown model ${quote(run.model)}`);
  const overrides = entry.restore(run.variant, run.preset, run.config).overrides();
  return {
    model: run.model,
    variant: run.variant,
    preset: run.preset,
    ...(Object.keys(overrides).length > 0 ? { config: overrides } : {}),
    data: run.data,
    seed: run.seed,
  };
}

/**
 * Config keys whose values differ between a run and a checkpoint, as readable text, except the
 * `ignored` ones (live hyperparameters, which the checkpoint restores). Keys the checkpoint lacks
 * are not differences (see `checkpointRunSpec`).
 */
export function configDifferences(
  current: Record<string, unknown>,
  saved: Record<string, unknown>,
  ignored: readonly string[] = [],
): string[] {
  const differences: string[] = [];
  for (const [key, value] of Object.entries(saved)) {
    if (ignored.includes(key) || Object.is(current[key], value)) continue;
    differences.push(
      `${excerpt(key)} is ${shortJson(current[key])} here, ${shortJson(value)} in the checkpoint`,
    );
  }
  return differences;
}

/** A file name for a checkpoint: `lstm-composite-tiny-step120.safetensors`. */
export function checkpointFileName(
  run: Pick<CheckpointRun, 'model' | 'variant' | 'preset'>,
  step: number,
): string {
  return `${run.model}-${run.variant}-${run.preset}-step${step}.safetensors`;
}
