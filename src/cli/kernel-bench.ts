/**
 * Kernel microbenchmark: `npm run kernel-bench -- [--batch 64] [--reps 5] [--out file.jsonl]`.
 *
 * Times the custom WebGPU kernels of src/core/gpu/kernels/ against tfjs's own at the VGAN paper
 * preset's shapes (batch 64 of 32 frames of 64×64: the discriminator's first and second stride-2
 * layers, their gradients, the generator's output layer as a transposed convolution, and the
 * batch-norm moments over [64·16·32·32, 64]). Each case runs with its optimisation off (tfjs),
 * and on with the kernel paths of a software and of a hardware adapter forced in turn, so one run
 * shows every variant on the machine's adapter. Prints (and with --out appends) one JSON line per
 * case and variant: ms (median over --reps timed runs after one warm-up), GFLOP/s where FLOPs are
 * defined, the adapter. `--batch` scales every shape (2 runs on SwiftShader in seconds).
 * scripts/gpu-bench/run.sh runs it on GPU machines.
 */
import { appendFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { setKernelPathsOverride } from '../core/gpu/adapter-class';
import type { KernelPaths } from '../core/gpu/adapter-class';
import { selectBackend } from '../core/gpu/backend';
import { batchNormActivation, batchNormKernelReady } from '../core/gpu/kernels/batch-norm';
import { setOptimizationEnabled } from '../core/gpu/optimizations';
import { installNodeWebGpu } from '../node/webgpu';
import { runAsMain } from './program';

export const KERNEL_BENCH_USAGE = `Time the custom WebGPU kernels against tfjs's at the VGAN paper shapes.

Usage: npm run kernel-bench -- [options]

  --batch <n>     videos per batch (default 64, the paper preset's)
  --reps <n>      timed runs per case and variant (default 5)
  --only <text>   run only the cases whose name contains this text
  --out <file>    also append the JSON lines to this file
  --help          print this text`;

export interface KernelBenchArgs {
  batch: number;
  reps: number;
  only?: string;
  out?: string;
  help: boolean;
}

export class KernelBenchArgsError extends Error {}

export function parseKernelBenchArgs(argv: readonly string[]): KernelBenchArgs {
  const args: KernelBenchArgs = { batch: 64, reps: 5, help: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new KernelBenchArgsError(`${flag} needs a value`);
      return next;
    };
    const count = () => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1)
        throw new KernelBenchArgsError(`${flag} takes a positive integer`);
      return n;
    };
    if (flag === '--batch') args.batch = count();
    else if (flag === '--reps') args.reps = count();
    else if (flag === '--only') args.only = value();
    else if (flag === '--out') args.out = value();
    else if (flag === '--help' || flag === '-h') args.help = true;
    else throw new KernelBenchArgsError(`Unknown option ${flag}`);
  }
  return args;
}

type Shape5 = [number, number, number, number, number];

export interface KernelCase {
  name: string;
  /** The optimisation that replaces tfjs's kernel here. */
  optimization: string;
  /** Multiply-adds × 2, when the case is a product. */
  flops?: number;
  /** Makes the inputs (kept across runs). */
  inputs(): tf.Tensor[];
  run(inputs: tf.Tensor[]): tf.Tensor;
}

