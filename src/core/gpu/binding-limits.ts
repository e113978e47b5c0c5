/**
 * Keeps tfjs-backend-webgpu's kernels within the device's storage-buffer limit.
 *
 * A WebGPU compute shader may bind at most `maxStorageBuffersPerShaderStage` storage buffers: 8
 * unless the device was created with more (real GPUs allow 16 or more when asked; see
 * `ensureWebGpuBackendRegistered`). tfjs's `AddN` binds one buffer per input plus the output, so
 * adding 8 or more tensors at once (e.g. the squared norms of every weight's gradient, for global
 * norm clipping) fails validation on a device with the default limit — and tfjs does not check,
 * so the whole batched command buffer is dropped (a GPU validation error). `Concat` splits itself;
 * `AddN` is wrapped here to add at most limit − 1 inputs per dispatch, then add the partial sums.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

const BACKEND = 'webgpu';

/** Splits `items` into consecutive groups of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += size) groups.push(items.slice(i, i + size));
  return groups;
}

function limitedAddN(addN: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as WebGPUBackend;
    const maxInputs = backend.device.limits.maxStorageBuffersPerShaderStage - 1;
    let inputs = args.inputs as unknown as TensorInfo[];
    if (inputs.length <= maxInputs) return addN(args);
    const partials: TensorInfo[] = [];
    while (inputs.length > maxInputs) {
      const next = chunk(inputs, maxInputs).map((group) =>
        group.length === 1 ? group[0] : (addN({ ...args, inputs: group as never }) as TensorInfo),
      );
      partials.push(...next.filter((t) => !inputs.includes(t)));
      inputs = next;
    }
    const sum = addN({ ...args, inputs: inputs as never }) as TensorInfo;
    for (const t of partials) backend.disposeData(t.dataId);
    return sum;
  };
}

let installed = false;

/** Wraps the kernels that could exceed the binding limit (idempotent). */
export function installBindingLimits(): void {
  if (installed) return;
  const config = tf.getKernel(tf.AddN, BACKEND);
  if (config === undefined) return;
  installed = true;
  tf.unregisterKernel(tf.AddN, BACKEND);
  tf.registerKernel({ ...config, kernelFunc: limitedAddN(config.kernelFunc) });
}
