/**
 * Per-kernel profile of training steps (`npm run profile`): which tfjs kernels and which WebGPU
 * programs a step runs, how often, and how long each takes, plus what the step costs the host
 * (GPU→CPU reads, CPU→GPU uploads). Pure tfjs + core code, so the same profile can be taken in
 * Node (Dawn) or in a browser.
 *
 * Timing comes from `tf.profile`: on WebGPU each kernel's programs are timed with timestamp
 * queries (tfjs-backend-webgpu's `backend.time`), elsewhere by wall clock around a sync read.
 * Profiling ends the compute pass after every dispatch, so the profiled total exceeds an
 * unprofiled step's time; the shares are what a profile is for. Kernels that run other kernels
 * through the engine (custom gradients, the rank-5 workaround's wrappers) count only their own
 * work ("self" time), so nothing is counted twice.
 */
import * as tf from '@tensorflow/tfjs';
import { countingWork, emptyWork } from './step-work';

/** One kernel (or custom-gradient scope) name, summed over the profiled steps, per step. */
export interface KernelRow {
  name: string;
  callsPerStep: number;
  msPerStep: number;
  share: number; // of the profiled total
  /** The shapes of the slowest call: inputs → outputs. */
  slowestShapes: string;
}

/** One WebGPU program (a shader class), per step. */
export interface ProgramRow {
  name: string;
  dispatchesPerStep: number;
  msPerStep: number;
  share: number;
}

export interface StepProfile {
  /** Median ms of an unprofiled step (trainStep + reading its scalars back). */
  wallMsMedian: number;
  wallMsMin: number;
  wallMsMax: number;
  wallSteps: number;
  /** Sum of the profiled kernels' times per step. */
  profiledMsPerStep: number;
  kernels: KernelRow[];
  /** WebGPU only (other backends report no programs). */
  programs: ProgramRow[];
  kernelCallsPerStep: number;
  /** Synchronous and asynchronous GPU→CPU reads inside the step (the final loss read included). */
  readsPerStep: number;
  /**
   * CPU→GPU tensor uploads inside the step (the batch included); WebGPU only (the CPU backend
   * writes every kernel's output the same way).
   */
  uploadsPerStep: number | null;
  /** WebGPU programs dispatched per step (null on other backends). */
  dispatchesPerStep: number | null;
  /** numBytesAllocatedInGPU (the WebGPU buffer pool) after the steps, and its growth over them. */
  gpuPoolBytes: number | null;
  gpuPoolGrowthBytes: number | null;
}

interface RawKernel {
  name: string;
  kernelTimeMs: number | { error: string };
  extraInfo: string;
  inputShapes: (number[] | null)[];
  outputShapes: number[][];
}

/**
 * Runs `f` under `tf.profile` and returns each recorded kernel with its nesting depth (0 = called
 * from user code). The engine records a kernel after it returns, so inner kernels come first.
 */
async function profiled(f: () => Promise<void>): Promise<{ kernel: RawKernel; depth: number }[]> {
  const engine = tf.engine() as unknown as {
    profiler: { profileKernel: (...args: unknown[]) => unknown };
  };
  const profiler = engine.profiler;
  const original = profiler.profileKernel;
  const depths: number[] = [];
  let depth = 0;
  profiler.profileKernel = function (this: unknown, ...args: unknown[]) {
    depth++;
    try {
      return original.apply(this, args);
    } finally {
      depth--;
      depths.push(depth);
    }
  };
  try {
    const info = await tf.profile(f);
    return (info.kernels as unknown as RawKernel[]).map((kernel, i) => ({
      kernel,
      depth: depths[i] ?? 0,
    }));
  } finally {
    profiler.profileKernel = original;
  }
}

const timeOf = (kernel: RawKernel): number =>
  typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;

/** "ProgA: 1.5, ProgB: 0.25" (tfjs-backend-webgpu's extraInfo) → [[ProgA, 1.5], …]. */
function programTimes(extraInfo: string): [string, number][] {
  if (!extraInfo) return [];
  return extraInfo.split(', ').flatMap((part) => {
    const at = part.lastIndexOf(': ');
    if (at < 0) return [];
    const ms = Number(part.slice(at + 2));
    return Number.isFinite(ms) ? [[part.slice(0, at), ms] as [string, number]] : [];
  });
}

