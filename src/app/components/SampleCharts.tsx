/**
 * Line charts a model sends with its samples (`SampleView.charts`), e.g. quantization PSNR
 * against dictionary size: one small chart per entry, with the values also as text for screen
 * readers.
 */
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { SampleChart } from '../../core/models/types';
import { formatValue } from './format';
import { SERIES_COLORS } from './LossChart';

interface ChartRow {
  x: number;
  values: Record<string, number>;
}

/** Rows keyed by x, one value per series (series may sample different xs). */
function chartRows(chart: SampleChart): ChartRow[] {
  const byX = new Map<number, ChartRow>();
  for (const series of chart.series) {
    for (const [x, y] of series.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      if (chart.xScale === 'log' && x <= 0) continue;
      let row = byX.get(x);
      if (!row) byX.set(x, (row = { x, values: {} }));
      row.values[series.label] = y;
    }
  }
  return [...byX.values()].sort((a, b) => a.x - b.x);
}

/** At most about `count` evenly spaced points, always with the last one (for the text version). */
function spread(points: readonly [number, number][], count: number): [number, number][] {
  if (points.length <= count) return [...points];
  const every = Math.ceil(points.length / count);
  return points.filter((_, i) => i % every === 0 || i === points.length - 1);
}

export function SampleCharts({ charts }: { charts: readonly SampleChart[] }) {
  if (charts.length === 0) return null;
  return (
    <div className="sample-charts">
      {charts.map((chart) => (
        <SampleChartView key={chart.title} chart={chart} />
      ))}
    </div>
  );
}

function SampleChartView({ chart }: { chart: SampleChart }) {
  const rows = chartRows(chart);
  const log = chart.xScale === 'log';
  const ticks = log ? rows.map((row) => row.x) : undefined;
  return (
    <figure className="sample-chart">
      <figcaption>{chart.title}</figcaption>
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
            dataKey="x"
            type="number"
            scale={log ? 'log' : 'linear'}
            domain={['dataMin', 'dataMax']}
            ticks={ticks}
            tickFormatter={(x: number) => x.toLocaleString('en-US')}
            label={{ value: chart.xLabel, position: 'insideBottomRight', offset: -4 }}
            height={40}
          />
          <YAxis
            type="number"
            domain={['auto', 'auto']}
            tickFormatter={(y: number) => formatValue(y, 3)}
            label={{ value: chart.yLabel, angle: -90, position: 'insideLeft', offset: 4 }}
            width={72}
          />
          <Tooltip
            labelFormatter={(x) => `${chart.xLabel} ${Number(x).toLocaleString('en-US')}`}
            formatter={(value) => formatValue(Number(value))}
          />
          {chart.series.length > 1 ? <Legend itemSorter={null} /> : null}
          {chart.series.map((series, i) => (
            <Line
              key={series.label}
              name={series.label}
              dataKey={(row: ChartRow) => row.values[series.label]}
              stroke={SERIES_COLORS[i % SERIES_COLORS.length]}
              strokeWidth={2}
              dot={rows.length <= 24 ? { r: 3 } : false}
              connectNulls
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </div>
      <p className="visually-hidden">
        {chart.series
          .map(
            (series) =>
              `${series.label}: ${spread(series.points, 12)
                .map(([x, y]) => `${chart.xLabel} ${x}: ${chart.yLabel} ${formatValue(y)}`)
                .join('; ')}`,
          )
          .join('. ')}
      </p>
    </figure>
  );
}
