/**
 * The bridge between the app and its run workers: one module worker per run, commands sent with
 * request ids and answered by promises, worker events written into the store.
 */
import type { DatasetPayload } from '../../core/data/types';
import { ConfigError } from '../../core/models/config-schema';
import { describeValue, excerpt, quote } from '../../core/quote';
import type { Hyperparameters } from '../../core/models/types';
import { CheckpointError } from '../../core/checkpoint/errors';
import { checkpointRunSpec, readCheckpointInfo } from '../../core/checkpoint/run-checkpoint';
import type {
  BackendChoice,
  BackendName,
  Command,
  CommandMessage,
  FeatureViewsReport,
  ReplyValue,
  RunError,
  RunSpec,
  RunStatus,
  StressReport,
  StressTestOptions,
  WorkerEvent,
} from '../../protocol/messages';
import { commandTransferables } from '../../protocol/messages';
import { parseRunSpec, resolveRunSpec } from '../../protocol/run-spec';
import type { ParsedRunSpec } from '../../protocol/run-spec';
import { parseProbeRequest } from '../../protocol/probe';
import type { ProbeReport } from '../../protocol/probe';
import { usePlayground } from '../state/store';
import type { RunState } from '../state/store';
import { MetricHistory } from './metric-history';

/** What `getRun` returns: the run's state with its metric histories as `[step, value][]`. */
export interface RunSnapshot {
  id: string;
  model: string;
  variant: string;
  preset: string;
  status: RunStatus;
  backend: string | null;
  adapter: string | null;
  softwareAdapter: boolean;
  /** How the backend was picked when WebGPU was a software adapter and none was forced. */
  backendChoice: BackendChoice | null;
  step: number;
  parameterCount: number | null;
  hyperparameters: Hyperparameters;
  metrics: Record<string, [number, number][]>;
  evaluation: RunState['evaluation'];
  /** Held-out sequences the samples show. */
  exampleIndices: number[];
  error: RunError | null;
  warnings: string[];
}

export class RunCommandError extends Error {
  constructor(readonly runError: RunError) {
    super(runError.message);
    this.name = 'RunCommandError';
  }
}

/** A checkpoint the worker wrote: a safetensors file (docs/checkpoints.md). */
export interface ExportedCheckpoint {
  bytes: ArrayBuffer;
  fileName: string;
  step: number;
}

export interface CheckpointOpenOptions {
  /** Backend of the new run (default: WebGPU → WebGL → CPU). */
  backend?: BackendName;
  /** Where the file came from, shown on the run (e.g. its file name). */
  source?: string;
}

export interface RunStartOptions {
  /** Train as soon as the run is ready. */
  start?: boolean;
  /** Start the run's worker only once this settles (the run is listed at once). */
  after?: Promise<unknown>;
}

/** A run being created: its id, known at once, and its readiness. */
export interface StartedRun {
  id: string;
  /** Resolves with the id once the run is ready; rejects when its creation fails. */
  ready: Promise<string>;
}

interface Pending {
  resolve: (value: ReplyValue | undefined) => void;
  reject: (error: Error) => void;
}

interface RunHandle {
  /** Null while the run waits for its turn to be built (createRun's `after`). */
  worker: Worker | null;
  /**
   * Settles once a run that waited for its turn is ready (or has failed or been removed): the
   * commands sent to it meanwhile are sent then, in order, instead of being refused.
   */
  turn: Promise<void>;
  endTurn: (error?: Error) => void;
  pending: Map<number, Pending>;
  history: MetricHistory;
  stepWaiters: Set<() => void>;
}

/** Where runs find imported datasets (the app's DatasetRegistry). */
export interface DatasetSource {
  payload(id: string): DatasetPayload | undefined;
  /**
   * The label of each segment of the dataset ('' = unlabelled), as the user has set them now: a
   * file's label for each of its segments.
   */
  fileLabels(id: string): string[] | undefined;
  list(): { id: string }[];
}

