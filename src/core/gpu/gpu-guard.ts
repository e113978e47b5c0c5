/**
 * Turns WebGPU errors into thrown errors. tfjs never checks for them: when a shader fails to
 * compile (e.g. the rank ≥5 "cannot index type 'vec5'" bug, docs/webgpu-pitfalls.md §1) the whole
 * batched command buffer is dropped and every read returns stale data — a run would go on training
 * on wrong numbers. `run` wraps one unit of GPU work (a training step, an evaluation) in
 * validation / out-of-memory / internal error scopes and throws `GpuError` if any error was
 * reported; errors raised outside a run (`uncapturederror`) and device loss are thrown by the next
 * run. On other backends `run` just calls the function.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

export type GpuErrorKind = 'validation' | 'out-of-memory' | 'internal' | 'device-lost';

export class GpuError extends Error {
  override readonly name = 'GpuError';

  constructor(
    readonly kind: GpuErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface GpuGuard {
  /** Runs `fn` and throws `GpuError` if the GPU reported an error meanwhile (or before). */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Stops listening to the device. */
  dispose(): void;
}

const SCOPES = ['validation', 'out-of-memory', 'internal'] as const;

function gpuErrorKind(error: GPUError): GpuErrorKind {
  // By class name: the GPU*Error globals may be missing where WebGPU is polyfilled (Node tests).
  const name = error.constructor.name;
  if (name === 'GPUOutOfMemoryError') return 'out-of-memory';
  if (name === 'GPUInternalError') return 'internal';
  return 'validation';
}

const describe = (error: GPUError): string => error.message.split('\n')[0] ?? error.message;

function activeWebGpuBackend(): WebGPUBackend | null {
  return tf.getBackend() === 'webgpu' ? (tf.backend() as WebGPUBackend) : null;
}

/**
 * tfjs batches dispatches and submits them later; submit them now so that errors they raise
 * (e.g. "Invalid CommandBuffer") land inside this run's scopes.
 */
function flush(backend: WebGPUBackend): void {
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
}

export function createGpuGuard(): GpuGuard {
  let device: GPUDevice | null = null;
  let pending: GpuError | null = null; // an uncaptured error not yet thrown
  let lost: GpuError | null = null; // sticky: a lost device never comes back
  let running = false;

  const onUncaptured = (event: Event): void => {
    const { error } = event as GPUUncapturedErrorEvent;
    pending ??= new GpuError(gpuErrorKind(error), `WebGPU error: ${describe(error)}`);
  };

  function watch(next: GPUDevice): void {
    if (device === next) return;
    device?.removeEventListener('uncapturederror', onUncaptured);
    device = next;
    pending = null;
    lost = null;
    next.addEventListener('uncapturederror', onUncaptured);
    void next.lost.then((info) => {
      if (device === next) {
        lost = new GpuError('device-lost', `WebGPU device lost (${info.reason}): ${info.message}`);
      }
    });
  }

  function throwReported(): void {
    if (lost) throw lost;
    const error = pending;
    pending = null;
    if (error) throw error;
  }

  return {
    async run<T>(fn: () => Promise<T>): Promise<T> {
      const backend = activeWebGpuBackend();
      if (backend === null) return fn();
      // Error scopes are a per-device stack: overlapping runs would pop each other's scopes.
      if (running) throw new Error('GpuGuard.run calls must not overlap');
      const gpu = backend.device;
      watch(gpu);
      throwReported();

      running = true;
      let result: T | undefined;
      let failure: { error: unknown } | null = null;
      const errors: (GPUError | null)[] = [];
      try {
        for (const filter of SCOPES) gpu.pushErrorScope(filter);
        try {
          result = await fn();
        } catch (error) {
          failure = { error };
        }
        try {
          flush(backend);
        } catch (error) {
          failure ??= { error };
        }
        for (let i = SCOPES.length - 1; i >= 0; i--) {
          // Rejects only when the device is gone, which `lost` reports below.
          errors[i] = await gpu.popErrorScope().catch(() => null);
        }
      } finally {
        running = false;
      }

      if (lost) throw lost;
      const index = errors.findIndex((error) => error !== null);
      const captured = errors[index];
      if (captured) {
        throw new GpuError(
          SCOPES[index],
          `WebGPU ${SCOPES[index]} error: ${describe(captured)}`,
          failure ? { cause: failure.error } : undefined,
        );
      }
      throwReported();
      if (failure) throw failure.error;
      return result as T;
    },

    dispose(): void {
      device?.removeEventListener('uncapturederror', onUncaptured);
      device = null;
    },
  };
}
