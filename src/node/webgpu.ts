/**
 * WebGPU in Node through Dawn (the npm package `webgpu`, whose prebuilt binary ships inside the
 * package): installs `navigator.gpu` so tfjs's WebGPU backend can start. A hardware adapter is
 * preferred; without one, SwiftShader (shipped by Debian's chromium) serves as a software Vulkan
 * driver when it is installed.
 */
import { existsSync } from 'node:fs';
import type * as Dawn from 'webgpu';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Finds a WebGPU adapter and installs its `GPU` as `navigator.gpu` (and Dawn's GPU* globals, which
 * tfjs reads). Returns null when Dawn cannot load or no adapter exists. A VK_ICD_FILENAMES set by
 * the user is respected; otherwise `preferSoftware` goes straight to SwiftShader (tests want the
 * same software GPU everywhere), else the system's drivers are tried first.
 */
export async function installNodeWebGpu(
  options: { preferSoftware?: boolean } = {},
): Promise<GPU | null> {
  let dawn: typeof Dawn;
  try {
    dawn = await import('webgpu');
  } catch {
    return null; // no prebuilt Dawn binary for this platform
  }
  Object.assign(globalThis, dawn.globals); // GPUBufferUsage, GPUMapMode, … which tfjs reads
  const swiftShader = existsSync(SWIFTSHADER_ICD);
  const attempts: ('system' | 'swiftshader')[] = process.env.VK_ICD_FILENAMES
    ? ['system']
    : options.preferSoftware && swiftShader
      ? ['swiftshader']
      : ['system', ...(swiftShader ? (['swiftshader'] as const) : [])];
  for (const driver of attempts) {
    if (driver === 'swiftshader') {
      // Read when Dawn creates its Vulkan instance, i.e. by the next create().
      process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
      process.env.XDG_RUNTIME_DIR ??= '/tmp';
    }
    const gpu = dawn.create([]);
    if ((await gpu.requestAdapter()) === null) continue;
    const existing = (globalThis as { navigator?: object }).navigator;
    if (existing) Object.defineProperty(existing, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
    return gpu;
  }
  return null;
}
