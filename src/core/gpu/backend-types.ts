/**
 * Backend selection result types, shared by the core (which selects the backend) and the worker
 * protocol (which reports it to the UI). They live in core so that core never imports protocol.
 */

export type BackendName = 'webgpu' | 'webgl' | 'cpu';

export interface AdapterSummary {
  /** e.g. "Google SwiftShader" or "NVIDIA RTX 4090"; the WebGL renderer string for webgl. */
  description: string;
  vendor: string;
  architecture: string;
  /** True for CPU-emulated GPUs (SwiftShader, llvmpipe, WARP, fallback adapters). */
  isSoftware: boolean;
}

export interface BackendReport {
  backend: BackendName;
  adapter: AdapterSummary | null;
  /** Backends tried before this one and why each failed (shown as the fallback note). */
  fallbacks: { backend: BackendName; reason: string }[];
  /** Present when the backend was picked by timing the alternatives (train/backend-trial.ts). */
  choice?: BackendChoice;
}

export interface BackendTrial {
  backend: BackendName;
  /** Median wall-clock ms of the timed training steps; null when the backend could not train. */
  msPerStep: number | null;
  /** Timed steps (after one untimed warm-up that compiles the kernels). */
  steps: number;
  /** Why the backend was not measured, or stopped early. */
  note?: string;
}

export interface BackendChoice {
  /** Why the backends were compared, in a sentence. */
  reason: string;
  trials: BackendTrial[];
  /** The fastest backend that trained (the one the run uses, or moves to). */
  picked: BackendName;
  /**
   * Where the run trained while the choice was made, when not on `picked` from the start: on a
   * software adapter a run starts on the CPU backend, which compiles no kernels, and times the
   * others between its first training steps.
   */
  startedOn?: BackendName;
  /** The training step after which the run moved from `startedOn` to `picked`. */
  switchedAtStep?: number;
  /** True until the backends are timed (or the remembered one is set up) between steps. */
  pending?: boolean;
}
