/**
 * Experiment-level actions shared by the UI and `window.playground`: the share link of the current
 * runs, opening a link's experiment, adding a run on the comparison's data stream, and the
 * one-click classroom demo. Written against the model catalog and the run state only, so every
 * model in the catalog works without changes here.
 */
import { MODEL_KINDS, modelDefinition } from '../../core/models/registry';
import { ConfigError, LARGE_MEMORY_BYTES } from '../../core/models/config-schema';
import type { MovingMnistDataSpec } from '../../core/data/types';
import type { ModelKind } from '../../core/models/registry';
import {
  decodeExperiment,
  experimentPayload,
  experimentUrl,
  parseViewParams,
  viewQuery,
} from '../../protocol/experiment';
import type { Experiment, ViewName } from '../../protocol/experiment';
import type { RunSpec } from '../../protocol/messages';
import { parseRunSpec } from '../../protocol/run-spec';
import { prefersReducedMotion } from '../components/hooks';
import { RunCommandError } from '../runs/run-manager';
import type { RunManager } from '../runs/run-manager';
import { usePlayground } from '../state/store';
import type { PlaygroundState, RunState } from '../state/store';
import { comparedIds, useWorkspace } from '../state/workspace';
import type { WorkspaceState } from '../state/workspace';

export interface ShareOptions {
  /** Start training when the link opens. */
  start?: boolean;
  view?: ViewName;
  controlsHidden?: boolean;
}

/**
 * Data for classroom demos: two digits (scaled to each model's canvas, so they have room to move
 * on the 32-px canvases of the small presets) at a calm 3 px a frame.
 */
export const CLASSROOM_DATA: MovingMnistDataSpec = {
  source: 'moving-mnist',
  seed: 42,
  digits: 2,
  speed: 3,
};

/**
 * The current runs (in order) as an experiment: those that were created, each spec checked again
 * as a link would be (a run whose creation failed is left out, so a link never carries it). From
 * the compare or presentation view (`view`, the workspace's view if not given), only the compared
 * runs: what that view shows is what the link recreates.
 */
export function currentExperiment(start = false, view?: ViewName): Experiment {
  const runs = sharedRuns(usePlayground.getState(), {
    ...useWorkspace.getState(),
    ...withView(view),
  });
  return { runs: runs.map((run) => checkedSpec(run.spec)), start };
}

type WorkspaceScope = Pick<WorkspaceState, 'view' | 'compareSelection'>;

function withView(view: ViewName | undefined): Partial<WorkspaceScope> {
  return view ? { view } : {};
}

/** How many runs a link would carry now (see currentExperiment). */
export function shareableRunCount(
  state: Pick<PlaygroundState, 'runs' | 'runOrder'>,
  workspace: WorkspaceScope,
): number {
  return sharedRuns(state, workspace).length;
}

/** Whether links from this view carry only the compared runs. */
export function sharesComparedRuns(view: ViewName): boolean {
  return view === 'compare' || view === 'present';
}

function sharedRuns(
  { runs, runOrder }: Pick<PlaygroundState, 'runs' | 'runOrder'>,
  { view, compareSelection }: WorkspaceScope,
): RunState[] {
  const ids = sharesComparedRuns(view) ? comparedIds(runOrder, compareSelection) : runOrder;
  return ids.map((id) => runs[id]).filter((run) => !creationFailed(run));
}

/** A run that failed before it was ever ready (its worker refused or could not build it). */
function creationFailed(run: RunState): boolean {
  return run.status === 'error' && run.config === null;
}

function checkedSpec(spec: RunSpec): RunSpec {
  const { resolved: _resolved, ...checked } = parseRunSpec(spec);
  return checked;
}

/** A link that recreates the current runs; throws when there are none. */
export function shareUrl(options: ShareOptions = {}): string {
  const experiment = currentExperiment(options.start ?? false, options.view);
  if (experiment.runs.length === 0) throw new Error('There are no runs to share yet');
  const workspace = useWorkspace.getState();
  const query = viewQuery(
    options.view ?? workspace.view,
    options.controlsHidden ?? workspace.controlsHidden,
  );
  return experimentUrl(`${location.origin}${location.pathname}${query}`, experiment);
}

/** Whether any run of the experiment needs more GPU memory than the app creates without asking. */
export function needsMemoryConfirmation(experiment: Experiment): boolean {
  return experiment.runs.some((spec) => {
    const entry = modelDefinition(spec.model);
    const variant = spec.variant ?? entry.defaultVariant;
    const preset = spec.preset ?? entry.defaultPreset;
    return entry.resolve(variant, preset, spec.config).memoryBytes() > LARGE_MEMORY_BYTES;
  });
}

