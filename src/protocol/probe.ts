/**
 * What a `probe` command asks of a run (src/core/probe) and what it answers: the request as the
 * UI and the automation API give it, checked here with messages naming the field, before it
 * reaches the worker.
 */
import type { ProbeTask } from '../core/data/labels';
import type { DataSpec } from '../core/data/types';
import { ConfigError } from '../core/models/config-schema';
import { DEFAULT_PROBE_SETTINGS } from '../core/probe/compare';
import type { ProbeMode, ProbeResult, ProbeSettings } from '../core/probe/compare';
import type { LabelCount } from '../core/probe/targets';
import { describeValue, quote } from '../core/quote';

export type { ProbeMode, ProbeResult } from '../core/probe/compare';
export type { LabelCount } from '../core/probe/targets';
export type { ProbeTask } from '../core/data/labels';

/** `probe(id, request)`: every field optional. */
export interface ProbeRequest {
  mode?: ProbeMode; // 'linear' (default) or 'fine-tune'
  /**
   * Moving MNIST: 'first-digit' (default) or 'digits-present'; an imported or webcam dataset:
   * 'file-labels' (default and only choice), the labels given to its files.
   */
  task?: ProbeTask;
  /**
   * Labelled clips per class: one count, 'all', or a list (default [1, 5, 10, 50]); with file
   * labels capped by the training clips each label has.
   */
  labelsPerClass?: LabelCount | LabelCount[];
  /** Digits per clip: default 1 for first-digit (the first digit is then visible), else the run's. */
  digits?: number;
  trainClips?: number; // Moving MNIST clips the labelled ones are drawn from (default 1000)
  testClips?: number; // Moving MNIST clips scored (default 500)
  seeds?: number; // draws of labelled clips averaged (default 3)
  epochs?: number; // fine-tuning passes over the labelled clips (default 5)
}

/**
 * A checked request: the settings of src/core/probe plus the digits per clip (null = the run's;
 * always null for file labels).
 */
export interface ProbePlan {
  settings: ProbeSettings;
  digits: number | null;
  /**
   * Task 'file-labels': the label of each segment of the run's dataset ('' = unlabelled): a
   * video file's or webcam clip's, or for each sequence of a .npy array the array's; as the app
   * holds them when the probe is asked for (labels may change after the run started).
   */
  fileLabels: string[] | null;
}

/** A probe's answer: its scores, the run's step and the clips' digits, how long it took. */
export interface ProbeReport extends ProbeResult {
  step: number;
  digits: number | null; // null: clips of a user's dataset
  ms: number;
}

const KEYS = [
  'mode',
  'task',
  'labelsPerClass',
  'digits',
  'trainClips',
  'testClips',
  'seeds',
  'epochs',
];
const MODES: readonly ProbeMode[] = ['linear', 'fine-tune'];
/** The tasks a run's data offers, the default first. */
const TASKS: Record<DataSpec['source'], readonly ProbeTask[]> = {
  'moving-mnist': ['first-digit', 'digits-present'],
  video: ['file-labels'],
};

function count(field: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new ConfigError(
      field,
      `${field} must be an integer from 1 to ${max} (got ${describeValue(value)})`,
    );
  }
  return value;
}

function labelCounts(value: unknown): LabelCount[] {
  if (value === undefined) return [...DEFAULT_PROBE_SETTINGS.labelsPerClass];
  const list = Array.isArray(value) ? value : [value];
  const valid =
    list.length >= 1 &&
    list.length <= 8 &&
    list.every((x) => x === 'all' || (Number.isInteger(x) && x >= 1 && x <= 10_000));
  if (!valid) {
    throw new ConfigError(
      'labelsPerClass',
      `labelsPerClass must be a count of labelled clips per class (1 to 10000), 'all', or a list of up to 8 of them (got ${describeValue(value)})`,
    );
  }
  return list as LabelCount[];
}

/**
 * Checks a probe request (from the UI or the automation API) for a run on data from `source`;
 * throws ConfigError naming the field.
 */
export function parseProbeRequest(
  input: unknown,
  source: DataSpec['source'] = 'moving-mnist',
): ProbePlan {
  const request = input ?? {};
  if (typeof request !== 'object' || Array.isArray(request)) {
    throw new ConfigError(
      'probe',
      `The probe options must be an object, e.g. { labelsPerClass: [5, 10], mode: 'linear' } (got ${describeValue(input)})`,
    );
  }
  const record = request as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!KEYS.includes(key)) {
      throw new ConfigError(
        key,
        `Unknown probe option ${quote(key)} (allowed: ${KEYS.join(', ')})`,
      );
    }
  }
  const mode = record.mode ?? 'linear';
  if (!MODES.includes(mode as ProbeMode)) {
    throw new ConfigError(
      'mode',
      `mode must be one of: ${MODES.join(', ')} (got ${describeValue(record.mode)})`,
    );
  }
  const tasks = TASKS[source];
  const task = record.task ?? tasks[0];
  if (!tasks.includes(task as ProbeTask)) {
    const data = source === 'video' ? 'an imported dataset' : 'Moving MNIST';
    throw new ConfigError(
      'task',
      `task must be one of: ${tasks.join(', ')} for a run on ${data} (got ${describeValue(record.task)})`,
    );
  }
  if (task === 'file-labels' && record.digits !== undefined) {
    throw new ConfigError('digits', 'digits applies to Moving MNIST clips, not to file labels');
  }
  const seeds = count('seeds', record.seeds, DEFAULT_PROBE_SETTINGS.seeds.length, 10);
  const digits =
    record.digits !== undefined
      ? count('digits', record.digits, 1, 4)
      : task === 'first-digit'
        ? 1
        : null;
  return {
    settings: {
      ...DEFAULT_PROBE_SETTINGS,
      mode: mode as ProbeMode,
      task: task as ProbeTask,
      labelsPerClass: labelCounts(record.labelsPerClass),
      trainClips: count('trainClips', record.trainClips, DEFAULT_PROBE_SETTINGS.trainClips, 10_000),
      testClips: count('testClips', record.testClips, DEFAULT_PROBE_SETTINGS.testClips, 10_000),
      seeds: Array.from({ length: seeds }, (_, i) => i + 1),
      epochs: count('epochs', record.epochs, DEFAULT_PROBE_SETTINGS.epochs, 100),
    },
    digits,
    fileLabels: null,
  };
}
