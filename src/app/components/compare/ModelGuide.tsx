/** The model's classroom guide (from its catalog entry): what it does, and what to watch for. */
import { findModel } from '../../../core/models/registry';
import type { ModelKind } from '../../../core/models/registry';

interface ModelGuideProps {
  model: ModelKind;
  /** 'card' in the run view; 'aside' beside large frames in the presentation view. */
  variant?: 'card' | 'aside';
}

export function ModelGuide({ model, variant = 'card' }: ModelGuideProps) {
  const entry = findModel(model);
  if (!entry) return null;
  const guide = entry.classroom;
  const body = (
    <>
      <p>{guide?.explanation ?? entry.summary}</p>
      {guide && guide.watchFor.length > 0 ? (
        <>
          <h4>What to watch for</h4>
          <ul>
            {guide.watchFor.map((point) => (
              <li key={point}>{point}</li>
            ))}
          </ul>
        </>
      ) : null}
      <p className="muted small">
        <cite>{entry.paper}</cite>
      </p>
    </>
  );
  if (variant === 'aside') {
    return (
      <aside className="model-guide model-guide-aside" aria-label={`About ${entry.title}`}>
        <h3>{entry.title}</h3>
        {body}
      </aside>
    );
  }
  return (
    <details className="card model-guide" open>
      <summary>About this model: {entry.title}</summary>
      {body}
    </details>
  );
}
