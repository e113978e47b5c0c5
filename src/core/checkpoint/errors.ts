/** Why a checkpoint file was refused: one error type with a machine-readable `problem`. */

export type CheckpointProblem =
  | 'not-safetensors' // not the safetensors layout at all (e.g. an image or a text file)
  | 'truncated' // the header or the tensor data ends early
  | 'bad-header' // safetensors layout, but the JSON header breaks the format's rules
  | 'unsupported-dtype' // a dtype this app does not read
  | 'not-a-checkpoint' // valid safetensors without this app's checkpoint metadata
  | 'newer-format' // written by a newer version of the format
  | 'bad-metadata' // a metadata field is missing or invalid
  | 'unknown-model' // a model kind this build does not have
  | 'wrong-model' // a checkpoint of another model than the run's
  | 'incompatible-config' // the run's config differs from the checkpoint's
  | 'other-data' // trained on other data (Moving MNIST vs. a dataset, or another dataset)
  | 'missing-tensor'
  | 'unexpected-tensor'
  | 'shape-mismatch'
  | 'dtype-mismatch'
  | 'bad-state' // a model or data-stream state value is malformed
  | 'non-finite-tensor'; // a weight or optimiser value is NaN or ±Inf

/** A run's state holds NaN or ±Inf, so it is not written as a checkpoint (nothing could load it). */
export class NonFiniteStateError extends Error {
  override readonly name = 'NonFiniteStateError';
}

export class CheckpointError extends Error {
  constructor(
    readonly problem: CheckpointProblem,
    message: string,
  ) {
    super(message);
    this.name = 'CheckpointError';
  }
}
