/**
 * Checkpoint files: what the app writes parses with an independent reader (layout, dtypes, shapes,
 * metadata, the weights themselves), the core codec round-trips, and every kind of bad file is
 * refused with a message naming the problem while the run keeps its state and keeps training.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../src/core/checkpoint/safetensors';
import { lstmModel } from '../src/core/models/lstm';
import type { LstmConfig } from '../src/core/models/lstm/config';
import { LstmEncoderDecoder } from '../src/core/models/lstm/model';
import type { RunSpec } from '../src/protocol/messages';
import { commandTransferables, transferablesOf } from '../src/protocol/messages';
import { FakeRun } from './helpers/fake-run';
import {
  dataOf,
  tensorBytes,
  editHeader,
  floatsOf,
  readSafetensors,
  writeRaw,
} from './helpers/safetensors-reader';
import { launchOf } from '../src/protocol/run-spec';

const LSTM_CONFIG = {
  frameSize: 16,
  hiddenUnits: 16,
  inputFrames: 4,
  futureFrames: 3,
  batchSize: 4,
  evalEvery: 100_000,
  sampleEvery: 100_000,
};
const LSTM: RunSpec = {
  model: 'lstm',
  variant: 'composite',
  preset: 'tiny',
  backend: 'cpu',
  seed: 3,
  config: LSTM_CONFIG,
  data: { source: 'moving-mnist', seed: 4, digitSize: 8, speed: 2 },
};

const runs: FakeRun[] = [];

async function ready(spec: RunSpec): Promise<FakeRun> {
  const run = new FakeRun();
  runs.push(run);
  const reply = await run.send({ type: 'init', ...launchOf(spec) });
  if (!reply.ok) throw new Error(reply.error.message);
  return run;
}

/** A copy of a file without one tensor (later tensors move up, offsets stay contiguous). */
function withoutTensor(bytes: Uint8Array, drop: string): Uint8Array {
  const { header, tensors } = readSafetensors(bytes);
  const kept = [...tensors]
    .filter(([name]) => name !== drop)
    .sort((a, b) => a[1].begin - b[1].begin);
  const out: Record<string, unknown> = { __metadata__: header.__metadata__ };
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of kept) {
    out[name] = {
      dtype: tensor.dtype,
      shape: tensor.shape,
      data_offsets: [offset, offset + tensor.bytes.length],
    };
    parts.push(tensor.bytes);
    offset += tensor.bytes.length;
  }
  const data = new Uint8Array(offset);
  let position = 0;
  for (const part of parts) {
    data.set(part, position);
    position += part.length;
  }
  return writeRaw(out, data);
}

/** A copy with an extra F32 tensor appended. */
function withExtraTensor(bytes: Uint8Array, name: string): Uint8Array {
  const { header } = readSafetensors(bytes);
  const data = dataOf(bytes);
  const extra = new Uint8Array(data.length + 8);
  extra.set(data);
  return writeRaw(
    {
      ...header,
      [name]: { dtype: 'F32', shape: [2], data_offsets: [data.length, data.length + 8] },
    },
    extra,
  );
}

function metadataJson(metadata: Record<string, string>, key: string): Record<string, unknown> {
  return JSON.parse(metadata[key]) as Record<string, unknown>;
}

let good: Uint8Array;
let vganBytes: Uint8Array;
let smallerLstm: Uint8Array;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const source = await ready(LSTM);
  await source.train(2);
  good = await source.exportCheckpoint();
  const vgan = await ready({
    model: 'vgan',
    preset: 'tiny',
    backend: 'cpu',
    config: { frameSize: 16, frames: 4, batchSize: 2, sampleEvery: 100_000 },
    data: { source: 'moving-mnist', digitSize: 8, speed: 2 },
  });
  vganBytes = await vgan.exportCheckpoint();
  const other = await ready({ ...LSTM, config: { ...LSTM_CONFIG, hiddenUnits: 8 } });
  smallerLstm = await other.exportCheckpoint();
});

afterAll(async () => {
  for (const run of runs.splice(0)) await run.send({ type: 'dispose' });
});