export class RunManager {
  private readonly runs = new Map<string, RunHandle>();
  private nextRequestId = 1;
  private nextRunNumber = 1;

  constructor(
    private readonly createWorker: () => Worker,
    private readonly datasets?: DatasetSource,
  ) {}

  /**
   * Validates the spec, starts a worker and resolves once the run is ready to train; with
   * `start`, the run is then already training (its first step does not wait for a `start`
   * round trip, nor for its first samples). With `after`, the run is in the list at once but its
   * worker starts only once `after` settles: runs created together then take turns on a machine
   * with few cores instead of slowing each other's start.
   */
  async createRun(input: unknown, options: RunStartOptions = {}): Promise<string> {
    return this.startRun(input, options).ready;
  }

  /**
   * As createRun, but returns at once, with the new run's id (the run is in the store already)
   * and `ready`, which resolves with the id once the run is ready. Throws a ConfigError naming
   * the field when the spec is invalid, before anything is created.
   */
  startRun(input: unknown, options: RunStartOptions = {}): StartedRun {
    return this.launch(this.checkRunSpec(input), undefined, options.start, options.after);
  }

  /**
   * Everything about a spec that can be checked before a worker starts (parseRunSpec, and that
   * its dataset is imported); returns the spec with its model resolved, or throws a ConfigError
   * naming the field.
   */
  checkRunSpec(input: unknown): ParsedRunSpec {
    const spec = parseRunSpec(input);
    if (spec.data?.source === 'video') this.dataset(spec.data.datasetId);
    return spec;
  }

  /**
   * Adds the run for a checked spec to the store and starts its worker; `ready` resolves once the
   * run is ready (restored from `checkpoint` first, when given: a run opened from a file is never
   * ready before that).
   */
  private launch(
    parsed: ParsedRunSpec,
    checkpoint?: ArrayBuffer,
    start = false,
    after?: Promise<unknown>,
  ): StartedRun {
    // The worker gets the run resolved here, the store the spec as given (links carry it).
    const { resolved: _resolved, ...spec } = parsed;
    const { run, backend } = resolveRunSpec(parsed);
    const dataset = run.data.source === 'video' ? this.dataset(run.data.datasetId) : undefined;
    const id = `run-${this.nextRunNumber++}`;
    let endTurn: RunHandle['endTurn'] = () => {};
    const turn = new Promise<void>((resolve, reject) => {
      endTurn = (error) => (error ? reject(error) : resolve());
    });
    turn.catch(() => undefined); // nobody may be waiting
    const handle: RunHandle = {
      worker: null,
      turn,
      endTurn,
      pending: new Map(),
      history: new MetricHistory(),
      stepWaiters: new Set(),
    };
    this.runs.set(id, handle);
    usePlayground.getState().addRun(newRunState(id, spec));
    const init: Command & { type: 'init' } = {
      type: 'init',
      run,
      ...(backend ? { backend } : {}),
      ...(dataset ? { dataset } : {}),
      ...(checkpoint ? { checkpoint } : {}),
      ...(start ? { start } : {}),
    };
    return { id, ready: this.startWhenDue(id, handle, init, after).then(() => id) };
  }

