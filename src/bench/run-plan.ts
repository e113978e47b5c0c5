/** The benchmark plan a bench worker runs: every model × preset × backend cell asked for. */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../core/gpu/backend';
import { createGpuGuard } from '../core/gpu/gpu-guard';
import { MODEL_CATALOG, catalogEntry } from '../core/models/catalog';
import { LARGE_MEMORY_BYTES } from '../core/models/config-schema';
import { benchmarkKmeans, benchmarkModel, benchmarkMovingMnist } from '../core/train/benchmark';
import type { GeneratorBenchRow, KmeansBenchRow, ModelBenchRow } from '../core/train/benchmark';
import { RCNN_PRESETS } from '../core/models/rcnn/config';
import type { BackendName } from '../protocol/messages';
import { benchmarkDecode } from './decode-bench';
import type { DecodeBenchPlan, DecodeBenchRow } from './decode-bench';
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
}

export interface BenchResult {
  userAgent: string;
  adapters: Record<string, string>;
  models: ModelBenchRow[];
  generator: GeneratorBenchRow;
  decode: DecodeBenchRow | { failed: string } | null;
  /** rCNN patch dictionaries: k-means updates per second per preset and backend. */
  kmeans: KmeansBenchRow[];
}

/** Timed k-means updates per dictionary preset (after an untimed one), within the cell budget. */
const KMEANS_BENCH_ITERATIONS = 10;

/** One row per rCNN dictionary preset (the paper's K = 10,000 too, within the time budget). */
async function benchmarkDictionaries(
  backend: string,
  maxSeconds: number,
  log: (line: string) => void,
): Promise<KmeansBenchRow[]> {
  const rows: KmeansBenchRow[] = [];
  for (const preset of RCNN_PRESETS) {
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
  for (const backend of plan.backends) {
    const report = await selectBackend(backend);
    if (report.backend !== backend) {
      log(`${backend}: unavailable (${report.fallbacks.map((f) => f.reason).join('; ')})`);
      continue;
    }
    adapters[backend] = report.adapter
      ? `${report.adapter.description}${report.adapter.isSoftware ? ' (software)' : ''}`
      : 'CPU';
    for (const cell of cells) {
      log(`${cell.model}/${cell.variant}/${cell.preset} on ${backend}`);
      try {
        const gpu = backend === 'webgpu' ? createGpuGuard() : undefined;
        models.push(
          await benchmarkModel(cell.model, cell.variant, cell.preset, digits, {
            warmupSteps: plan.warmupSteps,
            steps: plan.steps,
            maxSeconds: plan.maxSecondsPerCell,
            gpu,
          }),
        );
      } catch (error) {
        const entry = catalogEntry(cell.model);
        models.push({
          model: cell.model,
          variant: cell.variant,
          preset: cell.preset,
          backend,
          batchSize: 0,
          parameters: 0,
          steps: 0,
          msPerStepMedian: NaN,
          msPerStepMin: NaN,
          msPerStepMax: NaN,
          stepsPerSecond: NaN,
          examplesPerSecond: NaN,
          peakTensorBytes: 0,
          gpuPoolBytes: null,
          note: `failed: ${error instanceof Error ? error.message : String(error)} (${entry.title})`,
        });
      }
      tf.disposeVariables();
    }
    if (cells.some((cell) => cell.model === 'rcnn'))
      kmeans.push(...(await benchmarkDictionaries(backend, plan.maxSecondsPerCell, log)));
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
    generator: benchmarkMovingMnist(digits, 1),
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
