/**
 * Held-out evaluation: a table of scalar metrics (rows: metric; columns: reconstruction, future,
 * baseline…) and per-frame curves of one metric over the predicted-frame index.
 */
import { useId, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { findModel } from '../../core/models/registry';
import type { EvalResult } from '../../core/models/types';
import type { RunState } from '../state/store';
import {
  bestGroups,
  buildMetricTable,
  groupLabel,
  metricDirection,
  metricLabel,
  perFrameMetrics,
  perFrameRows,
} from './eval-table';
import { formatValue } from './format';
import { SERIES_COLORS } from './LossChart';
import { SegmentedControl } from './SegmentedControl';

/** Steps between evaluations: from the worker's config, or resolved from the spec before that. */
function evaluationInterval(run: RunState): number | null {
  if (typeof run.config?.evalEvery === 'number') return run.config.evalEvery;
  const entry = findModel(run.spec.model);
  if (!entry) return null;
  try {
    const variant = run.spec.variant ?? entry.defaultVariant;
    const preset = run.spec.preset ?? entry.defaultPreset;
    return entry.resolve(variant, preset, run.spec.config).cadence.evalEvery;
  } catch {
    return null;
  }
}

const GROUP_COLORS: Record<string, string> = {
  recon: '#ea580c',
  recon_tf: '#c026d3',
  future: '#2563eb',
  future_tf: '#059669',
  'baseline/future': '#6b7280',
  'baseline/flow/future': '#b45309',
  test: '#9333ea',
  extrapolation: '#2563eb',
  'baseline/extrapolation': '#6b7280',
  'baseline/flow/extrapolation': '#b45309',
  filling: '#059669',
  'baseline/filling': '#374151',
};

const SHORT_METRIC_LABELS: Record<string, string> = {
  loss: 'Cross-entropy',
  mse: 'MSE',
  cross_entropy: 'Cross-entropy',
  mae: 'MAE',
  psnr: 'PSNR',
  ssim: 'SSIM',
};

export function EvalPanel({ run }: { run: RunState }) {
  const headingId = useId();
  const evalEvery = evaluationInterval(run);
  const evaluation = run.evaluation;
  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="card-header">
        <h3 id={headingId}>Evaluation</h3>
        {evaluation ? (
          <span className="muted small">
            held-out set, at step {evaluation.step.toLocaleString()}
          </span>
        ) : null}
      </div>
      {evaluation ? (
        <>
          <MetricTableView result={evaluation.result} />
          <PerFrameChart result={evaluation.result} />
        </>
      ) : (
        <p className="empty-state">
          Evaluation on the fixed held-out set runs
          {evalEvery === null
            ? ' at regular intervals'
            : ` every ${evalEvery.toLocaleString()} steps`}
          , on Stop, or with “Evaluate now”.
        </p>
      )}
      <MetricDefinitions />
    </section>
  );
}

