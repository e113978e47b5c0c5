/** One-click classroom demos: each model's classroom preset, alone or all side by side. */
import { useState } from 'react';
import { findModel } from '../../../core/models/registry';
import type { ModelKind } from '../../../core/models/registry';
import { classroomModels, startClassroomDemo } from '../../compare/experiment-actions';
import { runManager } from '../../runs/instance';
import { describeCommandError } from '../errors';
import { ErrorAlert } from '../ErrorAlert';

export function ClassroomStart() {
  const models = classroomModels();
  const [error, setError] = useState<string | null>(null);
  if (models.length === 0) return null;
  const start = (kinds: ModelKind[]) => {
    setError(null);
    startClassroomDemo(runManager, kinds).catch((e: unknown) => setError(describeCommandError(e)));
  };
  return (
    <section className="classroom-start card" aria-label="Classroom demos">
      <h3>Classroom demos</h3>
      <p className="muted">
        Small presets that show each paper’s idea within a minute or two, in a presentation view
        with large frames, an explanation of each model and what to watch for.
      </p>
      <div className="button-row">
        {models.length > 1 ? (
          <button type="button" className="button-primary" onClick={() => start(models)}>
            All models side by side
          </button>
        ) : null}
        {models.map((kind) => (
          <button key={kind} type="button" onClick={() => start([kind])}>
            {findModel(kind)?.title ?? kind}
          </button>
        ))}
      </div>
      <ErrorAlert message={error} />
    </section>
  );
}
