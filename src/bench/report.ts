/**
 * The benchmark's record (what bench-results/*.json hold), its targets, the comparison with a
 * previous record and the text report `npm run bench` prints. Pure TypeScript: the Node driver
 * (scripts/bench.mjs) and the tests import it.
 */
import type { StepWorkTarget } from '../core/models/kit/definition';
import { findModel } from '../core/models/registry';
import type { GeneratorBenchRow, ModelBenchRow, ModelBenchTable } from '../core/train/benchmark';
import { relativeChange } from '../core/train/stats';
import type { DecodeBenchRow } from './decode-bench';
import type { MemoryCheckRow } from './memory-check';
import type { OptimizationBenchRow } from './optimization-bench';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  /** 1, 5 and 15-minute load averages when the benchmark started and ended. */
  loadBefore: number[];
  loadAfter: number[];
}

/**
 * Steps/s of a run driven through the app against a bare loop over the same code, in short
 * rounds of one segment per side (in rotating order) so that load drifting during the measurement
 * affects every side alike.
 */
export interface OverheadRow {
  model: string;
  variant: string;
  preset: string;
  backend: string;
  config: Record<string, unknown>;
  /** Steps per segment (after warm-up steps on both sides). */
  segmentSteps: number;
  /** Steps/s within each round's app segment and bare-loop segment. */
  appRounds: number[];
  bareRounds: number[];
  /** Each round's app ÷ bare (sorted). */
  roundRatios: number[];
  /** The median of `roundRatios`. */
  ratio: number;
  /**
   * The bare loop's twin (the same code in a second worker) against it, measured in the same
   * rounds: what this machine gives as a ratio when there is no overhead at all.
   */
  twin: { rounds: number[]; roundRatios: number[]; ratio: number };
}

/** The main thread while runs train in the app: long tasks and animation frames. */
export interface ResponsivenessRow {
  runs: string[];
  backend: string;
  seconds: number;
  /** The views shown, in order, each for an equal share of the time. */
  views: string[];
  longTasks: number;
  longestTaskMs: number;
  /** Each long task: the view on screen, ms since switching to it, its duration. */
  taskLog?: { view: string; msAfterSwitch: number | null; durationMs: number }[];
  framesPerSecond: number;
  longestFrameMs: number;
  /** Training steps each run took meanwhile. */
  steps: number[];
}

/**
 * Create & start with the Auto backend in a fresh browser profile (nothing remembered), from the
 * click to the run's first reported step.
 */
export interface FirstStepRow {
  model: string;
  variant: string;
  preset: string;
  /** null: no first step (see `error`). */
  seconds: number | null;
  /** The backend the first step ran on. */
  backend: string | null;
  error: string | null;
  /** The machine's 1-minute load average when the measurement began. */
  loadAverage: number;
}

export interface BenchRecord {
  version: 2;
  date: string;
  machine: MachineInfo;
  userAgent: string;
  adapters: Record<string, string>;
  plan: unknown;
  models: ModelBenchRow[];
  optimizations: OptimizationBenchRow[];
  /** The models' own benchmarks (e.g. the rCNN's k-means updates); absent in older records. */
  modelBenchmarks?: ModelBenchTable[];
  generator: GeneratorBenchRow | null;
  decode: DecodeBenchRow | { failed: string } | null;
  memory: MemoryCheckRow[];
  overhead: OverheadRow | null;
  responsiveness: ResponsivenessRow | null;
  /** Absent in records from before the benchmark measured it. */
  firstStep?: FirstStepRow[];
}

// --- targets -------------------------------------------------------------------------------------

export const TARGETS = {
  overheadRatio: 0.95,
  longTaskMs: 50,
  dataSpeedup: 10,
  firstStepSeconds: 10,
} as const;

/** The per-step work target of a cell (the model's own; see `ModelSpec.stepWorkTarget`). */
export function workTarget(row: {
  model: string;
  variant: string;
  preset: string;
}): StepWorkTarget | null {
  return findModel(row.model)?.stepWorkTarget(row.variant, row.preset) ?? null;
}

