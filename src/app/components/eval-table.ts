/**
 * Arranges evaluation results by name: `future/mse` → group `future`, metric `mse`;
 * `baseline/future/mse` → group `baseline/future`, `baseline/flow/future/mse` → group
 * `baseline/flow/future`. Known groups and metrics get readable labels
 * and a stable order; unknown ones still show up, after them, under their raw names.
 */

const GROUP_ORDER = [
  'recon',
  'recon_tf',
  'future',
  'future_tf',
  'baseline/future',
  'baseline/flow/future',
  'test',
  'extrapolation',
  'baseline/extrapolation',
  'baseline/flow/extrapolation',
  'filling',
  'baseline/filling',
  'quantization',
];

const GROUP_LABELS: Record<string, string> = {
  recon: 'Reconstruction',
  recon_tf: 'Reconstruction (teacher-forced)',
  future: 'Future',
  future_tf: 'Future (teacher-forced)',
  'baseline/future': 'Copy-last-frame baseline',
  'baseline/flow/future': 'Optical-flow baseline',
  test: 'Next code (teacher-forced)',
  extrapolation: 'Extrapolation',
  'baseline/extrapolation': 'Copy-last-frame baseline',
  'baseline/flow/extrapolation': 'Optical-flow baseline',
  filling: 'Filling',
  'baseline/filling': 'Linear-interpolation baseline',
  quantization: 'Quantized truth',
};

const METRIC_ORDER = [
  'mse',
  'cross_entropy',
  'mae',
  'psnr',
  'ssim',
  'loss',
  'perplexity',
  'accuracy',
];

const METRIC_LABELS: Record<string, string> = {
  loss: 'Cross-entropy (nats / patch)',
  perplexity: 'Perplexity / patch',
  accuracy: 'Top-1 code accuracy',
  mse: 'MSE / frame',
  cross_entropy: 'Cross-entropy / frame',
  mae: 'MAE / frame',
  psnr: 'PSNR (dB)',
  ssim: 'SSIM',
};

const HIGHER_IS_BETTER = new Set(['psnr', 'ssim', 'accuracy']);
const LOWER_IS_BETTER = new Set(['mse', 'cross_entropy', 'mae', 'loss', 'perplexity']);

export function splitMetricName(name: string): { group: string; metric: string } {
  const cut = name.lastIndexOf('/');
  return cut < 0
    ? { group: '', metric: name }
    : { group: name.slice(0, cut), metric: name.slice(cut + 1) };
}

export function groupLabel(group: string): string {
  return GROUP_LABELS[group] ?? (group || 'Overall');
}

export function metricLabel(metric: string): string {
  return METRIC_LABELS[metric] ?? metric;
}

/** '↑' when higher is better, '↓' when lower is, '' when unknown. */
export function metricDirection(metric: string): '↑' | '↓' | '' {
  if (HIGHER_IS_BETTER.has(metric)) return '↑';
  if (LOWER_IS_BETTER.has(metric)) return '↓';
  return '';
}

function byKnownOrder(order: readonly string[]) {
  return (a: string, b: string) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    if (ia >= 0 || ib >= 0) return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib);
    return a.localeCompare(b);
  };
}

export interface MetricTable {
  groups: string[];
  metrics: string[];
  /** `values[metric][group]`, absent where a group lacks the metric. */
  values: Record<string, Record<string, number>>;
}

export function buildMetricTable(scalars: Record<string, number>): MetricTable {
  const values: Record<string, Record<string, number>> = {};
  const groups = new Set<string>();
  for (const [name, value] of Object.entries(scalars)) {
    const { group, metric } = splitMetricName(name);
    groups.add(group);
    (values[metric] ??= {})[group] = value;
  }
  return {
    groups: [...groups].sort(byKnownOrder(GROUP_ORDER)),
    metrics: Object.keys(values).sort(byKnownOrder(METRIC_ORDER)),
    values,
  };
}

/**
 * The task a group scores: `baseline/future`, `baseline/flow/future` and `future_tf` all belong
 * to `future`.
 */
function taskOf(group: string): string {
  return group.replace(/^baseline\/(flow\/)?/, '').replace(/_tf$/, '');
}

/**
 * The best group of each task that has a baseline (e.g. future vs. teacher-forced vs. the
 * copy-last-frame baseline; extrapolation vs. its baseline, filling vs. its own), for
 * highlighting. Tasks without a baseline (reconstruction, an easier task, not a competitor) and
 * metrics of unknown direction get none.
 */
export function bestGroups(metric: string, row: Record<string, number>): Set<string> {
  const best = new Set<string>();
  const direction = metricDirection(metric);
  if (!direction) return best;
  const groups = Object.keys(row);
  const tasks = new Set(groups.filter((g) => g.startsWith('baseline/')).map(taskOf));
  for (const task of tasks) {
    const rivals = groups.filter((g) => taskOf(g) === task);
    if (rivals.length < 2) continue;
    let winner: string | null = null;
    for (const group of rivals) {
      const value = row[group];
      if (!Number.isFinite(value)) continue;
      if (winner === null || (direction === '↑' ? value > row[winner] : value < row[winner])) {
        winner = group;
      }
    }
    if (winner !== null) best.add(winner);
  }
  return best;
}

/**
 * Per-frame curves of one metric: one row per frame index with one value per group. A curve's
 * first value is frame `firstFrame[name]` (default 1), so curves of different tasks line up on
 * the clip's own frame numbers.
 */
export function perFrameRows(
  perFrame: Record<string, number[]>,
  metric: string,
  firstFrame: Record<string, number> = {},
): { groups: string[]; rows: { frame: number; values: Record<string, number> }[] } {
  const groups: string[] = [];
  const byFrame = new Map<number, { frame: number; values: Record<string, number> }>();
  for (const [name, curve] of Object.entries(perFrame)) {
    const split = splitMetricName(name);
    if (split.metric !== metric) continue;
    groups.push(split.group);
    const first = firstFrame[name] ?? 1;
    curve.forEach((value, i) => {
      const frame = first + i;
      let row = byFrame.get(frame);
      if (!row) byFrame.set(frame, (row = { frame, values: {} }));
      if (Number.isFinite(value)) row.values[split.group] = value;
    });
  }
  const rows = [...byFrame.values()].sort((a, b) => a.frame - b.frame);
  return { groups: groups.sort(byKnownOrder(GROUP_ORDER)), rows };
}

export function perFrameMetrics(perFrame: Record<string, number[]>): string[] {
  const metrics = new Set(Object.keys(perFrame).map((name) => splitMetricName(name).metric));
  return [...metrics].sort(byKnownOrder(METRIC_ORDER));
}
