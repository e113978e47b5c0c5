/**
 * Memory over a long run: the run worker's own handler (RunHandler: trainer, samples, held-out
 * evaluations, metric flushes) trains `steps` steps in the benchmark worker, and the backend's
 * memory is read after every step it reports. Flat means no growth of the GPU buffer pool
 * (numBytesAllocatedInGPU, which only ever grows, docs/webgpu-pitfalls.md §8) nor of the live tensor
 * count once the warm-up part is over (the first evaluation and samples have allocated their
 * shapes by then).
 */
import * as tf from '@tensorflow/tfjs';
import type { MnistDigits } from '../core/data/mnist';
import { gpuMemory } from '../core/train/benchmark';
import type { Command, RunSpec, WorkerEvent } from '../protocol/messages';
import { launchOf } from '../protocol/run-spec';
import { RunHandler } from '../runtime/run-handler';

export interface MemoryCheckPlan {
  spec: RunSpec;
  steps: number;
  /** Fraction of the steps counted as warm-up (the baseline is taken at its end). */
  warmupFraction: number;
  /** Stop early (and say so) once this much time is spent. */
  maxSeconds: number;
}

export interface MemorySample {
  step: number;
  pool: number | null;
  inUse: number | null;
  tensors: number;
  bytes: number;
}

export interface MemoryCheckRow {
  spec: RunSpec;
  backend: string;
  stepsPlanned: number;
  steps: number;
  warmupSteps: number;
  evaluations: number;
  samples: number;
  msPerStep: number;
  baseline: MemorySample;
  final: MemorySample;
  peak: { pool: number | null; tensors: number };
  /** Pool bytes and live tensors added after the warm-up (0 = flat). */
  poolGrowthBytes: number | null;
  tensorGrowth: number;
  /** A thinned trace for the JSON: every ~1/50 of the run. */
  trace: MemorySample[];
  note?: string;
}

function sample(step: number): MemorySample {
  const memory = tf.memory();
  const gpu = gpuMemory();
  return {
    step,
    pool: gpu.pool,
    inUse: gpu.inUse,
    tensors: memory.numTensors,
    bytes: memory.numBytes,
  };
}

export async function checkMemory(
  plan: MemoryCheckPlan,
  digits: MnistDigits,
): Promise<MemoryCheckRow> {
  const samples: MemorySample[] = [];
  let evaluations = 0;
  let sampleEvents = 0;
  let step = 0;
  let failure: string | null = null;
  let settle: (() => void) | null = null;
  const post = (event: WorkerEvent) => {
    if (event.type === 'metrics') {
      // Posted from inside the training loop, between steps: the memory of a step just taken.
      step = event.points[event.points.length - 1]?.step ?? step;
      samples.push(sample(step));
    } else if (event.type === 'eval') evaluations += 1;
    else if (event.type === 'samples') sampleEvents += 1;
    else if (event.type === 'error') failure = event.error.message;
    else if (event.type === 'status' && event.status !== 'running') settle?.();
  };
  const handler = new RunHandler(post, {
    loadMnist: async () => digits,
    now: () => performance.now(),
  });
  let requestId = 0;
  const send = (command: Command) => handler.handle({ ...command, requestId: ++requestId });
  await send({ type: 'init', ...launchOf(plan.spec) });
  if (failure) throw new Error(failure);
  const backend = tf.getBackend();
  const started = performance.now();
  const stopped = new Promise<void>((resolve) => (settle = resolve));
  await send({ type: 'step', n: plan.steps });
  const timer = setInterval(() => {
    if (performance.now() - started > plan.maxSeconds * 1000) {
      void send({ type: 'pause' });
    }
  }, 1000);
  await stopped;
  clearInterval(timer);
  const elapsed = performance.now() - started;
  samples.push(sample(step));
  await send({ type: 'dispose' });
  if (failure) throw new Error(failure);

  const warmupSteps = Math.round(plan.steps * plan.warmupFraction);
  const after = samples.filter((s) => s.step >= warmupSteps);
  const baseline = after[0] ?? samples[samples.length - 1];
  const final = samples[samples.length - 1];
  const poolValues = after.map((s) => s.pool).filter((v): v is number => v !== null);
  const maxPool = poolValues.length ? Math.max(...poolValues) : null;
  const every = Math.max(1, Math.floor(samples.length / 50));
  return {
    spec: plan.spec,
    backend,
    stepsPlanned: plan.steps,
    steps: step,
    warmupSteps,
    evaluations,
    samples: sampleEvents,
    msPerStep: elapsed / Math.max(1, step),
    baseline,
    final,
    peak: {
      pool: maxOrNull(samples.map((s) => s.pool)),
      tensors: Math.max(...samples.map((s) => s.tensors)),
    },
    poolGrowthBytes: maxPool === null || baseline.pool === null ? null : maxPool - baseline.pool,
    tensorGrowth: Math.max(...after.map((s) => s.tensors)) - baseline.tensors,
    trace: samples.filter((_, i) => i % every === 0 || i === samples.length - 1),
    ...(step < plan.steps
      ? { note: `stopped after ${step} of ${plan.steps} steps (${plan.maxSeconds} s budget)` }
      : {}),
  };
}

function maxOrNull(values: (number | null)[]): number | null {
  const numbers = values.filter((v): v is number => v !== null);
  return numbers.length ? Math.max(...numbers) : null;
}
