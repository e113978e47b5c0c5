/**
 * Pieces shared by the metric charts (a run's loss chart, the compare view's overlaid charts):
 * the x-axis / log-scale options, and recharts axis and tooltip settings for step or time.
 */
import { niceScale, rowExtents } from '../runs/metric-history';
import type { ChartRow } from '../runs/metric-history';
import type { XMode } from '../state/workspace';
import { formatSeconds, formatValue } from './format';
import { SegmentedControl } from './SegmentedControl';

interface AxisOptionsProps {
  xMode: XMode;
  logScale: boolean;
  onXMode(mode: XMode): void;
  onLogScale(logScale: boolean): void;
}

export function AxisOptions({ xMode, logScale, onXMode, onLogScale }: AxisOptionsProps) {
  return (
    <div className="toolbar">
      <SegmentedControl
        label="X axis"
        value={xMode}
        options={[
          { value: 'step', label: 'Step' },
          { value: 'time', label: 'Time' },
        ]}
        onChange={onXMode}
      />
      <label className="field-inline field-label">
        <input
          type="checkbox"
          checked={logScale}
          onChange={(event) => onLogScale(event.target.checked)}
        />
        <span>Log scale</span>
      </label>
    </div>
  );
}

/**
 * Props objects and functions are cached so that a redraw passes recharts the same identities:
 * new ones make it recompute its axis and series settings (and render once more).
 */
function cached<K, V>(make: (key: K) => V): (key: K) => V {
  const cache = new Map<K, V>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = make(key);
      cache.set(key, value);
    }
    return value;
  };
}

export const CHART_MARGIN = { top: 8, right: 16, bottom: 8, left: 8 };
export const CHART_STYLE = { width: '100%', height: '100%' };

/** The dataKey of a series in ChartRow rows: its value at each x. */
export const seriesKey = cached((id: string) => (row: ChartRow) => row.values[id]);

/** XAxis props for a chart over steps or wall-clock seconds (rows keyed `x`). */
export const xAxisProps = cached((xMode: XMode) => {
  return {
    dataKey: 'x',
    type: 'number' as const,
    domain: [0, 'auto'] as [number, string],
    tickFormatter: (x: number) => (xMode === 'step' ? x.toLocaleString() : formatSeconds(x)),
    label: {
      value: xMode === 'step' ? 'step' : 'wall-clock time',
      position: 'insideBottomRight' as const,
      offset: -4,
    },
    height: 40,
    interval: 0, // every tick: they are few and round, no need to measure labels for overlaps
  };
});

/** YAxis props: linear or log, or a fixed 0–1 range for fractions. */
export function yAxisProps(logScale: boolean, fraction = false) {
  return yAxisPropsOf(`${logScale ? 'log' : 'linear'}:${fraction ? 'fraction' : 'auto'}`);
}

const yAxisPropsOf = cached((key: string) => {
  const logScale = key.startsWith('log');
  const fraction = key.endsWith('fraction');
  return {
    type: 'number' as const,
    scale: logScale ? ('log' as const) : ('linear' as const),
    domain: (fraction ? [0, 1] : ['auto', 'auto']) as [number, number] | [string, string],
    allowDataOverflow: logScale,
    tickFormatter: (y: number) => formatValue(y, 4), // 3 digits repeat ticks such as 1415 and 1420
    width: 64,
    interval: 0,
  };
});

export const tooltipProps = cached((xMode: XMode) => {
  return {
    labelFormatter: (x: unknown) =>
      xMode === 'step' ? `step ${Number(x).toLocaleString()}` : formatSeconds(Number(x)),
    formatter: (value: unknown) => formatValue(Number(value)),
  };
});

/**
 * Domains and ticks of both axes for these rows, computed here (niceScale) rather than by recharts:
 * x from 0 (steps, seconds); y over the values, or 0–1 for fractions; a log y axis keeps recharts'
 * own ticks. Spread onto XAxis / YAxis after their props.
 */
export function axisScales(rows: readonly ChartRow[], logScale: boolean, fraction = false) {
  const extents = rowExtents(rows);
  const x = niceScale(extents.x[0], extents.x[1], 6, true);
  const y = fraction ? niceScale(0, 1) : niceScale(extents.y[0], extents.y[1]);
  return {
    x: { domain: x.domain, ticks: x.ticks, niceTicks: 'none' as const },
    y: logScale ? {} : { domain: y.domain, ticks: y.ticks, niceTicks: 'none' as const },
  };
}

interface GridAxis {
  ticks?: readonly unknown[];
  scale?: {
    map(value: unknown): number | undefined;
    ticks?: (count?: number) => readonly number[];
  };
}

/** Pixel positions of an axis's ticks, straight from its scale. */
function tickPositions(axis: GridAxis | undefined): number[] {
  const ticks = axis?.ticks ?? axis?.scale?.ticks?.(5) ?? [];
  const positions: number[] = [];
  for (const tick of ticks) {
    const position = axis?.scale?.map(tick);
    if (position !== undefined && Number.isFinite(position)) positions.push(position);
  }
  return positions;
}

/**
 * CartesianGrid props that place the grid lines at the axes' ticks. Recharts' default generators
 * lay the tick labels out again (measuring their text in the DOM) on every redraw just to find
 * the same positions.
 */
export const GRID_PROPS = {
  stroke: '#e3e8ef',
  horizontalCoordinatesGenerator: ({ yAxis }: { yAxis?: GridAxis }) => tickPositions(yAxis),
  verticalCoordinatesGenerator: ({ xAxis }: { xAxis?: GridAxis }) => tickPositions(xAxis),
};
