/**
 * The hyperparameters a model lets change while it trains (`VideoModel.get/setHyperparameters`),
 * validated by the same config schema that validates its config: every model's live settings
 * are one `LiveSettings`, so the rule is written once — an unknown key or a value the schema
 * rejects throws a ConfigError naming the key, and nothing is assigned unless every value is valid.
 */
import { ConfigError, checkField } from '../config-schema';
import type { ConfigField } from '../config-schema';
import { quote } from '../../quote';
import type { Hyperparameters } from '../types';

export class LiveSettings<K extends string> {
  private readonly current: Record<K, number>;
  private readonly fields: Map<string, ConfigField>;

  /**
   * `initial`: the starting values (from the config); `live`: the keys that may change (default:
   * all of them) — a model may keep a value it never uses live (e.g. a loss weight of a term its
   * variant lacks). Every live key must be a numeric field of `schema`.
   */
  constructor(
    schema: readonly ConfigField[],
    initial: Record<K, number>,
    private readonly live: readonly K[] = Object.keys(initial) as K[],
  ) {
    this.current = { ...initial };
    this.fields = new Map(schema.map((field) => [field.key, field]));
    for (const key of live) {
      const kind = this.fields.get(key)?.kind;
      if (kind !== 'float' && kind !== 'int') {
        throw new Error(`Live hyperparameter ${key} is not a numeric field of the config schema`);
      }
    }
  }

  /** The current values (read every step: a change applies from the next one). */
  get values(): Readonly<Record<K, number>> {
    return this.current;
  }

  /** The live values, as `getHyperparameters` returns them. */
  get(): Hyperparameters {
    return Object.fromEntries(this.live.map((key) => [key, this.current[key]]));
  }

  /** Validates every value against the schema first; throws a ConfigError naming the key. */
  set(values: Hyperparameters): void {
    for (const [key, value] of Object.entries(values)) {
      if (!(this.live as readonly string[]).includes(key)) {
        throw new ConfigError(
          key,
          `Unknown hyperparameter ${quote(key)} (live: ${this.live.join(', ')})`,
        );
      }
      const problem = checkField(this.fields.get(key) as ConfigField, value);
      if (problem) throw new ConfigError(key, problem);
    }
    for (const [key, value] of Object.entries(values)) this.current[key as K] = value;
  }
}
