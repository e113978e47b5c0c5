/**
 * What the main area shows before any run exists: how to start, the three paper models, and the
 * trained examples that show results before anything is trained.
 */
import { useState } from 'react';
import { MODELS } from '../../core/models/registry';
import { checkpointActions } from '../checkpoints/actions';
import { useExampleCheckpoints } from '../checkpoints/use-examples';
import { runManager } from '../runs/instance';
import { usePlayground } from '../state/store';
import { ErrorAlert } from './ErrorAlert';
import { describeCommandError } from './errors';

export function EmptyState() {
  return (
    <section className="empty-main" aria-labelledby="empty-heading">
      <h2 id="empty-heading">Pick a model and preset, then press Create &amp; start</h2>
      <p className="lead">
        Each run trains in its own Web Worker on your GPU (WebGPU, falling back to WebGL or the CPU)
        on Moving MNIST: videos of handwritten digits bouncing around a 64×64 frame. Watch the loss
        fall, see the frames the model reconstructs and predicts, and score it on a fixed held-out
        set. Start with the <strong>tiny</strong> preset for a quick demo, or the{' '}
        <strong>paper</strong> preset to reproduce the published setup. To train on your own videos
        or a <code>.npy</code> array, open <strong>Data</strong> in the header.
      </p>
      <ul className="model-cards">
        {MODELS.map((entry) =>
          entry ? (
            <li key={entry.kind} className="model-card">
              <h3>{entry.title}</h3>
              <p className="muted small">{entry.paper}</p>
              <p>{entry.summary}</p>
            </li>
          ) : null,
        )}
      </ul>
      <TrainedExamples />
    </section>
  );
}

const checkpoints = checkpointActions(runManager);

/** One button per shipped example checkpoint: a paused run with its samples, no training needed. */
function TrainedExamples() {
  const { examples, error: listError } = useExampleCheckpoints();
  const backend = usePlayground((state) => state.backendOverride);
  const [opening, setOpening] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (listError || !examples || examples.length === 0) return null;
  const open = (id: string) => {
    setOpening(id);
    setError(null);
    checkpoints
      .openExample(id, backend === 'auto' ? {} : { backend })
      .catch((failure: unknown) => setError(describeCommandError(failure)))
      .finally(() => setOpening(null));
  };
  return (
    <section className="trained-examples" aria-labelledby="trained-examples-heading">
      <h3 id="trained-examples-heading">No time to train? Open a trained example</h3>
      <p className="muted">
        Each opens as a paused run with its curves and samples, trained beforehand with the same
        code (see <em>Open a checkpoint</em> in the sidebar for files and saved runs).
      </p>
      <div className="button-row">
        {examples.map((example) => (
          <button
            key={example.id}
            type="button"
            disabled={opening !== null}
            aria-busy={opening === example.id}
            title={example.description}
            onClick={() => open(example.id)}
          >
            {opening === example.id ? `Opening ${example.title}…` : example.title}
          </button>
        ))}
      </div>
      {error ? (
        <ErrorAlert
          title="The example did not open"
          message={error}
          onDismiss={() => setError(null)}
        />
      ) : null}
    </section>
  );
}
