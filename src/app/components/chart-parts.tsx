/**
 * The axis options shared by the metric charts (a run's loss chart, the compare view's overlaid
 * charts): x over steps or wall-clock time, linear or log y, and the curve smoothing that every
 * training curve shares.
 */
import { useId } from 'react';
import { MAX_SMOOTHING, useWorkspace } from '../state/workspace';
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
      <SmoothingControl />
    </div>
  );
}

/**
 * The EMA weight of every training curve (TensorBoard's smoothing slider): one setting in the
 * workspace, so moving it on one chart smooths them all.
 */
export function SmoothingControl() {
  const smoothing = useWorkspace((state) => state.smoothing);
  const setSmoothing = useWorkspace((state) => state.setSmoothing);
  const id = useId();
  return (
    <div className="smoothing-control">
      <label className="field-label" htmlFor={id}>
        Smoothing
      </label>
      <input
        id={id}
        type="range"
        min={0}
        max={MAX_SMOOTHING}
        step={0.01}
        value={smoothing}
        onChange={(event) => setSmoothing(Number(event.target.value))}
      />
      <output htmlFor={id} className="smoothing-value">
        {smoothing.toFixed(2)}
      </output>
    </div>
  );
}