export interface TargetResult {
  name: string;
  measured: string;
  /** null: not measured in this run. */
  pass: boolean | null;
}

/** Frames per second that the fastest measured cell consumes (examples/s × frames each). */
export function fastestConsumption(
  models: readonly ModelBenchRow[],
): { row: ModelBenchRow; framesPerSecond: number } | null {
  let best: { row: ModelBenchRow; framesPerSecond: number } | null = null;
  for (const row of models) {
    const framesPerSecond = row.examplesPerSecond * (row.framesPerExample ?? NaN);
    if (Number.isFinite(framesPerSecond) && (!best || framesPerSecond > best.framesPerSecond)) {
      best = { row, framesPerSecond };
    }
  }
  return best;
}

const cellName = (row: { model: string; variant: string; preset: string }) =>
  `${row.model}/${row.variant}/${row.preset}`;

export function evaluateTargets(record: BenchRecord): TargetResult[] {
  const results: TargetResult[] = [];
  const overhead = record.overhead;
  results.push({
    name: `app overhead ratio ≥ ${TARGETS.overheadRatio}`,
    measured: overhead
      ? `${fixed(overhead.ratio, 3)} (${cellName(overhead)} on ${overhead.backend}, median of ${overhead.roundRatios.length} rounds; the bare loop against its twin: ${fixed(overhead.twin.ratio, 3)})`
      : 'not measured',
    pass: overhead ? overhead.ratio >= TARGETS.overheadRatio : null,
  });
  for (const start of record.firstStep ?? []) {
    results.push({
      name: `${cellName(start)}: first step ≤ ${TARGETS.firstStepSeconds} s after Create & start (Auto backend)`,
      measured:
        start.seconds === null
          ? `no first step: ${start.error ?? 'unknown error'}`
          : `${fixed(start.seconds)} s on ${start.backend ?? '?'}`,
      pass: start.seconds !== null && start.seconds <= TARGETS.firstStepSeconds,
    });
  }
  const ui = record.responsiveness;
  results.push({
    name: `no main-thread task over ${TARGETS.longTaskMs} ms while two runs train`,
    measured: ui
      ? `${ui.longTasks} long task${ui.longTasks === 1 ? '' : 's'}${ui.longTasks ? `, longest ${fixed(ui.longestTaskMs, 0)} ms` : ''} in ${fixed(ui.seconds, 0)} s; ${fixed(ui.framesPerSecond, 1)} frames/s`
      : 'not measured',
    pass: ui ? ui.longTasks === 0 : null,
  });
  for (const check of record.memory) {
    const complete = check.steps >= check.stepsPlanned;
    const flat =
      check.poolGrowthBytes !== null && check.poolGrowthBytes <= 0 && check.tensorGrowth <= 0;
    results.push({
      name: `memory flat over ${check.stepsPlanned.toLocaleString('en-US')} steps (${check.spec.model}/${check.spec.preset ?? ''} on ${check.backend})`,
      measured:
        check.poolGrowthBytes === null
          ? `no GPU pool reported on ${check.backend}`
          : `pool ${mb(check.baseline.pool)} → ${mb(check.final.pool)} MB after step ${check.warmupSteps} (growth ${signedBytes(check.poolGrowthBytes)}), tensors +${check.tensorGrowth}, over ${check.steps} steps`,
      pass: check.poolGrowthBytes === null ? null : complete && flat,
    });
  }
  for (const row of record.models) {
    const target = workTarget(row);
    if (row.backend !== 'webgpu' || target === null || row.dispatchesPerStep == null) continue;
    const uploadsOk =
      target.maxUploads === null ||
      (row.uploadsPerStep != null && row.uploadsPerStep <= target.maxUploads);
    results.push({
      name: `${cellName(row)}: ≤ ${target.maxDispatches} WebGPU dispatches${target.maxUploads === null ? '' : ` and ≤ ${target.maxUploads} uploads`} a step`,
      measured: `${row.dispatchesPerStep} dispatches, ${row.uploadsPerStep ?? '–'} uploads`,
      pass: row.dispatchesPerStep <= target.maxDispatches && uploadsOk,
    });
  }
  const consumer = fastestConsumption(record.models);
  const dataTarget = (label: string, produced: number | null): TargetResult => {
    const ratio = produced !== null && consumer ? produced / consumer.framesPerSecond : NaN;
    return {
      name: `${label} ≥ ${TARGETS.dataSpeedup}× the fastest training consumption`,
      measured:
        produced === null || !consumer
          ? 'not measured'
          : `${fixed(produced, 0)} frames/s vs ${fixed(consumer.framesPerSecond, 1)} consumed by ${cellName(consumer.row)} on ${consumer.row.backend} (${fixed(ratio, 1)}×)`,
      pass: Number.isFinite(ratio) ? ratio >= TARGETS.dataSpeedup : null,
    };
  };
  results.push(dataTarget('Moving MNIST generator', record.generator?.framesPerSecond ?? null));
  const decoded = record.decode && 'framesPerSecond' in record.decode ? record.decode : null;
  results.push(dataTarget('video decoder', decoded?.framesPerSecond ?? null));
  return results;
}

