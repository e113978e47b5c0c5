/**
 * Pieces shared by the metric charts (a run's loss chart, the compare view's overlaid charts):
 * the x-axis / log-scale options, and recharts axis and grid settings for step or time.
 */
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

interface TickProps {
  x: number | string;
  y: number | string;
  payload: { value: unknown };
}

const stepFormat = new Intl.NumberFormat();

/**
 * A tick label as plain SVG text. Recharts' own tick labels lay their text out for wrapping,
 * measuring every new label in the DOM (a forced layout) when the axis grows.
 */
function tickLabel(format: (value: number) => string, axis: 'x' | 'y') {
  return function TickLabel({ x, y, payload }: TickProps) {
    return (
      <text
        x={x}
        y={y}
        dy={axis === 'x' ? '0.71em' : '0.355em'}
        textAnchor={axis === 'x' ? 'middle' : 'end'}
        className="chart-tick"
      >
        {format(Number(payload.value))}
      </text>
    );
  };
}

/** XAxis props for a chart over steps or wall-clock seconds (rows keyed `x`). */
export const xAxisProps = cached((xMode: XMode) => {
  return {
    dataKey: 'x',
    type: 'number' as const,
    tick: tickLabel(xMode === 'step' ? (x) => stepFormat.format(x) : formatSeconds, 'x'),
    label: {
      value: xMode === 'step' ? 'step' : 'wall-clock time',
      position: 'insideBottomRight' as const,
      offset: -4,
    },
    height: 40,
    interval: 0, // every tick: they are few and round, no need to measure labels for overlaps
  };
});

/** YAxis props, linear or log. */
export const yAxisProps = cached((logScale: boolean) => {
  return {
    dataKey: 'y',
    type: 'number' as const,
    scale: logScale ? ('log' as const) : ('linear' as const),
    tick: tickLabel((y) => formatValue(y, 4), 'y'), // 3 digits repeat ticks such as 1415 and 1420
    width: 64,
    interval: 0,
  };
});

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
