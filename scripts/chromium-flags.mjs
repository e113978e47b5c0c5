/**
 * Headless Chromium that gives a working (software, SwiftShader) WebGPU adapter in pages and
 * dedicated workers on machines without a GPU. Shared by the browser tests and the benchmark so
 * both measure the same browser. Why each WebGPU flag is needed:
 * docs/webgpu-pitfalls.md, "Testing WebGPU without a GPU".
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
