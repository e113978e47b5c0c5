/**
 * The axis options shared by the metric charts (a run's loss chart, the compare view's overlaid
 * charts): x over steps or wall-clock time, linear or log y.
 */
import type { XMode } from '../state/workspace';
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
