/**
 * What a bench worker runs: every model × preset × backend cell asked for (with each
 * optimisation's off-vs-on gain, the k-means rows, the generator and the decoder), a bare
 * training loop for the app-overhead ratio, or the long memory check.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../core/gpu/backend';
import { createGpuGuard } from '../core/gpu/gpu-guard';
import { listOptimizations, setOptimizationEnabled } from '../core/gpu/optimizations';
import { MODEL_CATALOG, catalogEntry } from '../core/models/catalog';
import { LARGE_MEMORY_BYTES } from '../core/models/config-schema';
import { trainStepFlops } from '../core/models/flops';
import type { ModelKind } from '../core/models/types';
import {
  benchmarkKmeans,
  benchmarkModel,
  benchmarkMovingMnist,
  openBareLoop,
} from '../core/train/benchmark';
import type {
  BareLoop,
  GeneratorBenchRow,
  KmeansBenchRow,
  ModelBenchRow,
} from '../core/train/benchmark';
import { RCNN_PRESETS } from '../core/models/rcnn/config';
import type { BackendName } from '../protocol/messages';
import { benchmarkDecode } from './decode-bench';
import type { DecodeBenchPlan, DecodeBenchRow } from './decode-bench';
import { checkMemory } from './memory-check';
import type { MemoryCheckPlan, MemoryCheckRow } from './memory-check';
import { benchmarkOptimizations } from './optimization-bench';
import type { OptimizationBenchRow } from './optimization-bench';
import type { RunEnvironment } from '../runtime/run-handler';

export interface BenchCell {
  model: string;
  variant: string;
  preset: string;
}

export interface BenchPlan {
  /** Cells to run; when absent, every model's default variant × every preset. */
  cells?: BenchCell[];
  /** Include presets whose memory estimate exceeds LARGE_MEMORY_BYTES (the paper presets). */
  includeLarge?: boolean;
  backends: BackendName[];
  warmupSteps: number;
  steps: number;
  /** Per-cell time budget in seconds (see BenchOptions.maxSeconds). */
  maxSecondsPerCell: number;
  /** Video decode throughput (skipped when absent). */
  decode?: DecodeBenchPlan;
  /** Measure each registered optimisation switched off vs on (default true). */
  optimizations?: boolean;
}

/** One job for a fresh bench worker. */
export type BenchTask =
  { task: 'cells'; plan: BenchPlan } | { task: 'memory'; plan: MemoryCheckPlan };

/** What the bare-loop worker is asked: open the loop once, then train it segment by segment. */
export type BareLoopRequest =
  { type: 'open'; plan: BareLoopPlan } | { type: 'train'; steps: number };

export interface BenchResult {
  userAgent: string;
  adapters: Record<string, string>;
  models: ModelBenchRow[];
  /** Each registered optimisation's cell ms/step switched off vs on. */
  optimizations: OptimizationBenchRow[];
  generator: GeneratorBenchRow;
  decode: DecodeBenchRow | { failed: string } | null;
  /** rCNN patch dictionaries: k-means updates per second per preset and backend. */
  kmeans: KmeansBenchRow[];
}

/** Timed k-means updates per dictionary preset (after an untimed one), within the cell budget. */
const KMEANS_BENCH_ITERATIONS = 10;

