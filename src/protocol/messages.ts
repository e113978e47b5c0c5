/**
 * The typed message protocol between the app (main thread) and a run worker. One worker per run.
 * Commands carry a `requestId`; the worker answers each with a `reply`. Everything else the worker
 * sends is an event.
 */
import type { DataSpec } from '../core/data/types';
import type { EvalResult, Hyperparameters, ModelKind, SampleView } from '../core/models/types';
import type { BackendName, BackendReport } from '../core/gpu/backend-types';

export type { BackendName, BackendReport, AdapterSummary } from '../core/gpu/backend-types';

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

export type RunStatus =
  'creating' | 'warming-up' | 'ready' | 'running' | 'paused' | 'stopped' | 'error' | 'disposed';

export type RunErrorCode =
  | 'invalid-config'
  | 'backend-unavailable'
  | 'gpu-error'
  | 'non-finite-loss'
  | 'out-of-memory'
  | 'data-error'
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
  | { type: 'init'; spec: RunSpec }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'step'; n: number }
  | { type: 'stop' }
  | { type: 'evaluate' }
  | { type: 'set-hyperparameters'; values: Hyperparameters }
  | { type: 'dispose' }
  /** Aborts the current long operation (a model's `prepare`); handled at once, not queued. */
  | { type: 'cancel' };

export type CommandMessage = Command & { requestId: number };

export type WorkerEvent =
  | { type: 'reply'; requestId: number; ok: true }
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
    }
  | { type: 'metrics'; points: MetricPoint[] }
  | { type: 'stats'; stats: RunStats }
  | { type: 'eval'; step: number; result: EvalResult }
  | { type: 'samples'; step: number; views: SampleView[] }
  | { type: 'hyperparameters'; values: Hyperparameters }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'error'; error: RunError };

/** Typed-array buffers in an event that can be transferred rather than copied. */
export function transferablesOf(event: WorkerEvent): Transferable[] {
  if (event.type !== 'samples') return [];
  return event.views.flatMap((view) => view.panels.map((panel) => panel.frames.buffer));
}
