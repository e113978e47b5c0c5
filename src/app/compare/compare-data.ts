/**
 * What the compare view shows, computed from run state and metric histories (pure functions):
 * overlaid chart rows per metric name, and a row of final numbers per run.
 */
import type { MetricHistory, Series } from '../runs/metric-history';
import type { RunSpec } from '../../protocol/messages';
import type { RunState } from '../state/store';
import type { EvaluationRecord } from '../../protocol/export-messages';

export const RUN_COLORS = ['#2563eb', '#ea580c', '#059669', '#9333ea', '#db2777', '#0891b2'];

const SOURCE_LABELS: Record<string, string> = { 'moving-mnist': 'Moving MNIST' };

/** "Moving MNIST, data seed 42" — for any data source (unknown ones by their id). */
export function dataLabel(data: RunSpec['data']): string {
  const record = (data ?? { source: 'moving-mnist' }) as unknown as Record<string, unknown>;
  const source = String(record.source);
  const seed = record.seed === undefined ? '' : `, data seed ${String(record.seed)}`;
  return `${SOURCE_LABELS[source] ?? source}${seed}`;
}

/** A run's colour, fixed by its number (`run-3` → the third colour), so removals shift nothing. */
export function runColor(id: string): string {
  const number = Number(id.replace(/\D+/g, ''));
  const index = Number.isFinite(number) && number > 0 ? number - 1 : 0;
  return RUN_COLORS[index % RUN_COLORS.length];
}

/** Held-out scores over steps as a series (x by step; wall-clock from the run's loss history). */
export function evaluationSeries(
  records: readonly EvaluationRecord[],
  name: string,
  timing: Series | undefined,
): Series {
  const out: Series = { steps: [], wallMs: [], values: [] };
  for (const record of records) {
    const value = record.scalars[name];
    if (value === undefined) continue;
    out.steps.push(record.step);
    out.wallMs.push(wallMsAt(timing, record.step));
    out.values.push(value);
  }
  return out;
}

function wallMsAt(timing: Series | undefined, step: number): number {
  if (!timing || timing.steps.length === 0) return 0;
  let lo = 0;
  let hi = timing.steps.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (timing.steps[mid] <= step) lo = mid;
    else hi = mid - 1;
  }
  return timing.wallMs[lo];
}

/**
 * Steps over wall-clock time: a curve every run has whatever its metrics are called, so runs of
 * different models always share at least this chart.
 */
export function progressSeries(history: MetricHistory | undefined): Series | undefined {
  const first = history?.names()[0];
  const series = first ? history?.get(first) : undefined;
  if (!series) return undefined;
  return { steps: series.steps, wallMs: series.wallMs, values: series.steps };
}

/** Metric names in first-seen order across runs. */
export function unionOfNames(lists: readonly (readonly string[])[]): string[] {
  const names: string[] = [];
  for (const list of lists) for (const name of list) if (!names.includes(name)) names.push(name);
  return names;
}

export interface CompareRow {
  id: string;
  label: string;
  model: string;
  variant: string;
  preset: string;
  status: RunState['status'];
  step: number;
  msPerStep: number | null;
  stepsPerSecond: number | null;
  parameterCount: number | null;
  /** GPU buffer pool when the backend reports one, else bytes held by live tensors. */
  memoryBytes: number | null;
  backend: string | null;
  /** Last value of each training metric. */
  final: Record<string, number>;
  evaluation: EvaluationRecord | null;
  error: string | null;
}

export function compareRow(run: RunState, history: MetricHistory | undefined): CompareRow {
  const final: Record<string, number> = {};
  for (const name of history?.names() ?? []) {
    const series = history?.get(name);
    if (series && series.values.length > 0) final[name] = series.values[series.values.length - 1];
  }
  const stats = run.stats;
  return {
    id: run.id,
    label: run.label,
    model: run.spec.model,
    variant: run.spec.variant ?? '',
    preset: run.spec.preset ?? '',
    status: run.status,
    step: run.step,
    msPerStep: stats && stats.msPerStep > 0 ? stats.msPerStep : null,
    stepsPerSecond: stats && stats.stepsPerSecond > 0 ? stats.stepsPerSecond : null,
    parameterCount: run.parameterCount,
    memoryBytes: stats ? (stats.numBytesAllocatedInGPU ?? stats.numBytes) : null,
    backend: run.backend?.backend ?? null,
    final,
    evaluation: run.evaluation
      ? { step: run.evaluation.step, scalars: run.evaluation.result.scalars }
      : null,
    error: run.error ? `${run.error.message} (${run.error.code})` : null,
  };
}