  /**
   * Starts the run's worker once `after` settles and sends it `init`; resolves when the run is
   * ready, and ends the run's turn (commands sent meanwhile go out then).
   */
  private async startWhenDue(
    id: string,
    handle: RunHandle,
    init: Command & { type: 'init' },
    after?: Promise<unknown>,
  ): Promise<void> {
    if (after) {
      usePlayground.getState().updateRun(id, {
        progress: { phase: 'queued', fraction: 0, message: 'Waiting for the first run to train' },
      });
      await after.catch(() => undefined);
      if (this.runs.get(id) !== handle) throw new Error(`Run ${id} was disposed`);
    }
    try {
      await this.startWorker(id, handle, init);
      handle.endTurn();
    } catch (error) {
      handle.endTurn(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  /** Starts the run's worker and sends it `init`; resolves once the run is ready. */
  private async startWorker(
    id: string,
    handle: RunHandle,
    init: Command & { type: 'init' },
  ): Promise<void> {
    const worker = this.createWorker();
    handle.worker = worker;
    worker.onmessage = (event: MessageEvent<WorkerEvent>) => this.onEvent(id, event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.onEvent(id, {
        type: 'error',
        error: { code: 'internal', message: event.message || 'The run worker crashed' },
      });
      this.onEvent(id, { type: 'status', status: 'error', step: this.state(id)?.step ?? 0 });
    };
    // The dataset's frames are copied into the worker (not transferred): other runs share them.
    await this.send(id, init);
  }

  private dataset(id: string): DatasetPayload {
    const payload = this.datasets?.payload(id);
    if (payload) return payload;
    const known = this.datasets?.list().map((d) => d.id) ?? [];
    throw new ConfigError(
      'data.datasetId',
      `No imported dataset ${quote(id)} (${known.length ? `imported: ${known.join(', ')}` : 'none imported yet'})`,
    );
  }

  start(id: string): Promise<void> {
    return this.send(id, { type: 'start' });
  }

  pause(id: string): Promise<void> {
    return this.send(id, { type: 'pause' });
  }

  step(id: string, n = 1): Promise<void> {
    return this.send(id, { type: 'step', n });
  }

  stop(id: string): Promise<void> {
    return this.send(id, { type: 'stop' });
  }

  evaluate(id: string): Promise<void> {
    return this.send(id, { type: 'evaluate' });
  }

  /**
   * Stress tests of the run's model (a future predictor on Moving MNIST): fewer and more digits
   * than it trains on and a rollout past its trained horizon, beside its in-domain score; shown
   * in the run view. A running run keeps training meanwhile.
   */
  async stressTest(id: string, options: StressTestOptions = {}): Promise<StressReport> {
    await this.send(id, { type: 'stress-test', options });
    const report = this.state(id)?.stressTest?.report;
    if (!report) throw new Error(`Run ${id} sent no stress-test report`);
    return report;
  }

  setHyperparameters(id: string, values: Hyperparameters): Promise<void> {
    return this.send(id, { type: 'set-hyperparameters', values });
  }

  /** Shows held-out sequences `indices` in the samples (the first as the main example). */
  async chooseExamples(id: string, indices: number[]): Promise<void> {
    await this.send(id, { type: 'choose-examples', indices });
    usePlayground.getState().updateRun(id, { exampleIndices: [...indices] });
  }

  /**
   * Aborts the run's current long operation (e.g. building a patch dictionary while it is
   * created): the pending createRun then rejects with error code 'cancelled'.
   */
  cancel(id: string): Promise<void> {
    return this.send(id, { type: 'cancel' });
  }

  /**
   * Terminates the worker, which frees all of its GPU memory, and forgets the run. Its pending
   * commands and `waitForStep` calls reject at once ("… was disposed").
   */
  async dispose(id: string): Promise<void> {
    const handle = this.handle(id);
    handle.worker?.terminate();
    handle.endTurn(new Error(`Run ${id} was disposed`));
    this.runs.delete(id);
    usePlayground.getState().removeRun(id);
    for (const pending of handle.pending.values())
      pending.reject(new Error(`Run ${id} was disposed`));
    for (const wake of [...handle.stepWaiters]) wake();
  }

  /**
   * Probes the run's features as they are now against random initialisation (src/core/probe):
   * a frozen linear probe or full fine-tuning, at the asked numbers of labelled clips per class.
   * A run on an imported dataset is probed with the labels its files have now. A running run
   * keeps training meanwhile. Bad options reject with a ConfigError naming them.
   */
  async probe(id: string, request: unknown = {}): Promise<ProbeReport> {
    const data = this.state(id)?.spec.data;
    const plan = parseProbeRequest(request, data?.source);
    if (data?.source === 'video') {
      const labels = this.datasets?.fileLabels(data.datasetId);
      if (!labels) {
        throw new ConfigError(
          'data.datasetId',
          `The dataset ${quote(data.datasetId)} this run trains on was removed, and its file labels with it`,
        );
      }
      plan.fileLabels = labels;
    }
    const value = await this.request(id, { type: 'probe', plan });
    if (value?.type !== 'probe') throw new Error(`Run ${id} sent no probe result`);
    return value.report;
  }

  /**
   * Feature views of the run's model as it is now for a held-out clip (`clip`: its index in the
   * held-out set; default the main example the frames show). A running run keeps training.
   */
  async featureViews(id: string, options: unknown = {}): Promise<FeatureViewsReport> {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new ConfigError(
        'options',
        `feature-view options must be an object, e.g. { clip: 0 } (got ${describeValue(options)})`,
      );
    }
    const unknownKey = Object.keys(options).find((key) => key !== 'clip');
    if (unknownKey !== undefined) {
      throw new ConfigError(
        unknownKey,
        `Unknown feature-view option ${quote(unknownKey)} (allowed: clip)`,
      );
    }
    const clip = (options as { clip?: unknown }).clip ?? this.state(id)?.exampleIndices[0] ?? 0;
    await this.send(id, { type: 'feature-views', clip: clip as number });
    const report = this.state(id)?.featureViews;
    if (!report) throw new Error(`Run ${id} sent no feature views`);
    return report;
  }

  /** The run's full training state as a safetensors file; a running run keeps training. */
  async exportCheckpoint(id: string): Promise<ExportedCheckpoint> {
    const value = await this.request(id, { type: 'export-checkpoint' });
    if (value?.type !== 'checkpoint') throw new Error(`Run ${id} sent no checkpoint`);
    return { bytes: value.bytes, fileName: value.fileName, step: value.step };
  }

  /**
   * Restores run `id` from a checkpoint of the same model and config; it continues from the
   * checkpoint's step. A file that does not fit is refused (RunCommandError 'invalid-checkpoint')
   * and changes nothing. `bytes` is transferred to the worker (detached here).
   */
  async restoreCheckpoint(id: string, bytes: ArrayBuffer, source = 'a checkpoint'): Promise<void> {
    await this.request(id, { type: 'import-checkpoint', bytes });
    usePlayground.getState().updateRun(id, (run) => ({ restoredFrom: { source, step: run.step } }));
  }

  /**
   * Creates a run from a checkpoint: the model, variant, preset, config, data spec and seeds it
   * records, restored to its step before it reports ready (then paused, with fresh samples).
   * Commands sent meanwhile wait for the restore. When the file does not fit, the new run is
   * removed again and the error names the problem. `bytes` is transferred.
   */
  async createRunFromCheckpoint(
    bytes: ArrayBuffer,
    options: CheckpointOpenOptions = {},
  ): Promise<string> {
    let spec: RunSpec;
    try {
      spec = checkpointRunSpec(readCheckpointInfo(bytes).run);
    } catch (error) {
      if (error instanceof CheckpointError) {
        throw new RunCommandError({ code: 'invalid-checkpoint', message: error.message });
      }
      throw error;
    }
    if (options.backend) spec = { ...spec, backend: options.backend };
    const { id, ready } = this.launch(this.checkRunSpec(spec), bytes);
    try {
      await ready;
      const source = options.source ?? 'a checkpoint';
      usePlayground
        .getState()
        .updateRun(id, (run) => ({ restoredFrom: { source, step: run.step } }));
      return id;
    } catch (error) {
      if (this.runs.has(id)) await this.dispose(id);
      throw error;
    }
  }

  listRuns(): string[] {
    return [...usePlayground.getState().runOrder];
  }

  history(id: string): MetricHistory | undefined {
    return this.runs.get(id)?.history;
  }

  getRun(id: string): RunSnapshot {
    const handle = this.handle(id);
    const run = this.state(id);
    if (!run) throw new Error(`Unknown run ${describeRunId(id)}`);
    return {
      id,
      model: run.spec.model,
      variant: run.spec.variant ?? '',
      preset: run.spec.preset ?? '',
      status: run.status,
      backend: run.backend?.backend ?? null,
      adapter: run.backend?.adapter?.description ?? null,
      softwareAdapter: run.backend?.adapter?.isSoftware ?? false,
      backendChoice: run.backend?.choice ?? null,
      step: run.step,
      parameterCount: run.parameterCount,
      hyperparameters: run.hyperparameters,
      metrics: handle.history.toPairs(),
      evaluation: run.evaluation,
      exampleIndices: run.exampleIndices,
      error: run.error,
      warnings: run.warnings,
    };
  }

  /** Resolves when the run reaches `step`; rejects on timeout or when the run stops progressing. */
  waitForStep(id: string, step: number, timeoutMs = 60_000): Promise<RunSnapshot> {
    const handle = this.handle(id);
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new ConfigError(
        'step',
        `step must be a non-negative integer (got ${describeValue(step)})`,
      );
    }
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
      throw new ConfigError(
        'timeoutMs',
        `timeoutMs must be a positive number of milliseconds (got ${describeValue(timeoutMs)})`,
      );
    }
    return new Promise((resolve, reject) => {
      const check = () => {
        const run = this.state(id);
        if (!run) return finish(new Error(`Run ${id} was disposed`));
        if (run.step >= step) return finish(null);
        if (run.status === 'error') return finish(new Error(run.error?.message ?? 'Run failed'));
      };
      const timer = setTimeout(() => {
        finish(new Error(`Run ${id} did not reach step ${step} within ${timeoutMs} ms`));
      }, timeoutMs);
      const finish = (error: Error | null) => {
        clearTimeout(timer);
        handle.stepWaiters.delete(check);
        if (error) reject(error);
        else resolve(this.getRun(id));
      };
      handle.stepWaiters.add(check);
      check();
    });
  }

