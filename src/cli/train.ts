/**
 * Headless training: `npm run train -- --model lstm --preset tiny --steps 500 --out file.safetensors`.
 *
 * Runs the app's own core code in Node (the model, the Moving MNIST stream from the real MNIST
 * training digits, the trainer, the checkpoint writer) on the tfjs CPU backend, or on WebGPU
 * through Dawn (the `webgpu` package) when an adapter exists. It builds the run the way a run
 * worker does (one warm-up batch drawn before the first step), so the same spec and seeds give
 * the same steps as in the browser on the CPU backend, and writes a checkpoint the app opens.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CheckpointError } from '../core/checkpoint/errors';
import { checkpointRunSpec, decodeCheckpoint } from '../core/checkpoint/run-checkpoint';
import type { RunCheckpoint } from '../core/checkpoint/run-checkpoint';
import { loadMnistFromDisk } from '../core/data/mnist-node';
import { DEFAULT_DATA_SEED } from '../core/data/video-stream';
import { selectBackend } from '../core/gpu/backend';
import { createGpuGuard } from '../core/gpu/gpu-guard';
import { ConfigError } from '../core/models/config-schema';
import { assembleRun, planRunRestore, resolveRun } from '../core/train/assemble-run';
import { captureCheckpoint } from '../core/train/checkpointing';
import type { ResolvedRunSpec } from '../protocol/messages';
import { launchOf } from '../protocol/run-spec';
import { installNodeWebGpu } from '../node/webgpu';
import { ArgsError, USAGE, parseTrainArgs } from './args';
import { runAsMain } from './program';
import type { TrainArgs } from './args';

export const CLI_PRODUCER = 'video-model-playground cli';

const formatNumber = (value: number) =>
  Math.abs(value) >= 1000 || (Math.abs(value) < 0.01 && value !== 0)
    ? value.toExponential(3)
    : value.toFixed(4);

function runFromArgs(args: TrainArgs, checkpoint: RunCheckpoint | null): ResolvedRunSpec {
  const input = checkpoint
    ? checkpointRunSpec(checkpoint.run)
    : {
        model: args.model,
        ...(args.variant ? { variant: args.variant } : {}),
        ...(args.preset ? { preset: args.preset } : {}),
        ...(Object.keys(args.config).length ? { config: args.config } : {}),
        data: { source: 'moving-mnist', ...args.data, seed: args.dataSeed ?? DEFAULT_DATA_SEED },
        seed: args.seed ?? 0,
      };
  return launchOf(input).run; // unknown keys and bad values throw, naming the key
}

async function writeAtomically(file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const partial = `${file}.partial`;
  await writeFile(partial, bytes);
  await rename(partial, file); // never leaves half a checkpoint under the real name
}

export async function train(args: TrainArgs, log: (line: string) => void): Promise<number> {
  if (args.backend === 'webgpu' && (await installNodeWebGpu()) === null) {
    log('WebGPU: Dawn found no adapter here; falling back to the CPU backend.');
  }
  const backend = await selectBackend(args.backend);
  const adapter = backend.adapter
    ? ` (${backend.adapter.description}${backend.adapter.isSoftware ? ', a software adapter: slower than cpu' : ''})`
    : '';
  log(`backend: ${backend.backend}${adapter}`);

  const checkpoint = args.resume ? decodeCheckpoint(await readFile(args.resume)) : null;
  const run = runFromArgs(args, checkpoint);
  log(
    `model: ${run.model} · ${run.variant} · ${run.preset}, seed ${run.seed}, data seed ${run.data.seed}`,
  );
  if (run.data.source !== 'moving-mnist') {
    throw new Error(
      'The CLI trains on Moving MNIST; runs on imported datasets train in the browser',
    );
  }
  const digits = await loadMnistFromDisk();

  const guard = createGpuGuard();
  // As the run worker builds its run: the model's preparation, then a warm-up.
  let lastReport = '';
  const assembled = await assembleRun(
    run,
    resolveRun(run),
    { digits },
    {
      gpu: guard,
      onPrepare: ({ fraction, message }) => {
        const line = `${message} (${Math.round(fraction * 100)}%)`;
        if (fraction >= 1 || line.split(' (')[0] !== lastReport.split(' (')[0]) log(line);
        lastReport = line;
      },
    },
  ).catch((error: unknown) => {
    guard.dispose();
    throw error;
  });
  const { model, resolved } = assembled;
  const evalCount = resolved.cadence.evalSequences;
  try {
    if (checkpoint) {
      planRunRestore(assembled, checkpoint, { digits }, { gpu: guard }).apply();
      log(`resumed from ${args.resume} at step ${assembled.trainer.step}`);
    }
    const { trainer, history } = assembled;
    log(
      `${model.parameterCount().toLocaleString('en-US')} parameters; training ${args.steps} steps`,
    );

    const save = async () => {
      const bytes = await captureCheckpoint(
        {
          run: assembled.run,
          model,
          stream: assembled.stream,
          step: trainer.step,
          history: history.toArray(),
        },
        CLI_PRODUCER,
      );
      await writeAtomically(args.out, bytes);
      return bytes.length;
    };

    let interrupted = false;
    const onInterrupt = () => {
      interrupted = true;
      log('Interrupted: writing the checkpoint after this step…');
    };
    process.once('SIGINT', onInterrupt);
    const target = trainer.step + args.steps;
    const logEvery = args.logEvery ?? Math.max(1, Math.round(args.steps / 20));
    const trainingStart = performance.now() - history.lastWallMs(); // the time axis goes on
    let windowStart = performance.now();
    let windowSteps = 0;
    try {
      while (trainer.step < target && !interrupted) {
        const result = await trainer.trainStep();
        windowSteps += 1;
        const wallMs = performance.now() - trainingStart;
        history.add({ step: result.step, wallMs, values: result.losses });
        if (result.nonFinite.length > 0) {
          const name = result.nonFinite[0];
          log(
            `step ${result.step}: ${name} became ${result.losses[name]}; stopping without writing a checkpoint (lower the learning rate)`,
          );
          return 1;
        }
        if (result.nonFiniteState.length > 0) {
          log(
            `step ${result.step}: ${result.nonFiniteState.slice(0, 3).join(', ')} became NaN or infinite (the loss is still finite); stopping without writing a checkpoint (lower the learning rate)`,
          );
          return 1;
        }
        if (result.step % logEvery === 0 || result.step === target) {
          const ms = (performance.now() - windowStart) / windowSteps;
          const losses = Object.entries(result.losses)
            .sort(([a], [b]) => (a === 'loss' ? -1 : b === 'loss' ? 1 : 0))
            .map(([name, value]) => `${name} ${formatNumber(value)}`)
            .join('  ');
          log(
            `step ${String(result.step).padStart(String(target).length)}/${target}  ${losses}  | ${ms.toFixed(1)} ms/step`,
          );
          windowStart = performance.now();
          windowSteps = 0;
        }
        if (args.saveEvery && result.step % args.saveEvery === 0 && result.step !== target) {
          await save();
          log(`saved ${args.out} at step ${result.step}`);
        }
        // On the CPU backend a step never leaves the microtask queue: let signals (Ctrl-C) in.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      process.off('SIGINT', onInterrupt);
    }

    if (args.evaluate && !interrupted) {
      const started = performance.now();
      const result = await guard.run(() => model.evaluate(assembled.evalSet));
      const seconds = (performance.now() - started) / 1000;
      log(
        `held-out evaluation at step ${trainer.step} (${evalCount} sequences of MNIST test digits, ${seconds.toFixed(1)} s):`,
      );
      for (const [name, value] of Object.entries(result.scalars).sort(([a], [b]) =>
        a.localeCompare(b),
      )) {
        log(`  ${name.padEnd(28)} ${formatNumber(value)}`);
      }
    }
    const size = await save();
    log(`wrote ${args.out} (${(size / 2 ** 20).toFixed(2)} MB, step ${trainer.step})`);
    return interrupted ? 130 : 0;
  } finally {
    model.dispose();
    assembled.evalSet.dispose();
    guard.dispose();
  }
}

runAsMain(import.meta.url, {
  usage: USAGE,
  parse: parseTrainArgs,
  argsError: ArgsError,
  run: async (args: TrainArgs) => {
    try {
      return await train(args, (line) => console.log(line));
    } catch (error) {
      if (error instanceof ConfigError) console.error(`Invalid run: ${error.message}`);
      else if (error instanceof CheckpointError) {
        console.error(`Cannot resume from ${args.resume}: ${error.message}`);
      } else throw error;
      return 2;
    }
  },
});
