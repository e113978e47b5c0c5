/**
 * Feature views (Srivastava et al. Figures 5–6, Vondrick et al.'s first-layer filters): the run's
 * weights as pictures and the units that respond most to a chosen held-out clip, read from the
 * run's worker on request (between two training steps) and drawn pixel for pixel.
 */
import { useId, useState } from 'react';
import { runManager } from '../runs/instance';
import type { RunState } from '../state/store';
import { describeCommandError } from './errors';
import { SampleCharts } from './SampleCharts';
import { PanelRow } from './StressTestPanel';

export function FeatureViewsPanel({ run }: { run: RunState }) {
  const headingId = useId();
  const clipId = useId();
  const count = run.heldOut?.count ?? 0;
  const main = run.exampleIndices[0] ?? 0;
  const [chosen, setChosen] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (run.status === 'creating' || run.status === 'error' || run.status === 'disposed') {
    return null;
  }
  const clip = chosen ?? run.featureViews?.clip ?? main; // 0-based held-out index; shown 1-based
  const result = run.featureViews;
  const show = () => {
    setLoading(true);
    setError(null);
    runManager
      .featureViews(run.id, { clip })
      .catch((e: unknown) => setError(describeCommandError(e)))
      .finally(() => setLoading(false));
  };
  return (
    <section className="card feature-views" aria-labelledby={headingId}>
      <div className="card-header">
        <h3 id={headingId}>Feature views</h3>
        {result ? (
          <span className="muted small">
            at step {result.step.toLocaleString()}, held-out clip {result.clip + 1}
          </span>
        ) : null}
      </div>
      <p className="muted small">
        What the network’s units look for: their weights drawn as small pictures (gray is 0, light
        positive, dark negative, each tile scaled to its own largest weight), and the units that
        respond most to a held-out clip.
      </p>
      <div className="toolbar">
        {count > 0 ? (
          <label className="field-inline field-label" htmlFor={clipId}>
            Held-out clip
            <input
              id={clipId}
              type="number"
              min={1}
              max={count}
              value={clip + 1}
              onChange={(event) => {
                const value = Math.round(Number(event.target.value));
                if (value >= 1 && value <= count) setChosen(value - 1);
              }}
            />
            <span className="muted small">of {count}</span>
          </label>
        ) : null}
        <button type="button" onClick={show} disabled={loading}>
          {loading
            ? 'Reading the weights…'
            : result
              ? 'Refresh feature views'
              : 'Show feature views'}
        </button>
      </div>
      {error ? (
        <p role="alert" className="field-error">
          {error}
        </p>
      ) : null}
      {result?.views.map((view, i) => (
        <figure key={`${view.title ?? ''}-${i}`} className="feature-view">
          {view.title ? <h4>{view.title}</h4> : null}
          {view.caption ? <figcaption className="muted small">{view.caption}</figcaption> : null}
          {view.panels.map((panel) => (
            <PanelRow
              key={panel.label}
              panel={panel}
              context={view.title ?? 'Feature view'}
              scale={1}
            />
          ))}
          {view.charts ? <SampleCharts charts={view.charts} /> : null}
        </figure>
      ))}
    </section>
  );
}
