/**
 * Cases an adversarial pass found mishandled (issue 20), each pinned by a test: one seed rule in
 * specs, links and checkpoints with derived seeds that stay distinct; messages that quote only an
 * excerpt of hostile input; sensible advice for absurd `.npy` shapes; and messages that say which
 * type was expected and which was given.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeCheckpoint, readCheckpointInfo } from '../src/core/checkpoint/run-checkpoint';
import type { RunCheckpoint } from '../src/core/checkpoint/run-checkpoint';
import { MovingMnistGenerator } from '../src/core/data/moving-mnist';
import { encodeNpy, frameSetFromNpy } from '../src/core/data/npy';
import { resolveLstmConfig } from '../src/core/models/lstm/config';
import { LstmEncoderDecoder } from '../src/core/models/lstm/model';
import { MAX_QUOTE_CHARS, describeValue, quote } from '../src/core/quote';
import { MAX_SEED } from '../src/core/seed';
import { parseExperiment } from '../src/protocol/experiment';
import type { RunSpec } from '../src/protocol/messages';
import { parseRunSpec } from '../src/protocol/run-spec';
import type { DataEvent } from '../src/protocol/data-messages';
import { DataHandler } from '../src/runtime/data-handler';
import { FakeRun, fakeDigits } from './helpers/fake-run';
import { launchOf } from '../src/protocol/run-spec';

/** A message quotes at most an excerpt: the limit plus room for the sentence around it. */
const SHORT_MESSAGE = 600;

const LSTM_TINY: RunSpec = {
  model: 'lstm',
  preset: 'tiny',
  backend: 'cpu',
  config: { frameSize: 16, hiddenUnits: 8, inputFrames: 3, futureFrames: 3, batchSize: 2 },
  data: { source: 'moving-mnist', seed: 5, digitSize: 8, speed: 2 },
};

function checkpointWithSeeds(seed: number, dataSeed: number): Uint8Array {
  const checkpoint: RunCheckpoint = {
    run: {
      model: 'lstm',
      variant: 'composite',
      preset: 'tiny',
      config: resolveLstmConfig('composite', 'tiny') as unknown as Record<string, unknown>,
      data: { source: 'moving-mnist', seed: dataSeed },
      seed,
    },
    step: 0,
    model: { tensors: {}, meta: {} },
    data: { arrays: {}, meta: {} },
    history: [],
    createdAt: '',
    producer: 'test',
  };
  return encodeCheckpoint(checkpoint);
}

function accepts(check: () => unknown): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

describe('one seed rule: integers from 0 to 2^32 − 1, in specs, links and checkpoints', () => {
  const seeds = [0, 1, 42, MAX_SEED, MAX_SEED + 1, 2 ** 53, 1e20, 1e300, -1, 0.5, NaN, Infinity];

  it.each(seeds)('seed %s: specs, links and the checkpoint reader agree', (seed) => {
    const valid = Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED;
    const spec = { ...LSTM_TINY, seed };
    const dataSpec = { ...LSTM_TINY, data: { source: 'moving-mnist', seed } };
    expect(accepts(() => parseRunSpec(spec))).toBe(valid);
    expect(accepts(() => parseRunSpec(dataSpec))).toBe(valid);
    expect(accepts(() => parseExperiment({ v: 1, runs: [spec] }))).toBe(valid);
    if (Number.isFinite(seed)) {
      // JSON cannot carry NaN or Infinity, so a checkpoint holds finite numbers only.
      expect(accepts(() => readCheckpointInfo(checkpointWithSeeds(seed, 0)))).toBe(valid);
      expect(accepts(() => readCheckpointInfo(checkpointWithSeeds(0, seed)))).toBe(valid);
    }
  });

  it('says what a seed must be, and what was given', () => {
    for (const [seed, given] of [
      [1e20, '100000000000000000000'],
      [2 ** 53, '9007199254740992'],
      ['7', 'the string "7"'],
    ] as const) {
      expect(() => parseRunSpec({ ...LSTM_TINY, data: { source: 'moving-mnist', seed } })).toThrow(
        `data.seed must be an integer from 0 to ${MAX_SEED} (2^32 − 1) (got ${given})`,
      );
    }
    expect(() => readCheckpointInfo(checkpointWithSeeds(2 ** 53, 0))).toThrow(
      /Checkpoint metadata "seed": must be an integer from 0 to 4294967295/,
    );
    expect(() => new MovingMnistGenerator(fakeDigits().train, tinyOptions(), 2 ** 53)).toThrow(
      /data\.seed must be an integer from 0 to 4294967295/,
    );
  });

  it('derives distinct per-weight seeds from the largest seed', async () => {
    await tf.setBackend('cpu');
    const config = resolveLstmConfig('composite', 'tiny', { hiddenUnits: 8 });
    const model = new LstmEncoderDecoder(config, MAX_SEED);
    try {
      const peepholes = [...model.namedParameters()]
        .filter(([name]) => name.endsWith('.peephole'))
        .map(([, variable]) => Array.from(variable.dataSync()).join());
      expect(peepholes.length).toBeGreaterThanOrEqual(3); // encoder, reconstruction, future
      expect(new Set(peepholes).size).toBe(peepholes.length);
    } finally {
      model.dispose();
    }
  });
});

