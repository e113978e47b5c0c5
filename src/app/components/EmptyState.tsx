/**
 * What the main area shows before any run exists: how to start, the three paper models (each with
 * a button that trains its tiny preset), the classroom demos, and the trained examples that show
 * results before anything is trained (below the model cards, with a link to them in view).
 */
import { useRef, useState } from 'react';
import type { RefObject } from 'react';
import { MODELS } from '../../core/models/registry';
import type { ModelDefinition } from '../../core/models/kit/definition';
import type { ModelKind } from '../../core/models/registry';
import type { RunSpec } from '../../protocol/messages';
import { checkpointActions } from '../checkpoints/actions';
import type { ExampleCheckpoint } from '../checkpoints/examples';
import { useExampleCheckpoints } from '../checkpoints/use-examples';
import { runManager } from '../runs/instance';
import { usePlayground } from '../state/store';
import { ClassroomStart } from './compare/ClassroomStart';
import { DEFAULT_DATA_DRAFTS, checkData } from './DataOptions';
import { ErrorAlert } from './ErrorAlert';
import { describeCommandError } from './errors';

export function EmptyState() {
  const { examples, error: listError } = useExampleCheckpoints();
  const examplesRef = useRef<HTMLElement>(null);
  const shown = !listError && examples !== null && examples.length > 0 ? examples : null;
  // The examples sit below the model cards; this brings them into view and focuses the first.
  const showExamples = () => {
    const section = examplesRef.current;
    const still = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    section?.scrollIntoView({ block: 'start', behavior: still ? 'auto' : 'smooth' });
    section?.querySelector('button')?.focus({ preventScroll: true });
  };
  return (
    <section className="empty-main" aria-labelledby="empty-heading">
      <h2 id="empty-heading">Train a video model in your browser</h2>
      <p className="lead">
        Each run trains in its own Web Worker on Moving MNIST (handwritten digits bouncing around a
        64×64 frame), on your GPU through WebGPU, or WebGL or the CPU. Start a model’s tiny preset
        below, or pick a model and preset in the sidebar and press{' '}
        <strong>Create &amp; start</strong>. Your own videos and arrays go in <strong>Data</strong>.
        {shown ? (
          <>
            {' '}
            No time to train?{' '}
            <button type="button" className="inline-link" onClick={showExamples}>
              Open a trained example
            </button>
            .
          </>
        ) : null}
      </p>
      <ClassroomStart />
      <ul className="model-cards">
        {MODELS.map((entry) =>
          entry ? (
            <li key={entry.kind} className="model-card">
              <h3>{entry.title}</h3>
              <QuickStart entry={entry} />
              <p>{entry.summary}</p>
              <p className="muted small">{entry.paper}</p>
            </li>
          ) : null,
        )}
      </ul>
      {shown ? <TrainedExamples examples={shown} sectionRef={examplesRef} /> : null}
    </section>
  );
}

/** Creates and starts a run of the model's default variant with its tiny preset on the default data. */
function QuickStart({ entry }: { entry: ModelDefinition<ModelKind> }) {
  const backend = usePlayground((state) => state.backendOverride);
  const [error, setError] = useState<string | null>(null);
  const preset = entry.presets.find((p) => p.id === 'tiny') ?? entry.presets[0];
  const data = checkData(DEFAULT_DATA_DRAFTS).spec;
  if (!preset || !data) return null;
  const start = () => {
    setError(null);
    const spec: RunSpec = {
      model: entry.kind,
      variant: entry.defaultVariant,
      preset: preset.id,
      data,
      ...(backend !== 'auto' ? { backend } : {}),
      seed: 0,
    };
    runManager
      .createRun(spec, { start: true })
      .catch((failure: unknown) => setError(describeCommandError(failure)));
  };
  return (
    <>
      <button
        type="button"
        className="button-primary model-card-start"
        aria-label={`Train the ${preset.label} preset of ${entry.title}`}
        onClick={start}
      >
        Train the {preset.label} preset
      </button>
      <ErrorAlert message={error} />
    </>
  );
}

const checkpoints = checkpointActions(runManager);

/** One button per shipped example checkpoint: a paused run with its samples, no training needed. */
function TrainedExamples({
  examples,
  sectionRef,
}: {
  examples: ExampleCheckpoint[];
  sectionRef: RefObject<HTMLElement | null>;
}) {
  const backend = usePlayground((state) => state.backendOverride);
  const [opening, setOpening] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const open = (id: string) => {
    setOpening(id);
    setError(null);
    checkpoints
      .openExample(id, backend === 'auto' ? {} : { backend })
      .catch((failure: unknown) => setError(describeCommandError(failure)))
      .finally(() => setOpening(null));
  };
  return (
    <section
      ref={sectionRef}
      className="trained-examples"
      aria-labelledby="trained-examples-heading"
    >
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
