/**
 * Picks the tfjs backend for a run: WebGPU, then WebGL, then CPU, recording why each one that was
 * tried before the winner failed, and describing the adapter so the UI can flag software GPUs
 * (SwiftShader, llvmpipe, WARP), whose timings mean little.
 *
 * tfjs quirk (see docs/webgpu-pitfalls.md §12): `tf.setBackend` returns false when a registered
 * backend fails to initialise, but throws when the backend was never registered — which is what
 * happens to 'webgpu' when `navigator.gpu` did not exist when tfjs-backend-webgpu was imported.
 *
 * When WebGPU wins, the rank ≥5 kernel workaround and the storage-buffer limit fix are installed
 * (rank5-workaround.ts, binding-limits.ts); the
 * enabled performance optimisations for the chosen backend are applied (optimizations.ts).
 * `WEBGPU_CPU_FORWARD` keeps its tfjs default (true: small ops on CPU-resident data run on the CPU,
 * which is faster for them); tests set it to false so that GPU bugs cannot hide.
 */
import * as tf from '@tensorflow/tfjs';
// Importing the package registers the webgpu kernels (and the backend, if navigator.gpu exists).
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { isSoftwareAdapter } from './adapter-class';
import type { AdapterInfoLike } from './adapter-class';
import type { AdapterSummary, BackendName, BackendReport } from './backend-types';
import { applyOptimizations } from './optimizations';
// Registers the custom kernel optimisations (installed below when enabled).
import './kernels';
import { installBindingLimits } from './binding-limits';
import { installRank5Workaround } from './rank5-workaround';

export type { AdapterSummary, BackendName, BackendReport } from './backend-types';
export { isSoftwareAdapter } from './adapter-class';
export type { AdapterInfoLike } from './adapter-class';

const DEFAULT_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'cpu'];

function webGpu(): GPU | null {
  // Feature-detect through globalThis: Node (before v21) has no navigator at all.
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return nav?.gpu ?? null;
}

/**
 * Which device limits the WebGPU factory requests. 'adapter': the adapter's own, which on real GPUs
 * are far above WebGPU's defaults (more storage buffers per shader, larger buffers and workgroups).
 * 'minimum': only the buffer sizes large tensors need, every other limit at WebGPU's guaranteed
 * minimum (8 storage buffers per shader stage, 16 KiB of workgroup memory, 256 invocations), so
 * tests prove the kernels fit any conforming adapter.
 */
export type DeviceLimits = 'adapter' | 'minimum';

let requestedLimits: DeviceLimits = 'adapter';
let factoryIsOurs = false;

/** Sets the limits the next WebGPU device is created with (takes effect at the next setBackend). */
export function setWebGpuDeviceLimits(limits: DeviceLimits): void {
  requestedLimits = limits;
}

function requiredLimits(limits: GPUSupportedLimits, kind: DeviceLimits): Record<string, number> {
  const buffers = {
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    maxBufferSize: limits.maxBufferSize,
    maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
  };
  if (kind === 'minimum') return buffers;
  return {
    ...buffers,
    maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
    maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
    maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
  };
}

/**
 * Registers this project's 'webgpu' backend factory in place of tfjs-backend-webgpu's (which the
 * package registers on import when navigator.gpu exists, and not at all when it appeared later, as
 * in Node). Ours also asks for the adapter's storage-buffer limit: tfjs's leaves it at WebGPU's
 * default of 8 per shader, which real GPUs exceed many times over. Returns whether WebGPU exists.
 */
export function ensureWebGpuBackendRegistered(): boolean {
  const registered = tf.findBackendFactory('webgpu') != null;
  if (registered && factoryIsOurs) return true;
  const gpu = webGpu();
  if (gpu === null) return false;
  if (registered) {
    // Already started by tfjs's factory: removing it would dispose its tensors. The kernels fit
    // the default limits anyway (see binding-limits.ts); only the headroom is lost.
    if (tf.engine().registry.webgpu !== undefined) return true;
    tf.removeBackend('webgpu');
  }
  tf.registerBackend(
    'webgpu',
    async () => {
      const adapter = await gpu.requestAdapter({
        powerPreference: tf.env().getBool('WEBGPU_USE_LOW_POWER_GPU')
          ? 'low-power'
          : 'high-performance',
      });
      if (adapter === null) throw new Error('navigator.gpu.requestAdapter() returned null');
      const device = await adapter.requestDevice({
        requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
        requiredLimits: requiredLimits(adapter.limits, requestedLimits),
      });
      return new WebGPUBackend(device, adapter.info);
    },
    3, // tfjs-backend-webgpu's own priority
  );
  factoryIsOurs = true;
  return true;
}

