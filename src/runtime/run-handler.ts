/**
 * Everything a run worker does, behind one `handle(command)` method so tests can drive it in Node
 * with a fake `post`. The worker entry file only wires `onmessage` to this class.
 *
 * Lifecycle: init (validate config → pick backend → load data → build model → warm up) → ready →
 * start / pause / step / stop, with evaluation and samples at a bounded rate while it trains.
 */
import * as tf from '@tensorflow/tfjs';
import { probeWebGpuAdapter, selectBackend } from '../core/gpu/backend';
import { GpuError, createGpuGuard } from '../core/gpu/gpu-guard';
import type { GpuGuard } from '../core/gpu/gpu-guard';
import { CheckpointError, NonFiniteStateError } from '../core/checkpoint/errors';
import { checkpointFileName, decodeCheckpoint } from '../core/checkpoint/run-checkpoint';
import type { DatasetFingerprint } from '../core/checkpoint/run-checkpoint';
import { DataError } from '../core/data/data-error';
import type { MnistDigits, MnistLabels } from '../core/data/mnist';
import type { DataSpec, DatasetPayload, MovingMnistDataSpec } from '../core/data/types';
import { firstFramesForDisplay, gatherSequences } from '../core/data/video-stream';
import { movingMnistOptionsFor } from '../core/data/moving-mnist';
import { ConfigError, LARGE_MEMORY_BYTES } from '../core/models/config-schema';
import { describeValue, quote, shortJson } from '../core/quote';
import { stressTest } from '../core/train/stress-test';
import type { StressTestOptions } from '../core/train/stress-test';
import { BackendTrialInSlices, fastestBackend } from '../core/train/backend-trial';
import type { TrialBatch } from '../core/train/backend-trial';
import { Trainer } from '../core/train/trainer';
import { assembleRun, planRunRestore, resolveRun } from '../core/train/assemble-run';
import type { AssembledRun, RunInputs } from '../core/train/assemble-run';
import { captureCheckpoint } from '../core/train/checkpointing';
import type { AdapterSummary } from '../core/gpu/backend-types';
import type {
  BackendChoice,
  BackendName,
  BackendReport,
  CommandMessage,
  MetricPoint,
  ReplyValue,
  RunError,
  ResolvedRunSpec,
  RunStats,
  RunStatus,
  WorkerEvent,
} from '../protocol/messages';
import { transferablesOf } from '../protocol/messages';
import { heldOutViews } from './held-out';
import { needsMnist } from '../core/data/run-data';
import { yieldToEventLoop } from './yield';
import { backendMemoryKey } from './backend-memory';
import { compareOnFileLabels, compareWithRandomInit, modelFactory } from '../core/probe/compare';
import type { LabelledDataset, LabelledDigits, ProbeHooks } from '../core/probe/compare';
import type { ProbePlan, ProbeReport } from '../protocol/probe';
import type { BackendMemory } from './backend-memory';

/** What a `cancel` command aborts a long operation with; ends an init as error code 'cancelled'. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}

export interface RunEnvironment {
  loadMnist(onProgress: (fraction: number) => void): Promise<MnistDigits>;
  /** The digit classes of the MNIST images (probes label clips with them). */
  loadMnistLabels?(): Promise<{ train: MnistLabels; test: MnistLabels }>;
  now(): number;
  /** Backend trials remembered per adapter and model configuration; without one, every run is timed. */
  backendMemory?: BackendMemory;
}

/** The backend trial (software WebGPU, no backend forced): every backend, in fallback order. */
const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'cpu'];
/** A run that starts on the CPU (startOnCpu) settles its backend after training this many steps. */
const SETTLE_AFTER_STEPS = 1;
const TRIAL_STEPS = 3;
const TRIAL_SECONDS_PER_BACKEND = 15;
/** Larger models (the paper presets) skip the trial: timing them on the CPU would take minutes. */
const TRIAL_MAX_BYTES = LARGE_MEMORY_BYTES;

/** Limits on what crosses the worker boundary, so many runs never flood the main thread. */
export const RATES = {
  metricsFlushMs: 500, // metrics batched at ≤2 messages/s (each one re-renders the run's view)
  samplesMinMs: 1500, // frames at most every 1.5 s
  /** …and rarer where sampling is slow: the live frames take at most this share of training. */
  samplesMaxTimeShare: 0.02,
  sampleExamples: 3,
  heldOutChoices: 16, // held-out sequences offered in the example picker
};

/**
 * Whether the live frames are due after `step`: every `sampleEvery` steps, but no sooner than
 * `RATES.samplesMinMs` of training after the last ones, nor sooner than their cost allows (a
 * sample that took `lastSampleMs` waits until training has had `1 / samplesMaxTimeShare` times
 * as long). Time paused does not count: it is training time the samples share.
 */
export function samplesDue(
  step: number,
  sampleEvery: number,
  trainingMsSinceLast: number,
  lastSampleMs: number,
): boolean {
  const gapMs = Math.max(RATES.samplesMinMs, lastSampleMs / RATES.samplesMaxTimeShare);
  return step % sampleEvery === 0 && trainingMsSinceLast >= gapMs;
}

/** The assembled run and what the worker keeps beside it. */
interface Session extends AssembledRun {
  guard: GpuGuard;
  /** What the run's data is built from (a restore rebuilds it for the checkpoint's data spec). */
  inputs: RunInputs;
  /** Held-out sequences the samples show; the first is the main example. */
  exampleIndices: number[];
}