/** An experiment's runs being created: their ids, known at once, and their readiness. */
export interface StartedExperiment {
  ids: string[];
  /** Resolves with the ids once all runs are ready (see startExperimentRuns). */
  ready: Promise<string[]>;
}

/**
 * Creates the experiment's runs and, when it says so, starts each as soon as it is ready: all of
 * them or none. Every spec is checked first (its config, data and seeds against its model, and its
 * dataset), so one bad run refuses the whole experiment before anything is created; and should a
 * worker still refuse a run, the runs created for the experiment are removed again. The runs are in the store when this
 * returns; the promise resolves with their ids once all are ready, or rejects with a ConfigError
 * naming the run (`runs[1].data.frames`).
 */
export function createExperimentRuns(
  manager: RunManager,
  experiment: Experiment,
): Promise<string[]> {
  try {
    return startExperimentRuns(manager, experiment).ready;
  } catch (error) {
    return Promise.reject(error);
  }
}

/** As createExperimentRuns, but returns the runs' ids at once; throws when a spec is refused. */
export function startExperimentRuns(
  manager: RunManager,
  experiment: Experiment,
): StartedExperiment {
  experiment.runs.forEach((spec, i) => inRun(i, () => manager.checkRunSpec(spec)));
  // The first run is built alone; the others once it trains (see firstRunTrains).
  let firstTrains: Promise<unknown> | undefined;
  const ids: string[] = [];
  const creations = experiment.runs.map((spec, i) => {
    const { id, ready } = manager.startRun(spec, { start: experiment.start, after: firstTrains });
    ids.push(id);
    if (i === 0) firstTrains = firstRunTrains(manager, ready, experiment.start);
    return ready.catch((error: unknown) => {
      throw namedForRun(i, error);
    });
  });
  const ready = Promise.all(creations).catch(async (error: unknown) => {
    await Promise.allSettled(creations); // every worker has answered before the clean-up
    const remaining = new Set(manager.listRuns());
    await Promise.all(ids.filter((id) => remaining.has(id)).map((id) => manager.dispose(id)));
    throw error;
  });
  return { ids, ready };
}

/**
 * Building a run (its worker's start, the digits, the model, the rCNN's dictionary) keeps the
 * cores busy for seconds; with every run of a classroom demo built at once on a two-core machine,
 * the first step came after 35–50 s. So the others wait until the first run is ready and, when
 * the experiment starts training, has trained its first step — or has failed, or FIRST_ALONE_MS
 * has passed.
 */
function firstRunTrains(
  manager: RunManager,
  creation: Promise<string>,
  start: boolean | undefined,
): Promise<unknown> {
  const ready = creation.then((id) =>
    start ? manager.waitForStep(id, 1, FIRST_ALONE_MS) : undefined,
  );
  const cap = new Promise((resolve) => setTimeout(resolve, FIRST_ALONE_MS));
  return Promise.race([ready, cap]).catch(() => undefined);
}

/** The longest the other runs of an experiment wait for the first one (firstRunTrains). */
const FIRST_ALONE_MS = 30_000;

/** Runs `work` for run `index` of an experiment; a ConfigError it throws names that run. */
function inRun<T>(index: number, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw namedForRun(index, error);
  }
}

function namedForRun(index: number, error: unknown): unknown {
  if (error instanceof ConfigError) {
    return new ConfigError(`runs[${index}].${error.field}`, `Run ${index + 1}: ${error.message}`);
  }
  if (error instanceof RunCommandError) {
    return new RunCommandError({
      ...error.runError,
      message: `Run ${index + 1}: ${error.runError.message}`,
    });
  }
  return error;
}

/**
 * Validates a link (a URL, `#exp=…` or `exp=…`) and recreates its runs. A bad link creates nothing:
 * the promise rejects with a ConfigError naming the field, and the app shows the message.
 */
export function loadExperiment(manager: RunManager, urlOrHash: string): Promise<string[]> {
  const workspace = useWorkspace.getState();
  let experiment: Experiment;
  try {
    experiment = decodeExperiment(urlOrHash);
  } catch (error) {
    workspace.setLink({ error: linkErrorText(error), pending: null });
    return Promise.reject(error);
  }
  workspace.setLink({ error: null, pending: null });
  const view = parseViewParams(queryOf(urlOrHash)).view;
  if (view) workspace.setView(view);
  return createLinkRuns(manager, experiment);
}

