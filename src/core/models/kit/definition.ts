/**
 * What a model folder exports so that the rest of the playground can offer it: a
 * `ModelDefinition`, built by `defineModel` from the model's typed spec (config, presets,
 * variants, sizes, classroom guide, FLOP count and its tfjs code, loaded on first use), and
 * listed once in `registry.ts`. Pure TypeScript: the UI imports definitions to build its pickers
 * and validate configs without loading tfjs.
 *
 * Callers outside the folder never see the model's config type: they resolve a variant, a preset
 * and overrides into a `ResolvedModel`, which carries the plain config values (what specs,
 * messages and checkpoints hold) and answers every typed question (memory, FLOPs, cadence, the
 * model itself) from the typed config it closes over — no casts anywhere.
 */
import { ConfigError, applyOverrides } from '../config-schema';
import { describeValue, quote, shortJson } from '../../quote';
import type { ClassroomGuide, ConfigField, ConfigValue, Preset, Variant } from '../config-schema';
import type { DataRequirements, VideoModel } from '../types';

/** A resolved config as plain data: every field a number, a boolean or a string. */
export type ModelConfig = Readonly<Record<string, ConfigValue>>;

/** The evaluation cadence every model's config has (see `cadenceFields`); the runtime reads it. */
export interface EvalCadence {
  evalSequences: number; // held-out sequences scored at every evaluation
  evalEvery: number; // training steps between evaluations
  sampleEvery: number; // training steps between sample frames sent to the UI
}

/** A model's own settings: its config fields plus the cadence. */
export type KitConfig = ModelConfig & EvalCadence;

/** A preset without its config, as pickers show it. */
export type PresetInfo = Omit<Preset<never>, 'config'>;

/** The tfjs side of a model, loaded when the first model is built. */
export interface ModelCode<C> {
  /** A model with fresh weights drawn from `seed`. */
  create(config: C, seed: number): VideoModel;
}

/**
 * A measurement of a model's own besides its training steps (e.g. the rCNN's k-means dictionary
 * updates), run by the benchmark on every backend for the model's presets among its cells.
 */
export interface ModelBenchmark<C> {
  /** Title of the benchmark report's table. */
  title: string;
  /** Column headers after `preset` and `backend`. */
  columns: readonly string[];
  /** One row of values for `columns`, measured on the active tfjs backend within `maxSeconds`. */
  measure(config: C, maxSeconds: number): Promise<readonly number[]>;
}

/**
 * The most WebGPU work one training step of a benchmark cell may take (the benchmark report checks
 * it; counted by src/core/train/step-work.ts). `maxUploads: null`: uploads are not capped.
 */
export interface StepWorkTarget {
  maxDispatches: number;
  maxUploads: number | null;
}

/** Everything a model folder declares, typed by its config `C`. */
export interface ModelSpec<K extends string, C extends KitConfig> {
  kind: K;
  title: string;
  /** The paper, as a citation. */
  paper: string;
  /** One or two sentences on what the model does. */
  summary: string;
  variants: readonly Variant[];
  defaultVariant: string;
  presets: readonly Preset<C>[];
  defaultPreset: string;
  /** Every field a user may set (`applyOverrides` validates overrides against it). */
  schema: readonly ConfigField[];
  /** The preset that shows the model in class, and what to say and watch (tests check each). */
  classroom: ClassroomGuide;
  /** Preset + variant + overrides → a validated config (see `configResolver`). */
  resolveConfig(variant: string, preset: string, overrides?: Record<string, unknown>): C;
  /** Bytes of GPU memory a training step needs (parameters, optimiser state, activations). */
  estimateMemoryBytes(config: C): number;
  /**
   * What the model needs from its data (frames, frame size, channels, range, batch size): the
   * model's `data`, known without tfjs, so that a run spec's data is checked before any worker.
   */
  dataRequirements(config: C): DataRequirements;
  /**
   * Floating-point operations of one training step, counted from the config: 2 per multiply-add
   * of every matrix product and convolution the step runs, forward and backward, at the layer's
   * nominal size. Backward: the weight gradient of every trained layer and the input gradient
   * wherever tfjs computes one. Elementwise ops, reductions, normalisation, softmax and the
   * optimiser update are left out (each is O(activations) or O(parameters); see BENCHMARKS.md).
   * The benchmark turns ms/step into GFLOP/s with it; tests compare it with `tf.profile`.
   */
  trainStepFlops(config: C): number;
  /** The model's tfjs code (a dynamic import, so that the UI never loads it). */
  load(): Promise<ModelCode<C>>;
  benchmark?: ModelBenchmark<C>;
  /**
   * Overrides that shorten `prepare` without changing what a training step costs (e.g. fewer
   * k-means updates for the same dictionary size), for benchmarks that time steps only.
   */
  quickPrepare?(config: C): Record<string, ConfigValue>;
  /** The per-step work target of a benchmark cell, or null where it has none. */
  stepWorkTarget?(variant: string, preset: string): StepWorkTarget | null;
}

