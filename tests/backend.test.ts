/**
 * Backend selection in Node, where neither WebGPU (no navigator.gpu here) nor WebGL (tfjs registers
 * it only in browsers) exists: selection must fall back to the CPU and say why.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { isSoftwareAdapter, selectBackend } from '../src/core/gpu/backend';
import { createGpuGuard } from '../src/core/gpu/gpu-guard';

describe('isSoftwareAdapter', () => {
  it.each([
    [{ vendor: 'google', architecture: 'swiftshader' }, true],
    [{ description: 'SwiftShader driver 5.0.0', vendor: 'google' }, true],
    [
      { description: 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)))' },
      true,
    ],
    [{ description: 'llvmpipe (LLVM 15.0.7, 256 bits)', vendor: 'mesa' }, true],
    [{ description: 'lavapipe', vendor: 'mesa' }, true],
    [{ description: 'Microsoft Basic Render Driver', vendor: 'microsoft' }, true],
    [{ vendor: 'microsoft', architecture: 'warp' }, true],
    [{ vendor: 'nvidia', architecture: 'ada', isFallbackAdapter: true }, true],
    [{ vendor: 'nvidia', architecture: 'ada', description: 'NVIDIA GeForce RTX 4090' }, false],
    [{ vendor: 'apple', architecture: 'metal-3' }, false],
    [{ vendor: 'intel', architecture: 'gen-12lp' }, false],
    [
      { description: 'ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0, D3D11)' },
      false,
    ],
    [{}, false],
  ])('%o → %s', (info, expected) => {
    expect(isSoftwareAdapter(info)).toBe(expected);
  });
});

describe('selectBackend in Node', () => {
  it('gives the CPU when asked for it', async () => {
    const report = await selectBackend('cpu');
    expect(report).toEqual({ backend: 'cpu', adapter: null, fallbacks: [] });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('falls back WebGPU → WebGL → CPU and records each reason', async () => {
    const report = await selectBackend();
    expect(report.backend).toBe('cpu');
    expect(report.adapter).toBeNull();
    expect(report.fallbacks.map((f) => f.backend)).toEqual(['webgpu', 'webgl']);
    expect(report.fallbacks[0].reason).toMatch(/navigator\.gpu/);
    expect(report.fallbacks[1].reason).toMatch(/WebGL/);
  });

  it('tries the preferred backend first, then the usual order', async () => {
    const report = await selectBackend('webgl');
    expect(report.backend).toBe('cpu');
    expect(report.fallbacks.map((f) => f.backend)).toEqual(['webgl', 'webgpu']);
  });
});

describe('GpuGuard off WebGPU', () => {
  it('just runs the function', async () => {
    await tf.setBackend('cpu');
    const guard = createGpuGuard();
    await expect(guard.run(async () => 42)).resolves.toBe(42);
    await expect(
      guard.run(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});
