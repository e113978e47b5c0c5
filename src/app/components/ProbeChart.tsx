/**
 * The papers' few-label chart for one probe (Srivastava et al.'s fine-tuning table, Vondrick et
 * al.'s Figure 4a): score against labelled clips per class on a log axis, the pretrained
 * features beside the same network from random initialisation, the same linear probe on the
 * clips' mean frame (the pixels themselves) and the chance level. Plain SVG
 * in a fixed view box (it scales with its card), with the numbers in a table below it.
 */
import { useId } from 'react';
import type { ProbeReport } from '../../protocol/probe';
import { formatValue } from './format';
import { linearMap, probeTicks } from './probe-chart';

const WIDTH = 360;
const HEIGHT = 190;
const PLOT = { left: 40, right: 12, top: 10, bottom: 34 };
const Y_TICKS = [0, 0.25, 0.5, 0.75, 1];
export const PROBE_SERIES = [
  { key: 'pretrained', label: 'Pretrained', color: '#1f56c9', dash: undefined },
  { key: 'random', label: 'Random init', color: '#c2410c', dash: '5 4' },
  { key: 'meanFrame', label: 'Mean frame (pixels)', color: '#2f7d4f', dash: '7 3 2 3' },
] as const;

type ProbeSeries = (typeof PROBE_SERIES)[number];

/** The series a report has, with their scores (a fine-tuned report has no mean-frame probe). */
function seriesOf(report: ProbeReport): { series: ProbeSeries; scores: number[] }[] {
  return PROBE_SERIES.flatMap((series) => {
    const scores = report[series.key];
    return scores ? [{ series, scores }] : [];
  });
}

const TASK_TITLES: Record<ProbeReport['task'], string> = {
  'first-digit': 'first digit',
  'digits-present': 'digits present',
  'file-labels': 'your labels',
};

export function probeTitle(report: ProbeReport): string {
  const mode = report.mode === 'linear' ? 'Linear probe' : 'Fine-tuned';
  return `${mode}, ${TASK_TITLES[report.task]}`;
}

/** What the clips were: their digits per clip, or the labels given to the files. */
function clipsCaption(report: ProbeReport): string {
  if (report.digits !== null) {
    return `${report.digits} digit${report.digits === 1 ? '' : 's'} per clip`;
  }
  const classes = report.classes ?? [];
  return `${classes.length} labels (${classes.join(', ')}), ${report.trainClips} clips to learn from, ${report.testClips} to test`;
}

/** `runLabel` names the run in the chart's accessible name (Compare shows several runs' charts). */
export function ProbeChart({ report, runLabel }: { report: ProbeReport; runLabel?: string }) {
  const titleId = useId();
  const ticks = probeTicks(report.labelsPerClass, report.trainClips, report.classes?.length);
  const positions = ticks.map((tick) => tick.at);
  const x = linearMap(
    Math.min(...positions),
    Math.max(...positions),
    PLOT.left + 14,
    WIDTH - PLOT.right - 14,
  );
  const y = linearMap(0, 1, HEIGHT - PLOT.bottom, PLOT.top);
  const title = probeTitle(report);
  const name = runLabel ? `${runLabel}: ${title}` : title;
  const shown = seriesOf(report);
  const summary = shown
    .map(
      ({ series, scores }) =>
        `${series.label}: ${ticks.map((t, i) => `${formatValue(scores[i], 3)} at ${t.label}`).join(', ')}`,
    )
    .join('; ');
  return (
    <figure className="probe-chart">
      <figcaption id={titleId} className="small">
        {title} · step {report.step.toLocaleString()} · {clipsCaption(report)}
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`${name}: score against labelled clips per class. ${summary}; chance ${formatValue(report.chance, 3)}`}
      >
        {Y_TICKS.map((v) => (
          <g key={v}>
            <line x1={PLOT.left} x2={WIDTH - PLOT.right} y1={y(v)} y2={y(v)} stroke="#e3e8ef" />
            <text x={PLOT.left - 6} y={y(v) + 4} textAnchor="end" className="probe-chart-tick">
              {v}
            </text>
          </g>
        ))}
        {ticks.map((tick) => (
          <text
            key={String(tick.count)}
            x={x(tick.at)}
            y={HEIGHT - PLOT.bottom + 14}
            textAnchor="middle"
            className="probe-chart-tick"
          >
            {tick.label}
          </text>
        ))}
        <text
          x={(PLOT.left + WIDTH - PLOT.right) / 2}
          y={HEIGHT - 4}
          textAnchor="middle"
          className="probe-chart-tick"
        >
          labelled clips per class (log scale)
        </text>
        <line
          x1={PLOT.left}
          x2={WIDTH - PLOT.right}
          y1={y(report.chance)}
          y2={y(report.chance)}
          stroke="#566273"
          strokeDasharray="2 3"
        />
        <text
          x={WIDTH - PLOT.right}
          y={y(report.chance) - 4}
          textAnchor="end"
          className="probe-chart-tick"
        >
          chance {formatValue(report.chance, 2)}
        </text>
        {shown.map(({ series: s, scores }) => {
          const points = ticks.map((tick, i) => [x(tick.at), y(scores[i])] as const);
          return (
            <g key={s.key}>
              <polyline
                points={points.map(([px, py]) => `${px},${py}`).join(' ')}
                fill="none"
                stroke={s.color}
                strokeWidth={2}
                strokeDasharray={s.dash}
              />
              {points.map(([px, py], i) => (
                <circle key={i} cx={px} cy={py} r={3} fill={s.color} />
              ))}
            </g>
          );
        })}
      </svg>
      <ul className="chart-legend">
        {shown.map(({ series: s }) => (
          <li key={s.key} className="chart-legend-item">
            <span className="chart-legend-swatch" style={{ background: s.color }} />
            {s.label}
          </li>
        ))}
        <li className="chart-legend-item muted">
          <span className="chart-legend-swatch probe-chance-swatch" />
          Chance
        </li>
      </ul>
      <table className="metric-table probe-table" aria-labelledby={titleId}>
        <thead>
          <tr>
            <th scope="col">Labelled per class</th>
            {ticks.map((tick) => (
              <th scope="col" key={String(tick.count)}>
                {tick.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map(({ series: s, scores }) => (
            <tr key={s.key}>
              <th scope="row">{s.label}</th>
              {scores.map((score, i) => (
                <td key={i}>{formatValue(score, 3)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
