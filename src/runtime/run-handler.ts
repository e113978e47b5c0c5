/**
 * Everything a run worker does, behind one `handle(command)` method so tests can drive it in Node
 * with a fake `post`. The worker entry file only wires `onmessage` to this class.
 *
 * Lifecycle: init (validate config → pick backend → load data → build model → warm up) → ready →
 * start / pause / step / stop, with evaluation and samples at a bounded rate while it trains.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../core/gpu/backend';
import { GpuError, createGpuGuard } from '../core/gpu/gpu-guard';
import type { GpuGuard } from '../core/gpu/gpu-guard';
import type { MnistDigits } from '../core/data/mnist';
import type { BatchSource } from '../core/data/video-stream';
import {
  DEFAULT_DATA_SEED,
  MovingMnistStream,
  bytesToTensor,
  evaluationVideos,
  movingMnistOptionsFor,
} from '../core/data/video-stream';
import { catalogEntry } from '../core/models/catalog';
import { ConfigError, LARGE_MEMORY_BYTES } from '../core/models/config-schema';
import { createModel } from '../core/models/factory';
import type { VideoModel } from '../core/models/types';
import { Trainer } from '../core/train/trainer';
import type {
  CommandMessage,
  MetricPoint,
  RunError,
  RunSpec,
  RunStatus,
  WorkerEvent,
} from '../protocol/messages';
import { transferablesOf } from '../protocol/messages';
import { yieldToEventLoop } from './yield';

/** What a `cancel` command aborts a long operation with; ends an init as error code 'cancelled'. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}

export interface RunEnvironment {
  loadMnist(onProgress: (fraction: number) => void): Promise<MnistDigits>;
  now(): number;
}

/** Limits on what crosses the worker boundary, so many runs never flood the main thread. */
export const RATES = {
  metricsFlushMs: 250, // metrics batched at ≤4 messages/s
  samplesMinMs: 1500, // frames at most every 1.5 s
  samplesEverySteps: 25,
  sampleExamples: 3,
  defaultEvalEvery: 200,
};

interface Session {
  model: VideoModel;
  trainer: Trainer;
  evalSet: tf.Tensor5D;
  evalEvery: number;
  sampleEvery: number;
}

export class RunHandler {
  private status: RunStatus = 'creating';
  private session: Session | null = null;
  private loopActive = false;
  private stepsRequested = 0; // remaining steps of a `step(n)` command; Infinity while running
  private pendingPoints: MetricPoint[] = [];
  private lastFlush = 0;
  private lastSample = -Infinity;
  private trainingStartedAt: number | null = null;
  private recentStepMs: number[] = [];
  private abortController: AbortController | null = null; // of the running long operation

  constructor(
    private readonly post: (event: WorkerEvent, transfer?: Transferable[]) => void,
    private readonly env: RunEnvironment,
  ) {}

  async handle(message: CommandMessage): Promise<void> {
    try {
      await this.dispatch(message);
      this.emit({ type: 'reply', requestId: message.requestId, ok: true });
    } catch (error) {
      const runError = toRunError(error, this.session?.trainer.step);
      this.emit({ type: 'reply', requestId: message.requestId, ok: false, error: runError });
      if (message.type === 'init' || runError.code === 'gpu-error') this.fail(runError);
    }
  }

