/**
 * What kind of adapter a WebGPU backend runs on, for the two decisions that depend on it:
 *
 * - Speed: some kernels are chosen by adapter class, because a CPU-emulated GPU (SwiftShader,
 *   llvmpipe, WARP) and a real one reward opposite things — on an emulation every workgroup barrier
 *   switches between all of a workgroup's invocations, so few barrier-free invocations win; on a
 *   GPU the same kernels leave most of the chip idle. Both choices must compute the same values.
 * - Tests: `setKernelPathsOverride('hardware')` makes a software adapter take the paths a hardware
 *   adapter takes, so that every path is exercised (parity, one training step of every model) on a
 *   machine without a GPU. Correctness never depends on the class: only which kernel runs does.
 */

/** What adapters say about themselves (GPUAdapterInfo, a WebGL renderer string, or less). */
export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  description?: string;
  device?: string;
  isFallbackAdapter?: boolean;
}

const SOFTWARE_RENDERERS =
  /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|microsoft basic render|software rasterizer/i;

/** True for CPU-emulated GPUs: their timings say nothing about real hardware. */
export function isSoftwareAdapter(info: AdapterInfoLike): boolean {
  if (info.isFallbackAdapter === true) return true;
  const text = [info.vendor, info.architecture, info.description, info.device].join(' ');
  return SOFTWARE_RENDERERS.test(text);
}

export type KernelPaths = 'hardware' | 'software';

let pathsOverride: KernelPaths | null = null;

/** Forces the kernel paths of one adapter class (null: follow the adapter). For tests and benchmarks. */
export function setKernelPathsOverride(paths: KernelPaths | null): void {
  pathsOverride = paths;
}

/** The kernel paths a backend on an adapter described by `info` takes. */
export function kernelPathsFor(info: AdapterInfoLike | undefined): KernelPaths {
  if (pathsOverride !== null) return pathsOverride;
  return info !== undefined && isSoftwareAdapter(info) ? 'software' : 'hardware';
}
