/**
 * The typed message protocol between the app (main thread) and a run worker. One worker per run.
 * Commands carry a `requestId`; the worker answers each with a `reply`. Everything else the worker
 * sends is an event.
 */
import type { CheckpointRun } from '../core/checkpoint/run-checkpoint';
import type { DataSpec, DatasetPayload } from '../core/data/types';
import type { ModelKind } from '../core/models/registry';
import type { EvalResult, FramePanel, Hyperparameters, SampleView } from '../core/models/types';
import type { BackendName, BackendReport } from '../core/gpu/backend-types';
import type { StressReport, StressTestOptions } from '../core/train/stress-test';
import type { ProbePlan, ProbeReport } from './probe';

export type {
  StressCase,
  StressCaseResult,
  StressReport,
  StressTestOptions,
} from '../core/train/stress-test';

export type {
  AdapterSummary,
  BackendChoice,
  BackendName,
  BackendReport,
  BackendTrial,
} from '../core/gpu/backend-types';

export interface RunSpec {
  model: ModelKind;
  variant?: string;
  preset?: string;
  /** Overrides on top of the preset; unknown keys are rejected with a message naming them. */
  config?: Record<string, unknown>;
  data?: DataSpec;
  /** Forced backend; when absent the worker picks WebGPU, then WebGL, then CPU. */
  backend?: BackendName;
  /** Seed for weight init and sampling noise (the data stream has its own `data.seed`). */
  seed?: number;
}

/**
 * A run spec with nothing left to fill in (run-spec.ts, launchOf): the full config (preset,
 * variant and overrides), the data spec with its seed, the model seed. The same record a
 * checkpoint keeps of its run.
 */
export type ResolvedRunSpec = CheckpointRun;

/** What a run worker starts with (the `init` command): the resolved run and a forced backend. */
export interface RunLaunch {
  run: ResolvedRunSpec;
  backend?: BackendName;
}

export type RunStatus =
  'creating' | 'warming-up' | 'ready' | 'running' | 'paused' | 'stopped' | 'error' | 'disposed';

export type RunErrorCode =
  | 'invalid-config'
  | 'backend-unavailable'
  | 'gpu-error'
  | 'non-finite-loss'
  /** A weight or optimiser slot became NaN or ±Inf (checked every few steps). */
  | 'non-finite-parameters'
  | 'out-of-memory'
  | 'data-error'
  | 'invalid-checkpoint'
  | 'cancelled'
  | 'internal';

export interface RunError {
  code: RunErrorCode;
  message: string;
  /** Step at which it happened, when training had started. */
  step?: number;
}

export interface MetricPoint {
  step: number;
  /** Milliseconds since training started (for wall-clock charts). */
  wallMs: number;
  values: Record<string, number>;
}

export interface RunStats {
  step: number;
  msPerStep: number;
  stepsPerSecond: number;
  numTensors: number;
  numBytes: number;
  /** WebGPU / WebGL buffer pool size: the memory the run really holds on the GPU. */
  numBytesAllocatedInGPU: number | null;
}

export type Command =
  /**
   * `run`: the resolved run (launchOf); `backend`: a forced backend, when absent the worker picks
   * WebGPU, then WebGL, then CPU.
   * `dataset`: the frames of the imported dataset that `run.data` names (source 'video').
   * `checkpoint`: a safetensors checkpoint (transferred) the run is restored from before it
   * reports ready; the run then starts paused at the checkpoint's step.
   * `start`: the run starts training once ready (as a `start` command would), its first samples
   * after its first step; ignored with `checkpoint`.
   */
  | {
      type: 'init';
      run: ResolvedRunSpec;
      backend?: BackendName;
      dataset?: DatasetPayload;
      checkpoint?: ArrayBuffer;
      start?: boolean;
    }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'step'; n: number }
  | { type: 'stop' }
  | { type: 'evaluate' }
  | { type: 'set-hyperparameters'; values: Hyperparameters }
  /** Which held-out sequences the samples show (indices into the held-out set), first = main. */
  | { type: 'choose-examples'; indices: number[] }
  /** Replies with a `checkpoint` value: the run as a safetensors file (docs/checkpoints.md). */
  | { type: 'export-checkpoint' }
  /**
   * Restores the run from a safetensors checkpoint (the buffer is transferred). A file that does
   * not fit the run is refused with an `invalid-checkpoint` error and changes nothing.
   */
  | { type: 'import-checkpoint'; bytes: ArrayBuffer }
  /**
   * Stress tests (core/train/stress-test.ts) of a future predictor trained on Moving MNIST: one
   * digit fewer and one more than in training, a rollout past the trained horizon; answered by a
   * `stress-test` event before the reply.
   */
  | { type: 'stress-test'; options?: StressTestOptions }
  /**
   * Probes the run's features as they are now (src/core/probe): a snapshot of the weights is
   * probed on copies of the model, in slices between training steps while the run trains.
   * Replies with a `probe` value. A Moving MNIST run's clips are labelled by their digits, an
   * imported dataset's by the labels the plan brings for its files.
   */
  | { type: 'probe'; plan: ProbePlan }
  /**
   * Feature views (VideoModel.featureViews) of the run's model as it is now, for the held-out
   * clip `clip` (an index into the held-out set); answered by a `feature-views` event before the
   * reply. Refused, naming the model, for a model without them.
   */
  | { type: 'feature-views'; clip: number }
  | { type: 'dispose' }
  /** Aborts the current long operation (a model's `prepare`); handled at once, not queued. */
  | { type: 'cancel' };