describe('the checkpoint file the app writes', () => {
  it('is valid safetensors: 8-byte aligned header, contiguous offsets, F32/I32 tensors, string metadata', () => {
    const file = readSafetensors(good);
    expect((8 + file.headerLength) % 8).toBe(0);
    expect(Object.keys(file.header)[0]).toBe('__metadata__');
    expect(Object.keys(file.metadata).sort()).toEqual(
      [
        'config',
        'created_at',
        'data_spec',
        'data_state',
        'format',
        'format_version',
        'history',
        'model',
        'model_state',
        'preset',
        'producer',
        'seed',
        'step',
        'variant',
      ].sort(),
    );
    expect(file.metadata).toMatchObject({
      format: 'video-model-playground.checkpoint',
      format_version: '1',
      model: 'lstm',
      variant: 'composite',
      preset: 'tiny',
      seed: '3',
      step: '2',
    });
    expect(Number.isNaN(Date.parse(file.metadata.created_at))).toBe(false);
    for (const tensor of file.tensors.values()) {
      expect(['F32', 'I32']).toContain(tensor.dtype);
      expect(tensor.begin % 4).toBe(0);
    }
  });

  it('has the documented tensor names and layouts, and the config, data spec and states in its metadata', () => {
    const { tensors, metadata } = readSafetensors(good);
    const u = 16;
    const p = 16 * 16;
    const shapes = Object.fromEntries([...tensors].map(([name, t]) => [name, t.shape]));
    expect(shapes).toMatchObject({
      'encoder.0.w': [4 * u, p + u], // gates i, f, a, o stacked; input columns first
      'encoder.0.peephole': [3 * u],
      'encoder.0.bias': [4 * u],
      'recon.0.w': [4 * u, u], // unconditioned decoder: recurrent weights only
      'recon.readout.w': [p, u],
      'recon.readout.b': [p],
      'future.0.w': [4 * u, u],
      'future.readout.w': [p, u],
      'optimizer.m.encoder.0.w': [4 * u, p + u],
      'optimizer.v.future.readout.b': [p],
      'data.digit_order': [32], // the fake digit set of the test has 32 images
    });
    expect(tensors.get('data.digit_order')!.dtype).toBe('I32');
    const config = metadataJson(metadata, 'config');
    expect(config).toEqual(lstmModel.resolveConfig('composite', 'tiny', LSTM_CONFIG));
    expect(metadataJson(metadata, 'data_spec')).toEqual({ ...LSTM.data, seed: 4 });
    const modelState = metadataJson(metadata, 'model_state');
    expect(modelState).toMatchObject({
      optimizer: 'adam',
      hyperparameters: { learningRate: 2e-3 },
    });
    const counters = modelState.counters as { beta1Power: number; beta2Power: number };
    expect(counters.beta1Power).toBeCloseTo(0.9 ** 2, 12); // two Adam steps taken
    expect(counters.beta2Power).toBeCloseTo(0.999 ** 2, 12);
    const history = metadataJson(metadata, 'history') as { names: string[]; points: number[][] };
    expect(history.names.sort()).toEqual(['future_loss', 'loss', 'recon_loss']);
    expect(history.points.map((row) => row[0])).toEqual([1, 2]); // [step, wallMs, …values]
    const dataState = metadataJson(metadata, 'data_state');
    expect(Object.keys(dataState).sort()).toEqual([
      'cursor',
      'motionRng',
      'orderRng',
      'textureRng',
    ]);
  });

  it('holds the model weights: a fresh model from the same config and seed has them before training', async () => {
    const fresh = await ready(LSTM);
    const bytes = await fresh.exportCheckpoint();
    const { tensors } = readSafetensors(bytes);
    const config: LstmConfig = lstmModel.resolveConfig('composite', 'tiny', LSTM_CONFIG);
    const model = new LstmEncoderDecoder(config, 3);
    try {
      const params = model.namedParameters();
      expect(params.size).toBeGreaterThan(0);
      for (const [name, variable] of params) {
        expect(Array.from(floatsOf(tensors.get(name)!))).toEqual(Array.from(variable.dataSync()));
      }
      // Only weights, optimiser slots and the digit order are stored.
      const others = [...tensors.keys()].filter((name) => !params.has(name));
      expect(
        others.every((name) => name.startsWith('optimizer.') || name === 'data.digit_order'),
      ).toBe(true);
    } finally {
      model.dispose();
    }
  });
});

describe('the worker protocol', () => {
  it('transfers the checkpoint buffer in the export reply and in the import command', async () => {
    const run = await ready(LSTM);
    const reply = await run.send({ type: 'export-checkpoint' });
    if (!reply.ok || reply.value?.type !== 'checkpoint') throw new Error('no checkpoint');
    expect(run.transfers.get(reply)).toEqual([reply.value.bytes]);
    expect(transferablesOf(reply)).toEqual([reply.value.bytes]);
    const bytes = new ArrayBuffer(8);
    expect(commandTransferables({ type: 'import-checkpoint', bytes })).toEqual([bytes]);
    expect(commandTransferables({ type: 'start' })).toEqual([]);
  });
});

