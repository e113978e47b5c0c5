/**
 * A whole experiment (every run's spec: model, variant, preset, config overrides, data spec, seeds,
 * backend) as a versioned, compact JSON document in the URL hash, after tensorflow/playground's
 * `state.ts`: `#exp=<base64url(JSON)>`. Reading a link validates every run with `parseRunSpec`
 * before anything is created: an unknown key or a bad value rejects the whole link with a
 * ConfigError naming the field (`runs[1].config.learningRate`), and nothing runs.
 *
 * Presentation options (which view, whether the controls show) live in the query string instead
 * (`?view=present&controls=hidden`), so a teacher can change them without touching the experiment.
 */
import { ConfigError } from '../core/models/config-schema';
import { describeValue, quote } from '../core/quote';
import type { RunSpec } from './messages';
import { parseRunSpec } from './run-spec';

export const EXPERIMENT_VERSION = 1;
export const EXPERIMENT_HASH_KEY = 'exp';
/** More runs than this in one tab would fight over one GPU; a link asking for more is refused. */
export const MAX_EXPERIMENT_RUNS = 8;
/** Longest encoded experiment a link may carry (a sane run list is a few hundred characters). */
export const MAX_EXPERIMENT_CHARS = 20_000;

const RUN_KEYS = ['model', 'variant', 'preset', 'config', 'data', 'backend', 'seed'] as const;
const EXPERIMENT_KEYS = ['v', 'runs', 'start'];

export interface Experiment {
  runs: RunSpec[];
  /** Start training as soon as the runs are ready. */
  start: boolean;
}

/** The view the app opens in; `present` is the large classroom layout, `data` the imports. */
export const VIEWS = ['run', 'compare', 'present', 'data'] as const;
export type ViewName = (typeof VIEWS)[number];

export interface ViewParams {
  view: ViewName | null;
  controlsHidden: boolean;
  /** Query parameters that were present but not understood, as messages for the user. */
  problems: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Only the spec fields, in a fixed order, so equal experiments give equal links. */
function canonicalSpec(spec: RunSpec): RunSpec {
  const out: Record<string, unknown> = {};
  for (const key of RUN_KEYS) {
    const value = spec[key];
    if (value === undefined) continue;
    if (key === 'config' && Object.keys(value as object).length === 0) continue;
    out[key] = value;
  }
  return out as unknown as RunSpec;
}

function toBase64Url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(encoded: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) {
    throw new ConfigError('link', 'The link’s experiment is not valid base64url text');
  }
  const padded = encoded.replace(/-/g, '+').replace(/_/g, '/');
  let binary: string;
  try {
    binary = atob(padded + '='.repeat((4 - (padded.length % 4)) % 4));
  } catch {
    throw new ConfigError('link', 'The link’s experiment is not valid base64url text');
  }
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError('link', 'The link’s experiment is not valid UTF-8 text');
  }
}

/** `#exp=…` for the experiment (the hash only; see `experimentUrl` for a whole link). */
export function encodeExperiment(experiment: Experiment): string {
  const document: Record<string, unknown> = {
    v: EXPERIMENT_VERSION,
    runs: experiment.runs.map(canonicalSpec),
  };
  if (experiment.start) document.start = true;
  return `#${EXPERIMENT_HASH_KEY}=${toBase64Url(JSON.stringify(document))}`;
}

/** The encoded experiment inside a URL, a hash (`#exp=…`) or a bare `exp=…`; null when absent. */
export function experimentPayload(urlOrHash: string): string | null {
  const text = urlOrHash.trim();
  const hashStart = text.indexOf('#');
  const hash = hashStart >= 0 ? text.slice(hashStart + 1) : text;
  for (const part of hash.split('&')) {
    const [key, ...rest] = part.split('=');
    if (key === EXPERIMENT_HASH_KEY && rest.length > 0) return rest.join('=');
  }
  return null;
}

/**
 * Parses and validates an experiment link. Throws ConfigError naming the bad field; returns the
 * runs' specs exactly as `RunManager.createRun` accepts them.
 */
