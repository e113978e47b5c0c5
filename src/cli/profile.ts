/**
 * Per-kernel profile of a model's training step:
 * `npm run profile -- --model vgan --preset small [--backend webgpu] [--disable all]`.
 *
 * Builds the run as the benchmark does (assembleBenchmarkRun), warms up, times unprofiled
 * steps, then profiles steps kernel by kernel (see src/core/train/kernel-profile.ts) and prints
 * Markdown: the step's median time, host reads and uploads, the buffer pool, the top kernels and
 * WebGPU programs. `--disable` switches optimisations of the registry off (`all`, or ids), so the
 * same command gives the before and after of each one. WebGPU runs through Dawn in Node
 * (SwiftShader where there is no GPU: relative numbers only).
 */
import { appendFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { loadMnistFromDisk } from '../core/data/mnist-node';
import { selectBackend } from '../core/gpu/backend';
import type { BackendName } from '../core/gpu/backend';
import { createGpuGuard } from '../core/gpu/gpu-guard';
import {
  isOptimizationEnabled,
  listOptimizations,
  setOptimizationEnabled,
} from '../core/gpu/optimizations';
import { MODEL_KINDS, modelDefinition } from '../core/models/registry';
import { compareSteps, formatProfile, profileSteps } from '../core/train/kernel-profile';
import { assembleBenchmarkRun } from '../core/train/benchmark';
import { installNodeWebGpu } from '../node/webgpu';
import { runAsMain } from './program';

export const PROFILE_USAGE = `Profile a model's training step kernel by kernel.

Usage: npm run profile -- --model <kind> [options]

  --model <kind>        ${MODEL_KINDS.join(' | ')} (required)
  --variant <id>        the model's variant (default: its default variant)
  --preset <id>         tiny | small | … (default: the model's default preset)
  --backend <name>      webgpu (default, through Dawn) | cpu
  --warmup <n>          unprofiled warm-up steps (default 2)
  --steps <n>           unprofiled timed steps for the median (default 5)
  --profile-steps <n>   profiled steps (default 2)
  --top <n>             rows per table (default 15)
  --disable <ids>       optimisations to switch off: comma-separated ids, or "all"
  --compare <ids>       instead of a profile, A/B-time steps with these optimisations off and on
                        (alternating; comma-separated ids, or "all"); --steps sets the rounds
  --out <file>          also append the Markdown to this file
  --help                print this text`;

export interface ProfileArgs {
  model: string;
  variant?: string;
  preset?: string;
  backend: BackendName;
  warmup: number;
  steps: number;
  profileSteps: number;
  top: number;
  disable: string[];
  compare: string[];
  out?: string;
  help: boolean;
}

export class ProfileArgsError extends Error {}

const COUNTS = ['--warmup', '--steps', '--profile-steps', '--top'] as const;

export function parseProfileArgs(argv: readonly string[]): ProfileArgs {
  const args: Partial<ProfileArgs> = {
    backend: 'webgpu',
    warmup: 2,
    steps: 5,
    profileSteps: 2,
    top: 15,
    disable: [],
    compare: [],
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') {
      args.help = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new ProfileArgsError(`${flag} needs a value`);
    if ((COUNTS as readonly string[]).includes(flag)) {
      const n = Number(value);
      if (!/^\d+$/.test(value) || (n === 0 && flag !== '--warmup' && flag !== '--steps')) {
        throw new ProfileArgsError(
          `${flag} must be a ${flag === '--warmup' || flag === '--steps' ? 'non-negative' : 'positive'} integer (got "${value}")`,
        );
      }
      const key = {
        '--warmup': 'warmup',
        '--steps': 'steps',
        '--profile-steps': 'profileSteps',
        '--top': 'top',
      } as const;
      args[key[flag as (typeof COUNTS)[number]]] = n;
      continue;
    }
    switch (flag) {
      case '--model':
      case '--variant':
      case '--preset':
      case '--out':
        args[flag.slice(2) as 'model' | 'variant' | 'preset' | 'out'] = value;
        break;
      case '--backend':
        if (value !== 'webgpu' && value !== 'cpu') {
          throw new ProfileArgsError(`--backend must be webgpu or cpu (got "${value}")`);
        }
        args.backend = value;
        break;
      case '--disable':
      case '--compare':
        args[flag.slice(2) as 'disable' | 'compare'] = value.split(',').filter(Boolean);
        break;
      default:
        throw new ProfileArgsError(`Unknown option "${flag}" (see --help)`);
    }
  }
  if (!args.help && !args.model) throw new ProfileArgsError('--model is required');
  return args as ProfileArgs;
}

/** Profiles one model preset and returns the Markdown report. */
export async function profileModel(args: ProfileArgs): Promise<string> {
  if (args.backend === 'webgpu' && (await installNodeWebGpu()) === null) {
    throw new Error('WebGPU: Dawn found no adapter here (try --backend cpu)');
  }
  const report = await selectBackend(args.backend);
  if (report.backend !== args.backend) {
    throw new Error(
      `Backend ${args.backend} did not start: ${report.fallbacks.map((f) => f.reason).join('; ')}`,
    );
  }
  const known = listOptimizations()
    .filter((o) => o.backends.includes(report.backend))
    .map((o) => o.id);
  const expand = (ids: string[]) => (ids.includes('all') ? known : ids);
  for (const id of expand(args.disable)) setOptimizationEnabled(id, false, report.backend);
  const compared = expand(args.compare);
  const enabled = listOptimizations()
    .filter((o) => o.backends.includes(report.backend) && isOptimizationEnabled(o.id))
    .map((o) => o.id);

  const entry = modelDefinition(args.model);
  const variant = args.variant ?? entry.defaultVariant;
  const preset = args.preset ?? entry.defaultPreset;
  const digits = await loadMnistFromDisk();
  const guard = createGpuGuard();
  const { model, trainer } = await assembleBenchmarkRun(entry.resolve(variant, preset), digits, {
    gpu: guard,
  });
  try {
    const step = async () => {
      await trainer.trainStep();
    };
    const adapter = report.adapter ? ` (${report.adapter.description})` : '';
    const title = `${entry.kind} · ${variant} · ${preset} on ${report.backend}${adapter}`;
    if (compared.length > 0) {
      const result = await compareSteps(
        step,
        (on) => compared.forEach((id) => setOptimizationEnabled(id, on, report.backend)),
        { warmupSteps: Math.max(1, args.warmup), rounds: Math.max(1, args.steps) },
      );
      const list = (ms: number[]) => ms.map((t) => t.toFixed(0)).join(', ');
      return [
        `### ${title}: ${compared.join(', ')} off → on`,
        '',
        `- off: median **${result.offMedian.toFixed(1)} ms** (${list(result.offMs)})`,
        `- on: median **${result.onMedian.toFixed(1)} ms** (${list(result.onMs)})`,
        `- speedup ×${result.speedup.toFixed(2)} (alternating steps, ${result.onMs.length} each, after ${Math.max(1, args.warmup)} warm-up steps per side)`,
        '',
      ].join('\n');
    }
    const profile = await profileSteps(step, {
      warmupSteps: args.warmup,
      timedSteps: args.steps,
      profiledSteps: args.profileSteps,
    });
    const optimisations = enabled.length ? enabled.join(', ') : 'none';
    return `${formatProfile(title, profile, args.top)}\n\nOptimisations on: ${optimisations}. Parameters: ${model.parameterCount().toLocaleString('en-US')}, batch ${model.data.batchSize}, tfjs ${tf.version.tfjs}.\n`;
  } finally {
    model.dispose();
    guard.dispose();
  }
}

runAsMain(import.meta.url, {
  usage: PROFILE_USAGE,
  parse: parseProfileArgs,
  argsError: ProfileArgsError,
  run: async (args) => {
    const markdown = await profileModel(args);
    console.log(markdown);
    if (args.out) await appendFile(args.out, `${markdown}\n`);
    return 0;
  },
});