/** A variant, a preset and overrides, resolved and validated for one model. */
export interface ResolvedModel<K extends string = string> {
  readonly kind: K;
  readonly variant: string;
  readonly preset: string;
  /** The full config (preset, variant and overrides): what runs, messages and checkpoints hold. */
  readonly config: ModelConfig;
  readonly cadence: EvalCadence;
  /** The config keys whose values differ from the preset's: what a spec or a link carries. */
  overrides(): Record<string, ConfigValue>;
  /** Bytes of GPU memory a training step needs. */
  memoryBytes(): number;
  /** What the model needs from its data (the built model's `data`). */
  dataRequirements(): DataRequirements;
  trainStepFlops(): number;
  /** Loads the model's code (once) and returns a builder: seed → a model with fresh weights. */
  builder(): Promise<(seed: number) => VideoModel>;
}

/** The model-specific benchmark, bound to one preset's config. */
export interface BoundBenchmark {
  title: string;
  columns: readonly string[];
  measure(maxSeconds: number): Promise<readonly number[]>;
}

/** A model as every caller outside its folder sees it. */
export interface ModelDefinition<K extends string = string> {
  readonly kind: K;
  readonly title: string;
  readonly paper: string;
  readonly summary: string;
  readonly variants: readonly Variant[];
  readonly defaultVariant: string;
  readonly presets: readonly PresetInfo[];
  readonly defaultPreset: string;
  readonly schema: readonly ConfigField[];
  readonly classroom: ClassroomGuide;
  /** Variant + preset + overrides → the resolved model; throws a ConfigError naming the field. */
  resolve(variant: string, preset: string, overrides?: Record<string, unknown>): ResolvedModel<K>;
  /**
   * A full config saved earlier (a checkpoint's, a worker's `init`) → the resolved model, checked
   * key by key: an unknown key, a value the schema rejects or one that contradicts the variant
   * throws a ConfigError naming the key. Keys the saved config lacks (added to the app after it
   * was written) keep their preset values.
   */
  restore(
    variant: string,
    preset: string,
    config: Readonly<Record<string, unknown>>,
  ): ResolvedModel<K>;
  /** The model's own benchmark for a preset, if it has one. */
  benchmark(variant: string, preset: string): BoundBenchmark | null;
  /** Overrides that shorten the preset's preparation, not its steps (see `ModelSpec`); or {}. */
  quickPrepareOverrides(variant: string, preset: string): Record<string, ConfigValue>;
  /** The per-step WebGPU work target of a benchmark cell (see `ModelSpec`), or null. */
  stepWorkTarget(variant: string, preset: string): StepWorkTarget | null;
}

/** A model's definition: the erased view the registry lists, plus its typed config resolver. */
export interface TypedModelDefinition<
  K extends string,
  C extends KitConfig,
> extends ModelDefinition<K> {
  resolveConfig(variant: string, preset: string, overrides?: Record<string, unknown>): C;
}

