/**
 * "Add run to compare": a model, variant and preset, trained on the comparison's data stream (the
 * first compared run's data spec and seed), so both runs see identical batches.
 */
import { useId, useState } from 'react';
import { MODELS, findModel } from '../../../core/models/registry';
import type { ModelKind } from '../../../core/models/registry';
import { CLASSROOM_DATA, addRunToCompare } from '../../compare/experiment-actions';
import { dataLabel } from '../../compare/compare-data';
import { runManager } from '../../runs/instance';
import type { RunState } from '../../state/store';
import { describeCommandError } from '../errors';
import { ErrorAlert } from '../ErrorAlert';

export function AddCompareRun({ first }: { first: RunState | undefined }) {
  const [kind, setKind] = useState<ModelKind>(() => {
    const other = MODELS.find((entry) => entry.kind !== first?.spec.model);
    return (other ?? MODELS[0]).kind;
  });
  const entry = findModel(kind) ?? MODELS[0];
  const [variant, setVariant] = useState(entry.classroom.variant ?? entry.defaultVariant);
  const [preset, setPreset] = useState(entry.classroom.preset);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = { model: useId(), variant: useId(), preset: useId() };
  const data = first?.spec.data;

  const choose = (next: string) => {
    const nextEntry = findModel(next);
    if (!nextEntry) return;
    setKind(nextEntry.kind);
    setVariant(nextEntry.classroom.variant ?? nextEntry.defaultVariant);
    setPreset(nextEntry.classroom.preset);
  };
  const add = () => {
    setBusy(true);
    setError(null);
    addRunToCompare(runManager, { model: kind, variant, preset, seed: 0 })
      .catch((e: unknown) => setError(describeCommandError(e)))
      .finally(() => setBusy(false));
  };

  return (
    <section className="add-compare-run" aria-label="Add a run to the comparison">
      <div className="add-compare-fields">
        <label htmlFor={ids.model}>
          <span className="field-label">Model</span>
          <select id={ids.model} value={kind} onChange={(event) => choose(event.target.value)}>
            {MODELS.map((option) => (
              <option key={option.kind} value={option.kind}>
                {option.title}
              </option>
            ))}
          </select>
        </label>
        <label htmlFor={ids.variant}>
          <span className="field-label">Variant</span>
          <select
            id={ids.variant}
            value={variant}
            onChange={(event) => setVariant(event.target.value)}
          >
            {entry.variants.map((option) => (
              <option key={option.id} value={option.id}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
        <label htmlFor={ids.preset}>
          <span className="field-label">Preset</span>
          <select
            id={ids.preset}
            value={preset}
            onChange={(event) => setPreset(event.target.value)}
          >
            {entry.presets.map((option) => (
              <option key={option.id} value={option.id}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="button-primary" disabled={busy} onClick={add}>
          {busy ? 'Adding…' : 'Add run to compare'}
        </button>
      </div>
      <p className="muted small">
        {first
          ? `Same data as ${first.label.split(' ')[0]} (${dataLabel(data)}): identical training batches in the same order, and the same held-out clips.`
          : `The first run of a comparison uses the classroom data (${dataLabel(CLASSROOM_DATA)}, 2 digits scaled to the canvas).`}
      </p>
      <ErrorAlert message={error} />
    </section>
  );
}
