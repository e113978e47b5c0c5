/**
 * Stress tests (Srivastava et al.) of a future predictor trained on Moving MNIST, run in the
 * run's worker on request: one digit fewer and one more than in training, and a rollout past the
 * trained horizon, each beside the in-domain score and the baselines, with one example each.
 */
import { useId, useMemo, useState } from 'react';
import type { FramePanel } from '../../core/models/types';
import type { StressCaseResult } from '../../protocol/messages';
import { runManager } from '../runs/instance';
import type { RunState } from '../state/store';
import { FrameRow } from './FrameRow';
import { formatValue } from './format';
import { SegmentedControl } from './SegmentedControl';

/** Clips per case the user can ask for: a quick look, the default, or tighter averages. */
const CLIP_COUNTS = [16, 64, 256] as const;
type ClipCount = (typeof CLIP_COUNTS)[number];

function digitsLabel(digits: number): string {
  return `${digits} digit${digits === 1 ? '' : 's'}`;
}

function caseLabel(c: StressCaseResult): string {
  switch (c.case) {
    case 'in-domain':
      return `${digitsLabel(c.digits)}, as trained`;
    case 'fewer-digits':
    case 'more-digits':
      return `${digitsLabel(c.digits)}, never seen`;
    case 'long-horizon':
      return `${digitsLabel(c.digits)}, ${c.predictedFrames} frames (trained on ${c.trainedFrames})`;
  }
}

function mean(curve: readonly number[]): number {
  return curve.reduce((a, b) => a + b, 0) / curve.length;
}

export function StressTestPanel({ run }: { run: RunState }) {
  const headingId = useId();
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [clips, setClips] = useState<ClipCount>(64);
  if (!run.stressTestable) return null;
  const result = run.stressTest;
  const start = () => {
    setRunning(true);
    setError(null);
    runManager
      .stressTest(run.id, { clips })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))
      .finally(() => setRunning(false));
  };
  const long = result?.report.cases.find((c) => c.case === 'long-horizon');
  const longCurve = long?.scores.perFrame['prediction/mse'];
  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="card-header">
        <h3 id={headingId}>Stress tests</h3>
        {result ? (
          <span className="muted small">at step {result.step.toLocaleString()}</span>
        ) : null}
      </div>
      <p className="muted small">
        As Srivastava et al. test their LSTM: clips with one digit fewer and one more than it
        trained on, and a prediction rolled out past the frames it learned to predict, each on clips
        of the MNIST test digits it never saw, beside copying the last given frame and optical-flow
        extrapolation.
      </p>
      <div className="toolbar">
        <SegmentedControl
          label="Clips per case"
          value={clips}
          options={CLIP_COUNTS.map((n) => ({ value: n, label: n.toLocaleString('en-US') }))}
          onChange={setClips}
        />
        <button type="button" onClick={start} disabled={running}>
          {running
            ? 'Running stress tests…'
            : result
              ? 'Run stress tests again'
              : 'Run stress tests'}
        </button>
      </div>
      {error ? (
        <p role="alert" className="field-error">
          {error}
        </p>
      ) : null}
      {result ? (
        <>
          <table className="metric-table">
            <caption>
              MSE per frame (sum over a frame’s pixels; lower is better), averaged over{' '}
              {result.report.cases[0]?.clips.toLocaleString('en-US')} clips per case
            </caption>
            <thead>
              <tr>
                <th scope="col">Clips</th>
                <th scope="col">Model</th>
                <th scope="col">Copy last frame</th>
                <th scope="col">Optical flow</th>
              </tr>
            </thead>
            <tbody>
              {result.report.cases.map((c) => (
                <tr key={c.case}>
                  <th scope="row">{caseLabel(c)}</th>
                  <td>{formatValue(c.scores.scalars['prediction/mse'])}</td>
                  <td>{formatValue(c.scores.scalars['baseline/mse'])}</td>
                  <td>{formatValue(c.scores.scalars['baseline/flow/mse'])}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {long && longCurve && long.predictedFrames > long.trainedFrames ? (
            <p className="small">
              Rolled out {long.predictedFrames} frames: MSE{' '}
              {formatValue(mean(longCurve.slice(0, long.trainedFrames)))} over the{' '}
              {long.trainedFrames} frames it was trained to predict,{' '}
              {formatValue(mean(longCurve.slice(long.trainedFrames)))} over frames{' '}
              {long.trainedFrames + 1}–{long.predictedFrames}.
            </p>
          ) : null}
          {result.report.cases.map((c) => (
            <figure key={c.case} className="stress-example">
              <figcaption className="small">{caseLabel(c)}: the first clip</figcaption>
              {c.example.map((panel) => (
                <PanelRow
                  key={panel.label}
                  panel={panel}
                  context={caseLabel(c)}
                  perLine={Math.max(c.givenFrames, c.trainedFrames)}
                />
              ))}
            </figure>
          ))}
        </>
      ) : null}
    </section>
  );
}

/**
 * A panel's frames ([0, 1] values) in a row, named `context: label, t frames`; a row longer than
 * `perLine` frames wraps (a rollout past the trained horizon keeps the trained rows' frame size).
 */
export function PanelRow({
  panel,
  context,
  scale = 2,
  perLine,
}: {
  panel: FramePanel;
  context: string;
  scale?: number;
  perLine?: number;
}) {
  const bytes = useMemo(
    () => Uint8Array.from(panel.frames, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)),
    [panel.frames],
  );
  return (
    <div className={perLine && panel.t > perLine ? 'frame-row is-wrapped' : 'frame-row'}>
      <span className="frame-label">{panel.label}</span>
      <FrameRow
        data={bytes}
        count={panel.t}
        width={panel.width}
        height={panel.height}
        channels={panel.channels}
        label={`${context}: ${panel.label}, ${panel.t} frame${panel.t === 1 ? '' : 's'}`}
        scale={scale}
        perLine={perLine}
      />
    </div>
  );
}
