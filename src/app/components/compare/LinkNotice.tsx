/** What happened to the experiment in the page's link: refused (and why), or waiting to confirm. */
import { formatBytes } from '../format';
import { LARGE_MEMORY_BYTES } from '../../../core/models/config-schema';
import { createLinkRuns } from '../../compare/experiment-actions';
import { runManager } from '../../runs/instance';
import { useWorkspace } from '../../state/workspace';

export function LinkNotice() {
  const link = useWorkspace((state) => state.link);
  const setLink = useWorkspace((state) => state.setLink);
  if (!link.error && !link.pending && link.notes.length === 0) return null;
  return (
    <div className="link-notice">
      {link.error ? (
        <div className="alert alert-error" role="alert" data-testid="link-error">
          <p className="alert-title">The shared link could not be opened</p>
          <p>{link.error}</p>
          <button type="button" className="button-quiet" onClick={() => setLink({ error: null })}>
            Dismiss
          </button>
        </div>
      ) : null}
      {link.notes.map((note) => (
        <p key={note} className="inline-warning">
          <span aria-hidden="true">⚠ </span>
          {note}
        </p>
      ))}
      {link.pending ? (
        <div className="alert alert-warning" role="alert">
          <p className="alert-title">
            This link creates {link.pending.runs.length} run
            {link.pending.runs.length === 1 ? '' : 's'}, and at least one needs more than{' '}
            {formatBytes(LARGE_MEMORY_BYTES)} of GPU memory
          </p>
          <p>
            {link.pending.runs
              .map((spec) => `${spec.model} · ${spec.variant} · ${spec.preset}`)
              .join('; ')}
            . On laptops and integrated GPUs allocation may fail or training may be slow.
          </p>
          <div className="button-row">
            <button
              type="button"
              className="button-primary"
              onClick={() => {
                const experiment = link.pending;
                setLink({ pending: null });
                // A refusal shows as the link's error above.
                if (experiment) void createLinkRuns(runManager, experiment).catch(() => undefined);
              }}
            >
              Create the runs
            </button>
            <button type="button" onClick={() => setLink({ pending: null })}>
              Don’t create them
            </button>
          </div>
        </div>
      ) : null}
    </div>
  );
}