const volume = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A stride-2, 4³, 'same' convolution of x [B, D, H, W, cin] into cout channels. */
function convCases(label: string, x: Shape5, cout: number): KernelCase[] {
  const [b, d, h, w, cin] = x;
  const filter: Shape5 = [4, 4, 4, cin, cout];
  const y: Shape5 = [b, d / 2, h / 2, w / 2, cout];
  const flops = 2 * volume(y) * 64 * cin;
  const random = (shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', 1);
  return [
    {
      name: `conv3d ${label}`,
      optimization: 'webgpu-conv3d',
      flops,
      inputs: () => [random(x), random(filter)],
      run: ([xs, f]) => tf.conv3d(xs as tf.Tensor5D, f as tf.Tensor5D, 2, 'same'),
    },
    {
      name: `conv3d input gradient (conv3dTranspose) ${label}`,
      optimization: 'webgpu-conv3d-input-grad',
      flops,
      inputs: () => [random(y), random(filter)],
      run: ([dy, f]) => tf.conv3dTranspose(dy as tf.Tensor5D, f as tf.Tensor5D, x, 2, 'same'),
    },
    {
      name: `conv3d filter gradient ${label}`,
      optimization: 'webgpu-conv3d-filter-grad',
      flops,
      inputs: () => [random(x), random(y)],
      run: ([xs, dy]) =>
        tf
          .engine()
          .runKernel(
            tf.Conv3DBackpropFilterV2,
            { x: xs, dy },
            { strides: [2, 2, 2], pad: 'same', filterShape: filter },
          ) as tf.Tensor,
    },
  ];
}

/** The cases at batch `batch` (the VGAN paper preset at 64). */
export function kernelCases(batch: number): KernelCase[] {
  const rows = batch * 16 * 32 * 32;
  return [
    {
      name: `mean over the rows of [${rows}, 64] (batch-norm moments)`,
      optimization: 'webgpu-reduce-serial',
      inputs: () => [tf.randomNormal([rows, 64], 0, 1, 'float32', 2)],
      run: ([x]) => x.mean(0),
    },
    {
      name: `batch norm + ReLU forward on [${rows}, 64]`,
      optimization: 'webgpu-batch-norm-activation',
      inputs: () => [
        tf.randomNormal([rows, 64], 0, 1, 'float32', 3),
        tf.ones([64]),
        tf.zeros([64]),
      ],
      // Off: the composition the VGAN uses without the fused kernels.
      run: ([x, scale, shift]) => {
        if (batchNormKernelReady()) {
          return batchNormActivation(x as tf.Tensor2D, scale as tf.Tensor1D, shift as tf.Tensor1D, {
            epsilon: 1e-5,
            activation: 'relu',
          });
        }
        return tf.tidy(() => {
          const { mean, variance } = tf.moments(x, 0);
          return tf.relu(
            x
              .sub(mean)
              .mul(tf.rsqrt(variance.add(1e-5)).mul(scale))
              .add(shift),
          );
        });
      },
    },
    ...convCases(
      `[${batch}, 32, 64, 64, 3] → 64 (discriminator layer 1)`,
      [batch, 32, 64, 64, 3],
      64,
    ),
    ...convCases(
      `[${batch}, 16, 32, 32, 64] → 128 (discriminator layer 2)`,
      [batch, 16, 32, 32, 64],
      128,
    ),
  ];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** Waits until the GPU has run everything queued (reads one value of `t`). */
async function settle(t: tf.Tensor): Promise<void> {
  const one = t.reshape([-1]).slice(0, 1);
  await one.data();
  one.dispose();
}

async function timeCase(c: KernelCase, reps: number): Promise<number> {
  const inputs = c.inputs();
  try {
    const warm = c.run(inputs);
    await settle(warm);
    warm.dispose();
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const start = performance.now();
      const out = c.run(inputs);
      await settle(out);
      times.push(performance.now() - start);
      out.dispose();
    }
    return median(times);
  } finally {
    tf.dispose(inputs);
  }
}

interface Variant {
  name: string;
  on: boolean;
  paths: KernelPaths | null;
}

const VARIANTS: Variant[] = [
  { name: 'tfjs', on: false, paths: null },
  { name: 'custom, software paths', on: true, paths: 'software' },
  { name: 'custom, hardware paths', on: true, paths: 'hardware' },
];

/** Runs the cases; returns the exit code (1 when no case could be timed). */
export async function kernelBench(args: KernelBenchArgs): Promise<number> {
  if ((await installNodeWebGpu()) === null) throw new Error('Dawn found no WebGPU adapter');
  const report = await selectBackend('webgpu');
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  const adapter = report.adapter
    ? `${report.adapter.description}${report.adapter.isSoftware ? ' (software)' : ''}`
    : 'unknown';
  const cases = kernelCases(args.batch).filter(
    (c) => args.only === undefined || c.name.includes(args.only),
  );
  let timed = 0;
  for (const c of cases) {
    for (const variant of VARIANTS) {
      setOptimizationEnabled(c.optimization, variant.on, 'webgpu');
      setKernelPathsOverride(variant.paths);
      const row: Record<string, unknown> = {
        kernel: c.name,
        optimization: c.optimization,
        variant: variant.name,
        batch: args.batch,
        adapter,
      };
      try {
        const ms = await timeCase(c, args.reps);
        row.ms = Number(ms.toFixed(3));
        timed++;
        if (c.flops !== undefined) row.gflops = Number((c.flops / ms / 1e6).toFixed(1));
      } catch (error) {
        row.error = error instanceof Error ? error.message : String(error);
      } finally {
        setOptimizationEnabled(c.optimization, true, 'webgpu');
        setKernelPathsOverride(null);
      }
      const line = JSON.stringify(row);
      console.log(line);
      if (args.out !== undefined) await appendFile(args.out, `${line}\n`);
    }
  }
  return timed > 0 ? 0 : 1;
}

runAsMain(import.meta.url, {
  usage: KERNEL_BENCH_USAGE,
  parse: parseKernelBenchArgs,
  argsError: KernelBenchArgsError,
  run: kernelBench,
});
