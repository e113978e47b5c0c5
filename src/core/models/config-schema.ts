/**
 * Typed, self-describing model configs. Each model declares its fields once; the same schema
 * validates configs in the worker, drives the config editor in the UI, and names the bad field in
 * every error. Pure TypeScript (no tfjs), so the UI may import it.
 */
import { describeValue, excerpt, quote } from '../quote';

export type ConfigValue = number | boolean | string;

interface FieldBase {
  key: string;
  label: string;
  help: string;
}

export type ConfigField =
  | (FieldBase & { kind: 'int' | 'float'; min: number; max: number })
  | (FieldBase & { kind: 'boolean' })
  | (FieldBase & { kind: 'choice'; options: readonly string[] });

export class ConfigError extends Error {
  /** The field at fault (`data.seed`, `runs[1].config.learningRate`), cut to an excerpt. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.field = excerpt(field);
    this.name = 'ConfigError';
  }
}

/** `value` as a valid value of `field`, or the message saying what is wrong with it. */
function fieldValue(
  field: ConfigField,
  value: unknown,
): { value: ConfigValue; problem: null } | { problem: string } {
  switch (field.kind) {
    case 'int':
    case 'float': {
      if (typeof value !== 'number') {
        return { problem: `${field.key} must be a number (got ${describeValue(value)})` };
      }
      if (!Number.isFinite(value)) {
        return { problem: `${field.key} must be a finite number (got ${describeValue(value)})` };
      }
      if (field.kind === 'int' && !Number.isInteger(value)) {
        return { problem: `${field.key} must be an integer (got ${value})` };
      }
      if (value < field.min || value > field.max) {
        return {
          problem: `${field.key} must be between ${field.min} and ${field.max} (got ${value})`,
        };
      }
      return { value, problem: null };
    }
    case 'boolean':
      return typeof value === 'boolean'
        ? { value, problem: null }
        : { problem: `${field.key} must be true or false (got ${describeValue(value)})` };
    case 'choice':
      return typeof value === 'string' && field.options.includes(value)
        ? { value, problem: null }
        : {
            problem: `${field.key} must be one of ${field.options.join(', ')} (got ${describeValue(value)})`,
          };
    default: {
      const unreachable: never = field;
      return unreachable;
    }
  }
}

/** Checks one value against its field; returns an error message or null. */
export function checkField(field: ConfigField, value: unknown): string | null {
  return fieldValue(field, value).problem;
}

/** `value` if it is valid for `field`; else throws a ConfigError naming the field. */
export function validFieldValue(field: ConfigField, value: unknown): ConfigValue {
  const checked = fieldValue(field, value);
  if (checked.problem !== null) throw new ConfigError(field.key, checked.problem);
  return checked.value;
}

/**
 * The evaluation cadence every model's config has (the runtime reads these keys): how many
 * held-out sequences are scored, and how often evaluations and sample frames happen.
 * `heldOutNote` adds a model's own words to the evalSequences help.
 */
export function cadenceFields(heldOutNote = ''): ConfigField[] {
  return [
    {
      key: 'evalSequences',
      kind: 'int',
      min: 1,
      max: 10000,
      label: 'Eval sequences',
      help: `Held-out sequences scored at every evaluation (Moving MNIST: test digits, fixed seed; an imported dataset: its held-out clips)${heldOutNote}.`,
    },
    {
      key: 'evalEvery',
      kind: 'int',
      min: 1,
      max: 1000000,
      label: 'Evaluate every',
      help: 'Training steps between evaluations.',
    },
    {
      key: 'sampleEvery',
      kind: 'int',
      min: 1,
      max: 1000000,
      label: 'Samples every',
      help: 'Training steps between sample frames sent to the UI.',
    },
  ];
}

/**
 * Applies `overrides` to `base`, rejecting unknown keys and invalid values with a ConfigError that
 * names the field. Returns a new object; `base` is not modified.
 */
export function applyOverrides<C extends Readonly<Record<string, ConfigValue>>>(
  schema: readonly ConfigField[],
  base: C,
  overrides: Record<string, unknown> = {},
): C {
  const fields = new Map(schema.map((field) => [field.key, field]));
  const checked: Record<string, ConfigValue> = {};
  for (const [key, value] of Object.entries(overrides)) {
    const field = fields.get(key);
    if (!field) throw new ConfigError(key, `Unknown config key ${quote(key)}`);
    checked[key] = validFieldValue(field, value);
  }
  return { ...base, ...checked };
}

/** A named preset: a full config plus a sentence on what it is for. */
export interface Preset<C> {
  id: string;
  label: string;
  description: string;
  config: C;
}

export interface Variant<V extends string = string> {
  id: V;
  label: string;
  description: string;
}

/**
 * What a teacher needs to show a model in class: the preset that shows the paper's idea within a
 * minute or two, a plain explanation, and what to point at while it trains. Shown next to the
 * model's views (run, compare and presentation views).
 */
export interface ClassroomGuide {
  preset: string;
  variant?: string;
  /** Two or three sentences for a lesson: what the model does, without jargon. */
  explanation: string;
  /** What to watch in the charts and frames, one point each. */
  watchFor: readonly string[];
}

/** Above this estimate the UI asks for confirmation and the worker warns before allocating. */
export const LARGE_MEMORY_BYTES = 1.5 * 2 ** 30;