function MetricTableView({ result }: { result: EvalResult }) {
  const table = buildMetricTable(result.scalars);
  if (table.metrics.length === 0) return <p className="muted">No scalar metrics reported.</p>;
  return (
    // Focusable, so that keyboard users can scroll a table wider than the window.
    <div className="table-scroll" tabIndex={0} role="region" aria-label="Evaluation metrics table">
      <table className="metric-table">
        <thead>
          <tr>
            <th scope="col">Metric</th>
            {table.groups.map((group) => (
              <th scope="col" key={group}>
                {groupLabel(group)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.metrics.map((metric) => {
            const row = table.values[metric];
            const best = bestGroups(metric, row);
            const direction = metricDirection(metric);
            return (
              <tr key={metric}>
                <th scope="row">
                  {metricLabel(metric)}
                  {direction ? (
                    <span
                      className="direction"
                      title={direction === '↑' ? 'higher is better' : 'lower is better'}
                    >
                      {' '}
                      {direction}
                      <span className="visually-hidden">
                        {direction === '↑' ? ' higher is better' : ' lower is better'}
                      </span>
                    </span>
                  ) : null}
                </th>
                {table.groups.map((group) => (
                  <td key={group} className={best.has(group) ? 'is-best' : undefined}>
                    {row[group] === undefined ? '—' : formatValue(row[group])}
                    {best.has(group) ? <span className="visually-hidden"> (best)</span> : null}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function PerFrameChart({ result }: { result: EvalResult }) {
  const metrics = perFrameMetrics(result.perFrame);
  const [chosen, setChosen] = useState<string | null>(null);
  const metric = chosen && metrics.includes(chosen) ? chosen : metrics[0];
  if (!metric) return null;
  const { groups, rows } = perFrameRows(result.perFrame, metric, result.firstFrame);
  return (
    <div className="per-frame">
      <div className="card-header">
        <h4>Per predicted frame</h4>
        <SegmentedControl
          label="Metric"
          value={metric}
          options={metrics.map((m) => ({ value: m, label: SHORT_METRIC_LABELS[m] ?? m }))}
          onChange={setChosen}
        />
      </div>
      <div className="chart-box chart-box-small" aria-hidden="true">
        <LineChart
          responsive
          // The chart box is hidden from assistive technology (its values are given as text), so
          // the chart must not take keyboard focus either.
          accessibilityLayer={false}
          style={{ width: '100%', height: '100%' }}
          data={rows}
          margin={{ top: 8, right: 16, bottom: 8, left: 8 }}
        >
          <CartesianGrid stroke="#e3e8ef" />
          <XAxis
            dataKey="frame"
            type="number"
            domain={['dataMin', 'dataMax']}
            allowDecimals={false}
            label={{ value: 'frame index', position: 'insideBottomRight', offset: -4 }}
            height={40}
          />
          <YAxis
            type="number"
            domain={['auto', 'auto']}
            tickFormatter={(y: number) => formatValue(y, 3)}
            width={64}
          />
          <Tooltip
            labelFormatter={(frame) => `frame ${String(frame)}`}
            formatter={(value) => formatValue(Number(value))}
          />
          <Legend itemSorter={null} />
          {groups.map((group, i) => (
            <Line
              key={group}
              name={groupLabel(group)}
              dataKey={(row: { values: Record<string, number> }) => row.values[group]}
              stroke={GROUP_COLORS[group] ?? SERIES_COLORS[i % SERIES_COLORS.length]}
              strokeDasharray={group.startsWith('baseline') ? '6 4' : undefined}
              strokeWidth={2}
              dot={{ r: 2.5 }}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </div>
      <p className="visually-hidden">
        {groups
          .map(
            (group) =>
              `${groupLabel(group)}: ${rows.map((row) => formatValue(row.values[group])).join(', ')}`,
          )
          .join('. ')}
      </p>
    </div>
  );
}

function MetricDefinitions() {
  return (
    <details className="definitions">
      <summary>What the metrics mean</summary>
      <dl>
        <dt>MSE / frame</dt>
        <dd>
          Sum of squared errors over all pixels of a frame (64×64 on the paper preset), with pixels
          in [0, 1]; averaged over frames and held-out sequences.
        </dd>
        <dt>Cross-entropy / frame</dt>
        <dd>
          Per-pixel binary cross-entropy between the true intensity and the predicted one, summed
          over the pixels of a frame (the paper’s loss for Moving MNIST).
        </dd>
        <dt>PSNR</dt>
        <dd>
          Peak signal-to-noise ratio, 10·log₁₀(1 / mean squared error per pixel), in dB; higher is
          better.
        </dd>
        <dt>SSIM</dt>
        <dd>
          Structural similarity (Wang et al., 2004): compares local means, contrast and structure; 1
          is identical.
        </dd>
        <dt>Copy-last-frame baseline</dt>
        <dd>
          Predicts every future frame as the last input frame: a model worth its training beats it.
        </dd>
        <dt>Optical-flow baseline</dt>
        <dd>
          Finds how each pixel moved between the last two given frames (block matching: the 5×5
          block of the last frame is looked for in the frame before, up to 4 pixels away) and keeps
          it moving at that speed; the pixels it uncovers take the background behind them. The
          baseline Ranzato et al. discuss beside their video language model.
        </dd>
        <dt>Cross-entropy / perplexity per patch</dt>
        <dd>
          Video language model: −log of the probability the model gives the true dictionary code of
          each patch in the next frame, in nats, averaged over patches; perplexity is its exp (the
          number of equally likely codes it is as unsure as).
        </dd>
        <dt>Extrapolation / filling</dt>
        <dd>
          Frames generated from frames 1–2, or filled in between frames 1 and 5, decoded to pixels
          and scored like the rows above; the baselines copy frame 2 or interpolate frames 1 and 5
          linearly. “Quantized truth” is the true clip through the dictionary and back: the best any
          code prediction can score.
        </dd>
        <dt>Teacher-forced</dt>
        <dd>
          The decoder sees the true previous frame at each step instead of its own prediction
          (easier than free-running prediction).
        </dd>
      </dl>
    </details>
  );
}
