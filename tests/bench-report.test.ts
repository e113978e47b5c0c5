/**
 * The benchmark's statistics, targets, comparison with a previous run and printed report
 * (src/core/train/stats.ts, src/bench/report.ts), and the per-cell time budget of the plan.
 */
import { describe, expect, it } from 'vitest';
import { overBudget } from '../src/bench/run-plan';
import {
  compareModels,
  evaluateTargets,
  fastestConsumption,
  formatReport,
  percent,
  table,
  workTarget,
} from '../src/bench/report';
import type { BenchRecord } from '../src/bench/report';
import type { MemoryCheckRow } from '../src/bench/memory-check';
import type { ModelBenchRow } from '../src/core/train/benchmark';
import { quantile, relativeChange, summarize, throughput } from '../src/core/train/stats';
import { resolveLstmConfig } from '../src/core/models/lstm/config';
import { lstmTrainStepFlops } from '../src/core/models/lstm/flops';

describe('statistics', () => {
  it('summarizes timings: median, quartiles, extremes', () => {
    expect(summarize([5, 1, 3])).toEqual({ n: 3, median: 3, min: 1, max: 5, p25: 2, p75: 4 });
    const even = summarize([4, 1, 3, 2]);
    expect(even.median).toBe(2.5);
    expect(even.p25).toBeCloseTo(1.75);
    expect(even.p75).toBeCloseTo(3.25);
    expect(summarize([]).median).toBeNaN();
    expect(quantile([10], 0.9)).toBe(10);
  });

  it('computes throughput between step ends, skipping the first steps', () => {
    // Steps end at 100, 200, 300, 400 ms: after skipping one, 2 steps in 200 ms.
    expect(throughput([100, 200, 300, 400], 1)).toBeCloseTo(10);
    expect(throughput([100, 150, 300, 400], 0)).toBeCloseTo(10);
    expect(throughput([100], 0)).toBeNaN();
  });

  it('computes relative changes', () => {
    expect(relativeChange(100, 110)).toBeCloseTo(0.1);
    expect(relativeChange(100, 80)).toBeCloseTo(-0.2);
    expect(relativeChange(undefined, 80)).toBeNaN();
    expect(relativeChange(0, 80)).toBeNaN();
    expect(percent(0.104)).toBe('+10%');
    expect(percent(-0.2)).toBe('−20%');
    expect(percent(0.001)).toBe('±0%');
    expect(percent(NaN)).toBe('–');
  });
});

function row(overrides: Partial<ModelBenchRow> = {}): ModelBenchRow {
  return {
    model: 'lstm',
    variant: 'composite',
    preset: 'tiny',
    backend: 'cpu',
    batchSize: 8,
    framesPerExample: 20,
    parameters: 445_760,
    steps: 10,
    warmupSteps: 3,
    msPerStepMedian: 100,
    msPerStepMin: 90,
    msPerStepMax: 130,
    msPerStepP25: 95,
    msPerStepP75: 110,
    stepsPerSecond: 10,
    examplesPerSecond: 80,
    flopsPerStep: 2e8,
    gflopsPerSecond: 2,
    peakTensorBytes: 5 * 2 ** 20,
    peakGpuBytes: null,
    peakGpuPoolBytes: null,
    dispatchesPerStep: null,
    uploadsPerStep: null,
    readsPerStep: null,
    ...overrides,
  };
}

function memoryCheck(overrides: Partial<MemoryCheckRow> = {}): MemoryCheckRow {
  const sample = { step: 200, pool: 64 * 2 ** 20, inUse: 10 * 2 ** 20, tensors: 120, bytes: 1e6 };
  return {
    spec: { model: 'lstm', variant: 'composite', preset: 'tiny', backend: 'webgpu' },
    backend: 'webgpu',
    stepsPlanned: 1000,
    steps: 1000,
    warmupSteps: 200,
    evaluations: 10,
    samples: 20,
    msPerStep: 50,
    baseline: sample,
    final: { ...sample, step: 1000 },
    peak: { pool: sample.pool, tensors: 120 },
    poolGrowthBytes: 0,
    tensorGrowth: 0,
    trace: [sample],
    ...overrides,
  };
}

