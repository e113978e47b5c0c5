/**
 * Arranges evaluation results by name: `future/mse` → group `future`, metric `mse`;
 * `baseline/future/mse` → group `baseline/future`. Known groups and metrics get readable labels
 * and a stable order; unknown ones still show up, after them, under their raw names.
 */

const GROUP_ORDER = ['recon', 'recon_tf', 'future', 'future_tf', 'baseline/future'];

const GROUP_LABELS: Record<string, string> = {
  recon: 'Reconstruction',
  recon_tf: 'Reconstruction (teacher-forced)',
  future: 'Future',
  future_tf: 'Future (teacher-forced)',
  'baseline/future': 'Copy-last-frame baseline',
};

const METRIC_ORDER = ['mse', 'cross_entropy', 'mae', 'psnr', 'ssim'];

const METRIC_LABELS: Record<string, string> = {
  mse: 'MSE / frame',
  cross_entropy: 'Cross-entropy / frame',
  mae: 'MAE / frame',
  psnr: 'PSNR (dB)',
  ssim: 'SSIM',
};

const HIGHER_IS_BETTER = new Set(['psnr', 'ssim']);
const LOWER_IS_BETTER = new Set(['mse', 'cross_entropy', 'mae']);

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
 * Among the prediction columns (future, teacher-forced, baselines), the one with the best value of
 * `metric`, for highlighting; null when the direction is unknown. Reconstruction is left out: it
 * is an easier task, not a competitor.
 */
export function bestGroup(metric: string, row: Record<string, number>): string | null {
  const direction = metricDirection(metric);
  if (!direction) return null;
  const candidates = Object.entries(row).filter(([group]) => !/^recon/.test(group));
  let best: string | null = null;
  for (const [group, value] of candidates) {
    if (!Number.isFinite(value)) continue;
    if (best === null) best = group;
    else if (direction === '↑' ? value > row[best] : value < row[best]) best = group;
  }
  return candidates.length > 1 ? best : null;
}

/** Per-frame curves of one metric: rows for frame index 1..N with one value per group. */
export function perFrameRows(
  perFrame: Record<string, number[]>,
  metric: string,
): { groups: string[]; rows: { frame: number; values: Record<string, number> }[] } {
  const groups: string[] = [];
  const rows: { frame: number; values: Record<string, number> }[] = [];
  for (const [name, curve] of Object.entries(perFrame)) {
    const split = splitMetricName(name);
    if (split.metric !== metric) continue;
    groups.push(split.group);
    curve.forEach((value, i) => {
      rows[i] ??= { frame: i + 1, values: {} };
      if (Number.isFinite(value)) rows[i].values[split.group] = value;
    });
  }
  return { groups: groups.sort(byKnownOrder(GROUP_ORDER)), rows };
}

export function perFrameMetrics(perFrame: Record<string, number[]>): string[] {
  const metrics = new Set(Object.keys(perFrame).map((name) => splitMetricName(name).metric));
  return [...metrics].sort(byKnownOrder(METRIC_ORDER));
}