// --- comparison ----------------------------------------------------------------------------------

const rowKey = (row: ModelBenchRow) => `${cellName(row)}@${row.backend}`;

/** Relative change of each model row's ms/step against the same cell in `previous`. */
export function compareModels(
  previous: Pick<BenchRecord, 'models'> | null,
  current: Pick<BenchRecord, 'models'>,
): Map<string, { before: number; after: number; change: number }> {
  const changes = new Map<string, { before: number; after: number; change: number }>();
  if (!previous) return changes;
  const before = new Map(previous.models.map((row) => [rowKey(row), row.msPerStepMedian]));
  for (const row of current.models) {
    const was = before.get(rowKey(row));
    const change = relativeChange(was, row.msPerStepMedian);
    if (was !== undefined && Number.isFinite(change)) {
      changes.set(rowKey(row), { before: was, after: row.msPerStepMedian, change });
    }
  }
  return changes;
}

// --- formatting ----------------------------------------------------------------------------------

export function fixed(value: number | null | undefined, digits = 1): string {
  return value != null && Number.isFinite(value) ? value.toFixed(digits) : '–';
}

export function mb(bytes: number | null | undefined): string {
  return bytes == null || !Number.isFinite(bytes) ? '–' : (bytes / 2 ** 20).toFixed(1);
}

function signedBytes(bytes: number): string {
  return `${bytes > 0 ? '+' : ''}${(bytes / 2 ** 20).toFixed(2)} MB`;
}

/** "+12%" / "−3%" (a relative change), "–" when unknown. */
export function percent(change: number): string {
  if (!Number.isFinite(change)) return '–';
  const rounded = Math.round(change * 100);
  return `${rounded > 0 ? '+' : rounded < 0 ? '−' : '±'}${Math.abs(rounded)}%`;
}

/** A Markdown table with padded columns. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

const count = (value: number) => value.toLocaleString('en-US');
/** A per-step count, '–' where not counted (older records, other backends). */
const perStep = (value: number | null | undefined) =>
  value === null || value === undefined ? '–' : count(value);

