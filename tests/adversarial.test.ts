/**
 * The adversarial suite, parsers and validators (issue 20): every hostile input of
 * tests/adversarial/generators.ts goes through the code the app runs for that entry point, and
 * each answer must hold the invariant: refused with the error type of that entry point, in a
 * message of reasonable length that names the problem (a ConfigError names its field), never a
 * crash (TypeError, RangeError, …); an input that may stay valid is refused so, or accepted.
 * Prints how many inputs each entry point tried and handled.
 *
 * - run specs: `RunManager.checkRunSpec` (parseRunSpec and the dataset lookup) for each model;
 * - links: `decodeExperiment`;
 * - .npy files: `DatasetRegistry.importNpy` over the real data-worker handler, in process;
 * - checkpoints: what opening a file as a new run or restoring a run runs — the header and
 *   metadata (`readCheckpointInfo`), the run spec it rebuilds, the whole file (`decodeCheckpoint`),
 *   the data stream it restores (`planRestore`) and the model's own checks (`importState`).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunManager } from '../src/app/runs/run-manager';
import { CheckpointError } from '../src/core/checkpoint/errors';
import {
  checkpointRunSpec,
  decodeCheckpoint,
  readCheckpointInfo,
} from '../src/core/checkpoint/run-checkpoint';
import { DataError } from '../src/core/data/data-error';
import type { MnistDigits } from '../src/core/data/mnist';
import { movingMnistOptionsFor } from '../src/core/data/moving-mnist';
import type { MovingMnistDataSpec } from '../src/core/data/types';
import { MovingMnistStream } from '../src/core/data/video-stream';
import { ConfigError } from '../src/core/models/config-schema';
import { MODEL_KINDS, modelDefinition } from '../src/core/models/registry';
import type { VideoModel } from '../src/core/models/types';
import { planRestore } from '../src/core/train/checkpointing';
import { decodeExperiment } from '../src/protocol/experiment';
import type { RunSpec } from '../src/protocol/messages';
import { parseRunSpec } from '../src/protocol/run-spec';
import type { HostileInput } from './adversarial/generators';
import {
  hostileCheckpoints,
  hostileLinks,
  hostileNpyFiles,
  hostileRunSpecs,
} from './adversarial/generators';
import { AdversarialTally, refusalProblem } from './adversarial/invariant';
import { fakeDigits } from './helpers/fake-run';
import { inProcessDatasetRegistry } from './helpers/in-process-data-worker';

const tally = new AdversarialTally();

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterAll(() => {
  console.log(tally.report('Adversarial suite (unit: parsers and validators)'));
});

/** Feeds every input to `accept`, which throws to refuse; records what the invariant says. */
async function feed<T>(
  entry: string,
  inputs: HostileInput<T>[],
  kinds: ReadonlyArray<abstract new (...args: never[]) => Error>,
  accept: (input: T) => unknown,
): Promise<string[]> {
  const failures: string[] = [];
  for (const { label, input, mustRefuse } of inputs) {
    let problem: string | null;
    try {
      await accept(input);
      problem = mustRefuse ? 'accepted' : null;
    } catch (error) {
      problem = refusalProblem(error, kinds);
    }
    tally.record(entry, problem === null);
    if (problem) failures.push(`${label}: ${problem}`);
  }
  return failures;
}

const BASE_SPECS: RunSpec[] = MODEL_KINDS.map((model) => ({
  model,
  preset: 'tiny',
  backend: 'cpu',
  data: { source: 'moving-mnist', seed: 3 },
  seed: 1,
}));

describe('run specs', () => {
  const manager = new RunManager(() => {
    throw new Error('no worker: nothing may be created');
  });

  it.each(BASE_SPECS.map((spec) => [spec.model, spec] as const))(
    '%s: every hostile spec is refused naming its field, before any worker',
    async (_model, base) => {
      expect(() => parseRunSpec(base)).not.toThrow();
      const inputs = hostileRunSpecs(base);
      const failures = await feed('run specs', inputs, [ConfigError], (spec) =>
        manager.checkRunSpec(spec),
      );
      expect(failures).toEqual([]);
      expect(manager.listRuns()).toEqual([]);
    },
  );
});

describe('links', () => {
  it('every hostile link is refused naming the field, and nothing else is parsed', async () => {
    const failures = await feed('links', hostileLinks(BASE_SPECS[0]), [ConfigError], (link) =>
      decodeExperiment(link),
    );
    expect(failures).toEqual([]);
  });
});

describe('.npy files', () => {
  it('every hostile file or option is refused naming the file and the problem', async () => {
    const registry = inProcessDatasetRegistry();
    const failures = await feed(
      '.npy files',
      hostileNpyFiles(),
      [DataError, ConfigError, Error],
      async ({ bytes, options }) => {
        await registry.importNpy(new Blob([bytes as Uint8Array<ArrayBuffer>]), options);
      },
    );
    expect(failures).toEqual([]);
    // Only inputs that stayed valid became datasets.
    const accepted = registry.list().length;
    expect(accepted).toBeLessThanOrEqual(hostileNpyFiles().filter((i) => !i.mustRefuse).length);
  });
});

/**
 * What the app runs on a checkpoint, up to the first change to a run: header and metadata, the
 * run it describes, the whole file, the data stream at its position, and the model's checks.
 */
function checkpointPipeline(model: VideoModel, digits: MnistDigits, bytes: Uint8Array): void {
  const info = readCheckpointInfo(bytes);
  parseRunSpec(checkpointRunSpec(info.run));
  const checkpoint = decodeCheckpoint(bytes);
  planRestore({ run: checkpoint.run, model }, checkpoint, (data) => {
    const spec = data as MovingMnistDataSpec;
    const options = movingMnistOptionsFor(spec, model.data);
    return new MovingMnistStream(digits, options, model.data, spec.seed ?? 0);
  });
  model.importState(checkpoint.model);
}

describe('checkpoints', () => {
  const examples = ['lstm-composite-tiny', 'vgan-two-stream-tiny', 'rcnn-tiny'];
  // As many digits as MNIST's training set: the checkpoints' digit orders are permutations of it.
  const digits = fakeDigits(60_000);

  it.each(examples)(
    'every hostile file derived from the %s example is refused naming the problem',
    async (example) => {
      const base = new Uint8Array(readFileSync(`public/checkpoints/${example}.safetensors`));
      const { run } = readCheckpointInfo(base);
      const resolved = modelDefinition(run.model).restore(run.variant, run.preset, run.config);
      const model = (await resolved.builder())(0);
      try {
        expect(() => checkpointPipeline(model, digits, base)).not.toThrow();
        const failures = await feed(
          'checkpoints',
          hostileCheckpoints(base),
          [CheckpointError],
          (bytes) => checkpointPipeline(model, digits, bytes),
        );
        expect(failures).toEqual([]);
      } finally {
        model.dispose();
      }
    },
  );
});
