/** A form generated from a model's config schema: number inputs, checkboxes and selects. */
import type { ConfigField } from '../../core/models/config-schema';
import type { Draft, Drafts } from './config-form';
import { Field, NumberField } from './Field';

interface ConfigEditorProps {
  schema: readonly ConfigField[];
  drafts: Drafts;
  errors: Record<string, string>;
  /** Keys that differ from the preset, marked so the user sees what they changed. */
  changed: ReadonlySet<string>;
  onChange(key: string, draft: Draft): void;
}

export function ConfigEditor({ schema, drafts, errors, changed, onChange }: ConfigEditorProps) {
  return (
    <div className="field-grid">
      {schema.map((field) => (
        <ConfigFieldInput
          key={field.key}
          field={field}
          draft={drafts[field.key]}
          error={errors[field.key] ?? null}
          changed={changed.has(field.key)}
          onChange={(draft) => onChange(field.key, draft)}
        />
      ))}
    </div>
  );
}

interface ConfigFieldInputProps {
  field: ConfigField;
  draft: Draft | undefined;
  error: string | null;
  changed: boolean;
  onChange(draft: Draft): void;
}

function ConfigFieldInput({ field, draft, error, changed, onChange }: ConfigFieldInputProps) {
  const label = (
    <>
      {field.label}
      {field.kind === 'int' || field.kind === 'float' ? (
        <span className="field-range">
          {' '}
          ({field.min}–{field.max})
        </span>
      ) : null}
      {changed ? <span className="changed-mark"> · changed</span> : null}
    </>
  );
  switch (field.kind) {
    case 'int':
    case 'float':
      return (
        <NumberField
          label={label}
          help={field.help}
          error={error}
          name={field.key}
          value={typeof draft === 'string' ? draft : ''}
          onChange={onChange}
          min={field.min}
          max={field.max}
          integer={field.kind === 'int'}
        />
      );
    case 'boolean':
      return (
        <Field label={label} help={field.help} error={error} inline>
          {(ids) => (
            <input
              {...ids}
              name={field.key}
              type="checkbox"
              checked={draft === true}
              onChange={(event) => onChange(event.target.checked)}
            />
          )}
        </Field>
      );
    case 'choice':
      return (
        <Field label={label} help={field.help} error={error}>
          {(ids) => (
            <select
              {...ids}
              name={field.key}
              value={typeof draft === 'string' ? draft : ''}
              onChange={(event) => onChange(event.target.value)}
            >
              {field.options.map((option) => (
                <option key={option} value={option}>
                  {option}
                </option>
              ))}
            </select>
          )}
        </Field>
      );
    default: {
      const unreachable: never = field;
      return unreachable;
    }
  }
}
