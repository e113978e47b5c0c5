/**
 * What a training step asks of the host and the GPU besides arithmetic: WebGPU dispatches (one per
 * program run), CPU→GPU uploads of values and GPU→CPU reads. Each costs the same on every adapter
 * — tens of microseconds of driver and queue work however fast the GPU — so on a real GPU a small
 * model's step is bound by their number, not by its FLOPs. Counted by wrapping the active
 * backend's methods while `f` runs; the counts are the same on a software and a hardware adapter.
 */
import * as tf from '@tensorflow/tfjs';

export interface StepWork {
  /** WebGPU programs dispatched (null on other backends, which have no dispatches). */
  dispatches: number | null;
  /** Tensor values written from the CPU (the batch included); null where not counted (CPU). */
  uploads: number | null;
  /** Synchronous and asynchronous reads back to the CPU (a step's final loss read included). */
  reads: number;
}

type Method = (...args: unknown[]) => unknown;

/** Runs `f` with the active backend's dispatches, uploads and reads counted into `into`. */
export async function countingWork<T>(into: StepWork, f: () => Promise<T>): Promise<T> {
  const backend = tf.backend() as unknown as Record<string, unknown>;
  const webgpu = tf.getBackend() === 'webgpu';
  const patched = ['read', 'readSync', 'write', ...(webgpu ? ['runWebGPUProgram'] : [])];
  const originals = patched.map((name) => backend[name] as Method);
  const own = patched.map((name) => Object.prototype.hasOwnProperty.call(backend, name));
  let inRead = false; // a backend's read() may call its own readSync(): count the outer call
  patched.forEach((name, i) => {
    const original = originals[i];
    backend[name] = function (this: unknown, ...args: unknown[]) {
      if (name === 'runWebGPUProgram') {
        into.dispatches = (into.dispatches ?? 0) + 1;
        return original.apply(this, args);
      }
      // write() also allocates program outputs (no values): only writes of values upload.
      if (name === 'write') {
        if (args[0] != null && tf.getBackend() !== 'cpu') into.uploads = (into.uploads ?? 0) + 1;
        return original.apply(this, args);
      }
      if (inRead) return original.apply(this, args);
      into.reads++;
      inRead = true;
      try {
        return original.apply(this, args);
      } finally {
        inRead = false;
      }
    };
  });
  try {
    return await f();
  } finally {
    patched.forEach((name, i) => {
      // The patch is an own property shadowing the prototype's method: deleting restores it.
      if (own[i]) backend[name] = originals[i];
      else delete backend[name];
    });
  }
}

/** A zeroed count for the active backend (dispatches and uploads null where they do not apply). */
export function emptyWork(): StepWork {
  const backend = tf.getBackend();
  return {
    dispatches: backend === 'webgpu' ? 0 : null,
    uploads: backend === 'cpu' ? null : 0,
    reads: 0,
  };
}

/** Counts what one call of `step` does. */
export async function countStepWork(step: () => Promise<unknown>): Promise<StepWork> {
  const work = emptyWork();
  await countingWork(work, step);
  return work;
}