/**
 * What a run that started on the CPU (startOnCpu) still does about its backend once it trains:
 * move to a remembered choice, or time the backends and remember what they measured.
 */
interface BackendPlan {
  memoryKey: string;
  /** The choice an earlier run of this configuration on this adapter made; null: time them. */
  remembered: BackendChoice | null;
}

/** Written into every checkpoint the app saves (the CLI writes its own name). */
export const CHECKPOINT_PRODUCER = 'video-model-playground app';

export class RunHandler {
  private status: RunStatus = 'creating';
  private session: Session | null = null;
  private loopActive = false;
  private stepsRequested = 0; // remaining steps of a `step(n)` command; Infinity while running
  private pendingPoints: MetricPoint[] = [];
  private lastFlush = 0;
  /** Milliseconds spent in training steps since the last samples. */
  private trainingMsSinceSample = Infinity;
  /** How long the last sample took; 0 until one has run with its kernels compiled. */
  private lastSampleMs = 0;
  private samplesSent = 0;
  /** Steps trained by this worker (a restored run counts from its checkpoint's step on). */
  private stepsTrained = 0;
  private trainingStartedAt: number | null = null;
  private recentStepMs: number[] = [];
  private stepInFlight: Promise<void> | null = null; // checkpoints wait for it
  private abortController: AbortController | null = null; // of the running long operation
  /** Step by which a weight or optimiser slot became non-finite; null while all are finite. */
  private stateBrokenAt: number | null = null;
  /** Training steps and probe slices take turns on the GPU, in this order. */
  private gpuTurns: Promise<void> = Promise.resolve();
  private probing = false;
  private mnistLabels: Promise<{ train: MnistLabels; test: MnistLabels }> | null = null;
  /** The backend the run trains on, as last reported. */
  private backendReport: BackendReport | null = null;
  private backendPlan: BackendPlan | null = null;
  /** The backend trial in progress, a slice of it between two training steps (advanceBackend). */
  private trial: BackendTrialInSlices | null = null;
  /** The software WebGPU adapter of a run that started on the CPU (startOnCpu). */
  private softwareAdapter: string | null = null;

  constructor(
    private readonly post: (event: WorkerEvent, transfer?: Transferable[]) => void,
    private readonly env: RunEnvironment,
  ) {}

  async handle(message: CommandMessage): Promise<void> {
    try {
      const value = await this.dispatch(message);
      this.emit({
        type: 'reply',
        requestId: message.requestId,
        ok: true,
        ...(value ? { value } : {}),
      });
    } catch (error) {
      const runError = toRunError(error, this.session?.trainer.step);
      this.emit({ type: 'reply', requestId: message.requestId, ok: false, error: runError });
      if (message.type === 'init' || runError.code === 'gpu-error') this.fail(runError);
    }
  }