function tinyOptions() {
  return {
    digits: 1,
    canvasSize: 16,
    digitSize: 8,
    frames: 4,
    speed: 2,
    compositing: 'max' as const,
    bounce: 'reflect' as const,
    background: 'none' as const,
  };
}

describe('messages quote only an excerpt of hostile input', () => {
  it('quote and describeValue stay short and say the type', () => {
    const long = 'x'.repeat(1_000_000);
    expect(quote(long).length).toBeLessThan(MAX_QUOTE_CHARS + 40);
    expect(quote(long)).toContain('1,000,000 characters');
    expect(describeValue('0.1')).toBe('the string "0.1"');
    expect(describeValue(NaN)).toBe('NaN');
    expect(describeValue(-Infinity)).toBe('-Infinity');
    expect(describeValue([1, 2])).toBe('an array of 2 items');
    expect(describeValue({ a: 1 })).toBe('an object with key "a"');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('nothing (undefined)');
  });

  it('a .npy header of 4 MB of junk is refused in a short message, without reading it', async () => {
    const junk = 4 * 2 ** 20;
    const file = new Uint8Array(12 + junk).fill(0x41); // 'A'
    file.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
    new DataView(file.buffer).setUint32(8, junk, true);
    const reads: number[] = [];
    const answer = await readNpy(file, reads);
    expect(answer).toMatch(/"junk\.npy" has a damaged \.npy header: it claims 4,194,304 bytes/);
    expect(answer.length).toBeLessThan(SHORT_MESSAGE);
    expect(Math.max(...reads)).toBeLessThan(1024); // only the prefix was read
  });

  it('a short junk header is quoted as an excerpt', async () => {
    const dict = `{'descr': ${'"'.repeat(5000)}}`;
    const file = encodeNpy(new Uint8Array(4), [4]);
    const bytes = new Uint8Array(10 + dict.length);
    bytes.set(file.subarray(0, 10));
    new DataView(bytes.buffer).setUint16(8, dict.length, true);
    bytes.set(new TextEncoder().encode(dict), 10);
    const error = await frameSetFromNpy(bytes, 'TNHW', '"a.npy"').catch((e: Error) => e);
    expect(String(error)).toMatch(/damaged \.npy header .*\(5,\d{3} characters\)/);
    expect(String(error).length).toBeLessThan(SHORT_MESSAGE);
  });

  it('a megabyte-long key or value in a run spec or link is quoted as an excerpt', () => {
    const key = 'k'.repeat(2 ** 20);
    const cases: unknown[] = [
      { ...LSTM_TINY, [key]: 1 },
      { ...LSTM_TINY, model: key },
      { ...LSTM_TINY, config: { [key]: 1 } },
      { ...LSTM_TINY, config: { learningRate: key } },
      { ...LSTM_TINY, data: { source: key } },
      { ...LSTM_TINY, data: { source: 'moving-mnist', [key]: 1 } },
    ];
    for (const spec of cases) {
      let message = '';
      let field = '';
      try {
        parseExperiment({ v: 1, runs: [spec] });
      } catch (error) {
        message = (error as Error).message;
        field = (error as { field: string }).field;
      }
      expect(message).toMatch(/^Run 1: /);
      expect(message.length).toBeLessThan(SHORT_MESSAGE);
      expect(field.length).toBeLessThan(SHORT_MESSAGE);
    }
  });
});