export type CommandMessage = Command & { requestId: number };

/** The model's weights as pictures and its units answering one held-out clip, at a step. */
export interface FeatureViewsReport {
  step: number;
  clip: number; // index into the held-out set
  views: SampleView[];
}

/** What a reply carries for commands that return something. */
export type ReplyValue =
  | {
      type: 'checkpoint';
      bytes: ArrayBuffer;
      step: number;
      /** e.g. `lstm-composite-tiny-step120.safetensors` */
      fileName: string;
    }
  | { type: 'probe'; report: ProbeReport };

export type WorkerEvent =
  | { type: 'reply'; requestId: number; ok: true; value?: ReplyValue }
  | { type: 'reply'; requestId: number; ok: false; error: RunError }
  | { type: 'status'; status: RunStatus; step: number }
  | {
      type: 'progress';
      phase: string;
      fraction: number;
      message: string;
      /** The work can be aborted with a `cancel` command. */
      cancellable?: boolean;
    }
  | { type: 'warning'; message: string }
  /** The backend chosen, as soon as it is (long preparations then show where they run). */
  | { type: 'backend'; backend: BackendReport }
  | {
      type: 'ready';
      backend: BackendReport;
      parameterCount: number;
      /** The resolved config (preset + overrides) the worker trains with. */
      config: Record<string, unknown>;
      hyperparameters: Hyperparameters;
      /** Whether the `stress-test` command applies: a future predictor on Moving MNIST. */
      stressTestable: boolean;
    }
  /** New loss points with the run's speed and memory at the last of them (one store update). */
  | { type: 'metrics'; points: MetricPoint[]; stats: RunStats }
  | { type: 'eval'; step: number; result: EvalResult }
  | { type: 'stress-test'; step: number; report: StressReport }
  | ({ type: 'feature-views' } & FeatureViewsReport)
  | { type: 'samples'; step: number; views: SampleView[] }
  /**
   * Sent once when the run is ready: the first frame of each of the first held-out sequences
   * (frame k of `stills` = sequence k, in [0, 1]), so the user can pick which ones to sample.
   */
  | { type: 'held-out'; count: number; stills: FramePanel; indices: number[] }
  | { type: 'hyperparameters'; values: Hyperparameters }
  /** A probe finished (also the reply's value): the run view charts it. */
  | { type: 'probe'; report: ProbeReport }
  /** The run was restored from a checkpoint: it continues from `step` on this data spec. */
  | {
      type: 'restored';
      step: number;
      /** The checkpoint's training curves (thinned), which replace the run's. */
      history: MetricPoint[];
      data: DataSpec;
      seed: number;
      hyperparameters: Hyperparameters;
    }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'error'; error: RunError };

/** Typed-array buffers in an event that can be transferred rather than copied. */
export function transferablesOf(event: WorkerEvent): Transferable[] {
  if (event.type === 'held-out') return [event.stills.frames.buffer];
  if (event.type === 'reply') {
    return event.ok && event.value?.type === 'checkpoint' ? [event.value.bytes] : [];
  }
  if (event.type === 'stress-test') {
    return event.report.cases.flatMap((c) => c.example.map((panel) => panel.frames.buffer));
  }
  if (event.type === 'feature-views') {
    return event.views.flatMap((view) => view.panels.map((panel) => panel.frames.buffer));
  }
  if (event.type !== 'samples') return [];
  return event.views.flatMap((view) => view.panels.map((panel) => panel.frames.buffer));
}

/** Buffers in a command that are transferred to the worker rather than copied. */
export function commandTransferables(command: Command): Transferable[] {
  if (command.type === 'import-checkpoint') return [command.bytes];
  return command.type === 'init' && command.checkpoint ? [command.checkpoint] : [];
}