  private async dispatch(message: CommandMessage): Promise<ReplyValue | void> {
    switch (message.type) {
      case 'init':
        return this.init(
          message.run,
          message.backend,
          message.dataset,
          message.checkpoint,
          message.start,
        );
      case 'start':
        this.requireTrainable();
        this.stepsRequested = Infinity;
        this.setStatus('running');
        return this.ensureLoop();
      case 'pause':
        this.requireSession();
        this.stepsRequested = 0;
        // A step already on the GPU finishes and is reported before the reply, so that once
        // pause() resolves the step count no longer moves.
        await this.stepInFlight?.catch(() => {});
        this.flushMetrics();
        if (this.status === 'running') this.setStatus('paused');
        return;
      case 'step': {
        this.requireTrainable();
        if (!Number.isInteger(message.n) || message.n < 1) {
          throw new ConfigError(
            'n',
            `step count must be a positive integer (got ${describeValue(message.n)})`,
          );
        }
        this.stepsRequested = message.n;
        this.setStatus('running');
        return this.ensureLoop();
      }
      case 'stop': {
        this.requireSession();
        this.stepsRequested = 0;
        this.endTrial();
        await this.stepInFlight?.catch(() => {});
        this.flushMetrics();
        this.setStatus('stopped');
        // Final scores on the held-out set, so a stopped run always shows where it ended.
        return this.evaluate();
      }
      case 'evaluate':
        return this.evaluate();
      case 'set-hyperparameters': {
        const { model } = this.requireSession();
        const { values } = message;
        if (typeof values !== 'object' || values === null || Array.isArray(values)) {
          throw new ConfigError(
            'hyperparameters',
            `hyperparameters must be an object of names and numbers, e.g. { learningRate: 0.001 } (got ${describeValue(values)})`,
          );
        }
        model.setHyperparameters(values);
        this.emit({ type: 'hyperparameters', values: model.getHyperparameters() });
        return;
      }
      case 'choose-examples': {
        const session = this.requireSession();
        const count = session.evalSet.shape[0];
        const { indices } = message;
        const valid =
          Array.isArray(indices) &&
          indices.length >= 1 &&
          indices.length <= RATES.sampleExamples &&
          indices.every((i) => Number.isInteger(i) && i >= 0 && i < count);
        if (!valid) {
          throw new ConfigError(
            'indices',
            `examples must be 1 to ${RATES.sampleExamples} held-out indices in 0…${count - 1} (got ${shortJson(indices)})`,
          );
        }
        session.exampleIndices = [...indices];
        await this.stepInFlight?.catch(() => {}); // e.g. a backend trial, which switches backends
        return this.sendSamples();
      }
      case 'export-checkpoint':
        return this.exportCheckpoint();
      case 'import-checkpoint':
        return this.importCheckpoint(message.bytes);
      case 'stress-test':
        return this.stressTest(message.options ?? {});
      case 'probe':
        return this.probe(message.plan);
      case 'feature-views':
        return this.featureViews(message.clip);
      case 'cancel':
        this.abortController?.abort(
          new CancelledError('Cancelled by the user before the run was ready'),
        );
        return;
      case 'dispose':
        this.stepsRequested = 0;
        this.endTrial();
        this.disposeSession();
        this.setStatus('disposed');
        return;
      default: {
        const unreachable: never = message;
        throw new Error(`Unknown command ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /**
   * Builds the run (assembleRun). With `checkpoint`, the run is restored from it before it
   * reports ready (and then it is paused at the checkpoint's step): no command sees the freshly
   * initialised state.
   */
  private async init(
    run: ResolvedRunSpec,
    forcedBackend?: BackendName,
    dataset?: DatasetPayload,
    checkpoint?: ArrayBuffer,
    start = false,
  ): Promise<void> {
    if (this.session) throw new Error('This run is already initialised');
    const resolved = resolveRun(run);
    const estimate = resolved.memoryBytes();
    if (estimate > LARGE_MEMORY_BYTES) {
      this.emit({
        type: 'warning',
        message: `This configuration needs about ${(estimate / 2 ** 30).toFixed(1)} GB of GPU memory; allocation may fail or be slow on this device.`,
      });
    }

    this.setStatus('creating');
    // MNIST loads while the backend starts (the fetch needs no backend); awaited below.
    const digitsLoad = needsMnist(run.data) ? this.loadDigits() : null;
    digitsLoad?.catch(() => undefined); // a failure is thrown where it is awaited
    // No backend forced: a software WebGPU adapter is recognised before WebGPU starts (starting
    // it takes seconds there), and the run starts on the CPU (startOnCpu).
    const auto = forcedBackend === undefined && estimate <= TRIAL_MAX_BYTES;
    const adapter = auto ? await probeWebGpuAdapter() : null;
    let backend: BackendReport | null = null;
    if (adapter?.isSoftware) {
      const { model, variant, preset, config } = run;
      const key = backendMemoryKey(adapter, { model, variant, preset, config });
      backend = await this.startOnCpu(adapter, key);
    }
    backend ??= await selectBackend(forcedBackend);
    this.backendReport = backend;
    this.emit({ type: 'backend', backend });
    const inputs: RunInputs = { digits: digitsLoad ? await digitsLoad : null, dataset };

    const guard = createGpuGuard();
    const controller = new AbortController();
    this.abortController = controller;
    let assembled: AssembledRun;
    try {
      assembled = await assembleRun(run, resolved, inputs, {
        gpu: guard,
        now: () => this.env.now(),
        signal: controller.signal,
        onPrepare: (progress) => this.emit({ type: 'progress', ...progress, cancellable: true }),
        onStage: (stage) => {
          if (stage !== 'warm-up') return;
          this.setStatus('warming-up');
          this.emit({
            type: 'progress',
            phase: 'warm-up',
            fraction: 0,
            message: 'Compiling kernels',
          });
        },
      });
    } finally {
      this.abortController = null;
    }
    const { model, evalSet } = assembled;
    this.session = {
      ...assembled,
      guard,
      inputs,
      exampleIndices: Array.from(
        { length: Math.min(RATES.sampleExamples, evalSet.shape[0]) },
        (_, i) => i,
      ),
    };
    try {
      if (checkpoint) await this.restore(this.session, checkpoint);
      this.emit({ type: 'progress', phase: 'warm-up', fraction: 1, message: 'Ready' });
      this.emit({
        type: 'ready',
        backend,
        parameterCount: model.parameterCount(),
        config: { ...resolved.config, variant: run.variant, preset: run.preset },
        hyperparameters: model.getHyperparameters(),
        stressTestable: run.data.source === 'moving-mnist' && model.futurePredictor !== undefined,
      });
      this.setStatus(checkpoint ? 'paused' : 'ready');
      await this.sendHeldOut();
      if (start && !checkpoint) {
        // The first samples follow the first step (trainOneStep): their kernels take seconds
        // to compile, and the first step should not wait for them.
        this.stepsRequested = Infinity;
        this.setStatus('running');
        await this.ensureLoop();
      } else {
        await this.sendSamples();
        // An opened checkpoint shows its held-out scores at once (the run is paused).
        if (checkpoint) await this.evaluate();
      }
    } catch (error) {
      this.disposeSession();
      throw error;
    }
  }

  /** The MNIST digits, with their download reported as progress. */
  private loadDigits(): Promise<MnistDigits> {
    const message = 'Loading MNIST digits';
    this.emit({ type: 'progress', phase: 'data', fraction: 0, message });
    return this.env.loadMnist((fraction) =>
      this.emit({ type: 'progress', phase: 'data', fraction, message }),
    );
  }

  /**
   * No backend forced, and WebGPU is a software adapter (SwiftShader, llvmpipe): which backend
   * trains this model fastest differs by model (WebGPU, WebGL or the CPU), but compiling the
   * WebGPU or WebGL kernels takes tens of seconds here, so the run starts on the CPU backend,
   * which compiles nothing, and settles its backend between its first training steps
   * (settleBackend): it moves to the backend an earlier run of this configuration on this
   * adapter chose (remembered per adapter and configuration), or times every backend.
   */
  private async startOnCpu(
    software: AdapterSummary,
    memoryKey: string,
  ): Promise<BackendReport | null> {
    const remembered = (await this.env.backendMemory?.recall(memoryKey)) ?? null;
    const cpu = await selectBackend('cpu');
    if (cpu.backend !== 'cpu') return null; // no CPU backend: the usual order decides
    const adapter = software.description || 'CPU emulation';
    this.softwareAdapter = adapter;
    if (remembered) {
      const moves = remembered.picked !== 'cpu';
      const choice: BackendChoice = {
        reason: `${remembered.reason} (by an earlier run of this model on this adapter, remembered in the browser)`,
        trials: remembered.trials,
        picked: remembered.picked,
        ...(moves ? { startedOn: 'cpu' as const, pending: true } : {}),
      };
      this.backendPlan = moves ? { memoryKey, remembered: choice } : null;
      return { ...cpu, choice };
    }
    this.backendPlan = { memoryKey, remembered: null };
    return {
      ...cpu,
      choice: {
        reason: `WebGPU here is a software adapter (${adapter}), so the run starts on the CPU backend, which compiles no kernels, and times each backend on ${TRIAL_STEPS} training steps of this model between its own training steps`,
        trials: [],
        picked: 'cpu',
        startedOn: 'cpu',
        pending: true,
      },
    };
  }

  /** Drops a backend trial in progress (its copies of the model); stop and dispose do. */
  private endTrial(): void {
    this.trial?.dispose();
    this.trial = null;
  }

  /**
   * Before a training step of a run that started on the CPU (startOnCpu): moves it to the
   * remembered backend, or takes one slice of the backend trial (backend-trial.ts: copies of the
   * model from its state after its first step, on one batch), so the run keeps training while
   * the backends are timed; once all are timed, it moves to the fastest (SWITCH_MARGIN) and
   * remembers the choice. Weights, optimiser state, step count and data stream go on where they
   * were.
   */
  private async advanceBackend(session: Session, plan: BackendPlan): Promise<void> {
    const current = this.backendReport?.backend ?? 'cpu';
    if (plan.remembered) return this.settleBackend(session, current, plan.remembered);
    this.trial ??= await this.startTrial(session, current);
    await this.trial.next();
    if (!this.trial.done) return;
    const { trials } = this.trial;
    this.trial = null;
    const adapter = this.softwareAdapter ?? 'CPU emulation';
    const choice: BackendChoice = {
      reason: `WebGPU here is a software adapter (${adapter}), so each backend was timed on ${TRIAL_STEPS} training steps of this model, between the run's own steps`,
      trials,
      picked: fastestBackend(trials, current, current),
    };
    await this.env.backendMemory?.remember(plan.memoryKey, choice);
    await this.settleBackend(session, current, choice);
  }

  /** Moves the run to the backend `choice` picked and reports where it trains now. */
  private async settleBackend(
    session: Session,
    current: BackendName,
    choice: BackendChoice,
  ): Promise<void> {
    this.backendPlan = null;
    const step = session.trainer.step;
    let report = await selectBackend(current);
    let picked = choice.picked;
    if (picked !== current) {
      try {
        report = await this.moveSession(session, picked);
      } catch (error) {
        report = await selectBackend(current);
        picked = current;
        this.emit({
          type: 'warning',
          message: `Could not move the run to ${choice.picked} (${error instanceof Error ? error.message : String(error)}); it goes on training on ${current}.`,
        });
      }
    }
    const { pending: _pending, ...settled } = choice;
    this.backendReport = {
      ...report,
      choice: {
        ...settled,
        picked,
        startedOn: current,
        ...(picked !== current ? { switchedAtStep: step } : {}),
      },
    };
    this.emit({ type: 'backend', backend: this.backendReport });
    this.emit({ type: 'progress', phase: 'backend', fraction: 1, message: 'Backend settled' });
  }

  /** A backend trial of the run's model from its current state, the current backend first. */
  private async startTrial(session: Session, current: BackendName): Promise<BackendTrialInSlices> {
    const state = await session.model.exportState();
    const { stream } = session;
    const start = stream.getState();
    const first = stream.nextBatch();
    stream.setState(start);
    const batch: TrialBatch = {
      data: (await first.data()) as Float32Array,
      shape: first.shape as TrialBatch['shape'],
    };
    first.dispose();
    return new BackendTrialInSlices({
      // The current backend first: a backend whose first step is far slower stops there.
      candidates: [current, ...BACKEND_ORDER.filter((name) => name !== current)],
      activate: async (name) => {
        const started = await selectBackend(name);
        if (started.backend === name) return null;
        return started.fallbacks.find((f) => f.backend === name)?.reason ?? `${name} did not start`;
      },
      restore: async () => {
        await selectBackend(current);
      },
      makeModel: () => session.build(session.run.seed),
      state,
      batch,
      steps: TRIAL_STEPS,
      maxSecondsPerBackend: TRIAL_SECONDS_PER_BACKEND,
      gpu: session.guard,
      onProgress: (fraction, message) =>
        this.emit({
          type: 'progress',
          phase: 'backend',
          fraction,
          message: `${message}, between training steps`,
        }),
    });
  }

  /**
   * Moves the run's model (its exported state) and held-out set to backend `to`, compiling its
   * training kernels there on the next batch (which is not consumed).
   */
  private async moveSession(session: Session, to: BackendName): Promise<BackendReport> {
    const state = await session.model.exportState();
    const heldOut = (await session.evalSet.data()) as Float32Array;
    const shape = session.evalSet.shape;
    const report = await selectBackend(to);
    if (report.backend !== to) throw new Error(`the ${to} backend did not start`);
    this.emit({
      type: 'progress',
      phase: 'backend',
      fraction: 0.5,
      message: `Compiling kernels on ${to}; training goes on after`,
    });
    const moved = session.build(session.run.seed);
    const { stream } = session;
    const start = stream.getState();
    const batch = stream.nextBatch();
    stream.setState(start);
    try {
      moved.importState(state);
      await session.guard.run(() => moved.warmUp(batch));
    } catch (error) {
      moved.dispose();
      throw error;
    } finally {
      batch.dispose();
    }
    session.model.dispose();
    session.evalSet.dispose();
    session.model = moved;
    session.evalSet = tf.tensor5d(heldOut, shape);
    const trainer = new Trainer(moved, stream, session.guard, () => this.env.now());
    trainer.step = session.trainer.step;
    session.trainer = trainer;
    return report;
  }

  private requireSession(): Session {
    if (!this.session) throw new Error('The run is not initialised');
    if (this.status === 'error') throw new Error('The run has failed; create a new run');
    if (this.status === 'stopped') throw new Error('The run is stopped; create a new run');
    return this.session;
  }

  /** The session, when its state can be trained on (not NaN or ±Inf since a state check). */
  private requireTrainable(): Session {
    const session = this.requireSession();
    if (this.stateBrokenAt !== null) {
      throw new NonFiniteStateError(
        `The run's weights or optimiser state are NaN or infinite since step ${this.stateBrokenAt}; restore an earlier checkpoint or create a new run`,
      );
    }
    return session;
  }

  /** Starts the training loop unless one is already going (a stale loop exits on its own). */
  private async ensureLoop(): Promise<void> {
    if (this.loopActive) return;
    this.loopActive = true;
    void this.loop().finally(() => {
      this.loopActive = false;
    });
  }

  private async loop(): Promise<void> {
    const session = this.requireSession();
    this.trainingStartedAt ??= this.env.now();
    while (this.stepsRequested > 0 && this.status === 'running') {
      const plan = this.stepsTrained >= SETTLE_AFTER_STEPS ? this.backendPlan : null;
      try {
        this.stepInFlight = this.gpuTurn(async () => {
          if (plan) await this.advanceBackend(session, plan);
          await this.trainOneStep(session);
        });
        await this.stepInFlight;
      } catch (error) {
        this.fail(toRunError(error, session.trainer.step));
        return;
      } finally {
        this.stepInFlight = null;
      }
      this.stepsRequested -= 1;
      await yieldToEventLoop();
    }
    this.flushMetrics();
    if (this.status === 'running') this.setStatus('paused');
  }

  private async trainOneStep(session: Session): Promise<void> {
    const result = await session.trainer.trainStep();
    this.stepsTrained += 1;
    this.recentStepMs.push(result.ms);
    this.trainingMsSinceSample += result.ms;
    if (this.recentStepMs.length > 20) this.recentStepMs.shift();
    const wallMs = this.env.now() - (this.trainingStartedAt ?? this.env.now());
    const point = { step: result.step, wallMs, values: result.losses };
    this.pendingPoints.push(point);
    session.history.add(point);

    if (result.nonFinite.length > 0) {
      this.pauseWith({
        code: 'non-finite-loss',
        message: `Loss ${result.nonFinite.join(', ')} became ${result.losses[result.nonFinite[0]]} at step ${result.step}; the run is paused. Lower the learning rate or restart.`,
        step: result.step,
      });
      return;
    }
    if (result.nonFiniteState.length > 0) {
      const names = result.nonFiniteState;
      const listed = names
        .slice(0, 3)
        .map((name) => `"${name}"`)
        .join(', ');
      const more = names.length > 3 ? ` and ${names.length - 3} more` : '';
      this.stateBrokenAt = result.step;
      this.pauseWith({
        code: 'non-finite-parameters',
        message: `Weights or optimiser state became NaN or infinite by step ${result.step} (${listed}${more}), although the loss is still finite; the run is paused. Its state cannot be trained or saved any further: restore an earlier checkpoint, or create a new run with a lower learning rate.`,
        step: result.step,
      });
      return;
    }

    const now = this.env.now();
    if (now - this.lastFlush >= RATES.metricsFlushMs) this.flushMetrics();
    // The first samples of a run started at once come after its first step (see init).
    const due =
      this.samplesSent === 0 ||
      samplesDue(
        result.step,
        session.resolved.cadence.sampleEvery,
        this.trainingMsSinceSample,
        this.lastSampleMs,
      );
    if (due) await this.sendSamples();
    if (result.step % session.resolved.cadence.evalEvery === 0) await this.evaluate();
  }

  private flushMetrics(): void {
    this.lastFlush = this.env.now();
    if (this.pendingPoints.length === 0 || !this.session) return;
    this.emit({ type: 'metrics', points: this.pendingPoints, stats: this.stats(this.session) });
    this.pendingPoints = [];
  }

  private stats(session: Session): RunStats {
    const memory = tf.memory() as tf.MemoryInfo & { numBytesInGPUAllocated?: number };
    const sorted = [...this.recentStepMs].sort((a, b) => a - b);
    const msPerStep = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
    return {
      step: session.trainer.step,
      msPerStep,
      stepsPerSecond: msPerStep > 0 ? 1000 / msPerStep : 0,
      numTensors: memory.numTensors,
      numBytes: memory.numBytes,
      numBytesAllocatedInGPU: gpuPoolBytes(memory),
    };
  }

  private async sendSamples(): Promise<void> {
    const session = this.session;
    if (!session) return;
    const startedAt = this.env.now();
    const indices = session.exampleIndices;
    const views = await createGpuGuard().run(async () => {
      const chosen = gatherSequences(session.evalSet, indices);
      try {
        const samples = await session.model.sample(chosen, indices.length);
        // The same clips as frames, beside the samples, for side-by-side comparison.
        return [...samples, ...(await heldOutViews(chosen, session.model.data.range))];
      } finally {
        chosen.dispose();
      }
    });
    this.trainingMsSinceSample = 0;
    // The first sample compiles the sampling kernels; its time says nothing about the next ones.
    if (this.samplesSent++ > 0) this.lastSampleMs = this.env.now() - startedAt;
    this.emit({ type: 'samples', step: session.trainer.step, views });
  }

  /** The first frames of the first held-out sequences, for the example picker. */
  private async sendHeldOut(): Promise<void> {
    const session = this.session;
    if (!session?.model.samplesUseHeldOut) return;
    const { evalSet, model } = session;
    const [n, , height, width, channels] = evalSet.shape;
    const shown = Math.min(RATES.heldOutChoices, n);
    const frames = await firstFramesForDisplay(evalSet, shown, model.data.range);
    this.emit({
      type: 'held-out',
      count: n,
      indices: session.exampleIndices,
      stills: {
        label: 'Held-out first frames',
        frames,
        t: shown,
        height,
        width,
        channels: channels === 3 ? 3 : 1,
        timeOffset: 0,
      },
    });
  }

  private async evaluate(): Promise<void> {
    const session = this.session;
    if (!session) throw new Error('The run is not initialised');
    this.emit({ type: 'progress', phase: 'evaluate', fraction: 0, message: 'Evaluating' });
    const result = await createGpuGuard().run(() => session.model.evaluate(session.evalSet));
    this.emit({ type: 'eval', step: session.trainer.step, result });
    this.emit({ type: 'progress', phase: 'evaluate', fraction: 1, message: 'Evaluated' });
  }

  /**
   * Stress tests of the run's model on Moving MNIST clips of the test digits, with the digit
   * counts and speed it trains on (core/train/stress-test.ts); sent as a `stress-test` event.
   */
  private async stressTest(options: StressTestOptions): Promise<void> {
    const session = this.session;
    if (!session) throw new Error('The run is not initialised');
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new ConfigError(
        'options',
        `stress-test options must be an object, e.g. { clips: 64, horizon: 30 } (got ${describeValue(options)})`,
      );
    }
    const data = session.run.data;
    if (data.source !== 'moving-mnist' || !session.inputs.digits) {
      throw new ConfigError(
        'data',
        'Stress tests change the number of Moving MNIST digits; this run trains on an imported dataset',
      );
    }
    const trained = movingMnistOptionsFor(data, session.model.data);
    const digits = session.inputs.digits.test;
    this.emit({ type: 'progress', phase: 'stress-test', fraction: 0, message: 'Stress tests' });
    const report = await createGpuGuard().run(() =>
      stressTest(session.model, digits, trained, options),
    );
    this.emit({ type: 'stress-test', step: session.trainer.step, report });
    this.emit({ type: 'progress', phase: 'stress-test', fraction: 1, message: 'Stress tested' });
  }

  /**
   * The model's feature views for one held-out clip, between two training steps; sent as a
   * `feature-views` event.
   */
  private async featureViews(clip: number): Promise<void> {
    const session = this.requireSession();
    const { model, evalSet } = session;
    if (!model.featureViews) {
      throw new ConfigError('model', `The ${session.run.model} model has no feature views`);
    }
    const featureViewsOf = model.featureViews.bind(model);
    const count = evalSet.shape[0];
    if (!Number.isInteger(clip) || clip < 0 || clip >= count) {
      throw new ConfigError(
        'clip',
        `clip must be the index of a held-out clip, 0 to ${count - 1} (got ${describeValue(clip)})`,
      );
    }
    const { step, views } = await this.gpuTurn(() =>
      createGpuGuard().run(async () => {
        const chosen = gatherSequences(evalSet, [clip]); // [1, T, H, W, C]
        try {
          return { step: session.trainer.step, views: await featureViewsOf(chosen) };
        } finally {
          chosen.dispose();
        }
      }),
    );
    this.emit({ type: 'feature-views', step, clip, views });
  }

  /** Runs `work` once the GPU work queued before it is done (training steps, probe slices). */
  private gpuTurn<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.gpuTurns.then(work);
    this.gpuTurns = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  /** Holds the GPU until the returned function is called (a probe's slice between two yields). */
  private async holdGpu(): Promise<() => void> {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await new Promise<void>((acquired) => {
      void this.gpuTurn(() => {
        acquired();
        return held;
      });
    });
    return release;
  }

  /**
   * Probes a snapshot of the run's weights (src/core/probe) on copies of the model. While the run
   * trains, the probe works in slices (a batch of features, a fine-tuning step, a probe fit),
   * each between two training steps: training waits for one slice at a time, not for the probe.
   */
  private async probe(plan: ProbePlan): Promise<ReplyValue> {
    const session = this.requireSession();
    if (!session.model.features) {
      throw new ConfigError('model', `The ${session.run.model} model has no features to probe`);
    }
    if (this.probing) throw new ConfigError('probe', 'This run is already being probed');
    this.probing = true;
    const startedAt = this.env.now();
    let release = () => {};
    try {
      const probeData = await this.probeData(session, plan);
      release = await this.holdGpu();
      const step = session.trainer.step;
      // exportState snapshots synchronously: later steps do not change what is probed.
      const state = await session.model.exportState();
      const make = await modelFactory(session.build, session.run.seed, state);
      const hooks: ProbeHooks = {
        between: async () => {
          release();
          await yieldToEventLoop();
          release = await this.holdGpu();
        },
        onProgress: (fraction, message) =>
          this.emit({ type: 'progress', phase: 'probe', fraction, message: `Probe: ${message}` }),
      };
      let report: ProbeReport;
      if (probeData.source === 'video') {
        const result = await compareOnFileLabels(
          make,
          probeData.dataset,
          session.model.data,
          plan.settings,
          hooks,
        );
        report = { ...result, step, digits: null, ms: this.env.now() - startedAt };
      } else {
        const spec =
          plan.digits === null ? probeData.spec : { ...probeData.spec, digits: plan.digits };
        const options = movingMnistOptionsFor(spec, session.model.data);
        const result = await compareWithRandomInit(
          make,
          probeData.train,
          probeData.test,
          options,
          plan.settings,
          hooks,
        );
        report = { ...result, step, digits: options.digits, ms: this.env.now() - startedAt };
      }
      this.emit({ type: 'probe', report });
      return { type: 'probe', report };
    } finally {
      release();
      this.probing = false;
    }
  }

  /**
   * The labelled clips a probe of this run reads: Moving MNIST digits with their classes, or the
   * run's dataset with the labels the plan brings for its files. Refuses a task the data lacks.
   */
  private async probeData(
    session: Session,
    plan: ProbePlan,
  ): Promise<
    | {
        source: 'moving-mnist';
        spec: MovingMnistDataSpec;
        train: LabelledDigits;
        test: LabelledDigits;
      }
    | { source: 'video'; dataset: LabelledDataset }
  > {
    const { data } = session.run;
    const { task } = plan.settings;
    if (data.source === 'video') {
      if (task !== 'file-labels' || !session.inputs.dataset) {
        throw new ConfigError(
          'task',
          `This run trains on an imported dataset: probes classify its clips by the labels given to its files (task 'file-labels'), not by ${quote(task)}`,
        );
      }
      if (!plan.fileLabels) {
        throw new ConfigError('fileLabels', 'The probe came without the labels of the files');
      }
      const { frames, crop } = session.inputs.dataset;
      return { source: 'video', dataset: { frames, crop, labels: plan.fileLabels } };
    }
    if (task === 'file-labels' || !session.inputs.digits) {
      throw new ConfigError(
        'task',
        'This run trains on Moving MNIST: probes classify its clips by their digits (first-digit or digits-present)',
      );
    }
    if (!this.env.loadMnistLabels) throw new Error('MNIST labels are not available here');
    this.mnistLabels ??= this.env.loadMnistLabels();
    const labels = await this.mnistLabels;
    return {
      source: 'moving-mnist',
      spec: data,
      train: { images: session.inputs.digits.train, labels: labels.train },
      test: { images: session.inputs.digits.test, labels: labels.test },
    };
  }

  /** The run as a safetensors file (a running run keeps training while it is read back). */
  private async exportCheckpoint(): Promise<ReplyValue> {
    const session = this.session;
    if (!session) throw new Error('The run is not initialised');
    if (this.status === 'error') throw new Error('The run has failed; its state cannot be saved');
    await this.stepInFlight?.catch(() => undefined);
    const step = session.trainer.step;
    const bytes = await captureCheckpoint(
      {
        run: session.run,
        model: session.model,
        stream: session.stream,
        ...(session.inputs.dataset ? { dataset: fingerprint(session.inputs.dataset) } : {}),
        step,
        history: session.history.toArray(),
      },
      CHECKPOINT_PRODUCER,
    );
    return {
      type: 'checkpoint',
      bytes: bytes.buffer as ArrayBuffer,
      step,
      fileName: checkpointFileName(session.run, step),
    };
  }

  /** Restores the run from a checkpoint (see `restore`) and shows what it restored. */
  private async importCheckpoint(bytes: ArrayBuffer): Promise<void> {
    await this.restore(this.requireSession(), bytes);
    if (this.status === 'ready') this.setStatus('paused');
    else this.setStatus(this.status); // reports the restored step
    // While running, the loop sends samples on its own schedule (GPU work must not overlap).
    if (this.status !== 'running') {
      await this.sendHeldOut(); // the checkpoint's data options may draw other held-out clips
      await this.sendSamples();
      await this.evaluate(); // the restored weights' held-out scores
    }
  }

  /**
   * Restores the run from a checkpoint between two training steps. Every check (file, metadata,
   * model kind, config, data, data-stream state, tensors) comes before the first change, so a file
   * that does not fit leaves the run exactly as it was, training or not.
   */
  private async restore(session: Session, bytes: ArrayBuffer): Promise<void> {
    const checkpoint = decodeCheckpoint(bytes);
    checkSameData(session, checkpoint.run.data, checkpoint.dataset);
    // The checkpoint's stream and held-out set, built from the run's own digits or dataset.
    const restore = planRunRestore(session, checkpoint, session.inputs, {
      gpu: session.guard,
      now: () => this.env.now(),
    });
    await this.stepInFlight?.catch(() => undefined);
    // No await from here on: the restore happens between two steps of a running loop.
    restore.apply();
    this.stateBrokenAt = null; // the checkpoint's state is finite (decodeCheckpoint checks)
    // The wall-clock axis goes on from where the checkpoint's curves end.
    this.trainingStartedAt = this.env.now() - session.history.lastWallMs();
    this.flushMetrics();
    this.emit({
      type: 'restored',
      step: restore.step,
      history: session.history.toArray(),
      data: restore.run.data,
      seed: restore.run.seed,
      hyperparameters: session.model.getHyperparameters(),
    });
  }

  /** Stops training and reports `error`; the run stays paused (nothing is lost). */
  private pauseWith(error: RunError): void {
    this.stepsRequested = 0;
    this.flushMetrics();
    this.setStatus('paused');
    this.emit({ type: 'error', error });
  }

  private fail(error: RunError): void {
    this.stepsRequested = 0;
    this.flushMetrics();
    this.emit({ type: 'error', error });
    this.setStatus('error');
  }

  private setStatus(status: RunStatus): void {
    this.status = status;
    this.emit({ type: 'status', status, step: this.session?.trainer.step ?? 0 });
  }

  private disposeSession(): void {
    if (!this.session) return;
    this.session.model.dispose();
    this.session.evalSet.dispose();
    this.session = null;
  }

  private emit(event: WorkerEvent): void {
    this.post(event, transferablesOf(event));
  }
}

/** What a checkpoint records of an imported dataset, to recognise it again. */
function fingerprint(dataset: DatasetPayload): DatasetFingerprint {
  const { frames, width, height, channels } = dataset.frames;
  return { name: dataset.name, frames, width, height, channels };
}

/**
 * A checkpoint restores into a run on the same kind of data: Moving MNIST (any options and seed:
 * the checkpoint's own are rebuilt from the run's digits), or the very dataset it trained on.
 */
function checkSameData(
  session: Session,
  data: DataSpec,
  dataset: DatasetFingerprint | undefined,
): void {
  const other = (message: string) =>
    new CheckpointError('other-data', `${message}; open the checkpoint as a new run instead`);
  if (data.source !== session.run.data.source) {
    const describe = (source: string) =>
      source === 'video' ? 'an imported dataset' : 'Moving MNIST';
    throw other(
      `This checkpoint trained on ${describe(data.source)}, but this run trains on ${describe(session.run.data.source)}`,
    );
  }
  if (data.source !== 'video' || !session.inputs.dataset) return;
  const here = fingerprint(session.inputs.dataset);
  const matches =
    data.datasetId === session.inputs.dataset.id &&
    dataset !== undefined &&
    JSON.stringify(dataset) === JSON.stringify(here);
  if (!matches) {
    const saved = dataset
      ? `${quote(dataset.name)} (${dataset.frames} frames)`
      : quote(data.datasetId);
    throw other(
      `This checkpoint trained on dataset ${saved}, but this run trains on ${quote(here.name)} (${here.frames} frames)`,
    );
  }
}

/** The GPU buffer pool size when the backend reports one (the memory a run really holds). */
function gpuPoolBytes(memory: tf.MemoryInfo): number | null {
  const record = memory as unknown as Record<string, unknown>;
  const pooled = record.numBytesAllocatedInGPU ?? record.numBytesInGPUAllocated;
  return typeof pooled === 'number' ? pooled : null;
}

export function toRunError(error: unknown, step?: number): RunError {
  const message = error instanceof Error ? error.message : String(error);
  const withStep = step === undefined ? {} : { step };
  if (error instanceof ConfigError) return { code: 'invalid-config', message, ...withStep };
  if (error instanceof CheckpointError) return { code: 'invalid-checkpoint', message, ...withStep };
  if (error instanceof CancelledError) return { code: 'cancelled', message, ...withStep };
  if (error instanceof NonFiniteStateError) {
    return { code: 'non-finite-parameters', message, ...withStep };
  }
  if (error instanceof GpuError) return { code: 'gpu-error', message, ...withStep };
  if (error instanceof DataError) return { code: 'data-error', message, ...withStep };
  if (/out of memory|allocation|OOM/i.test(message)) {
    return { code: 'out-of-memory', message, ...withStep };
  }
  if (/backend/i.test(message) && /available|initiali[sz]/i.test(message)) {
    return { code: 'backend-unavailable', message, ...withStep };
  }
  return { code: 'internal', message, ...withStep };
}
