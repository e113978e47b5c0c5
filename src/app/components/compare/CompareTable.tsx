/**
 * The numbers of every compared run side by side: one column per run; rows for speed, size and
 * memory, the last value of each training metric, and the latest held-out scores. The best value
 * of a row is marked where "better" is known (lower loss, higher SSIM, …).
 */
import { findModel } from '../../../core/models/registry';
import { compareRow, runColor, unionOfNames } from '../../compare/compare-data';
import type { CompareRow } from '../../compare/compare-data';
import { runManager } from '../../runs/instance';
import type { RunState } from '../../state/store';
import { metricDirection, splitMetricName } from '../eval-table';
import { STATUS_LABELS, formatBytes, formatCount, formatMs, formatValue } from '../format';
import { evaluationLabel } from './CompareCharts';

interface Row {
  label: string;
  title?: string;
  cell(row: CompareRow): string;
  /** Numeric value for picking the best column, and which way is better. */
  value?(row: CompareRow): number | undefined;
  better?: '↑' | '↓';
}

function bestColumn(rows: readonly CompareRow[], row: Row): string | null {
  if (!row.value || !row.better) return null;
  let best: CompareRow | null = null;
  let bestValue = 0;
  let count = 0;
  for (const r of rows) {
    const v = row.value(r);
    if (v === undefined || !Number.isFinite(v)) continue;
    count++;
    if (best === null || (row.better === '↑' ? v > bestValue : v < bestValue)) {
      best = r;
      bestValue = v;
    }
  }
  return count >= 2 ? (best?.id ?? null) : null; // a lone value is not "best" of anything
}

export function CompareTable({ runs }: { runs: readonly RunState[] }) {
  const rows = runs.map((run) => compareRow(run, runManager.history(run.id)));
  const trainingNames = unionOfNames(rows.map((row) => Object.keys(row.final)));
  const evalNames = unionOfNames(rows.map((row) => Object.keys(row.evaluation?.scalars ?? {})));
  const lossDirection = (name: string): '↑' | '↓' | undefined =>
    name.endsWith('_accuracy') ? undefined : name.includes('loss') ? '↓' : undefined;
  const sections: { heading: string; rows: Row[] }[] = [
    {
      heading: 'Run',
      rows: [
        {
          label: 'Model',
          cell: (r) => `${findModel(r.model)?.title ?? r.model} · ${r.variant} · ${r.preset}`,
        },
        {
          label: 'Status',
          cell: (r) =>
            r.error ? `${STATUS_LABELS[r.status]}: ${r.error}` : STATUS_LABELS[r.status],
        },
        { label: 'Backend', cell: (r) => r.backend ?? '—' },
        { label: 'Step', cell: (r) => r.step.toLocaleString() },
        {
          label: 'ms / step',
          title: 'Median of the last 20 steps',
          cell: (r) => formatMs(r.msPerStep),
          value: (r) => r.msPerStep ?? undefined,
          better: '↓',
        },
        {
          label: 'Steps / s',
          cell: (r) => (r.stepsPerSecond ? formatValue(r.stepsPerSecond, 3) : '—'),
          value: (r) => r.stepsPerSecond ?? undefined,
          better: '↑',
        },
        { label: 'Parameters', cell: (r) => formatCount(r.parameterCount) },
        {
          label: 'Memory',
          title: 'GPU buffer pool where the backend reports it, else bytes held by live tensors',
          cell: (r) => formatBytes(r.memoryBytes),
        },
      ],
    },
    {
      heading: 'Training (last value)',
      rows: trainingNames.map((name) => ({
        label: name,
        cell: (r) => formatValue(r.final[name]),
        value: (r) => r.final[name],
        better: lossDirection(name),
      })),
    },
    {
      heading: 'Held-out (latest evaluation)',
      rows: [
        { label: 'Evaluated at step', cell: (r) => r.evaluation?.step.toLocaleString() ?? '—' },
        ...evalNames.map((name): Row => ({
          label: evaluationLabel(name),
          cell: (r) => formatValue(r.evaluation?.scalars[name]),
          value: (r) => r.evaluation?.scalars[name],
          better: metricDirection(splitMetricName(name).metric) || undefined,
        })),
      ],
    },
  ];
  return (
    // Focusable, so that keyboard users can scroll a table wider than the window.
    <div className="table-scroll" tabIndex={0} role="region" aria-label="Final numbers table">
      <table className="metric-table compare-table" data-testid="compare-table">
        <caption className="visually-hidden">Final numbers of every compared run</caption>
        <thead>
          <tr>
            <th scope="col">Quantity</th>
            {rows.map((row) => (
              <th scope="col" key={row.id}>
                <span
                  className="run-swatch"
                  style={{ background: runColor(row.id) }}
                  aria-hidden="true"
                />
                {row.label.split(' ')[0]} {row.model.toUpperCase()}
              </th>
            ))}
          </tr>
        </thead>
        {sections
          .filter((section) => section.rows.length > 0)
          .map((section) => (
            <tbody key={section.heading}>
              <tr className="compare-section">
                <th scope="colgroup" colSpan={rows.length + 1}>
                  {section.heading}
                </th>
              </tr>
              {section.rows.map((row) => {
                const best = bestColumn(rows, row);
                return (
                  <tr key={row.label}>
                    <th scope="row" title={row.title}>
                      {row.label}
                      {row.better ? <span className="direction"> {row.better}</span> : null}
                    </th>
                    {rows.map((r) => (
                      <td key={r.id} className={r.id === best ? 'is-best' : undefined}>
                        {row.cell(r)}
                        {r.id === best ? <span className="visually-hidden"> (best)</span> : null}
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          ))}
      </table>
    </div>
  );
}
