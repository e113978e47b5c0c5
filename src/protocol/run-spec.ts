/**
 * Validation of a run spec from the UI, the automation API or a URL: unknown keys and bad values
 * are rejected with a message naming the field, before any worker starts.
 */
import { ConfigError } from '../core/models/config-schema';
import type { ResolvedModel } from '../core/models/kit/definition';
import { MODEL_KINDS, findModel } from '../core/models/registry';
import type { ModelKind } from '../core/models/registry';
import {
  DEFAULT_DATA_SEED,
  movingMnistOptionsFor,
  resolveMovingMnistOptions,
} from '../core/data/moving-mnist';
import type { DataSpec, MovingMnistDataSpec, MovingMnistOptions } from '../core/data/types';
import type { DataRequirements } from '../core/models/types';
import { describeValue, quote } from '../core/quote';
import { checkSeed } from '../core/seed';
import type { BackendName, RunLaunch, RunSpec } from './messages';

const SPEC_KEYS = ['model', 'variant', 'preset', 'config', 'data', 'backend', 'seed'];
const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'cpu'];
const MOVING_MNIST_KEYS = [
  'source',
  'seed',
  'digits',
  'canvasSize',
  'digitSize',
  'frames',
  'speed',
  'compositing',
  'bounce',
  'background',
];