function modelsTable(record: BenchRecord, previous: BenchRecord | null): string {
  const changes = compareModels(previous, record);
  return table(
    [
      'model/variant/preset',
      'backend',
      'batch',
      'params',
      'ms/step',
      'spread (min–max)',
      'n',
      'steps/s',
      'examples/s',
      'GFLOP/step',
      'GFLOP/s',
      'peak tensors MB',
      'peak GPU MB',
      'peak pool MB',
      'dispatches',
      'uploads',
      'reads',
      ...(previous ? ['vs previous'] : []),
      'note',
    ],
    record.models.map((r) => {
      const change = changes.get(rowKey(r));
      return [
        cellName(r),
        r.backend,
        r.batchSize ? String(r.batchSize) : '–',
        r.parameters ? count(r.parameters) : '–',
        fixed(r.msPerStepMedian),
        Number.isFinite(r.msPerStepMin) ? `${fixed(r.msPerStepMin)}–${fixed(r.msPerStepMax)}` : '–',
        r.steps ? String(r.steps) : '–',
        fixed(r.stepsPerSecond, 2),
        fixed(r.examplesPerSecond, 1),
        fixed(r.flopsPerStep / 1e9, 3),
        fixed(r.gflopsPerSecond, 2),
        r.peakTensorBytes ? mb(r.peakTensorBytes) : '–',
        mb(r.peakGpuBytes),
        mb(r.peakGpuPoolBytes),
        perStep(r.dispatchesPerStep),
        perStep(r.uploadsPerStep),
        perStep(r.readsPerStep),
        ...(previous
          ? [change ? `${percent(change.change)} (was ${fixed(change.before)})` : '–']
          : []),
        r.note ?? '',
      ];
    }),
  );
}