/** Creates a link's runs (see createExperimentRuns); a refusal also shows as the link's error. */
export function createLinkRuns(manager: RunManager, experiment: Experiment): Promise<string[]> {
  return createExperimentRuns(manager, experiment).catch((error: unknown) => {
    useWorkspace.getState().setLink({ error: linkErrorText(error) });
    throw error;
  });
}

export function linkErrorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const field = error instanceof ConfigError ? ` (field: ${error.field})` : '';
  return `This link’s experiment was not loaded: ${message}${field}. Nothing was created.`;
}

function queryOf(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return '';
  const end = url.indexOf('#', start);
  return url.slice(start, end < 0 ? undefined : end);
}

/**
 * Reads the page's own URL on start-up: the view parameters, then the experiment in the hash.
 * Large experiments wait for the user's confirmation; anything invalid is reported, not run.
 */
export function openFromLocation(manager: RunManager): Promise<void> {
  const workspace = useWorkspace.getState();
  const params = parseViewParams(location.search);
  if (params.view) workspace.setView(params.view);
  // A lesson link plays the frames by itself (unless the user asked the OS for less motion).
  if (params.view === 'present' && !prefersReducedMotion())
    workspace.setPlayback({ playing: true });
  workspace.setControlsHidden(params.controlsHidden);
  workspace.setLink({ notes: params.problems });
  if (experimentPayload(location.hash) === null) return Promise.resolve();
  let experiment: Experiment;
  try {
    experiment = decodeExperiment(location.hash);
  } catch (error) {
    workspace.setLink({ error: linkErrorText(error) });
    return Promise.resolve();
  }
  if (needsMemoryConfirmation(experiment)) {
    workspace.setLink({ pending: experiment });
    return Promise.resolve();
  }
  createLinkRuns(manager, experiment).catch(() => undefined); // shown as the link's error
  return Promise.resolve();
}

export interface NewComparedRun {
  model: ModelKind;
  variant?: string;
  preset?: string;
  config?: Record<string, unknown>;
  seed?: number;
}

/**
 * A new run on the same data stream as the comparison's first run: its data spec (with the data
 * seed) and requested backend are copied, so both see identical batches and held-out sequences.
 */
export async function addRunToCompare(manager: RunManager, run: NewComparedRun): Promise<string> {
  const { runs, runOrder } = usePlayground.getState();
  const workspace = useWorkspace.getState();
  const firstId = comparedIds(runOrder, workspace.compareSelection)[0];
  const first = firstId ? runs[firstId] : undefined;
  const spec: RunSpec = {
    ...run,
    data: first?.spec.data ?? CLASSROOM_DATA,
    ...(first?.spec.backend ? { backend: first.spec.backend } : {}),
  };
  parseRunSpec(spec); // throws before anything is created
  const { id, ready } = manager.startRun(spec);
  const selection = useWorkspace.getState().compareSelection;
  if (selection !== null) useWorkspace.getState().setCompareSelection([...selection, id]);
  return ready;
}

/** Every model in registry order (each has a classroom guide). */
export function classroomModels(): ModelKind[] {
  return [...MODEL_KINDS];
}

/** Classroom demo specs: each model's classroom preset, all on CLASSROOM_DATA. */
export function classroomSpecs(kinds: readonly ModelKind[] = classroomModels()): RunSpec[] {
  return kinds.map((kind) => {
    const entry = modelDefinition(kind);
    const guide = entry.classroom;
    return {
      model: entry.kind,
      variant: guide.variant ?? entry.defaultVariant,
      preset: guide.preset,
      data: CLASSROOM_DATA,
      seed: 0,
    };
  });
}

/** Creates and starts the classroom demo and opens the presentation view. */
export function startClassroomDemo(
  manager: RunManager,
  kinds: readonly ModelKind[] = classroomModels(),
): Promise<string[]> {
  let started: StartedExperiment;
  try {
    started = startExperimentRuns(manager, { runs: classroomSpecs(kinds), start: true });
  } catch (error) {
    started = { ids: [], ready: Promise.reject(error) };
  }
  const workspace = useWorkspace.getState();
  workspace.setCompareSelection(started.ids);
  workspace.setView('present');
  if (!prefersReducedMotion()) workspace.setPlayback({ playing: true });
  return started.ready;
}
