/**
 * Building blocks for `VideoModel.exportState()` / `importState()` (see the contract in types.ts):
 * snapshot tensors, check a state against what a model holds, then assign. Checking is complete
 * before anything is assigned, so a bad state never leaves a model half restored.
 */
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../checkpoint/errors';
import { isRandomState } from '../data/random';
import type { RandomState } from '../data/random';
import { ConfigError } from './config-schema';
import { describeValue, quote } from '../quote';
import type { Hyperparameters, ModelState, StateTensor } from './types';

/** What a state tensor must look like: a tfjs tensor or variable, or a plain description. */
export interface TensorSlot {
  shape: readonly number[];
  dtype: string;
}

/**
 * Reads tensors back as plain arrays. The values are fixed when this is called: clones share the
 * current data, and `assign` gives a variable new data rather than overwriting it.
 */
export function snapshotTensors(
  entries: ReadonlyArray<readonly [string, tf.Tensor]>,
): Promise<Record<string, StateTensor>> {
  const clones = entries.map(([name, tensor]) => [name, tf.clone(tensor)] as const);
  const read = async () => {
    try {
      const values = await Promise.all(clones.map(([, tensor]) => tensor.data()));
      const tensors: Record<string, StateTensor> = {};
      clones.forEach(([name, tensor], i) => {
        tensors[name] = {
          dtype: tensor.dtype === 'int32' ? 'int32' : 'float32',
          shape: [...tensor.shape],
          // A copy: the backend may hand out its own storage, which must never travel or change.
          data:
            tensor.dtype === 'int32' ? Int32Array.from(values[i]) : Float32Array.from(values[i]),
        };
      });
      return tensors;
    } finally {
      tf.dispose(clones.map(([, tensor]) => tensor));
    }
  };
  return read();
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/**
 * Throws a CheckpointError unless `state.tensors` holds exactly the `expected` names, each with the
 * expected dtype and shape and as many values as the shape has elements.
 */
export function checkStateTensors(
  state: ModelState,
  expected: ReadonlyArray<readonly [string, TensorSlot]>,
  model: string,
): void {
  const tensors = state.tensors ?? {};
  const names = new Set(expected.map(([name]) => name));
  for (const [name, slot] of expected) {
    const tensor = tensors[name];
    if (!tensor) {
      throw new CheckpointError(
        'missing-tensor',
        `The checkpoint has no tensor ${quote(name)}, which this ${model} model needs`,
      );
    }
    if (tensor.dtype !== slot.dtype) {
      throw new CheckpointError(
        'dtype-mismatch',
        `Tensor ${quote(name)} is ${describeValue(tensor.dtype)} in the checkpoint but ${slot.dtype} in this ${model} model`,
      );
    }
    const same =
      tensor.shape.length === slot.shape.length &&
      tensor.shape.every((d, i) => d === slot.shape[i]);
    if (!same) {
      throw new CheckpointError(
        'shape-mismatch',
        `Tensor ${quote(name)} has shape ${shapeText(tensor.shape)} in the checkpoint but ${shapeText(slot.shape)} in this ${model} model`,
      );
    }
    const count = slot.shape.reduce((a, b) => a * b, 1);
    if (tensor.data.length !== count) {
      throw new CheckpointError(
        'shape-mismatch',
        `Tensor ${quote(name)} holds ${tensor.data.length} values but its shape ${shapeText(slot.shape)} needs ${count}`,
      );
    }
  }
  for (const name of Object.keys(tensors)) {
    if (!names.has(name)) {
      throw new CheckpointError(
        'unexpected-tensor',
        `The checkpoint has a tensor ${quote(name)} that this ${model} model does not have`,
      );
    }
  }
}

/** Assigns checked state tensors to their variables. */
export function assignStateTensors(
  state: ModelState,
  variables: ReadonlyArray<readonly [string, tf.Variable]>,
): void {
  for (const [name, variable] of variables) {
    const { data, shape, dtype } = state.tensors[name];
    const value = tf.tensor(data, shape, dtype);
    variable.assign(value);
    value.dispose();
  }
}

function badState(message: string): CheckpointError {
  return new CheckpointError('bad-state', message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `meta[key]` as an object, or a CheckpointError naming the field. */
export function metaRecord(meta: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = meta?.[key];
  if (!isRecord(value)) throw badState(`Model state field "${key}" must be an object`);
  return value;
}

/** `record[key]` as a finite number in [min, max], or a CheckpointError naming the field. */
export function metaNumber(
  record: Record<string, unknown>,
  key: string,
  min = -Infinity,
  max = Infinity,
): number {
  const value = record?.[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw badState(
      `Model state field "${key}" must be a number in [${min}, ${max}] (got ${describeValue(value)})`,
    );
  }
  return value;
}

/** `record[key]` as a random-generator state, or a CheckpointError naming the field. */
export function metaRandomState(record: Record<string, unknown>, key: string): RandomState {
  const value = record?.[key];
  if (!isRandomState(value)) {
    throw badState(`Model state field "${key}" must be four integers in [0, 2^32)`);
  }
  return value;
}

/**
 * Restores the live hyperparameters from `meta.hyperparameters`: the same keys the model has, each
 * valid for it. Applies all or nothing (setHyperparameters validates before it assigns).
 */
export function restoreHyperparameters(
  model: { getHyperparameters(): Hyperparameters; setHyperparameters(v: Hyperparameters): void },
  meta: Record<string, unknown>,
): void {
  const values = metaRecord(meta, 'hyperparameters');
  const live = Object.keys(model.getHyperparameters()).sort();
  const saved = Object.keys(values).sort();
  if (live.join() !== saved.join()) {
    throw badState(
      `The checkpoint's hyperparameters (${saved.join(', ')}) are not this model's (${live.join(', ')})`,
    );
  }
  try {
    model.setHyperparameters(values as Hyperparameters);
  } catch (error) {
    if (error instanceof ConfigError) throw badState(`Saved hyperparameter: ${error.message}`);
    throw error;
  }
}