  private send(id: string, command: Command): Promise<void> {
    return this.request(id, command).then(() => undefined);
  }

  /** Sends a command (transferring its buffers) and resolves with the reply's value. */
  private request(id: string, command: Command): Promise<ReplyValue | undefined> {
    const handle = this.handle(id);
    const worker = handle.worker;
    if (!worker) return handle.turn.then(() => this.request(id, command));
    const requestId = this.nextRequestId++;
    const message: CommandMessage = { ...command, requestId };
    return new Promise((resolve, reject) => {
      try {
        worker.postMessage(message, commandTransferables(command));
      } catch (error) {
        // Functions, DOM nodes and the like cannot be cloned into a worker.
        const reason = error instanceof Error ? error.message : String(error);
        throw new ConfigError(
          command.type,
          `The arguments of ${command.type} cannot be sent to the run: only plain data can (${excerpt(reason)})`,
        );
      }
      handle.pending.set(requestId, { resolve, reject });
    });
  }

  private handle(id: string): RunHandle {
    const handle = this.runs.get(id);
    if (!handle) throw new Error(`Unknown run ${describeRunId(id)}`);
    return handle;
  }

  private state(id: string): RunState | undefined {
    return usePlayground.getState().runs[id];
  }

  private onEvent(id: string, event: WorkerEvent): void {
    const handle = this.runs.get(id);
    if (!handle) return;
    const update = (patch: Partial<RunState> | ((run: RunState) => Partial<RunState>)) =>
      usePlayground.getState().updateRun(id, patch);
    switch (event.type) {
      case 'reply': {
        const pending = handle.pending.get(event.requestId);
        handle.pending.delete(event.requestId);
        if (event.ok) pending?.resolve(event.value);
        else pending?.reject(new RunCommandError(event.error));
        return;
      }
      case 'status':
        update((run) => ({
          status: event.status,
          step: Math.max(run.step, event.step),
          progress: event.status === 'running' || event.status === 'ready' ? null : run.progress,
        }));
        break;
      case 'progress':
        update({ progress: event.fraction >= 1 ? null : event });
        return;
      case 'warning':
        update((run) => ({ warnings: [...run.warnings, event.message] }));
        return;
      case 'backend':
        update({ backend: event.backend });
        return;
      case 'ready':
        update({
          backend: event.backend,
          parameterCount: event.parameterCount,
          config: event.config,
          hyperparameters: event.hyperparameters,
          stressTestable: event.stressTestable,
        });
        return;
      case 'stress-test':
        update({ stressTest: { step: event.step, report: event.report } });
        return;
      case 'metrics': {
        handle.history.append(event.points);
        const last = event.points[event.points.length - 1];
        update((run) => ({
          step: Math.max(run.step, last?.step ?? run.step),
          metricsVersion: run.metricsVersion + 1,
          stats: event.stats,
        }));
        break;
      }
      case 'eval':
        update({ evaluation: { step: event.step, result: event.result } });
        return;
      case 'samples':
        update({ samples: { step: event.step, views: event.views } });
        return;
      case 'hyperparameters':
        update({ hyperparameters: event.values });
        return;
      case 'probe':
        update((run) => ({ probes: [...run.probes, event.report] }));
        return;
      case 'feature-views':
        update({ featureViews: { step: event.step, clip: event.clip, views: event.views } });
        return;
      case 'held-out':
        update({
          heldOut: { count: event.count, stills: event.stills },
          exampleIndices: event.indices,
        });
        return;
      case 'restored':
        // The curves are the checkpoint's (or, without any, this run's up to its step); the
        // held-out scores were of the old weights.
        if (event.history.length > 0) handle.history.replace(event.history);
        else handle.history.truncateAfter(event.step);
        update((run) => ({
          step: event.step,
          spec: { ...run.spec, data: event.data, seed: event.seed },
          hyperparameters: event.hyperparameters,
          evaluation: null,
          stressTest: null,
          featureViews: null,
          error: isDivergence(run.error) ? null : run.error,
          metricsVersion: run.metricsVersion + 1,
        }));
        break;
      case 'log':
        console[event.level](`[${id}] ${event.message}`);
        return;
      case 'error':
        console.error(`[${id}] ${event.error.code}: ${event.error.message}`);
        update({ error: event.error });
        break;
      default: {
        const unreachable: never = event;
        throw new Error(`Unknown worker event ${JSON.stringify(unreachable)}`);
      }
    }
    for (const wake of [...handle.stepWaiters]) wake();
  }
}

/** The run diverged (a non-finite loss or state); restoring a checkpoint clears it. */
function isDivergence(error: RunError | null): boolean {
  return error?.code === 'non-finite-loss' || error?.code === 'non-finite-parameters';
}

/** A run id as messages quote it: `"run-1"`, or what was given instead of one. */
function describeRunId(id: unknown): string {
  return typeof id === 'string' ? quote(id) : describeValue(id);
}

function newRunState(id: string, spec: RunSpec): RunState {
  return {
    id,
    spec,
    label: `${id.replace('run-', '#')} ${spec.model} · ${spec.variant} · ${spec.preset}`,
    status: 'creating',
    step: 0,
    backend: null,
    parameterCount: null,
    config: null,
    hyperparameters: {},
    error: null,
    warnings: [],
    progress: null,
    stats: null,
    evaluation: null,
    stressTestable: false,
    stressTest: null,
    featureViews: null,
    samples: null,
    heldOut: null,
    exampleIndices: [],
    metricsVersion: 0,
    probes: [],
  };
}
