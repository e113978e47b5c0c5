/**
 * What a bench worker runs: every model × preset × backend cell asked for (with each
 * optimisation's off-vs-on gain, the models' own benchmarks, the generator and the decoder), a bare
 * training loop for the app-overhead ratio, or the long memory check.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../core/gpu/backend';
import { createGpuGuard } from '../core/gpu/gpu-guard';
import { listOptimizations, setOptimizationEnabled } from '../core/gpu/optimizations';
import { LARGE_MEMORY_BYTES } from '../core/models/config-schema';
import { MODELS, modelDefinition } from '../core/models/registry';
import { benchmarkModel, benchmarkMovingMnist, openBareLoop } from '../core/train/benchmark';
import type {
  BareLoop,
  GeneratorBenchRow,
  ModelBenchRow,
  ModelBenchTable,
} from '../core/train/benchmark';
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
  /** The models' own benchmarks (e.g. the rCNN's k-means updates), per preset and backend. */
  modelBenchmarks: ModelBenchTable[];
}

/**
 * Each model's own benchmark (if it has one) for its presets among the cells, on the active
 * backend, into `tables` (one table per model).
 */
async function benchmarkModelsOwn(
  cells: readonly BenchCell[],
  backend: string,
  maxSeconds: number,
  tables: ModelBenchTable[],
  log: (line: string) => void,
): Promise<void> {
  const done = new Set<string>();
  for (const cell of cells) {
    const key = `${cell.model}/${cell.preset}`;
    const benchmark = modelDefinition(cell.model).benchmark(cell.variant, cell.preset);
    if (!benchmark || done.has(key)) continue;
    done.add(key);
    log(`${benchmark.title}: ${key} on ${backend}`);
    try {
      const gpu = backend === 'webgpu' ? createGpuGuard() : undefined;
      const run = () => benchmark.measure(maxSeconds);
      const values = await (gpu ? gpu.run(run) : run());
      let table = tables.find((t) => t.model === cell.model);
      if (!table) {
        table = {
          model: cell.model,
          title: benchmark.title,
          columns: [...benchmark.columns],
          rows: [],
        };
        tables.push(table);
      }
      table.rows.push({ preset: cell.preset, backend, values: [...values] });
    } catch (error) {
      log(
        `${benchmark.title}: ${key} on ${backend} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

export async function runBenchmarkPlan(
  plan: BenchPlan,
  environment: RunEnvironment,
  log: (line: string) => void,
): Promise<BenchResult> {
  const digits = await environment.loadMnist(() => {});
  const cells = plan.cells ?? defaultCells(plan.includeLarge ?? false, log);
  const models: ModelBenchRow[] = [];
  const modelBenchmarks: ModelBenchTable[] = [];
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
        const { title } = modelDefinition(cell.model);
        const message = error instanceof Error ? error.message : String(error);
        models.push(failedRow(cell, backend, `failed: ${message} (${title})`));
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
    await benchmarkModelsOwn(cells, backend, plan.maxSecondsPerCell, modelBenchmarks, log);
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
    modelBenchmarks,
  };
}

function defaultCells(includeLarge: boolean, log: (line: string) => void): BenchCell[] {
  const cells: BenchCell[] = [];
  for (const entry of MODELS) {
    for (const preset of entry.presets) {
      const bytes = entry.resolve(entry.defaultVariant, preset.id).memoryBytes();
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
    flopsPerStep: modelDefinition(cell.model).resolve(cell.variant, cell.preset).trainStepFlops(),
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
  const flops = modelDefinition(cell.model).resolve(cell.variant, cell.preset).trainStepFlops();
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