describe('the safetensors codec', () => {
  it('round-trips every dtype, empty and scalar tensors, and metadata', () => {
    const tensors = {
      a: {
        dtype: 'F32' as const,
        shape: [2, 3],
        data: Float32Array.from([1, -2, 3.5, NaN, Infinity, 0]),
      },
      b: { dtype: 'I32' as const, shape: [3], data: Int32Array.from([-1, 0, 2 ** 31 - 1]) },
      c: { dtype: 'U8' as const, shape: [5], data: Uint8Array.from([0, 1, 2, 254, 255]) },
      d: { dtype: 'U32' as const, shape: [], data: Uint32Array.from([2 ** 32 - 1]) },
      e: { dtype: 'F32' as const, shape: [0, 4], data: new Float32Array(0) },
    };
    const bytes = encodeSafetensors(tensors, { note: 'ünïcode ✓' });
    const independent = readSafetensors(bytes);
    expect(independent.metadata).toEqual({ note: 'ünïcode ✓' });
    expect(independent.tensors.get('c')!.begin).toBeGreaterThanOrEqual(
      independent.tensors.get('a')!.end,
    );
    const decoded = decodeSafetensors(bytes);
    for (const [name, tensor] of Object.entries(tensors)) {
      expect(decoded.tensors.get(name)).toEqual(tensor);
    }
  });
});

