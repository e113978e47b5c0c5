/**
 * A line chart of several series over steps or wall-clock time (a run's losses, the compare view's
 * overlaid runs). Recharts draws the frame (axes, grid), memoised on the axes' domains and ticks,
 * which are kept while the values still fit them (chartAxes); the curves, the legend and the hover
 * readout are drawn here from recharts' scales. A recharts redraw of axes, ticks and lines costs
 * 15–20 ms of main-thread time on a slow machine, once a second per chart, while training; the
 * curves alone cost well under a millisecond.
 */
import { createContext, memo, useContext, useId, useMemo, useState } from 'react';
import type { PointerEvent } from 'react';
import {
  CartesianGrid,
  LineChart,
  XAxis,
  YAxis,
  usePlotArea,
  useXAxisInverseScale,
  useXAxisScale,
  useYAxisScale,
} from 'recharts';
import { chartAxes, curvePath, nearestRow } from '../runs/metric-history';
import type { AxisScale, ChartRow, Scale } from '../runs/metric-history';
import type { XMode } from '../state/workspace';
import { CHART_MARGIN, CHART_STYLE, GRID_PROPS, xAxisProps, yAxisProps } from './chart-parts';
import { formatSeconds, formatValue } from './format';

export interface ChartSeries {
  /** The key of the series' values in the rows. */
  id: string;
  label: string;
  color: string;
  strokeWidth?: number;
}

interface SeriesChartProps {
  rows: ChartRow[];
  series: ChartSeries[];
  xMode: XMode;
  logScale: boolean;
  /** Values are fractions (accuracies): a fixed 0–1 axis. */
  fraction?: boolean;
}

interface Curves {
  rows: ChartRow[];
  series: ChartSeries[];
  xMode: XMode;
}

const CurvesContext = createContext<Curves>({ rows: [], series: [], xMode: 'step' });