  private async dispatch(message: CommandMessage): Promise<void> {
    switch (message.type) {
      case 'init':
        return this.init(message.spec);
      case 'start':
        this.requireSession();
        this.stepsRequested = Infinity;
        this.setStatus('running');
        return this.ensureLoop();
      case 'pause':
        this.requireSession();
        this.stepsRequested = 0;
        this.flushMetrics();
        if (this.status === 'running') this.setStatus('paused');
        return;
      case 'step': {
        this.requireSession();
        if (!Number.isInteger(message.n) || message.n < 1) {
          throw new ConfigError('n', `step count must be a positive integer (got ${message.n})`);
        }
        this.stepsRequested = message.n;
        this.setStatus('running');
        return this.ensureLoop();
      }
      case 'stop': {
        this.requireSession();
        this.stepsRequested = 0;
        this.flushMetrics();
        this.setStatus('stopped');
        // Final scores on the held-out set, so a stopped run always shows where it ended.
        return this.evaluate();
      }
      case 'evaluate':
        return this.evaluate();
      case 'set-hyperparameters': {
        const { model } = this.requireSession();
        model.setHyperparameters(message.values);
        this.emit({ type: 'hyperparameters', values: model.getHyperparameters() });
        return;
      }
      case 'cancel':
        this.abortController?.abort(
          new CancelledError('Cancelled by the user before the run was ready'),
        );
        return;
      case 'dispose':
        this.stepsRequested = 0;
        this.disposeSession();
        this.setStatus('disposed');
        return;
      default: {
        const unreachable: never = message;
        throw new Error(`Unknown command ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private async init(spec: RunSpec): Promise<void> {
    if (this.session) throw new Error('This run is already initialised');
    const entry = catalogEntry(spec.model);
    const variant = spec.variant ?? entry.defaultVariant;
    const preset = spec.preset ?? entry.defaultPreset;
    const config = entry.resolveConfig(variant, preset, spec.config);
    const estimate = entry.estimateMemoryBytes(config);
    if (estimate > LARGE_MEMORY_BYTES) {
      this.emit({
        type: 'warning',
        message: `This configuration needs about ${(estimate / 2 ** 30).toFixed(1)} GB of GPU memory; allocation may fail or be slow on this device.`,
      });
    }

    this.setStatus('creating');
    const backend = await selectBackend(spec.backend);
    this.emit({ type: 'backend', backend });
    this.emit({ type: 'progress', phase: 'data', fraction: 0, message: 'Loading MNIST digits' });
    const digits = await this.env.loadMnist((fraction) =>
      this.emit({ type: 'progress', phase: 'data', fraction, message: 'Loading MNIST digits' }),
    );

    const model = createModel(spec.model, config, spec.seed ?? 0);
    try {
      const dataSpec = spec.data ?? { source: 'moving-mnist' };
      const options = movingMnistOptionsFor(dataSpec, model.data);
      const stream = new MovingMnistStream(
        digits,
        options,
        model.data,
        dataSpec.seed ?? DEFAULT_DATA_SEED,
      );
      const guard = createGpuGuard();
      await this.prepare(model, stream, guard);
      const configRecord = config as Record<string, unknown>;
      const evalCount = numberOr(configRecord.evalSequences, model.data.batchSize);
      const evalSet = bytesToTensor(evaluationVideos(digits, options, evalCount), model.data);
      const trainer = new Trainer(model, stream, guard, () => this.env.now());
      this.session = {
        model,
        trainer,
        evalSet,
        evalEvery: numberOr(configRecord.evalEvery, RATES.defaultEvalEvery),
        sampleEvery: numberOr(configRecord.sampleEvery, RATES.samplesEverySteps),
      };

      this.setStatus('warming-up');
      this.emit({ type: 'progress', phase: 'warm-up', fraction: 0, message: 'Compiling kernels' });
      const warmBatch = stream.nextBatch();
      try {
        await guard.run(() => model.warmUp(warmBatch));
      } finally {
        warmBatch.dispose();
      }
      this.emit({ type: 'progress', phase: 'warm-up', fraction: 1, message: 'Ready' });
      this.emit({
        type: 'ready',
        backend,
        parameterCount: model.parameterCount(),
        config: { ...configRecord, variant, preset },
        hyperparameters: model.getHyperparameters(),
      });
      this.setStatus('ready');
      await this.sendSamples();
    } catch (error) {
      this.disposeSession();
      model.dispose();
      throw error;
    }
  }

  /** Runs the model's preparation (e.g. its patch dictionary), cancellable by a `cancel` command. */
  private async prepare(model: VideoModel, source: BatchSource, guard: GpuGuard): Promise<void> {
    if (!model.prepare) return;
    const prepare = model.prepare.bind(model);
    const controller = new AbortController();
    this.abortController = controller;
    try {
      await guard.run(() =>
        prepare(
          source,
          (progress) => this.emit({ type: 'progress', ...progress, cancellable: true }),
          controller.signal,
        ),
      );
    } finally {
      this.abortController = null;
    }
  }

  private requireSession(): Session {
    if (!this.session) throw new Error('The run is not initialised');
    if (this.status === 'error') throw new Error('The run has failed; create a new run');
    if (this.status === 'stopped') throw new Error('The run is stopped; create a new run');
    return this.session;
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
      try {
        await this.trainOneStep(session);
      } catch (error) {
        this.fail(toRunError(error, session.trainer.step));
        return;
      }
      this.stepsRequested -= 1;
      await yieldToEventLoop();
    }
    this.flushMetrics();
    if (this.status === 'running') this.setStatus('paused');
  }

  private async trainOneStep(session: Session): Promise<void> {
    const result = await session.trainer.trainStep();
    this.recentStepMs.push(result.ms);
    if (this.recentStepMs.length > 20) this.recentStepMs.shift();
    const wallMs = this.env.now() - (this.trainingStartedAt ?? this.env.now());
    this.pendingPoints.push({ step: result.step, wallMs, values: result.losses });

    if (result.nonFinite.length > 0) {
      this.stepsRequested = 0;
      this.flushMetrics();
      this.setStatus('paused');
      this.emit({
        type: 'error',
        error: {
          code: 'non-finite-loss',
          message: `Loss ${result.nonFinite.join(', ')} became ${result.losses[result.nonFinite[0]]} at step ${result.step}; the run is paused. Lower the learning rate or restart.`,
          step: result.step,
        },
      });
      return;
    }

    const now = this.env.now();
    if (now - this.lastFlush >= RATES.metricsFlushMs) this.flushMetrics();
    const dueBySteps = result.step % session.sampleEvery === 0;
    if (dueBySteps && now - this.lastSample >= RATES.samplesMinMs) await this.sendSamples();
    if (result.step % session.evalEvery === 0) await this.evaluate();
  }

  private flushMetrics(): void {
    this.lastFlush = this.env.now();
    if (this.pendingPoints.length === 0) return;
    this.emit({ type: 'metrics', points: this.pendingPoints });
    this.pendingPoints = [];
    this.sendStats();
  }

  private sendStats(): void {
    if (!this.session) return;
    const memory = tf.memory() as tf.MemoryInfo & { numBytesInGPUAllocated?: number };
    const sorted = [...this.recentStepMs].sort((a, b) => a - b);
    const msPerStep = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
    this.emit({
      type: 'stats',
      stats: {
        step: this.session.trainer.step,
        msPerStep,
        stepsPerSecond: msPerStep > 0 ? 1000 / msPerStep : 0,
        numTensors: memory.numTensors,
        numBytes: memory.numBytes,
        numBytesAllocatedInGPU: gpuPoolBytes(memory),
      },
    });
  }

  private async sendSamples(): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.lastSample = this.env.now();
    const views = await createGpuGuard().run(() =>
      session.model.sample(session.evalSet, RATES.sampleExamples),
    );
    this.emit({ type: 'samples', step: session.trainer.step, views });
  }

  private async evaluate(): Promise<void> {
    const session = this.session;
    if (!session) throw new Error('The run is not initialised');
    this.emit({ type: 'progress', phase: 'evaluate', fraction: 0, message: 'Evaluating' });
    const result = await createGpuGuard().run(() => session.model.evaluate(session.evalSet));
    this.emit({ type: 'eval', step: session.trainer.step, result });
    this.emit({ type: 'progress', phase: 'evaluate', fraction: 1, message: 'Evaluated' });
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

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
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
  if (error instanceof CancelledError) return { code: 'cancelled', message, ...withStep };
  if (error instanceof GpuError) return { code: 'gpu-error', message, ...withStep };
  if (/out of memory|allocation|OOM/i.test(message)) {
    return { code: 'out-of-memory', message, ...withStep };
  }
  if (/backend/i.test(message) && /available|initiali[sz]/i.test(message)) {
    return { code: 'backend-unavailable', message, ...withStep };
  }
  return { code: 'internal', message, ...withStep };
}
