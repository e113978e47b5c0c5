/**
 * A run's metrics as CSV (one row per step: training metrics, plus held-out scores at the steps
 * where the run was evaluated, as `eval:<name>` columns) and as JSON (the run's spec and config,
 * every series, every evaluation and every few-label probe). Pure TypeScript.
 */
import type { MetricsExport } from '../protocol/export-messages';

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Full precision; NaN and Infinity stay visible as such. */
function csvNumber(value: number | undefined): string {
  return value === undefined ? '' : String(value);
}

export function metricsCsv(data: MetricsExport): string {
  const names = Object.keys(data.series);
  const evalNames = [...new Set(data.evaluations.flatMap((e) => Object.keys(e.scalars)))];
  const rows = new Map<number, { wallMs?: number; values: Record<string, number> }>();
  const row = (step: number) => {
    let entry = rows.get(step);
    if (!entry) {
      entry = { values: {} };
      rows.set(step, entry);
    }
    return entry;
  };
  for (const name of names) {
    const series = data.series[name];
    series.steps.forEach((step, i) => {
      const entry = row(step);
      entry.wallMs ??= series.wallMs[i];
      entry.values[name] = series.values[i];
    });
  }
  for (const evaluation of data.evaluations) {
    const entry = row(evaluation.step);
    for (const [name, value] of Object.entries(evaluation.scalars)) {
      entry.values[`eval:${name}`] = value;
    }
  }
  const columns = [...names, ...evalNames.map((name) => `eval:${name}`)];
  const lines = [['step', 'wall_ms', ...columns].map(csvField).join(',')];
  for (const step of [...rows.keys()].sort((a, b) => a - b)) {
    const entry = rows.get(step)!;
    const wall = entry.wallMs === undefined ? '' : String(Math.round(entry.wallMs));
    lines.push([String(step), wall, ...columns.map((c) => csvNumber(entry.values[c]))].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** JSON with non-finite numbers kept as strings ("NaN"), which JSON itself cannot hold. */
export function metricsJson(data: MetricsExport): string {
  return JSON.stringify(
    { format: 'video-model-playground/metrics', version: 1, ...data },
    (_, value: unknown) =>
      typeof value === 'number' && !Number.isFinite(value) ? String(value) : value,
    2,
  );
}
