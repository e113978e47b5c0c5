/**
 * Pieces shared by the metric charts (a run's loss chart, the compare view's overlaid charts):
 * the x-axis / log-scale options, and recharts axis and tooltip settings for step or time.
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

/** XAxis props for a chart over steps or wall-clock seconds (rows keyed `x`). */
export function xAxisProps(xMode: XMode) {
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
  };
}

/** YAxis props: linear or log, or a fixed 0–1 range for fractions. */
export function yAxisProps(logScale: boolean, fraction = false) {
  return {
    type: 'number' as const,
    scale: logScale ? ('log' as const) : ('linear' as const),
    domain: (fraction ? [0, 1] : ['auto', 'auto']) as [number, number] | [string, string],
    allowDataOverflow: logScale,
    tickFormatter: (y: number) => formatValue(y, 4), // 3 digits repeat ticks such as 1415 and 1420
    width: 64,
  };
}

export function tooltipProps(xMode: XMode) {
  return {
    labelFormatter: (x: unknown) =>
      xMode === 'step' ? `step ${Number(x).toLocaleString()}` : formatSeconds(Number(x)),
    formatter: (value: unknown) => formatValue(Number(value)),
  };
}
