/**
 * Share: copies a link that recreates the runs (model, variant, preset, overrides, data spec,
 * seeds, backend) — every run, or on the compare and presentation views the compared ones — and
 * shows it with options: start training on open, open as a presentation.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { shareUrl, shareableRunCount, sharesComparedRuns } from '../../compare/experiment-actions';
import { usePlayground } from '../../state/store';
import { useWorkspace } from '../../state/workspace';

export function ShareButton() {
  const [open, setOpen] = useState(false);
  const [start, setStart] = useState(true);
  const [present, setPresent] = useState(false);
  const currentView = useWorkspace((state) => state.view);
  const compareSelection = useWorkspace((state) => state.compareSelection);
  const view = present ? 'present' : currentView;
  // Runs whose creation failed are never shared, so they do not count here either.
  const runCount = usePlayground((state) => shareableRunCount(state, { view, compareSelection }));
  const hasRuns = runCount > 0;
  const runs = runCount === 1 ? 'run' : `${runCount} runs`;
  const [status, setStatus] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const panelId = useId();
  const link = hasRuns
    ? shareUrl({ start, ...(present ? { view: 'present' as const, controlsHidden: true } : {}) })
    : '';

  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setStatus('Link copied to the clipboard.');
    } catch {
      inputRef.current?.select();
      setStatus('Copying was blocked: the link is selected, press Ctrl+C (⌘C) to copy it.');
    }
  };

  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setOpen(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open]);

  return (
    <div className="share">
      <button
        type="button"
        className="header-button"
        disabled={!hasRuns}
        title={hasRuns ? 'Copy a link that recreates these runs' : 'No runs to share yet'}
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => {
          if (!open) void copy(link);
          setOpen(!open);
        }}
      >
        Share
      </button>
      {open && hasRuns ? (
        <div id={panelId} className="share-panel" role="dialog" aria-label="Share this experiment">
          <p className="share-lead">
            Anyone with this link gets the same{' '}
            {sharesComparedRuns(view) ? `compared ${runs}` : runs}: models, presets, config, data
            and seeds. Nothing trains on a server.
          </p>
          <div className="input-with-button">
            <input
              ref={inputRef}
              type="text"
              readOnly
              value={link}
              aria-label="Experiment link"
              onFocus={(event) => event.target.select()}
            />
            <button type="button" className="button-primary" onClick={() => void copy(link)}>
              Copy link
            </button>
          </div>
          <label className="field-inline field-label">
            <input
              type="checkbox"
              checked={start}
              onChange={(event) => setStart(event.target.checked)}
            />
            <span>Start training when the link opens</span>
          </label>
          <label className="field-inline field-label">
            <input
              type="checkbox"
              checked={present}
              onChange={(event) => setPresent(event.target.checked)}
            />
            <span>Open as a presentation with the controls hidden (for a lesson)</span>
          </label>
          {status ? (
            <p className="muted small" role="status">
              {status}
            </p>
          ) : null}
          <button type="button" className="button-quiet" onClick={() => setOpen(false)}>
            Close
          </button>
        </div>
      ) : null}
    </div>
  );
}
