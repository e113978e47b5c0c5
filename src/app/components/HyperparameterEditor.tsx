/**
 * Live hyperparameters (the learning rate, for the LSTM): the current value, a field and Apply
 * (Enter applies). The worker validates too; a rejected change shows its message here.
 */
import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { findModel } from '../../core/models/registry';
import { runManager } from '../runs/instance';
import type { RunState } from '../state/store';
import { describeCommandError } from './errors';
import { formatValue } from './format';

/** "weightDecay" → "Weight decay", for names the model's schema does not label. */
function humanise(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Learning rates must be positive; every hyperparameter must be a finite number. */
export function checkHyperparameter(
  label: string,
  name: string,
  text: string,
): { value: number; error: string | null } {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (trimmed === '' || !Number.isFinite(value)) {
    return { value, error: `${label} must be a finite number` };
  }
  if (/learning.?rate|^lr$/i.test(name) && value <= 0) {
    return { value, error: `${label} must be positive` };
  }
  return { value, error: null };
}

export function HyperparameterEditor({ run }: { run: RunState }) {
  const names = Object.keys(run.hyperparameters);
  if (names.length === 0) return null;
  const editable = run.status === 'ready' || run.status === 'running' || run.status === 'paused';
  const schema = findModel(run.spec.model)?.schema ?? [];
  const labelOf = (name: string) =>
    schema.find((field) => field.key === name)?.label ?? humanise(name);
  return (
    <div className="hyperparameters">
      {names.map((name) => (
        <HyperparameterRow
          key={`${run.id}:${name}`}
          runId={run.id}
          name={name}
          label={labelOf(name)}
          current={run.hyperparameters[name]}
          step={run.step}
          editable={editable}
        />
      ))}
    </div>
  );
}

interface HyperparameterRowProps {
  runId: string;
  name: string;
  label: string;
  current: number;
  step: number;
  editable: boolean;
}

function HyperparameterRow({
  runId,
  name,
  label,
  current,
  step,
  editable,
}: HyperparameterRowProps) {
  // null = not edited: the field shows the run's current value.
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const id = useId();
  const text = draft ?? String(current);
  const validation = draft === null ? null : checkHyperparameter(label, name, draft).error;
  const shownError = validation ?? error;

  const apply = (event: FormEvent) => {
    event.preventDefault();
    if (!editable || pending) return;
    const { value, error: invalid } = checkHyperparameter(label, name, text);
    if (invalid) return;
    setPending(true);
    setError(null);
    setNotice(null);
    runManager
      .setHyperparameters(runId, { [name]: value })
      .then(() => {
        setDraft(null);
        setNotice(`${label} set to ${formatValue(value)} at step ${step.toLocaleString()}`);
      })
      .catch((reason: unknown) => setError(describeCommandError(reason)))
      .finally(() => setPending(false));
  };

  return (
    <form className="hyperparameter-row" onSubmit={apply} noValidate>
      <label htmlFor={id} className="field-label">
        {label} <span className="muted">(now {formatValue(current)})</span>
      </label>
      <div className="input-with-button">
        <input
          id={id}
          type="text"
          inputMode="decimal"
          autoComplete="off"
          spellCheck={false}
          value={text}
          disabled={!editable}
          aria-invalid={shownError ? true : undefined}
          aria-describedby={shownError ? `${id}-error` : undefined}
          onChange={(event) => {
            setDraft(event.target.value);
            setError(null);
            setNotice(null);
          }}
        />
        <button
          type="submit"
          disabled={!editable || pending || validation !== null || draft === null}
          aria-label={`Apply ${label.toLowerCase()}`}
        >
          Apply
        </button>
      </div>
      {shownError ? (
        <p id={`${id}-error`} className="field-error">
          {shownError}
        </p>
      ) : null}
      <p className="field-help" role="status">
        {notice ?? ''}
      </p>
    </form>
  );
}
