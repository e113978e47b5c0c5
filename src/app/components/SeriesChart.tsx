/**
 * A line chart of several series over steps or wall-clock time (a run's losses, the compare view's
 * overlaid runs), drawn as plain SVG: grid, axes, curves, legend and a hover readout, on the axes
 * chartAxes chooses. These charts redraw every second while runs train and the compare view
 * mounts a dozen at once; a recharts chart (used for the small charts models send with their
 * samples) spends 15–20 ms of main-thread time mounting — its store, selectors and layout
 * measurements — which, on a slow machine whose cores are busy training, made the compare view's
 * first draws main-thread tasks of over 50 ms.
 */
import { memo, useId, useRef, useState } from 'react';
import type { PointerEvent } from 'react';
import { chartAxes, curvePath, nearestRow, pixelScale, rawSeriesKey } from '../runs/metric-history';
import type { AxisScale, ChartRow, PixelScale, Scale } from '../runs/metric-history';
import type { XMode } from '../state/workspace';
import { formatSeconds, formatValue } from './format';
import { useElementSize } from './hooks';

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
  /** The rows hold smoothed values, and the raw ones under rawSeriesKey: drawn faint behind. */
  smoothed?: boolean;
}

export function SeriesChart({
  rows,
  series,
  xMode,
  logScale,
  fraction = false,
  smoothed = false,
}: SeriesChartProps) {
  const axes = useStableAxes(rows, xMode, logScale, fraction);
  const box = useRef<HTMLDivElement>(null);
  const { width, height } = useElementSize(box);
  const plot = plotArea(width, height);
  return (
    <div className="series-chart">
      <div className="series-chart-plot" ref={box}>
        {plot ? (
          <svg width={width} height={height} className="series-chart-svg">
            <Axes xMode={xMode} x={axes.x} y={axes.y} plot={plot} logScale={logScale} />
            <Curves
              rows={rows}
              series={series}
              smoothed={smoothed}
              xMode={xMode}
              plot={plot}
              xScale={pixelScale(axes.x, plot.x, plot.x + plot.width)}
              yScale={pixelScale(axes.y, plot.y + plot.height, plot.y, logScale)}
            />
          </svg>
        ) : null}
      </div>
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

interface PlotArea {
  x: number;
  y: number;
  width: number;
  height: number;
}

const MARGIN = { top: 8, right: 16, bottom: 8, left: 8 };
const Y_AXIS_WIDTH = 64;
const X_AXIS_HEIGHT = 40;
const TICK_SIZE = 6;
const TICK_GAP = 2;

/** Where the curves go in a chart of this size (null when there is no room). */
function plotArea(width: number, height: number): PlotArea | null {
  const x = MARGIN.left + Y_AXIS_WIDTH;
  const plot = {
    x,
    y: MARGIN.top,
    width: width - x - MARGIN.right,
    height: height - MARGIN.top - MARGIN.bottom - X_AXIS_HEIGHT,
  };
  return plot.width > 0 && plot.height > 0 ? plot : null;
}

const stepFormat = new Intl.NumberFormat();

interface AxesProps {
  xMode: XMode;
  logScale: boolean;
  x: AxisScale;
  y: AxisScale;
  plot: PlotArea;
}

/**
 * Grid, axis lines, ticks and labels. Memoised: chartAxes keeps the same axis objects while new
 * points still fit, so a redraw for new points redraws only the curves.
 */
const Axes = memo(
  function Axes({ xMode, logScale, x, y, plot }: AxesProps) {
    const xAt = pixelScale(x, plot.x, plot.x + plot.width);
    const yAt = pixelScale(y, plot.y + plot.height, plot.y, logScale);
    const bottom = plot.y + plot.height;
    const right = plot.x + plot.width;
    const xTicks = placed(x.ticks, xAt);
    const yTicks = placed(y.ticks, yAt);
    const xLabel = xMode === 'step' ? (v: number) => stepFormat.format(v) : formatSeconds;
    return (
      <g className="chart-axes">
        <g className="chart-grid">
          {xTicks.map(({ position }) => (
            <line key={`x${position}`} x1={position} x2={position} y1={plot.y} y2={bottom} />
          ))}
          {yTicks.map(({ position }) => (
            <line key={`y${position}`} x1={plot.x} x2={right} y1={position} y2={position} />
          ))}
        </g>
        <g className="chart-axis">
          <line x1={plot.x} x2={right} y1={bottom} y2={bottom} />
          <line x1={plot.x} x2={plot.x} y1={plot.y} y2={bottom} />
          {xTicks.map(({ value, position }) => (
            <g key={value}>
              <line x1={position} x2={position} y1={bottom} y2={bottom + TICK_SIZE} />
              <text
                x={position}
                y={bottom + TICK_SIZE + TICK_GAP}
                dy="0.71em"
                textAnchor="middle"
                className="chart-tick"
              >
                {xLabel(value)}
              </text>
            </g>
          ))}
          {yTicks.map(({ value, position }) => (
            <g key={value}>
              <line x1={plot.x - TICK_SIZE} x2={plot.x} y1={position} y2={position} />
              <text
                x={plot.x - TICK_SIZE - TICK_GAP}
                y={position}
                dy="0.355em"
                textAnchor="end"
                className="chart-tick"
              >
                {/* 4 digits: 3 repeat ticks such as 1415 and 1420 */}
                {formatValue(value, 4)}
              </text>
            </g>
          ))}
        </g>
        <text
          x={right}
          y={bottom + X_AXIS_HEIGHT + MARGIN.bottom / 2}
          textAnchor="end"
          className="chart-axis-label"
        >
          {xMode === 'step' ? 'step' : 'wall-clock time'}
        </text>
      </g>
    );
  },
  (a, b) =>
    a.xMode === b.xMode &&
    a.logScale === b.logScale &&
    a.x === b.x &&
    a.y === b.y &&
    a.plot.width === b.plot.width &&
    a.plot.height === b.plot.height,
);

/** An axis's ticks with their pixel positions (ticks the scale cannot place left out). */
function placed(ticks: readonly number[], at: Scale) {
  const result: { value: number; position: number }[] = [];
  for (const value of ticks) {
    const position = at(value);
    if (position !== undefined && Number.isFinite(position)) result.push({ value, position });
  }
  return result;
}

interface CurvesProps {
  rows: ChartRow[];
  series: ChartSeries[];
  smoothed: boolean;
  xMode: XMode;
  plot: PlotArea;
  xScale: PixelScale;
  yScale: PixelScale;
}

/** The curves, clipped to the plot area, and the readout of the row nearest the pointer. */
function Curves({ rows, series, smoothed, xMode, plot, xScale, yScale }: CurvesProps) {
  const clipId = useId();
  const [hoverX, setHoverX] = useState<number | null>(null);
  const hovered = hoverX === null ? null : nearestRow(rows, xScale.invert(hoverX));
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
        {/* As TensorBoard draws it: the raw curve faint behind its smoothed one. */}
        {smoothed
          ? series.map(({ id, color }) => (
              <path
                key={rawSeriesKey(id)}
                className="chart-series-raw"
                d={curvePath(rows, rawSeriesKey(id), xScale, yScale)}
                fill="none"
                stroke={color}
                strokeOpacity={0.25}
                strokeWidth={1}
                strokeLinejoin="round"
              />
            ))
          : null}
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
          smoothed={smoothed}
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
  smoothed: boolean;
  xMode: XMode;
  plot: PlotArea;
  xScale: Scale;
  yScale: Scale;
}

const LINE_HEIGHT = 16;
const CHAR_WIDTH = 6.6; // 11px monospace
const TEXT = '#334155';

/** A guide line at the row's x, a dot on each curve, and a box listing the values. */
function HoverReadout({ row, series, smoothed, xMode, plot, xScale, yScale }: HoverReadoutProps) {
  const raw = (id: string) => {
    const value = smoothed ? row.values[rawSeriesKey(id)] : undefined;
    return value === undefined ? '' : ` (raw ${formatValue(value)})`;
  };
  const px = xScale(row.x) ?? plot.x;
  const lines = [
    {
      text: xMode === 'step' ? `step ${row.x.toLocaleString()}` : formatSeconds(row.x),
      color: TEXT,
    },
    ...series
      .filter(({ id }) => row.values[id] !== undefined)
      .map(({ id, label, color }) => ({
        text: `${label}: ${formatValue(row.values[id])}${raw(id)}`,
        color,
      })),
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
