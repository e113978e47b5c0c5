/**
 * One labelled form control with optional help and error text. The error is tied to the control
 * with aria-invalid and aria-describedby, so screen readers announce it with the field.
 */
import { useId } from 'react';
import type { ReactNode } from 'react';

export interface FieldIds {
  id: string;
  'aria-invalid': boolean | undefined;
  'aria-describedby': string | undefined;
}

interface FieldProps {
  label: ReactNode;
  help?: ReactNode;
  error?: string | null;
  /** Checkboxes put the label after the control. */
  inline?: boolean;
  children: (ids: FieldIds) => ReactNode;
}

export function Field({ label, help, error, inline = false, children }: FieldProps) {
  const id = useId();
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const describedBy = [error ? errorId : null, help ? helpId : null].filter(Boolean).join(' ');
  const control = children({
    id,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy || undefined,
  });
  return (
    <div className={`field${inline ? ' field-inline' : ''}${error ? ' field-invalid' : ''}`}>
      {inline ? (
        <label htmlFor={id} className="field-label">
          {control}
          <span>{label}</span>
        </label>
      ) : (
        <>
          <label htmlFor={id} className="field-label">
            {label}
          </label>
          {control}
        </>
      )}
      {error ? (
        <p id={errorId} className="field-error">
          {error}
        </p>
      ) : null}
      {help ? (
        <p id={helpId} className="field-help">
          {help}
        </p>
      ) : null}
    </div>
  );
}

interface NumberFieldProps {
  label: ReactNode;
  help?: ReactNode;
  error?: string | null;
  /** The text as typed: validation happens on the parsed value, so partial input is kept. */
  value: string;
  onChange(text: string): void;
  min: number;
  max?: number;
  integer?: boolean;
  name?: string;
}

/** A labelled number input (text kept as typed, validated by the caller). */
export function NumberField({
  label,
  help,
  error,
  value,
  onChange,
  min,
  max,
  integer = false,
  name,
}: NumberFieldProps) {
  return (
    <Field label={label} help={help} error={error}>
      {(ids) => (
        <input
          {...ids}
          name={name}
          type="number"
          min={min}
          max={max}
          step={integer ? 1 : 'any'}
          inputMode={integer ? 'numeric' : 'decimal'}
          value={value}
          onChange={(event) => onChange(event.target.value)}
        />
      )}
    </Field>
  );
}