function record(overrides: Partial<BenchRecord> = {}): BenchRecord {
  return {
    version: 2,
    date: '2026-12-01T20:00:00.000Z',
    machine: {
      cpu: 'AMD EPYC',
      cores: 2,
      memoryGiB: 24,
      loadBefore: [0.5, 0.6, 0.7],
      loadAfter: [1.5, 1.2, 0.9],
    },
    userAgent: 'HeadlessChrome/156',
    adapters: { webgpu: 'SwiftShader (software)', cpu: 'CPU' },
    plan: {},
    models: [row(), row({ backend: 'webgpu', msPerStepMedian: 400, examplesPerSecond: 20 })],
    optimizations: [],
    modelBenchmarks: [],
    generator: { name: 'Moving MNIST', sequencesPerSecond: 1000, framesPerSecond: 20_000 },
    decode: {
      clip: '720p',
      codec: 'H.264',
      target: '64×64 gray',
      frames: 60,
      runs: 3,
      msMedian: 250,
      framesPerSecond: 240,
    },
    memory: [memoryCheck()],
    overhead: {
      model: 'lstm',
      variant: 'composite',
      preset: 'tiny',
      backend: 'cpu',
      config: { evalEvery: 1_000_000 },
      segmentSteps: 15,
      appRounds: [9.7, 9.5, 9.9],
      bareRounds: [10, 10.2, 10.1],
      roundRatios: [0.931, 0.96, 0.98],
      ratio: 0.96,
      twin: { rounds: [10.1, 10.3, 9.9], roundRatios: [0.98, 1.01, 1.01], ratio: 1.01 },
    },
    responsiveness: {
      runs: ['lstm/composite/tiny (cpu)', 'vgan/two-stream/tiny (cpu)'],
      backend: 'cpu',
      seconds: 20,
      views: ['run', 'compare'],
      longTasks: 0,
      longestTaskMs: 0,
      framesPerSecond: 58,
      longestFrameMs: 40,
      steps: [150, 40],
    },
    ...overrides,
  };
}

const verdicts = (r: BenchRecord) => evaluateTargets(r).map((t) => t.pass);

describe('targets', () => {
  it('passes every target of a good run', () => {
    expect(verdicts(record())).toEqual([true, true, true, true, false]);
    // The decoder: 240 frames/s against 80 examples/s × 20 frames = 1600 consumed: too slow.
    const decoder = evaluateTargets(record()).at(-1);
    expect(decoder?.measured).toContain('0.1×');
  });

  it('compares the data sources with the fastest consumption (examples/s × frames)', () => {
    const fastest = fastestConsumption(record().models);
    expect(fastest?.row.backend).toBe('cpu');
    expect(fastest?.framesPerSecond).toBe(1600);
    const generator = evaluateTargets(record()).find((t) => t.name.includes('generator'));
    expect(generator?.pass).toBe(true); // 20,000 ≥ 10 × 1,600
    const slow = record({
      generator: { name: 'g', sequencesPerSecond: 700, framesPerSecond: 14_000 },
    });
    expect(evaluateTargets(slow).find((t) => t.name.includes('generator'))?.pass).toBe(false);
  });

  it('fails on overhead, long tasks, pool or tensor growth and incomplete memory runs', () => {
    const base = record();
    const worse = record({
      overhead: { ...(base.overhead as NonNullable<BenchRecord['overhead']>), ratio: 0.9 },
      responsiveness: {
        ...(base.responsiveness as NonNullable<BenchRecord['responsiveness']>),
        longTasks: 2,
        longestTaskMs: 80,
      },
      memory: [
        memoryCheck({ poolGrowthBytes: 4096 }),
        memoryCheck({ tensorGrowth: 3 }),
        memoryCheck({ steps: 600 }),
      ],
    });
    expect(verdicts(worse).slice(0, 5)).toEqual([false, false, false, false, false]);
    expect(evaluateTargets(worse)[1].measured).toContain('longest 80 ms');
  });

  it('checks the dispatch and upload targets of WebGPU cells: the VGAN capped, the others halved', () => {
    const counted = (overrides: Partial<ModelBenchRow>) =>
      row({ backend: 'webgpu', dispatchesPerStep: 300, uploadsPerStep: 4, ...overrides });
    const work = (rows: ModelBenchRow[]) =>
      evaluateTargets(record({ models: rows })).filter((t) => t.name.includes('dispatches'));
    expect(workTarget({ model: 'lstm', variant: 'composite', preset: 'tiny' })).toEqual({
      maxDispatches: 374,
      maxUploads: null,
    });
    expect(workTarget({ model: 'lstm', variant: 'composite', preset: 'medium' })).toBeNull();
    const results = work([
      counted({}), // lstm/composite/tiny: 300 ≤ 374
      counted({ preset: 'small', dispatchesPerStep: 400 }), // > 374
      counted({ model: 'vgan', variant: 'two-stream', dispatchesPerStep: 400, uploadsPerStep: 10 }),
      counted({ model: 'vgan', variant: 'two-stream', dispatchesPerStep: 380, uploadsPerStep: 11 }),
      counted({ backend: 'cpu', dispatchesPerStep: null, uploadsPerStep: null }), // no target
    ]);
    expect(results.map((t) => t.pass)).toEqual([true, false, true, false]);
    expect(results[3].measured).toBe('380 dispatches, 11 uploads');
  });

  it('says what was not measured', () => {
    const none = record({
      overhead: null,
      responsiveness: null,
      memory: [memoryCheck({ poolGrowthBytes: null, backend: 'cpu' })],
      decode: null,
    });
    expect(verdicts(none)).toEqual([null, null, null, true, null]);
  });
});