export function defineModel<K extends string, C extends KitConfig>(
  spec: ModelSpec<K, C>,
): TypedModelDefinition<K, C> {
  let code: Promise<ModelCode<C>> | null = null;
  const bind = (variant: string, preset: string, config: C): ResolvedModel<K> => ({
    kind: spec.kind,
    variant,
    preset,
    config,
    cadence: {
      evalSequences: config.evalSequences,
      evalEvery: config.evalEvery,
      sampleEvery: config.sampleEvery,
    },
    overrides: () => {
      const base = spec.resolveConfig(variant, preset);
      const changed: Record<string, ConfigValue> = {};
      for (const [key, value] of Object.entries(config)) {
        if (!Object.is(value, base[key])) changed[key] = value;
      }
      return changed;
    },
    memoryBytes: () => spec.estimateMemoryBytes(config),
    dataRequirements: () => spec.dataRequirements(config),
    trainStepFlops: () => spec.trainStepFlops(config),
    builder: async () => {
      code ??= spec.load();
      const { create } = await code;
      return (seed) => create(config, seed);
    },
  });
  const resolve = (variant: string, preset: string, overrides?: Record<string, unknown>) =>
    bind(variant, preset, spec.resolveConfig(variant, preset, overrides));
  return {
    kind: spec.kind,
    title: spec.title,
    paper: spec.paper,
    summary: spec.summary,
    variants: spec.variants,
    defaultVariant: spec.defaultVariant,
    presets: spec.presets,
    defaultPreset: spec.defaultPreset,
    schema: spec.schema,
    classroom: spec.classroom,
    resolveConfig: spec.resolveConfig,
    resolve,
    restore: (variant, preset, saved) => {
      const base = spec.resolveConfig(variant, preset);
      const schemaKeys = new Set(spec.schema.map((field) => field.key));
      const overrides: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(saved)) {
        if (!(key in base)) throw new ConfigError(key, `Unknown config key ${quote(key)}`);
        if (Object.is(value, base[key])) continue;
        if (!schemaKeys.has(key)) {
          throw new ConfigError(
            key,
            `${key} is ${shortJson(value)}, but variant "${variant}" sets ${shortJson(base[key])}`,
          );
        }
        overrides[key] = value;
      }
      return resolve(variant, preset, overrides);
    },
    benchmark: (variant, preset) => {
      const benchmark = spec.benchmark;
      if (!benchmark) return null;
      const config = spec.resolveConfig(variant, preset);
      return {
        title: benchmark.title,
        columns: benchmark.columns,
        measure: (maxSeconds) => benchmark.measure(config, maxSeconds),
      };
    },
    quickPrepareOverrides: (variant, preset) =>
      spec.quickPrepare?.(spec.resolveConfig(variant, preset)) ?? {},
    stepWorkTarget: (variant, preset) => spec.stepWorkTarget?.(variant, preset) ?? null,
  };
}

/**
 * Step-work targets at half the dispatches a step took before the dispatch work (`baseline`: cell
 * `variant/preset` → dispatches at commit 5304581); cells without a baseline have no target.
 */
export function halvedDispatches(
  baseline: Readonly<Record<string, number>>,
): (variant: string, preset: string) => StepWorkTarget | null {
  return (variant, preset) => {
    const dispatches = baseline[`${variant}/${preset}`];
    return dispatches === undefined
      ? null
      : { maxDispatches: Math.floor(dispatches / 2), maxUploads: null };
  };
}

/** What a model's config resolver needs to know besides the schema. */
export interface ConfigRules<C extends KitConfig, V extends string> {
  variants: readonly Variant<V>[];
  presets: readonly Preset<C>[];
  schema: readonly ConfigField[];
  /** The preset's config as `variant` sets it (the fields a variant fixes). */
  applyVariant(variant: V, preset: Preset<C>): C;
  /** Checks that need more than one field; throws a ConfigError naming the offending field. */
  check(config: C): void;
}

/**
 * Preset + variant + overrides → a validated config: the variant and the preset must exist,
 * every override must be a schema field with a valid value (`applyOverrides`), then the model's
 * own cross-field checks. Throws a ConfigError naming the field.
 */
export function configResolver<C extends KitConfig, V extends string>(
  rules: ConfigRules<C, V>,
): (variant: string, preset: string, overrides?: Record<string, unknown>) => C {
  return (variant, preset, overrides = {}) => {
    const chosen = rules.variants.find((v) => v.id === variant);
    if (!chosen) {
      const ids = rules.variants.map((v) => v.id).join(', ');
      throw new ConfigError(
        'variant',
        `variant must be one of: ${ids} (got ${describeValue(variant)})`,
      );
    }
    const base = rules.presets.find((p) => p.id === preset);
    if (!base) {
      const ids = rules.presets.map((p) => p.id).join(', ');
      throw new ConfigError(
        'preset',
        `preset must be one of: ${ids} (got ${describeValue(preset)})`,
      );
    }
    const config = applyOverrides(rules.schema, rules.applyVariant(chosen.id, base), overrides);
    rules.check(config);
    return config;
  };
}