/** The whole report as printed (Markdown-friendly text). */
export function formatReport(record: BenchRecord, previous: BenchRecord | null = null): string {
  const out: string[] = [];
  const m = record.machine;
  out.push(
    `Machine: ${m.cores}× ${m.cpu}, ${m.memoryGiB} GiB; load average ${m.loadBefore.map((v) => v.toFixed(2)).join(' / ')} at the start, ${m.loadAfter.map((v) => v.toFixed(2)).join(' / ')} at the end (1 / 5 / 15 min)`,
  );
  out.push(`Browser: ${record.userAgent}`);
  for (const [backend, adapter] of Object.entries(record.adapters)) {
    out.push(`Adapter (${backend}): ${adapter}`);
  }
  if (previous) out.push(`Compared with the run of ${previous.date}`);
  out.push('', 'Training steps (ms/step: median of n timed steps after warm-up)', '');
  out.push(modelsTable(record, previous));

  out.push('', 'Optimisations (each switched off, then on again; the others on)', '');
  const skipped = (record.plan as { optimizations?: boolean } | null)?.optimizations === false;
  if (skipped) {
    out.push('Not measured in this run (--no-optimizations).');
  } else if (record.optimizations.length === 0) {
    out.push('No optimisation is registered (src/core/gpu/optimizations.ts).');
  } else {
    out.push(
      table(
        ['optimisation', 'cell', 'backend', 'ms/step off', 'ms/step on', 'speed-up', 'description'],
        record.optimizations.map((o) => [
          o.id,
          cellName(o),
          o.backend,
          fixed(o.msPerStepOff),
          fixed(o.msPerStepOn),
          `${fixed(o.speedup, 2)}×`,
          o.description,
        ]),
      ),
    );
  }

  for (const own of record.modelBenchmarks ?? []) {
    out.push('', own.title, '');
    out.push(
      table(
        ['preset', 'backend', ...own.columns],
        own.rows.map((r) => [
          `${own.model}/${r.preset}`,
          r.backend,
          ...r.values.map((value) =>
            Number.isInteger(value) ? count(value) : fixed(value, value >= 10 ? 1 : 2),
          ),
        ]),
      ),
    );
  }

  out.push('', 'Data');
  if (record.generator) {
    const was = previous?.generator?.sequencesPerSecond;
    out.push(
      `Moving MNIST generator: ${fixed(record.generator.sequencesPerSecond, 0)} sequences/s = ${fixed(record.generator.framesPerSecond, 0)} frames/s (${record.generator.name})${was ? `, ${percent(relativeChange(was, record.generator.sequencesPerSecond))} vs previous` : ''}`,
    );
  }
  if (record.decode && 'failed' in record.decode) {
    out.push(`Video decode: failed (${record.decode.failed})`);
  } else if (record.decode) {
    const d = record.decode;
    out.push(
      `Video decode: ${fixed(d.framesPerSecond, 0)} frames/s, ${d.clip} [${d.codec}] → ${d.target} (${d.frames} frames, median of ${d.runs} runs: ${fixed(d.msMedian, 0)} ms; mediabunny + WebCodecs in a worker)`,
    );
  }

  out.push('', 'The app');
  const o = record.overhead;
  if (o) {
    out.push(
      `Overhead: ${cellName(o)} on ${o.backend}, ${o.appRounds.length} rounds of ${o.segmentSteps} steps per side (in rotating order): ${o.appRounds.map((v) => fixed(v, 2)).join(' / ')} steps/s through the UI and worker protocol vs ${o.bareRounds.map((v) => fixed(v, 2)).join(' / ')} in the bare loop → ratio ${fixed(o.ratio, 3)} (median of ${o.roundRatios.map((r) => fixed(r, 3)).join(', ')})${Object.keys(o.config).length ? ` (config ${JSON.stringify(o.config)})` : ''}`,
      `  The same bare loop in a second worker (${o.twin.rounds.map((v) => fixed(v, 2)).join(' / ')} steps/s) against the first: ${fixed(o.twin.ratio, 3)} (median of ${o.twin.roundRatios.map((r) => fixed(r, 3)).join(', ')}), the spread this machine gives identical code`,
    );
  }
  const u = record.responsiveness;
  if (u) {
    out.push(
      `Main thread while ${u.runs.join(' and ')} train on ${u.backend} (${fixed(u.seconds, 0)} s; views ${u.views.join(', ')}): ${u.longTasks} long tasks (> 50 ms)${u.longTasks ? `, longest ${fixed(u.longestTaskMs, 0)} ms` : ''}${u.taskLog?.length ? ` [${u.taskLog.map((t) => `${t.durationMs} ms on ${t.view}${t.msAfterSwitch === null ? '' : ` ${t.msAfterSwitch} ms after switching to it`}`).join('; ')}]` : ''}; ${fixed(u.framesPerSecond, 1)} frames/s, longest frame ${fixed(u.longestFrameMs, 0)} ms; steps meanwhile ${u.steps.join(' and ')}`,
    );
  }
  if (record.firstStep?.length) {
    out.push(
      '',
      'Time to the first step (Create & start, Auto backend, fresh browser profile)',
      '',
      table(
        ['model/variant/preset', 'seconds', 'first step on', 'load average'],
        record.firstStep.map((start) => [
          cellName(start),
          start.seconds === null
            ? `failed: ${start.error ?? 'unknown error'}`
            : fixed(start.seconds),
          start.backend ?? '–',
          fixed(start.loadAverage, 2),
        ]),
      ),
    );
  }
  for (const check of record.memory) {
    out.push(
      `Memory: ${check.spec.model}/${check.spec.variant ?? ''}/${check.spec.preset ?? ''} on ${check.backend}, ${check.steps} steps through the run handler (${check.evaluations} evaluations, ${check.samples} sample sets, ${fixed(check.msPerStep, 1)} ms/step): GPU pool ${mb(check.baseline.pool)} MB at step ${check.baseline.step}, peak ${mb(check.peak.pool)} MB, ${mb(check.final.pool)} MB at the end; live tensors ${check.baseline.tensors} → ${check.final.tensors}${check.note ? ` (${check.note})` : ''}`,
    );
  }

  out.push('', 'Targets', '');
  out.push(
    table(
      ['target', 'measured', 'result'],
      evaluateTargets(record).map((t) => [
        t.name,
        t.measured,
        t.pass === null ? 'NOT MEASURED' : t.pass ? 'PASS' : 'FAIL',
      ]),
    ),
  );
  return out.join('\n');
}