/** Reads `bytes` as a .npy file through the data worker's handler; returns its message. */
async function readNpy(bytes: Uint8Array, reads: number[] = [], size = bytes.length) {
  const events: DataEvent[] = [];
  const handler = new DataHandler((event) => events.push(event), {
    openVideo: async () => {
      throw new Error('not needed');
    },
    loadMnist: async () => {
      throw new Error('not needed');
    },
    now: () => 0,
  });
  // A Blob-like file of `size` bytes whose first bytes are `bytes` (the rest is never read).
  const file = {
    size,
    slice: (start: number, end: number) => {
      reads.push(end - start);
      return new Blob([bytes.slice(start, Math.min(end, bytes.length))]);
    },
  } as unknown as Blob;
  await handler.handle({ type: 'read-npy', file, options: { name: 'junk.npy' }, requestId: 1 });
  const answer = events.at(-1);
  return answer?.type === 'failed' ? answer.message : 'accepted';
}

describe('.npy arrays of absurd shapes', () => {
  const withShape = (shape: string) => {
    const dict = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape}), }`;
    const padded = dict + ' '.repeat((64 - ((10 + dict.length + 1) % 64)) % 64) + '\n';
    const bytes = new Uint8Array(10 + padded.length + 64);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(bytes.buffer).setUint16(8, padded.length, true);
    bytes.set(new TextEncoder().encode(padded), 10);
    return bytes;
  };

  it('calls a shape no file can hold damaged, not "set count to at most 0"', async () => {
    const huge = 2 ** 53 - 1;
    const message = await readNpy(withShape(`${huge}, ${huge}, 64, 64`));
    expect(message).toMatch(
      /^"junk\.npy" is truncated or its header is damaged: its shape \(9007199254740991, 9007199254740991, 64, 64\) needs 3\.32 × 10\^35 bytes, but the file has 192 bytes\.$/,
    );
    expect(message).not.toMatch(/at most 0/);
  });

  it('advises shorter sequences when one sequence alone is over the limit', async () => {
    // A [T, N, H, W] = (200000, 1, 64, 64) array: the file claims to hold all of it (its bytes are never read).
    const message = await readNpy(withShape('200000, 1, 64, 64'), [], 2 ** 40);
    expect(message).toMatch(/Even one sequence \(200,000 frames of 64×64\) is 781 MB/);
    expect(message).not.toMatch(/at most 0/);
  });

  it('still advises a slice when some sequences fit', async () => {
    const message = await readNpy(withShape('20, 10000, 64, 64'), [], 2 ** 40);
    expect(message).toMatch(/set count to at most 6,553 sequences/);
  });
});

describe('type confusion: messages say what type was expected and what was given', () => {
  let run: FakeRun;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    run = new FakeRun();
    const reply = await run.send({ type: 'init', ...launchOf(LSTM_TINY) });
    if (!reply.ok) throw new Error(reply.error.message);
  });

  const refusal = async (command: Parameters<FakeRun['send']>[0]) => {
    const reply = await run.send(command);
    return reply.ok ? 'accepted' : reply.error.message;
  };

  it('a learning rate given as text, NaN or out of range', async () => {
    const values = (learningRate: unknown) => ({ learningRate }) as unknown as { lr: number };
    expect(await refusal({ type: 'set-hyperparameters', values: values('0.1') })).toBe(
      'learningRate must be a number (got the string "0.1")',
    );
    expect(await refusal({ type: 'set-hyperparameters', values: values(NaN) })).toBe(
      'learningRate must be a finite number (got NaN)',
    );
    expect(await refusal({ type: 'set-hyperparameters', values: values(5) })).toMatch(
      /^learningRate must be between .* and .* \(got 5\)$/,
    );
    expect(
      await refusal({ type: 'set-hyperparameters', values: 'fast' as unknown as { lr: number } }),
    ).toMatch(/hyperparameters must be an object .* \(got the string "fast"\)$/);
  });

  it('a step count given as text', async () => {
    expect(await refusal({ type: 'step', n: '5' as unknown as number })).toBe(
      'step count must be a positive integer (got the string "5")',
    );
  });

  it('config values and data options in a spec', () => {
    const message = (spec: unknown) => {
      try {
        parseRunSpec(spec);
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(message({ ...LSTM_TINY, config: { learningRate: '0.1' } })).toBe(
      'learningRate must be a number (got the string "0.1")',
    );
    expect(message({ ...LSTM_TINY, config: { reconstruct: 'yes' } })).toMatch(
      /(must be true or false \(got the string "yes"\))|Unknown config key/,
    );
    expect(message({ ...LSTM_TINY, data: { source: 'moving-mnist', digits: '2' } })).toBe(
      'data.digits must be an integer between 1 and 16 (got the string "2")',
    );
    expect(message({ ...LSTM_TINY, data: 'moving-mnist' })).toBe(
      'data must be an object (got the string "moving-mnist")',
    );
    expect(message('lstm')).toBe('The run spec must be an object (got the string "lstm")');
  });
});
