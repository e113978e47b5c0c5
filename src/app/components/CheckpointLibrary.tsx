/**
 * The sidebar's checkpoint panel: open a checkpoint file, a checkpoint saved in this browser or a
 * trained example as a new run. The run comes back paused at its step, with its config, data spec
 * and seeds, and its samples drawn, so a class can look at results before training anything.
 */
import { CheckpointFileButton } from './CheckpointFileButton';
import { useEffect, useId, useState } from 'react';
import { checkpointActions, refreshStoredCheckpoints } from '../checkpoints/actions';
import type { StoredCheckpoint } from '../checkpoints/browser-store';
import type { ExampleCheckpoint } from '../checkpoints/examples';
import { useExampleCheckpoints } from '../checkpoints/use-examples';
import { runManager } from '../runs/instance';
import { usePlayground } from '../state/store';
import { ErrorAlert } from './ErrorAlert';
import { describeCommandError } from './errors';
import { formatBytes } from './format';

const checkpoints = checkpointActions(runManager);

export function CheckpointLibrary() {
  const headingId = useId();
  const stored = usePlayground((state) => state.storedCheckpoints);
  const backend = usePlayground((state) => state.backendOverride);
  const { examples, error: examplesError } = useExampleCheckpoints();
  const [storeError, setStoreError] = useState<string | null>(null);
  const [pending, setPending] = useState<string | null>(null);
  const [error, setError] = useState<{ title: string; message: string } | null>(null);

  useEffect(() => {
    if (stored === null) {
      refreshStoredCheckpoints().catch((failure: unknown) =>
        setStoreError(describeCommandError(failure)),
      );
    }
  }, [stored]);

  const options = backend === 'auto' ? {} : { backend };
  const perform = (label: string, work: () => Promise<unknown>, title = 'No run was created') => {
    setPending(label);
    setError(null);
    work()
      .catch((failure: unknown) => setError({ title, message: describeCommandError(failure) }))
      .finally(() => setPending(null));
  };
  const openFile = (file: File) =>
    perform(`Opening ${file.name}…`, () => checkpoints.importCheckpoint(file, options));
  const openStored = (checkpoint: StoredCheckpoint) =>
    perform(`Opening “${checkpoint.name}”…`, () =>
      checkpoints.loadCheckpoint(checkpoint.id, options),
    );
  const remove = (checkpoint: StoredCheckpoint) =>
    perform(
      `Deleting “${checkpoint.name}”…`,
      () => checkpoints.deleteCheckpoint(checkpoint.id),
      'The checkpoint was not deleted',
    );
  const openExample = (example: ExampleCheckpoint) =>
    perform(`Opening the example “${example.title}”…`, () =>
      checkpoints.openExample(example.id, options),
    );
  const busy = pending !== null;

  return (
    <section className="panel checkpoint-library" aria-labelledby={headingId}>
      <h2 id={headingId}>Open a checkpoint</h2>
      <p className="muted small">
        A checkpoint becomes a new run, paused where it was saved, with its config, data and seeds.
      </p>
      <div className="button-row">
        <CheckpointFileButton
          label="Open checkpoint file…"
          inputLabel="Checkpoint file to open as a new run"
          disabled={busy}
          onFile={openFile}
        />
      </div>
      {pending ? (
        <p className="muted small" role="status">
          {pending}
        </p>
      ) : null}
      {error ? (
        <ErrorAlert title={error.title} message={error.message} onDismiss={() => setError(null)} />
      ) : null}

      <h3 className="checkpoint-heading">Examples</h3>
      {examplesError ? (
        <p className="muted small">{examplesError}</p>
      ) : examples === null ? (
        <p className="muted small">Loading the examples…</p>
      ) : examples.length === 0 ? (
        <p className="muted small">No examples ship with this build.</p>
      ) : (
        <ul className="checkpoint-items" aria-label="Example checkpoints">
          {examples.map((example) => (
            <li key={example.id} className="checkpoint-item">
              <div className="checkpoint-item-text">
                <span className="checkpoint-item-title">{example.title}</span>
                <span className="checkpoint-item-meta">
                  {example.steps.toLocaleString()} steps · {formatBytes(example.size)}
                </span>
                <span className="checkpoint-item-meta">{example.description}</span>
              </div>
              <button
                type="button"
                disabled={busy}
                aria-label={`Open example: ${example.title}`}
                onClick={() => openExample(example)}
              >
                Open
              </button>
            </li>
          ))}
        </ul>
      )}

      <h3 className="checkpoint-heading">Saved in this browser</h3>
      {storeError ? (
        <p className="muted small">{storeError}</p>
      ) : stored === null ? (
        <p className="muted small">Loading…</p>
      ) : stored.length === 0 ? (
        <p className="muted small">None yet: use “Save in browser” on a run.</p>
      ) : (
        <ul className="checkpoint-items" aria-label="Checkpoints saved in this browser">
          {stored.map((checkpoint) => (
            <li key={checkpoint.id} className="checkpoint-item">
              <div className="checkpoint-item-text">
                <span className="checkpoint-item-title">{checkpoint.name}</span>
                <span className="checkpoint-item-meta">
                  {checkpoint.model.toUpperCase()} · {checkpoint.preset} · step{' '}
                  {checkpoint.step.toLocaleString()} · {formatBytes(checkpoint.size)} ·{' '}
                  {new Date(checkpoint.savedAt).toLocaleString()}
                </span>
              </div>
              <div className="checkpoint-item-actions">
                <button
                  type="button"
                  disabled={busy}
                  aria-label={`Open saved checkpoint: ${checkpoint.name}`}
                  onClick={() => openStored(checkpoint)}
                >
                  Open
                </button>
                <button
                  type="button"
                  className="button-quiet"
                  disabled={busy}
                  aria-label={`Delete saved checkpoint: ${checkpoint.name}`}
                  onClick={() => remove(checkpoint)}
                >
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
