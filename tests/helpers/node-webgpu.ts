/**
 * WebGPU for Vitest in Node: Dawn's Node bindings (npm `webgpu`) stand in for navigator.gpu, with
 * SwiftShader (shipped by Debian's chromium) as the Vulkan driver when no GPU is present.
 * `setupNodeWebGpu()` makes 'webgpu' the active tfjs backend, with the enabled performance
 * optimisations installed as `selectBackend` installs them (custom kernels: tests run what the app
 * runs), and returns false when no adapter is available, so that suites can
 * `describe.skipIf(!hasWebGpu)`.
 *
 * `VMP_KERNEL_PATHS=hardware npx vitest run …` runs WebGPU suites on the kernel paths a hardware
 * adapter takes (see src/core/gpu/adapter-class.ts), on this machine's software adapter.
 */
import * as tf from '@tensorflow/tfjs';
import { setKernelPathsOverride } from '../../src/core/gpu/adapter-class';
import { ensureWebGpuBackendRegistered } from '../../src/core/gpu/backend';
import { installBindingLimits } from '../../src/core/gpu/binding-limits';
import { applyOptimizations } from '../../src/core/gpu/optimizations';
import { installNodeWebGpu } from '../../src/node/webgpu';

export async function setupNodeWebGpu(): Promise<boolean> {
  if ((await installNodeWebGpu({ preferSoftware: true })) === null) return false;
  ensureWebGpuBackendRegistered();
  // By default tfjs runs small ops on the CPU, which would hide the GPU bugs under test.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  try {
    if (!(await tf.setBackend('webgpu'))) return false;
  } catch {
    return false;
  }
  const paths = process.env.VMP_KERNEL_PATHS;
  if (paths === 'hardware' || paths === 'software') setKernelPathsOverride(paths);
  installBindingLimits();
  applyOptimizations('webgpu');
  return true;
}
