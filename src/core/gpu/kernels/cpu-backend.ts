/** What this project's CPU kernels use of tfjs's CPU backend: the arrays behind tensors. */
import type * as tf from '@tensorflow/tfjs';

export type CpuValues = Float32Array | Int32Array | Uint8Array;

export interface CpuBackendLike {
  data: { get(dataId: object): { values: CpuValues } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: CpuValues): tf.TensorInfo;
}
