/**
 * A run's checkpoint card: save the run (in this browser, or as a .safetensors download) and
 * restore it from a file or from a checkpoint saved in this browser. A file that does not fit the
 * run is refused with a message saying why, and the run goes on as it was.
 */
import { CheckpointFileButton } from './CheckpointFileButton';
import { useEffect, useId, useState } from 'react';
import { checkpointActions, downloadFile, refreshStoredCheckpoints } from '../checkpoints/actions';
import { runManager } from '../runs/instance';
import { usePlayground } from '../state/store';
import type { RunState } from '../state/store';
import { ErrorAlert } from './ErrorAlert';
import { describeCommandError } from './errors';
import { formatBytes } from './format';

const checkpoints = checkpointActions(runManager);

export function CheckpointControls({ run }: { run: RunState }) {
  const headingId = useId();
  const [pending, setPending] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<{ title: string; message: string } | null>(null);
  const stored = usePlayground((state) => state.storedCheckpoints);
  const [choice, setChoice] = useState('');
  const { id, status } = run;

  useEffect(() => {
    if (stored === null) refreshStoredCheckpoints().catch(() => undefined);
  }, [stored]);

  const live = status === 'ready' || status === 'paused' || status === 'running';
  const canSave = pending === null && (live || status === 'stopped');
  const canLoad = pending === null && live;
  const sameModel = (stored ?? []).filter((checkpoint) => checkpoint.model === run.spec.model);
  const selected = sameModel.find((checkpoint) => checkpoint.id === choice) ?? sameModel[0];

  const perform = (label: string, failureTitle: string, work: () => Promise<string>) => {
    setPending(label);
    setNotice(null);
    setError(null);
    work()
      .then((text) => setNotice(text))
      .catch((failure: unknown) => {
        if (usePlayground.getState().runs[id]) {
          setError({ title: failureTitle, message: describeCommandError(failure) });
        }
      })
      .finally(() => setPending(null));
  };
  const stepNow = () => usePlayground.getState().runs[id]?.step ?? 0;

  const saveInBrowser = () =>
    perform('Saving the checkpoint in this browser…', 'The checkpoint was not saved', async () => {
      const saved = await checkpoints.saveCheckpoint(id);
      return `Saved “${saved.name}” in this browser (${formatBytes(saved.size)}, step ${saved.step}).`;
    });
  const download = () =>
    perform('Preparing the download…', 'The checkpoint was not saved', async () => {
      const { bytes, fileName } = await runManager.exportCheckpoint(id);
      downloadFile(new Blob([bytes], { type: 'application/octet-stream' }), fileName);
      return `Downloaded ${fileName} (${formatBytes(bytes.byteLength)}).`;
    });
  const loadFile = (file: File) =>
    perform(
      `Loading ${file.name}…`,
      'The checkpoint was not loaded; the run is unchanged',
      async () => {
        await checkpoints.importCheckpoint(file, { into: id });
        return `Restored from ${file.name}: the run continues from step ${stepNow()}.`;
      },
    );
  const loadStored = () => {
    if (!selected) return;
    perform(
      `Loading “${selected.name}”…`,
      'The checkpoint was not loaded; the run is unchanged',
      async () => {
        await checkpoints.loadCheckpoint(selected.id, { into: id });
        return `Restored from “${selected.name}”: the run continues from step ${stepNow()}.`;
      },
    );
  };

  return (
    <section className="card checkpoint-controls" aria-labelledby={headingId}>
      <div className="card-header">
        <h3 id={headingId}>Checkpoint</h3>
        <p className="muted small">
          Weights, optimiser state, data stream, seeds and step: training resumes exactly.
        </p>
      </div>
      <div className="button-row">
        <button type="button" disabled={!canSave} onClick={saveInBrowser}>
          Save in browser
        </button>
        <button
          type="button"
          disabled={!canSave}
          onClick={download}
          title="A safetensors file that the app, the CLI and PyTorch can read"
        >
          Download .safetensors
        </button>
        <CheckpointFileButton
          label="Load from file…"
          inputLabel="Checkpoint file to load into this run"
          disabled={!canLoad}
          onFile={loadFile}
        />
      </div>
      {sameModel.length > 0 ? (
        <div className="input-with-button">
          <label className="visually-hidden" htmlFor={`${headingId}-stored`}>
            Checkpoint saved in this browser
          </label>
          <select
            id={`${headingId}-stored`}
            value={selected?.id ?? ''}
            onChange={(event) => setChoice(event.target.value)}
          >
            {sameModel.map((checkpoint) => (
              <option key={checkpoint.id} value={checkpoint.id}>
                {checkpoint.name} · step {checkpoint.step}
              </option>
            ))}
          </select>
          <button type="button" disabled={!canLoad || !selected} onClick={loadStored}>
            Load saved checkpoint
          </button>
        </div>
      ) : null}
      {run.restoredFrom ? (
        <p className="muted small">
          Restored from {run.restoredFrom.source} at step {run.restoredFrom.step.toLocaleString()}.
        </p>
      ) : null}
      {pending ? (
        <p className="muted small" role="status">
          {pending}
        </p>
      ) : notice ? (
        <p className="small checkpoint-notice" role="status">
          {notice}
        </p>
      ) : null}
      {error ? (
        <ErrorAlert title={error.title} message={error.message} onDismiss={() => setError(null)} />
      ) : null}
    </section>
  );
}