const VIDEO_KEYS = ['source', 'datasetId', 'seed', 'clipStride', 'heldOutFraction'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A spec as parseRunSpec returns it: checked, with its model resolved. */
export type ParsedRunSpec = RunSpec & { resolved: ResolvedModel<ModelKind> };

/** The parsed spec filled in with its defaults, from the model it resolved (no second resolve). */
export function resolveRunSpec(spec: ParsedRunSpec): RunLaunch {
  const data = spec.data ?? { source: 'moving-mnist' };
  return {
    run: {
      model: spec.model,
      variant: spec.resolved.variant,
      preset: spec.resolved.preset,
      config: { ...spec.resolved.config },
      data: { ...data, seed: data.seed ?? DEFAULT_DATA_SEED },
      seed: spec.seed ?? 0,
    },
    ...(spec.backend ? { backend: spec.backend } : {}),
  };
}

/** A run spec from the UI, a link or a test → what its worker starts with; throws a ConfigError. */
export function launchOf(input: unknown): RunLaunch {
  return resolveRunSpec(parseRunSpec(input));
}

/**
 * Returns the spec with its model resolved, or throws ConfigError naming the bad field. Checks
 * everything a worker would check before it allocates: the config, the seeds, the data options,
 * and that Moving MNIST options fit the model (frames, canvas size, digit size and speed).
 */
export function parseRunSpec(input: unknown): ParsedRunSpec {
  if (!isRecord(input)) {
    throw new ConfigError('spec', `The run spec must be an object (got ${describeValue(input)})`);
  }
  for (const key of Object.keys(input)) {
    if (!SPEC_KEYS.includes(key)) {
      throw new ConfigError(
        key,
        `Unknown run spec key ${quote(key)} (allowed: ${SPEC_KEYS.join(', ')})`,
      );
    }
  }
  const entry = typeof input.model === 'string' ? findModel(input.model) : undefined;
  if (!entry) {
    const available = MODEL_KINDS.join(', ');
    throw new ConfigError(
      'model',
      `model must be one of: ${available} (got ${describeValue(input.model)})`,
    );
  }
  const variant = input.variant === undefined ? entry.defaultVariant : input.variant;
  if (typeof variant !== 'string' || !entry.variants.some((v) => v.id === variant)) {
    const ids = entry.variants.map((v) => v.id).join(', ');
    throw new ConfigError(
      'variant',
      `variant must be one of: ${ids} (got ${describeValue(variant)})`,
    );
  }
  const preset = input.preset === undefined ? entry.defaultPreset : input.preset;
  if (typeof preset !== 'string' || !entry.presets.some((p) => p.id === preset)) {
    const ids = entry.presets.map((p) => p.id).join(', ');
    throw new ConfigError('preset', `preset must be one of: ${ids} (got ${describeValue(preset)})`);
  }
  if (input.config !== undefined && !isRecord(input.config)) {
    throw new ConfigError(
      'config',
      `config must be an object of overrides (got ${describeValue(input.config)})`,
    );
  }
  const resolved = entry.resolve(variant, preset, input.config);
  if (input.backend !== undefined && !BACKENDS.includes(input.backend as BackendName)) {
    throw new ConfigError(
      'backend',
      `backend must be one of: ${BACKENDS.join(', ')} (got ${describeValue(input.backend)})`,
    );
  }
  if (input.seed !== undefined) checkSeed('seed', input.seed);
  const data = parseDataSpec(input.data, resolved.dataRequirements());
  return {
    model: entry.kind,
    variant,
    preset,
    ...(input.config ? { config: input.config } : {}),
    ...(data ? { data } : {}),
    ...(input.backend ? { backend: input.backend as BackendName } : {}),
    ...(input.seed !== undefined ? { seed: input.seed as number } : {}),
    resolved,
  };
}

function parseDataSpec(data: unknown, needs: DataRequirements): DataSpec | undefined {
  if (data === undefined) return undefined;
  if (!isRecord(data)) {
    throw new ConfigError('data', `data must be an object (got ${describeValue(data)})`);
  }
  if (data.source === 'video') return parseVideoDataSpec(data);
  if (data.source !== 'moving-mnist') {
    throw new ConfigError(
      'data.source',
      `data.source must be "moving-mnist" or "video" (got ${describeValue(data.source)})`,
    );
  }
  for (const key of Object.keys(data)) {
    if (!MOVING_MNIST_KEYS.includes(key)) {
      throw new ConfigError(`data.${key}`, `Unknown data option ${quote(key)}`);
    }
  }
  if (data.seed !== undefined) checkSeed('data.seed', data.seed);
  // Values too (digits, speed, …), then against the model (frames, canvas size, and the digit
  // size and speed on its canvas), as the worker will build the stream.
  const { source: _source, seed: _seed, ...options } = data;
  resolveMovingMnistOptions(options as Partial<MovingMnistOptions>);
  movingMnistOptionsFor(data as unknown as MovingMnistDataSpec, needs);
  return data as unknown as DataSpec;
}

/** `{ source: 'video', datasetId, seed?, clipStride?, heldOutFraction? }`. */
function parseVideoDataSpec(data: Record<string, unknown>): DataSpec {
  for (const key of Object.keys(data)) {
    if (!VIDEO_KEYS.includes(key)) {
      throw new ConfigError(
        `data.${key}`,
        `Unknown data option ${quote(key)} for data.source "video" (allowed: ${VIDEO_KEYS.join(', ')})`,
      );
    }
  }
  if (typeof data.datasetId !== 'string' || data.datasetId.length === 0) {
    throw new ConfigError(
      'data.datasetId',
      `data.datasetId must name an imported dataset (see playground.listDatasets()); got ${describeValue(data.datasetId)}`,
    );
  }
  if (data.seed !== undefined) checkSeed('data.seed', data.seed);
  const stride = data.clipStride;
  if (stride !== undefined && !(Number.isInteger(stride) && (stride as number) >= 1)) {
    throw new ConfigError(
      'data.clipStride',
      `data.clipStride must be a positive integer number of frames (got ${describeValue(stride)})`,
    );
  }
  const fraction = data.heldOutFraction;
  if (
    fraction !== undefined &&
    !(typeof fraction === 'number' && fraction > 0 && fraction <= 0.5)
  ) {
    throw new ConfigError(
      'data.heldOutFraction',
      `data.heldOutFraction must be a number in (0, 0.5] (got ${describeValue(fraction)})`,
    );
  }
  return data as unknown as DataSpec;
}