export function decodeExperiment(urlOrHash: string): Experiment {
  const payload = experimentPayload(urlOrHash);
  if (payload === null) {
    throw new ConfigError(
      'link',
      `The link has no experiment (expected #${EXPERIMENT_HASH_KEY}=…)`,
    );
  }
  if (payload.length > MAX_EXPERIMENT_CHARS) {
    throw new ConfigError(
      'link',
      `The link’s experiment is ${payload.length.toLocaleString()} characters long; at most ${MAX_EXPERIMENT_CHARS.toLocaleString()} are accepted`,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(fromBase64Url(payload));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError('link', 'The link’s experiment is not valid JSON');
  }
  return parseExperiment(document);
}

/** Validates a decoded experiment document (`{ v, runs, start? }`). */
export function parseExperiment(document: unknown): Experiment {
  if (!isRecord(document)) throw new ConfigError('link', 'The experiment must be a JSON object');
  for (const key of Object.keys(document)) {
    if (!EXPERIMENT_KEYS.includes(key)) {
      throw new ConfigError(key, `Unknown experiment key ${quote(key)} (allowed: v, runs, start)`);
    }
  }
  if (document.v !== EXPERIMENT_VERSION) {
    const newer = typeof document.v === 'number' && document.v > EXPERIMENT_VERSION;
    throw new ConfigError(
      'v',
      newer
        ? `The link was made by a newer version of the playground (experiment format v${document.v}); this one reads v${EXPERIMENT_VERSION}`
        : `v must be ${EXPERIMENT_VERSION}, the experiment format version (got ${describeValue(document.v)})`,
    );
  }
  const runs = document.runs;
  if (!Array.isArray(runs) || runs.length === 0) {
    throw new ConfigError(
      'runs',
      `runs must be a non-empty list of run specs (got ${describeValue(runs)})`,
    );
  }
  if (runs.length > MAX_EXPERIMENT_RUNS) {
    throw new ConfigError(
      'runs',
      `The link asks for ${runs.length} runs; at most ${MAX_EXPERIMENT_RUNS} are accepted`,
    );
  }
  if (document.start !== undefined && typeof document.start !== 'boolean') {
    throw new ConfigError(
      'start',
      `start must be true or false (got ${describeValue(document.start)})`,
    );
  }
  const specs = runs.map((run, i) => {
    try {
      const { resolved: _resolved, ...spec } = parseRunSpec(run);
      return spec;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ConfigError(`runs[${i}].${error.field}`, `Run ${i + 1}: ${error.message}`);
    }
  });
  return { runs: specs, start: document.start === true };
}

/** A full link: `base` (origin + path + query) with the experiment in the hash. */
export function experimentUrl(base: string, experiment: Experiment): string {
  const cut = base.indexOf('#');
  return (cut >= 0 ? base.slice(0, cut) : base) + encodeExperiment(experiment);
}

/** `?view=present&controls=hidden`: which view to open, and whether to hide the controls. */
export function parseViewParams(search: string): ViewParams {
  const params = new URLSearchParams(search);
  const problems: string[] = [];
  let view: ViewName | null = null;
  const requested = params.get('view');
  if (requested !== null) {
    if ((VIEWS as readonly string[]).includes(requested)) view = requested as ViewName;
    else
      problems.push(`Unknown view ${quote(requested)} in the link (expected ${VIEWS.join(', ')})`);
  }
  const controls = params.get('controls');
  if (controls !== null && controls !== 'hidden' && controls !== 'shown') {
    problems.push(
      `Unknown controls setting ${quote(controls)} in the link (expected hidden or shown)`,
    );
  }
  return { view, controlsHidden: controls === 'hidden', problems };
}

/** The query string for a view and controls setting (empty for the default run view). */
export function viewQuery(view: ViewName, controlsHidden: boolean): string {
  const params = new URLSearchParams();
  if (view !== 'run') params.set('view', view);
  if (controlsHidden) params.set('controls', 'hidden');
  const query = params.toString();
  return query ? `?${query}` : '';
}