describe('a bad checkpoint file is refused with a clear message and changes nothing', () => {
  const png = Uint8Array.from([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82,
  ]);
  const brokenJson = () => {
    const json = new TextEncoder().encode('{"a": [1, 2');
    const out = new Uint8Array(8 + json.length);
    new DataView(out.buffer).setUint32(0, json.length, true);
    out.set(json, 8);
    return out;
  };
  const header = (edit: Parameters<typeof editHeader>[1]) => () => editHeader(good, edit);
  const metadata = (key: string, value: string | undefined) =>
    header((_, meta) => {
      if (value === undefined) delete meta[key];
      else meta[key] = value;
    });
  const cases: { name: string; file: () => Uint8Array; message: RegExp }[] = [
    {
      name: 'an empty file',
      file: () => new Uint8Array(0),
      message: /not a safetensors file: 0 bytes/,
    },
    { name: 'a PNG image', file: () => png, message: /not a safetensors file/ },
    {
      name: 'a truncated header',
      file: () => good.slice(0, 64),
      message: /truncated: its header needs/,
    },
    {
      name: 'truncated tensor data',
      file: () => good.slice(0, good.length - 100),
      message: /truncated: its tensors need/,
    },
    {
      name: 'trailing bytes',
      file: () => Uint8Array.from([...good, 1, 2, 3]),
      message: /3 bytes follow the last tensor/,
    },
    { name: 'a header that is not JSON', file: brokenJson, message: /not valid UTF-8 JSON/ },
    {
      name: 'overlapping data offsets',
      file: header((h) => {
        const entry = h['encoder.0.bias'] as { data_offsets: number[] };
        entry.data_offsets = entry.data_offsets.map((o) => o - 4);
      }),
      message: /data offsets must be contiguous/,
    },
    {
      name: 'a byte length that does not fit the dtype and shape',
      file: header((h) => {
        (h['encoder.0.bias'] as { dtype: string }).dtype = 'F64';
      }),
      message: /"encoder.0.bias" \(F64 \[64\]\) needs 512 bytes but its data_offsets span 256/,
    },
    {
      name: 'a dtype the app does not read',
      file: header((h) => {
        Object.assign(h['encoder.0.bias'] as object, { dtype: 'F16', shape: [128] });
      }),
      message: /Tensor "encoder.0.bias" has dtype F16/,
    },
    {
      name: 'safetensors without checkpoint metadata',
      file: metadata('format', undefined),
      message: /not a Video Model Playground checkpoint/,
    },
    {
      name: 'a future format version',
      file: metadata('format_version', '2'),
      message: /format version 2, but this app reads version 1/,
    },
    {
      name: 'another model',
      file: () => vganBytes,
      message: /for model "vgan", but this run is "lstm"/,
    },
    {
      name: 'a model this build lacks',
      file: metadata('model', 'transformer'),
      message: /model "transformer", which this app does not have/,
    },
    {
      name: 'an unknown variant',
      file: metadata('variant', 'bogus'),
      message: /"variant": "bogus" is not a lstm variant/,
    },
    {
      name: 'metadata that is not JSON',
      file: metadata('config', '{'),
      message: /"config": not valid JSON/,
    },
    {
      name: 'an invalid config value',
      file: () => {
        const meta = readSafetensors(good).metadata;
        const config = { ...metadataJson(meta, 'config'), hiddenUnits: -1 };
        return editHeader(good, (_, m) => (m.config = JSON.stringify(config)));
      },
      message: /"config": hiddenUnits must be between 1 and 4096/,
    },
    {
      name: 'malformed loss history',
      file: metadata('history', JSON.stringify({ names: ['loss'], points: [[1, 0]] })),
      message: /"history": must be/,
    },
    {
      name: 'a bad step',
      file: metadata('step', 'ten'),
      message: /"step": must be a non-negative integer/,
    },
    {
      name: 'a bad data spec',
      file: metadata(
        'data_spec',
        JSON.stringify({ source: 'moving-mnist', seed: 1, colour: 'red' }),
      ),
      message: /"data_spec": Unknown Moving MNIST option "colour"/,
    },
    {
      name: 'another config of the same model',
      file: () => smallerLstm,
      message: /does not match this run \(hiddenUnits is 16 here, 8 in the checkpoint\)/,
    },
    {
      name: 'a shape mismatch',
      file: header((h) => {
        (h['encoder.0.w'] as { shape: number[] }).shape = [272, 64]; // same bytes, transposed
      }),
      message:
        /Tensor "encoder.0.w" has shape \[272, 64\] in the checkpoint but \[64, 272\] in this LSTM model/,
    },
    {
      name: 'a missing tensor',
      file: () => withoutTensor(good, 'optimizer.m.encoder.0.w'),
      message: /no tensor "optimizer.m.encoder.0.w"/,
    },
    {
      name: 'an extra tensor',
      file: () => withExtraTensor(good, 'extra.w'),
      message: /a tensor "extra.w" that this LSTM model does not have/,
    },
    {
      name: 'a digit order that is not a permutation',
      file: () => {
        const copy = good.slice();
        const order = readSafetensors(copy).tensors.get('data.digit_order')!;
        order.bytes.set(order.bytes.subarray(4, 8), 0); // first index = second index
        return copy;
      },
      message: /digit order is not a permutation/,
    },
    {
      name: 'a bad optimiser counter',
      file: () => {
        const meta = readSafetensors(good).metadata;
        const state = metadataJson(meta, 'model_state');
        const bad = { ...state, counters: { beta1Power: 'x', beta2Power: 0.5 } };
        return editHeader(good, (_, m) => (m.model_state = JSON.stringify(bad)));
      },
      message: /"beta1Power" must be a number/,
    },
    {
      name: 'a saved hyperparameter out of range',
      file: () => {
        const state = metadataJson(readSafetensors(good).metadata, 'model_state');
        const hyper = { ...(state.hyperparameters as object), learningRate: 50 };
        return editHeader(
          good,
          (_, m) => (m.model_state = JSON.stringify({ ...state, hyperparameters: hyper })),
        );
      },
      message: /Saved hyperparameter: learningRate must be between/,
    },
  ];

  it.each(cases)('$name', async ({ file, message }) => {
    const run = await ready(LSTM);
    await run.train(1);
    const before = tensorBytes(await run.exportCheckpoint());
    const eventsBefore = run.events.length;
    const bytes = file();
    const reply = await run.send({ type: 'import-checkpoint', bytes: bytes.slice().buffer });
    expect(reply.ok).toBe(false);
    if (reply.ok) return;
    expect(reply.error.code).toBe('invalid-checkpoint');
    expect(reply.error.message).toMatch(message);
    // Nothing happened to the run: no events but the reply, the same state, still training.
    expect(run.events.slice(eventsBefore).map((e) => e.type)).toEqual(['reply']);
    expect(run.lastStatus()).toBe('paused');
    expect(tensorBytes(await run.exportCheckpoint())).toEqual(before);
    await run.train(1);
    expect(run.of('error')).toEqual([]);
    await run.send({ type: 'dispose' });
  });

  it('the good file itself is accepted by a run of the same config', async () => {
    const run = await ready(LSTM);
    expect(await run.send({ type: 'import-checkpoint', bytes: good.slice().buffer })).toMatchObject(
      { ok: true },
    );
    expect(tensorBytes(await run.exportCheckpoint())).toEqual(tensorBytes(good));
  });
});