describe('comparison with the previous run', () => {
  it('matches cells by model, variant, preset and backend', () => {
    const previous = record({ models: [row({ msPerStepMedian: 80 }), row({ preset: 'small' })] });
    const changes = compareModels(previous, record());
    expect([...changes.keys()]).toEqual(['lstm/composite/tiny@cpu']);
    expect(changes.get('lstm/composite/tiny@cpu')?.change).toBeCloseTo(0.25);
    expect(compareModels(null, record()).size).toBe(0);
  });
});

describe('report', () => {
  it('prints the machine, the table, the data, the app and the targets', () => {
    const text = formatReport(record(), record({ models: [row({ msPerStepMedian: 80 })] }));
    expect(text).toContain('Machine: 2× AMD EPYC, 24 GiB; load average 0.50 / 0.60 / 0.70');
    expect(text).toContain('Adapter (webgpu): SwiftShader (software)');
    expect(text).toMatch(
      /\| lstm\/composite\/tiny +\| cpu +\| 8 +\| 445,760 +\| 100\.0 +\| 90\.0–130\.0 /,
    );
    expect(text).toContain('+25% (was 80.0)');
    expect(text).toContain('No optimisation is registered');
    const skipped = formatReport(record({ plan: { optimizations: false } }), null);
    expect(skipped).toContain('Not measured in this run (--no-optimizations).');
    expect(skipped).not.toContain('No optimisation is registered');
    expect(text).toContain('1000 sequences/s = 20000 frames/s');
    expect(text).toContain('ratio 0.960');
    expect(text).toMatch(/\| app overhead ratio ≥ 0\.95 +\| 0\.960 .*\| PASS +\|/);
    expect(text).toMatch(/\| video decoder .*\| FAIL +\|/);
  });

  it('lists each optimisation with its speed-up', () => {
    const text = formatReport(
      record({
        optimizations: [
          {
            id: 'fake-fused-cell',
            description: 'a fused LSTM cell',
            model: 'lstm',
            variant: 'composite',
            preset: 'tiny',
            backend: 'webgpu',
            msPerStepOff: 300,
            msPerStepOn: 200,
            speedup: 1.5,
          },
        ],
      }),
    );
    expect(text).toMatch(
      /\| fake-fused-cell +\| lstm\/composite\/tiny +\| webgpu +\| 300\.0 +\| 200\.0 +\| 1\.50× /,
    );
    expect(text).not.toContain('vs previous');
  });

  it('reports the time to the first step of each start against the 10 s target', () => {
    const start = { variant: 'composite', preset: 'tiny', error: null, loadAverage: 3.5 };
    const text = formatReport(
      record({
        firstStep: [
          { ...start, model: 'lstm', seconds: 6.25, backend: 'cpu' },
          { ...start, model: 'vgan', variant: 'two-stream', seconds: 12.5, backend: 'cpu' },
          {
            ...start,
            model: 'rcnn',
            variant: 'recurrent',
            seconds: null,
            backend: null,
            error: 'Run r3 did not reach step 1 within 180000 ms',
          },
        ],
      }),
    );
    expect(text).toContain('Time to the first step (Create & start, Auto backend');
    expect(text).toMatch(/\| lstm\/composite\/tiny +\| 6\.3 +\| cpu +\| 3\.50 +\|/);
    expect(text).toMatch(
      /\| lstm\/composite\/tiny: first step ≤ 10 s after Create & start \(Auto backend\) +\| 6\.3 s on cpu +\| PASS +\|/,
    );
    expect(text).toMatch(
      /\| vgan\/two-stream\/tiny: first step ≤ 10 s .*\| 12\.5 s on cpu +\| FAIL +\|/,
    );
    expect(text).toMatch(
      /\| rcnn\/recurrent\/tiny: first step .*\| no first step: Run r3 did not reach step 1 within 180000 ms +\| FAIL +\|/,
    );
    const before = formatReport(record());
    expect(before).not.toContain('Time to the first step');
    expect(before).not.toContain('first step ≤');
  });

  it('pads table columns', () => {
    expect(table(['a', 'bb'], [['xxx', 'y']]).split('\n')).toEqual([
      '| a   | bb |',
      '|-----|----|',
      '| xxx | y  |',
    ]);
  });
});

describe('per-cell time budget', () => {
  const tiny = resolveLstmConfig('composite', 'tiny');
  const measured = [row({ flopsPerStep: lstmTrainStepFlops(tiny), gflopsPerSecond: 1 })];
  const small = { model: 'lstm', variant: 'composite', preset: 'small' };
  const smallFlops = lstmTrainStepFlops(resolveLstmConfig('composite', 'small'));

  it('skips a cell whose step, at the GFLOP/s of the same model, would not fit', () => {
    const seconds = smallFlops / 1e9; // at 1 GFLOP/s
    expect(overBudget(small, measured, seconds)).toMatch(/^skipped: ~\d+ s\/step expected/);
    expect(overBudget(small, measured, 2 * seconds)).toBeNull();
  });

  it('runs a model it has no measurement of', () => {
    expect(
      overBudget({ model: 'vgan', variant: 'two-stream', preset: 'small' }, measured, 1),
    ).toBeNull();
  });
});
