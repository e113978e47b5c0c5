/**
 * The new-run form's state as plain data: the config editor keeps what the user typed ("drafts"),
 * and these functions turn drafts into validated overrides using the model's own schema and
 * resolver, so the form and the worker agree on every rule.
 */
import { ConfigError, checkField } from '../../core/models/config-schema';
import type { ConfigField } from '../../core/models/config-schema';
import type { ModelDefinition, ResolvedModel } from '../../core/models/kit/definition';

/** Number fields keep their text (so "0." can be typed); booleans and choices their value. */
export type Draft = string | boolean;
export type Drafts = Record<string, Draft>;

export interface ConfigCheck {
  /** Keys whose value differs from the preset (what goes into `RunSpec.config`). */
  overrides: Record<string, unknown>;
  /** Field key → message, for the field the error names. */
  fieldErrors: Record<string, string>;
  /** An error that names no editable field. */
  formError: string | null;
  /** The resolved model when valid. */
  resolved: ResolvedModel | null;
}

export function presetConfig(
  entry: ModelDefinition,
  variant: string,
  preset: string,
): Readonly<Record<string, unknown>> {
  return entry.resolve(variant, preset).config;
}

export function draftsFromConfig(
  schema: readonly ConfigField[],
  config: Readonly<Record<string, unknown>>,
): Drafts {
  const drafts: Drafts = {};
  for (const field of schema) {
    const value = config[field.key];
    if (field.kind === 'boolean') drafts[field.key] = value === true;
    else drafts[field.key] = value === undefined ? '' : String(value);
  }
  return drafts;
}

/** Parses one draft; returns the value or an error message naming the field. */
export function parseDraft(
  field: ConfigField,
  draft: Draft | undefined,
): { value: unknown; error: string | null } {
  if (field.kind === 'int' || field.kind === 'float') {
    const text = typeof draft === 'string' ? draft.trim() : '';
    if (text === '') return { value: undefined, error: `${field.key} needs a value` };
    const value = Number(text);
    if (!Number.isFinite(value)) return { value, error: `${field.key} must be a number` };
    return { value, error: checkField(field, value) };
  }
  return { value: draft, error: checkField(field, draft) };
}

export function checkConfig(
  entry: ModelDefinition,
  variant: string,
  preset: string,
  drafts: Drafts,
): ConfigCheck {
  const fieldErrors: Record<string, string> = {};
  const overrides: Record<string, unknown> = {};
  let base: Readonly<Record<string, unknown>>;
  try {
    base = presetConfig(entry, variant, preset);
  } catch (error) {
    return { overrides, fieldErrors, formError: messageOf(error), resolved: null };
  }
  for (const field of entry.schema) {
    const { value, error } = parseDraft(field, drafts[field.key]);
    if (error) fieldErrors[field.key] = error;
    else if (!Object.is(value, base[field.key])) overrides[field.key] = value;
  }
  if (Object.keys(fieldErrors).length > 0) {
    return { overrides, fieldErrors, formError: null, resolved: null };
  }
  // Cross-field rules live in resolveConfig; its ConfigError names the field to flag.
  try {
    const resolved = entry.resolve(variant, preset, overrides);
    return { overrides, fieldErrors, formError: null, resolved };
  } catch (error) {
    if (error instanceof ConfigError && entry.schema.some((field) => field.key === error.field)) {
      fieldErrors[error.field] = error.message;
      return { overrides, fieldErrors, formError: null, resolved: null };
    }
    return { overrides, fieldErrors, formError: messageOf(error), resolved: null };
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
