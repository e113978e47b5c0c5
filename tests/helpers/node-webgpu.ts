/**
 * WebGPU for Vitest in Node: Dawn's Node bindings (npm `webgpu`) stand in for navigator.gpu, with
 * SwiftShader (shipped by Debian's chromium) as the Vulkan driver when no GPU is present.
 * `setupNodeWebGpu()` makes 'webgpu' the active tfjs backend and returns false when no adapter is
 * available, so that suites can `describe.skipIf(!hasWebGpu)`.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { ensureWebGpuBackendRegistered } from '../../src/core/gpu/backend';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export async function setupNodeWebGpu(): Promise<boolean> {
  // Must be set before Dawn creates its Vulkan instance.
  if (existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;
    process.env.XDG_RUNTIME_DIR ??= '/tmp';
  }
  let gpu: GPU;
  try {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals); // GPUBufferUsage, GPUMapMode, … which tfjs reads
    gpu = create([]);
  } catch {
    return false; // no prebuilt Dawn binary for this platform
  }
  const existing = (globalThis as { navigator?: object }).navigator;
  if (existing) Object.defineProperty(existing, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });

  if ((await gpu.requestAdapter()) === null) return false;
  ensureWebGpuBackendRegistered();
  // By default tfjs runs small ops on the CPU, which would hide the GPU bugs under test.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  try {
    return await tf.setBackend('webgpu');
  } catch {
    return false;
  }
}