const message = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** Tries to make `name` the active backend; returns null on success, else why it failed. */
async function activate(name: BackendName): Promise<string | null> {
  if (name === 'webgpu' && !ensureWebGpuBackendRegistered()) {
    return 'WebGPU is not available here (no navigator.gpu)';
  }
  if (tf.findBackendFactory(name) == null) {
    return name === 'webgl'
      ? 'WebGL backend is not registered (tfjs registers it only in browsers and workers)'
      : `${name} backend is not registered`;
  }
  try {
    if (await tf.setBackend(name)) return null;
    // tfjs only logs the cause; the likely ones, per backend:
    return name === 'webgpu'
      ? 'WebGPU failed to initialise (no adapter, or the device request failed)'
      : name === 'webgl'
        ? 'WebGL failed to initialise (no WebGL context: canvas/OffscreenCanvas missing or GPU blocked)'
        : `${name} failed to initialise`;
  } catch (error) {
    return message(error);
  }
}

async function describeWebGpu(): Promise<AdapterSummary> {
  // tfjs declares these fields private, but they are plain data copied from GPUAdapterInfo.
  const backendInfo = (tf.backend() as WebGPUBackend).adapterInfo as unknown as
    { vendor?: string; architecture?: string } | undefined;
  let info: AdapterInfoLike = { ...backendInfo };
  try {
    // tfjs keeps only vendor/architecture; ask for the adapter again for the rest.
    const adapter = await webGpu()?.requestAdapter();
    if (adapter) info = adapterInfo(adapter);
  } catch {
    // Keep what the backend knew.
  }
  return summarize(info);
}

function adapterInfo(adapter: GPUAdapter): AdapterInfoLike {
  // isFallbackAdapter moved from GPUAdapter to GPUAdapterInfo; read it from either.
  const legacy = adapter as unknown as { isFallbackAdapter?: boolean };
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    device: info.device,
    isFallbackAdapter: info.isFallbackAdapter ?? legacy.isFallbackAdapter,
  };
}

function summarize(info: AdapterInfoLike): AdapterSummary {
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  return {
    description:
      info.description || [vendor, architecture].filter(Boolean).join(' ') || 'WebGPU adapter',
    vendor,
    architecture,
    isSoftware: isSoftwareAdapter(info),
  };
}

/**
 * The WebGPU adapter as selectBackend would describe it, without starting the WebGPU backend (no
 * device, no tfjs backend): null when there is no WebGPU or no adapter. A run decides from it
 * whether to start on WebGPU at all.
 */
export async function probeWebGpuAdapter(): Promise<AdapterSummary | null> {
  try {
    const adapter = await webGpu()?.requestAdapter();
    return adapter ? summarize(adapterInfo(adapter)) : null;
  } catch {
    return null;
  }
}

function describeWebGl(): AdapterSummary {
  const gl = (tf.backend() as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
  let renderer = 'WebGL';
  let vendor = '';
  if (gl) {
    const debug = gl.getExtension('WEBGL_debug_renderer_info');
    renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    vendor = String(gl.getParameter(debug ? debug.UNMASKED_VENDOR_WEBGL : gl.VENDOR));
  }
  return {
    description: renderer,
    vendor,
    architecture: '',
    isSoftware: isSoftwareAdapter({ vendor, description: renderer }),
  };
}

/**
 * Activates the first backend that works, in the order WebGPU → WebGL → CPU, or `preferred` first
 * and then the others in that order. Throws only if even the CPU backend fails.
 */
export async function selectBackend(preferred?: BackendName): Promise<BackendReport> {
  const order =
    preferred === undefined
      ? DEFAULT_ORDER
      : [preferred, ...DEFAULT_ORDER.filter((name) => name !== preferred)];
  const fallbacks: BackendReport['fallbacks'] = [];
  for (const backend of order) {
    const reason = await activate(backend);
    if (reason !== null) {
      fallbacks.push({ backend, reason });
      continue;
    }
    if (backend === 'webgpu') {
      installRank5Workaround();
      installBindingLimits();
    }
    applyOptimizations(backend);
    const adapter =
      backend === 'webgpu' ? await describeWebGpu() : backend === 'webgl' ? describeWebGl() : null;
    return { backend, adapter, fallbacks };
  }
  throw new Error(
    `No tfjs backend could be started: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`,
  );
}