/** One row per rCNN dictionary preset among the cells (the paper's with --include-large). */
async function benchmarkDictionaries(
  backend: string,
  presets: ReadonlySet<string>,
  maxSeconds: number,
  log: (line: string) => void,
): Promise<KmeansBenchRow[]> {
  const rows: KmeansBenchRow[] = [];
  for (const preset of RCNN_PRESETS.filter((p) => presets.has(p.id))) {
    const { dictionarySize, kmeansBatchSize, patchSize } = preset.config;
    log(`k-means K = ${dictionarySize} (rcnn/${preset.id}) on ${backend}`);
    try {
      const gpu = backend === 'webgpu' ? createGpuGuard() : undefined;
      const run = () =>
        benchmarkKmeans(
          preset.id,
          dictionarySize,
          kmeansBatchSize,
          patchSize,
          KMEANS_BENCH_ITERATIONS,
          maxSeconds,
        );
      rows.push(await (gpu ? gpu.run(run) : run()));
    } catch (error) {
      log(
        `k-means rcnn/${preset.id} on ${backend} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return rows;
}

export async function runBenchmarkPlan(
  plan: BenchPlan,
  environment: RunEnvironment,
  log: (line: string) => void,
): Promise<BenchResult> {
  const digits = await environment.loadMnist(() => {});
  const cells = plan.cells ?? defaultCells(plan.includeLarge ?? false, log);
  const models: ModelBenchRow[] = [];
  const kmeans: KmeansBenchRow[] = [];
  const adapters: Record<string, string> = {};
  const optimizations: OptimizationBenchRow[] = [];
  for (const backend of plan.backends) {
    const report = await selectBackend(backend);
    if (report.backend !== backend) {
      log(`${backend}: unavailable (${report.fallbacks.map((f) => f.reason).join('; ')})`);
      continue;
    }
    adapters[backend] = report.adapter
      ? `${report.adapter.description}${report.adapter.isSoftware ? ' (software)' : ''}`
      : 'CPU';
    const measured: ModelBenchRow[] = [];
    const measure = async (cell: BenchCell): Promise<ModelBenchRow> => {
      const gpu = backend === 'webgpu' ? createGpuGuard() : undefined;
      try {
        return await benchmarkModel(cell.model, cell.variant, cell.preset, digits, {
          warmupSteps: plan.warmupSteps,
          steps: plan.steps,
          maxSeconds: plan.maxSecondsPerCell,
          gpu,
        });
      } finally {
        gpu?.dispose();
        tf.disposeVariables();
      }
    };
    for (const cell of cells) {
      const skip = overBudget(cell, measured, plan.maxSecondsPerCell);
      if (skip) {
        log(`${cell.model}/${cell.variant}/${cell.preset} on ${backend}: ${skip}`);
        models.push(failedRow(cell, backend, skip));
        continue;
      }
      log(`${cell.model}/${cell.variant}/${cell.preset} on ${backend}`);
      try {
        const row = await measure(cell);
        measured.push(row);
        models.push(row);
      } catch (error) {
        const entry = catalogEntry(cell.model);
        const message = error instanceof Error ? error.message : String(error);
        models.push(failedRow(cell, backend, `failed: ${message} (${entry.title})`));
      }
    }
    if (plan.optimizations !== false) {
      optimizations.push(
        ...(await benchmarkOptimizations(listOptimizations(), measured, backend, {
          measure: (row) => {
            log(`${row.model}/${row.variant}/${row.preset} on ${backend}: optimisation off/on`);
            return measure(row);
          },
          setEnabled: setOptimizationEnabled,
        })),
      );
    }
    const rcnnPresets = new Set(cells.filter((c) => c.model === 'rcnn').map((c) => c.preset));
    kmeans.push(
      ...(await benchmarkDictionaries(backend, rcnnPresets, plan.maxSecondsPerCell, log)),
    );
  }
  let decode: BenchResult['decode'] = null;
  if (plan.decode) {
    log(`video decode: ${plan.decode.label} → ${plan.decode.width}×${plan.decode.height}`);
    decode = await benchmarkDecode(plan.decode).catch((error: unknown) => ({
      failed: error instanceof Error ? error.message : String(error),
    }));
  }
  return {
    userAgent: navigator.userAgent,
    adapters,
    models,
    optimizations,
    generator: benchmarkMovingMnist(digits, 2),
    decode,
    kmeans,
  };
}

function defaultCells(includeLarge: boolean, log: (line: string) => void): BenchCell[] {
  const cells: BenchCell[] = [];
  for (const entry of Object.values(MODEL_CATALOG)) {
    if (!entry) continue;
    for (const preset of entry.presets) {
      const config = entry.resolveConfig(entry.defaultVariant, preset.id);
      const bytes = entry.estimateMemoryBytes(config);
      if (!includeLarge && bytes > LARGE_MEMORY_BYTES) {
        log(
          `skipping ${entry.kind}/${preset.id}: needs ~${(bytes / 2 ** 30).toFixed(1)} GB (--include-large)`,
        );
        continue;
      }
      cells.push({ model: entry.kind, variant: entry.defaultVariant, preset: preset.id });
    }
  }
  return cells;
}

function failedRow(cell: BenchCell, backend: string, note: string): ModelBenchRow {
  return {
    ...cell,
    backend,
    batchSize: 0,
    framesPerExample: 0,
    parameters: 0,
    steps: 0,
    warmupSteps: 0,
    msPerStepMedian: NaN,
    msPerStepMin: NaN,
    msPerStepMax: NaN,
    msPerStepP25: NaN,
    msPerStepP75: NaN,
    stepsPerSecond: NaN,
    examplesPerSecond: NaN,
    flopsPerStep: trainStepFlops(
      cell.model as ModelKind,
      catalogEntry(cell.model).resolveConfig(cell.variant, cell.preset),
    ),
    gflopsPerSecond: NaN,
    peakTensorBytes: 0,
    peakGpuBytes: null,
    peakGpuPoolBytes: null,
    dispatchesPerStep: null,
    uploadsPerStep: null,
    readsPerStep: null,
    note,
  };
}

/**
 * Why a cell is skipped, or null: when a cell of the same model already ran on this backend, its
 * GFLOP/s predicts this cell's step time; a cell whose warm-up step and one timed step would
 * exceed the budget is not started (raise --max-seconds to run it).
 */
export function overBudget(
  cell: BenchCell,
  measured: readonly ModelBenchRow[],
  maxSeconds: number,
): string | null {
  const rates = measured
    .filter((row) => row.model === cell.model && Number.isFinite(row.gflopsPerSecond))
    .map((row) => ({ row, rate: row.gflopsPerSecond }));
  if (rates.length === 0) return null;
  const best = rates.reduce((a, b) => (b.rate > a.rate ? b : a));
  const flops = trainStepFlops(
    cell.model as ModelKind,
    catalogEntry(cell.model).resolveConfig(cell.variant, cell.preset),
  );
  const seconds = flops / (best.rate * 1e9);
  if (2 * seconds <= maxSeconds) return null;
  const from = `${best.row.model}/${best.row.preset}`;
  return `skipped: ~${seconds.toFixed(0)} s/step expected (${(flops / 1e9).toFixed(1)} GFLOP at ${from}'s ${best.rate.toFixed(2)} GFLOP/s) exceeds the ${maxSeconds} s budget`;
}

export interface BareLoopPlan {
  cell: BenchCell;
  /** Config overrides, as the app run got them. */
  config: Record<string, unknown>;
  backend: BackendName;
}

/** A bare training loop on `plan.backend`, prepared and warmed up (see openBareLoop). */
export async function openBareLoopOn(
  plan: BareLoopPlan,
  environment: RunEnvironment,
): Promise<BareLoop> {
  const digits = await environment.loadMnist(() => {});
  const report = await selectBackend(plan.backend);
  if (report.backend !== plan.backend) throw new Error(`${plan.backend} is unavailable`);
  const gpu = plan.backend === 'webgpu' ? createGpuGuard() : undefined;
  const { model, variant, preset } = plan.cell;
  const loop = await openBareLoop(model, variant, preset, plan.config, digits, gpu).catch(
    (error: unknown) => {
      gpu?.dispose();
      throw error;
    },
  );
  return {
    train: (steps) => loop.train(steps),
    dispose: () => {
      loop.dispose();
      gpu?.dispose();
    },
  };
}

export async function runMemoryCheck(
  plan: MemoryCheckPlan,
  environment: RunEnvironment,
): Promise<MemoryCheckRow> {
  return checkMemory(plan, await environment.loadMnist(() => {}));
}
