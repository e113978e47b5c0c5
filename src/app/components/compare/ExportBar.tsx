/**
 * Export a run: its current samples as an animated GIF or WebM, a PNG frame strip, and its
 * metrics as CSV or JSON. Encoding runs in the export worker; files are named after run and step.
 */
import { useId, useState } from 'react';
import type { ExportFormat } from '../../../protocol/export-messages';
import { exportClient } from '../../compare/instance';
import { downloadBlob, exportFileName } from '../../export/export-client';
import type { RunState } from '../../state/store';
import { usePlayground } from '../../state/store';
import { formatBytes } from '../format';

const BUTTONS: { format: ExportFormat; text: string; name: string }[] = [
  { format: 'gif', text: 'GIF', name: 'Export samples as animated GIF' },
  { format: 'webm', text: 'WebM', name: 'Export samples as WebM video' },
  { format: 'png', text: 'PNG strip', name: 'Export samples as PNG strip' },
  { format: 'csv', text: 'CSV', name: 'Export metrics as CSV' },
  { format: 'json', text: 'JSON', name: 'Export metrics as JSON' },
];

export function ExportBar({ run }: { run: RunState }) {
  const [busy, setBusy] = useState<ExportFormat | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const headingId = useId();
  const hasSamples = run.samples?.views.some((view) => view.group === undefined) ?? false;

  const save = (format: ExportFormat) => {
    setBusy(format);
    setError(null);
    setStatus(null);
    const job =
      format === 'csv' || format === 'json'
        ? exportClient.exportMetrics(run.id, format)
        : exportClient.exportSamples(run.id, format);
    job
      .then((blob) => {
        const current = usePlayground.getState().runs[run.id] ?? run;
        const name = exportFileName(current, format);
        downloadBlob(blob, name);
        setStatus(`Saved ${name} (${formatBytes(blob.size)})`);
      })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))
      .finally(() => setBusy(null));
  };

  return (
    <section className="card export-bar" aria-labelledby={headingId}>
      <div className="card-header">
        <h3 id={headingId}>Export</h3>
      </div>
      <div className="export-groups">
        <div className="export-group" role="group" aria-label="Export samples">
          <span className="field-label">Samples</span>
          {BUTTONS.slice(0, 3).map((button) => (
            <button
              key={button.format}
              type="button"
              aria-label={button.name}
              title={hasSamples ? button.name : 'Samples appear once the run is ready'}
              disabled={busy !== null || !hasSamples}
              onClick={() => save(button.format)}
            >
              {busy === button.format ? 'Encoding…' : button.text}
            </button>
          ))}
        </div>
        <div className="export-group" role="group" aria-label="Export metrics">
          <span className="field-label">Metrics</span>
          {BUTTONS.slice(3).map((button) => (
            <button
              key={button.format}
              type="button"
              aria-label={button.name}
              title={button.name}
              disabled={busy !== null}
              onClick={() => save(button.format)}
            >
              {busy === button.format ? 'Saving…' : button.text}
            </button>
          ))}
        </div>
      </div>
      <p className="muted small" role="status">
        {status ??
          (hasSamples
            ? `Samples from step ${run.samples?.step.toLocaleString()}: every example with all of its panels, as under Frames. Files are named after the run and step.`
            : 'Samples can be exported once the run is ready.')}
      </p>
      {error ? (
        <div className="alert alert-error" role="alert">
          <p>Export failed: {error}</p>
        </div>
      ) : null}
    </section>
  );
}
