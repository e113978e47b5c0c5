/**
 * The CPU backend's fused Adam kernels (optimisation cpu-fused-adam in gpu/kernels/adam.ts) give
 * composed Adam's m′, v′ and w′ in both forms, with a gradient scale, decay, update clip and
 * masked NaN/Inf; they are on by default, and switched off the models compose Adam again.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CPU_ADAM_OPTIMIZATION,
  adamKernelReady,
  adamUpdate,
  packMoments,
} from '../src/core/gpu/kernels/adam';
import { isOptimizationEnabled, setOptimizationEnabled } from '../src/core/gpu/optimizations';
import { ADAM_CASES, adamInputs, composedAdam } from './helpers/adam';
import { maxAbs, maxAbsDiff } from './helpers/arrays';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('fused Adam on the CPU backend', () => {
  it.each(ADAM_CASES)('equals composed Adam: $name', async ({ settings, shape, scaled }) => {
    const { w, g, m, v, full } = adamInputs(shape, settings, scaled);
    const next = adamUpdate(w, g, packMoments(m, v), full);
    const fused = [...tf.unstack(next.moments), next.w];
    const composed = composedAdam(w, g, m, v, full);
    for (let k = 0; k < 3; k++) {
      const [ours, reference] = await Promise.all([fused[k].data(), composed[k].data()]);
      expect(ours.every(Number.isFinite), `output ${k} finite`).toBe(true);
      expect(maxAbsDiff(ours, reference), `output ${k}`).toBeLessThan(
        1e-5 * maxAbs(reference) + 1e-7,
      );
    }
    // The update moved w: a kernel that returned w unchanged would fail here.
    expect(maxAbsDiff(await next.w.data(), await w.data())).toBeGreaterThan(0);
  });

  it('is on by default; switched off, no kernel is there to run', () => {
    expect(isOptimizationEnabled(CPU_ADAM_OPTIMIZATION)).toBe(true);
    expect(adamKernelReady()).toBe(true);
    setOptimizationEnabled(CPU_ADAM_OPTIMIZATION, false, 'cpu');
    try {
      expect(adamKernelReady()).toBe(false);
    } finally {
      setOptimizationEnabled(CPU_ADAM_OPTIMIZATION, true, 'cpu');
    }
    expect(adamKernelReady()).toBe(true);
  });
});