const shapeText = (shapes: (number[] | null)[]): string =>
  shapes.map((s) => (s === null ? '–' : `[${s.join(',')}]`)).join(' ');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function poolBytes(): number | null {
  const value = (tf.memory() as unknown as Record<string, unknown>).numBytesAllocatedInGPU;
  return typeof value === 'number' ? value : null;
}

export interface ProfileOptions {
  /** Unprofiled steps before anything is measured (shader compilation, pool growth). */
  warmupSteps: number;
  /** Unprofiled, timed steps (for the wall-clock median). */
  timedSteps: number;
  /** Profiled steps (kernel times are averaged over them). */
  profiledSteps: number;
}

/**
 * Profiles `step` (one training step that resolves once its results are read back) on the active
 * backend: warm-up, timed steps, then profiled steps.
 */
export async function profileSteps(
  step: () => Promise<void>,
  options: ProfileOptions,
): Promise<StepProfile> {
  for (let i = 0; i < options.warmupSteps; i++) await step();
  const poolBefore = poolBytes();
  const wall: number[] = [];
  for (let i = 0; i < options.timedSteps; i++) {
    const started = performance.now();
    await step();
    wall.push(performance.now() - started);
  }

  const counters = emptyWork();
  const records: { kernel: RawKernel; depth: number }[] = [];
  for (let i = 0; i < options.profiledSteps; i++) {
    records.push(...(await countingWork(counters, () => profiled(step))));
  }
  const poolAfter = poolBytes();
  const steps = Math.max(1, options.profiledSteps);

  // Self time. tfjs-backend-webgpu times only a kernel's own programs (the timers of kernels it
  // runs through the engine are nested apart), other backends time the whole call: there, a
  // kernel's self time is its time less that of the kernels it ran (its direct children).
  const inclusive = tf.getBackend() !== 'webgpu';
  const kernels = new Map<string, { calls: number; ms: number; slowest: number; shapes: string }>();
  const programs = new Map<string, { dispatches: number; ms: number }>();
  const childTime: number[] = [];
  let total = 0;
  let calls = 0;
  for (const { kernel, depth } of records) {
    const time = timeOf(kernel);
    const self = inclusive ? Math.max(0, time - (childTime[depth + 1] ?? 0)) : time;
    childTime[depth + 1] = 0;
    childTime[depth] = (childTime[depth] ?? 0) + time;
    total += self;
    calls++;
    const row = kernels.get(kernel.name) ?? { calls: 0, ms: 0, slowest: -1, shapes: '' };
    row.calls++;
    row.ms += self;
    if (self > row.slowest) {
      row.slowest = self;
      row.shapes = `${shapeText(kernel.inputShapes)} → ${shapeText(kernel.outputShapes)}`;
    }
    kernels.set(kernel.name, row);
    for (const [name, ms] of programTimes(kernel.extraInfo)) {
      const p = programs.get(name) ?? { dispatches: 0, ms: 0 };
      p.dispatches++;
      p.ms += ms;
      programs.set(name, p);
    }
  }
  const share = (ms: number) => (total > 0 ? ms / total : 0);
  return {
    wallMsMedian: wall.length ? median(wall) : NaN,
    wallMsMin: wall.length ? Math.min(...wall) : NaN,
    wallMsMax: wall.length ? Math.max(...wall) : NaN,
    wallSteps: wall.length,
    profiledMsPerStep: total / steps,
    kernels: [...kernels.entries()]
      .map(([name, r]) => ({
        name,
        callsPerStep: r.calls / steps,
        msPerStep: r.ms / steps,
        share: share(r.ms),
        slowestShapes: r.shapes,
      }))
      .sort((a, b) => b.msPerStep - a.msPerStep),
    programs: [...programs.entries()]
      .map(([name, p]) => ({
        name,
        dispatchesPerStep: p.dispatches / steps,
        msPerStep: p.ms / steps,
        share: share(p.ms),
      }))
      .sort((a, b) => b.msPerStep - a.msPerStep),
    kernelCallsPerStep: calls / steps,
    readsPerStep: counters.reads / steps,
    uploadsPerStep:
      tf.getBackend() === 'webgpu' && counters.uploads !== null ? counters.uploads / steps : null,
    dispatchesPerStep: counters.dispatches === null ? null : counters.dispatches / steps,
    gpuPoolBytes: poolAfter,
    gpuPoolGrowthBytes: poolAfter !== null && poolBefore !== null ? poolAfter - poolBefore : null,
  };
}

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const percent = (value: number) => `${(100 * value).toFixed(1)}%`;
const mib = (bytes: number | null) =>
  bytes === null ? '–' : `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** The profile as Markdown: a summary line and the top kernels and programs. */
export function formatProfile(title: string, profile: StepProfile, top = 15): string {
  const lines = [
    `### ${title}`,
    '',
    `- step (unprofiled): median **${fixed(profile.wallMsMedian)} ms** (min ${fixed(profile.wallMsMin)}, max ${fixed(profile.wallMsMax)}, ${profile.wallSteps} steps)`,
    `- profiled kernel time: ${fixed(profile.profiledMsPerStep)} ms/step in ${fixed(profile.kernelCallsPerStep, 0)} kernel calls${profile.dispatchesPerStep === null ? '' : ` and ${fixed(profile.dispatchesPerStep, 0)} WebGPU dispatches`}; host reads ${fixed(profile.readsPerStep, 1)}, uploads ${profile.uploadsPerStep === null ? '–' : fixed(profile.uploadsPerStep, 1)} per step`,
    `- GPU buffer pool: ${mib(profile.gpuPoolBytes)} (growth over the measured steps: ${mib(profile.gpuPoolGrowthBytes)})`,
    '',
    '| kernel | calls/step | ms/step | share | slowest call: inputs → outputs |',
    '| --- | ---: | ---: | ---: | --- |',
    ...profile.kernels
      .slice(0, top)
      .map(
        (k) =>
          `| ${k.name} | ${fixed(k.callsPerStep, 0)} | ${fixed(k.msPerStep)} | ${percent(k.share)} | ${k.slowestShapes} |`,
      ),
  ];
  if (profile.programs.length > 0) {
    lines.push(
      '',
      '| WebGPU program | dispatches/step | ms/step | share |',
      '| --- | ---: | ---: | ---: |',
      ...profile.programs
        .slice(0, top)
        .map(
          (p) =>
            `| ${p.name} | ${fixed(p.dispatchesPerStep, 0)} | ${fixed(p.msPerStep)} | ${percent(p.share)} |`,
        ),
    );
  }
  return lines.join('\n');
}

export interface Comparison {
  offMs: number[];
  onMs: number[];
  offMedian: number;
  onMedian: number;
  /** offMedian / onMedian: above 1 when switching on is faster. */
  speedup: number;
}

/**
 * A/B timing of `step` with something switched off and on (`set(false)` / `set(true)`), in
 * alternating order (off, on, on, off, …) so that a changing load on the machine hits both
 * sides alike. Each side is warmed up first (shader compilation).
 */
export async function compareSteps(
  step: () => Promise<void>,
  set: (on: boolean) => void,
  options: { warmupSteps: number; rounds: number },
): Promise<Comparison> {
  for (const on of [false, true]) {
    set(on);
    for (let i = 0; i < options.warmupSteps; i++) await step();
  }
  const times: Record<'on' | 'off', number[]> = { on: [], off: [] };
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? [false, true] : [true, false];
    for (const on of order) {
      set(on);
      const started = performance.now();
      await step();
      times[on ? 'on' : 'off'].push(performance.now() - started);
    }
  }
  set(true);
  const offMedian = median(times.off);
  const onMedian = median(times.on);
  return {
    offMs: times.off,
    onMs: times.on,
    offMedian,
    onMedian,
    speedup: offMedian / onMedian,
  };
}