export function SeriesChart({ rows, series, xMode, logScale, fraction = false }: SeriesChartProps) {
  const curves = useMemo(() => ({ rows, series, xMode }), [rows, series, xMode]);
  const { x, y } = useStableAxes(rows, xMode, logScale, fraction);
  return (
    <div className="series-chart">
      <CurvesContext.Provider value={curves}>
        <ChartFrame xMode={xMode} logScale={logScale} x={x} y={y} />
      </CurvesContext.Provider>
      <ul className="chart-legend">
        {series.map(({ id, label, color }) => (
          <li key={id} className="chart-legend-item">
            <span className="chart-legend-swatch" style={{ background: color }} />
            {label}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The chart's axes, kept from the last redraw while the values still fit them (chartAxes). */
function useStableAxes(rows: ChartRow[], xMode: XMode, logScale: boolean, fraction: boolean) {
  const mode = `${xMode}:${logScale}:${fraction}`;
  const [drawn, setDrawn] = useState(() => ({
    rows,
    mode,
    axes: chartAxes(rows, logScale, fraction),
  }));
  if (drawn.rows === rows && drawn.mode === mode) return drawn.axes;
  // New rows: state from the previous render, updated during render as React documents it.
  const axes = chartAxes(rows, logScale, fraction, drawn.mode === mode ? drawn.axes : undefined);
  setDrawn({ rows, mode, axes });
  return axes;
}

function explicitAxis({ domain, ticks }: AxisScale) {
  return { domain, ticks, niceTicks: 'none' as const, allowDataOverflow: true };
}

function axisKey({ domain, ticks }: AxisScale): string {
  return `${domain.join()}|${ticks.join()}`;
}

interface FrameProps {
  xMode: XMode;
  logScale: boolean;
  x: AxisScale;
  y: AxisScale;
}

/**
 * Two corner rows for recharts' data; the axes' domains are explicit (allowDataOverflow: these
 * domains as they are, not widened to the data).
 */
function frameRows(x: AxisScale, y: AxisScale) {
  return [
    { x: x.domain[0], y: y.domain[0] },
    { x: x.domain[1], y: y.domain[1] },
  ];
}

/** Redraws only when the axes change, not for new points. */
const ChartFrame = memo(
  function ChartFrame({ xMode, logScale, x, y }: FrameProps) {
    return (
      <LineChart responsive style={CHART_STYLE} data={frameRows(x, y)} margin={CHART_MARGIN}>
        <CartesianGrid {...GRID_PROPS} />
        <XAxis {...xAxisProps(xMode)} {...explicitAxis(x)} />
        <YAxis {...yAxisProps(logScale)} {...explicitAxis(y)} />
        <CurveLayer />
      </LineChart>
    );
  },
  (a, b) =>
    a.xMode === b.xMode &&
    a.logScale === b.logScale &&
    axisKey(a.x) === axisKey(b.x) &&
    axisKey(a.y) === axisKey(b.y),
);

/** The curves, clipped to the plot area, and the readout of the row nearest the pointer. */
function CurveLayer() {
  const { rows, series, xMode } = useContext(CurvesContext);
  const xScale = useXAxisScale() as Scale | undefined;
  const yScale = useYAxisScale() as Scale | undefined;
  const xAt = useXAxisInverseScale();
  const plot = usePlotArea();
  const clipId = useId();
  const [hoverX, setHoverX] = useState<number | null>(null);
  if (!xScale || !yScale || !plot || !xAt) return null;

  const hovered = hoverX === null ? null : nearestRow(rows, Number(xAt(hoverX)));
  const onPointerMove = (event: PointerEvent<SVGRectElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    setHoverX(plot.x + event.clientX - box.left);
  };
  return (
    <g className="chart-curves">
      <defs>
        <clipPath id={clipId}>
          {/* a few pixels above and below, so a curve along the top or bottom keeps its stroke */}
          <rect x={plot.x} y={plot.y - 3} width={plot.width} height={plot.height + 6} />
        </clipPath>
      </defs>
      <g clipPath={`url(#${clipId})`}>
        {series.map(({ id, color, strokeWidth = 2 }) => (
          <path
            key={id}
            className="chart-series"
            d={curvePath(rows, id, xScale, yScale)}
            fill="none"
            stroke={color}
            strokeWidth={strokeWidth}
            strokeLinejoin="round"
          />
        ))}
      </g>
      {hovered ? (
        <HoverReadout
          row={hovered}
          series={series}
          xMode={xMode}
          plot={plot}
          xScale={xScale}
          yScale={yScale}
        />
      ) : null}
      <rect
        x={plot.x}
        y={plot.y}
        width={plot.width}
        height={plot.height}
        fill="transparent"
        onPointerMove={onPointerMove}
        onPointerLeave={() => setHoverX(null)}
      />
    </g>
  );
}

interface HoverReadoutProps {
  row: ChartRow;
  series: ChartSeries[];
  xMode: XMode;
  plot: { x: number; y: number; width: number; height: number };
  xScale: Scale;
  yScale: Scale;
}

const LINE_HEIGHT = 16;
const CHAR_WIDTH = 6.6; // 11px monospace
const TEXT = '#334155';

/** A guide line at the row's x, a dot on each curve, and a box listing the values. */
function HoverReadout({ row, series, xMode, plot, xScale, yScale }: HoverReadoutProps) {
  const px = xScale(row.x) ?? plot.x;
  const lines = [
    {
      text: xMode === 'step' ? `step ${row.x.toLocaleString()}` : formatSeconds(row.x),
      color: TEXT,
    },
    ...series
      .filter(({ id }) => row.values[id] !== undefined)
      .map(({ id, label, color }) => ({ text: `${label}: ${formatValue(row.values[id])}`, color })),
  ];
  const width = 16 + CHAR_WIDTH * Math.max(...lines.map(({ text }) => text.length));
  const height = 8 + LINE_HEIGHT * lines.length;
  const left = px + 12 + width > plot.x + plot.width ? px - 12 - width : px + 12;
  return (
    <g className="chart-hover" pointerEvents="none">
      <line x1={px} x2={px} y1={plot.y} y2={plot.y + plot.height} stroke="#94a3b8" />
      {series.map(({ id, color }) => {
        const value = row.values[id];
        const py = value === undefined ? undefined : yScale(value);
        return py === undefined ? null : <circle key={id} cx={px} cy={py} r={3.5} fill={color} />;
      })}
      <g transform={`translate(${Math.max(plot.x, left)},${plot.y + 4})`}>
        <rect width={width} height={height} rx={4} fill="white" stroke="#cbd5e1" />
        {lines.map(({ text, color }, i) => (
          <text key={i} x={8} y={LINE_HEIGHT * (i + 1)} className="chart-hover-text" fill={color}>
            {text}
          </text>
        ))}
      </g>
    </g>
  );
}
