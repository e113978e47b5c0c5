/**
 * The benchmark's off-vs-on measurement of each registered optimisation, with a fake optimisation
 * in the real registry (src/core/gpu/optimizations.ts) and a fake measurement that is faster while
 * the optimisation is installed.
 */
import { describe, expect, it } from 'vitest';
import { benchmarkOptimizations } from '../src/bench/optimization-bench';
import {
  isOptimizationEnabled,
  listOptimizations,
  registerOptimization,
  setOptimizationEnabled,
} from '../src/core/gpu/optimizations';
import type { ModelBenchRow } from '../src/core/train/benchmark';

/** A stand-in for a custom kernel: "installed" per backend, as a real one would register it. */
const installed = new Set<string>();
registerOptimization({
  id: 'fake-fast-matmul',
  description: 'A stand-in that halves the step time where it is installed',
  backends: ['webgpu'],
  install: (backend) => installed.add(backend),
  uninstall: (backend) => installed.delete(backend),
});
installed.add('webgpu'); // as selectBackend would have applied it

function cell(overrides: Partial<ModelBenchRow> = {}): ModelBenchRow {
  return {
    model: 'lstm',
    variant: 'composite',
    preset: 'tiny',
    backend: 'webgpu',
    batchSize: 8,
    framesPerExample: 20,
    parameters: 1,
    steps: 10,
    warmupSteps: 3,
    msPerStepMedian: 100,
    msPerStepMin: 100,
    msPerStepMax: 100,
    msPerStepP25: 100,
    msPerStepP75: 100,
    stepsPerSecond: 10,
    examplesPerSecond: 80,
    flopsPerStep: 1e9,
    gflopsPerSecond: 10,
    peakTensorBytes: 0,
    peakGpuBytes: null,
    peakGpuPoolBytes: null,
    dispatchesPerStep: null,
    uploadsPerStep: null,
    readsPerStep: null,
    ...overrides,
  };
}

/** 100 ms a step with the fake optimisation installed on the cell's backend, 200 without. */
const measured: string[] = [];
async function measure(row: ModelBenchRow): Promise<ModelBenchRow> {
  const fast = installed.has(row.backend);
  measured.push(`${row.preset}:${fast ? 'on' : 'off'}`);
  return cell({ ...row, msPerStepMedian: fast ? 100 : 200 });
}

describe('optimisation gains', () => {
  it('measures each cell with the optimisation off, then on again, and restores it', async () => {
    measured.length = 0;
    const rows = await benchmarkOptimizations(
      listOptimizations(),
      [cell(), cell({ preset: 'small' }), cell({ preset: 'broken', msPerStepMedian: NaN })],
      'webgpu',
      { measure, setEnabled: setOptimizationEnabled },
    );
    expect(measured).toEqual(['tiny:off', 'tiny:on', 'small:off', 'small:on']);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      id: 'fake-fast-matmul',
      preset: 'tiny',
      backend: 'webgpu',
      msPerStepOff: 200,
      msPerStepOn: 100,
      speedup: 2,
    });
    expect(isOptimizationEnabled('fake-fast-matmul')).toBe(true);
    expect(installed.has('webgpu')).toBe(true);
  });

  it('skips backends the optimisation does not apply to', async () => {
    const rows = await benchmarkOptimizations(
      listOptimizations(),
      [cell({ backend: 'cpu' })],
      'cpu',
      {
        measure,
        setEnabled: setOptimizationEnabled,
      },
    );
    expect(rows).toEqual([]);
  });

  it('switches the optimisation back on when a measurement fails', async () => {
    const failing = () => Promise.reject(new Error('device lost'));
    await expect(
      benchmarkOptimizations(listOptimizations(), [cell()], 'webgpu', {
        measure: failing,
        setEnabled: setOptimizationEnabled,
      }),
    ).rejects.toThrow('device lost');
    expect(isOptimizationEnabled('fake-fast-matmul')).toBe(true);
    expect(installed.has('webgpu')).toBe(true);
  });
});
