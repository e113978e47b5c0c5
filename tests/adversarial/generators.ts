/**
 * Hostile inputs for each entry point of the app (issue 20): run specs, experiment links, `.npy`
 * files and checkpoint files. Deterministic (a fixed seed), so a failure names an input that
 * comes back on the next run. The unit suite (tests/adversarial.test.ts) feeds all of them to the
 * parsers and validators; the browser suite (e2e/adversarial.spec.ts) feeds a sample through the
 * UI and `window.playground`.
 *
 * Each input says whether it must be refused. A few (random byte flips) may still be valid; for
 * those, accepting is as right as refusing, as long as nothing crashes.
 */
import { encodeSafetensors, decodeSafetensors } from '../../src/core/checkpoint/safetensors';
import type { SafetensorsTensor } from '../../src/core/checkpoint/safetensors';
import { SeededRandom } from '../../src/core/data/random';
import type { ConfigField } from '../../src/core/models/config-schema';
import { modelDefinition } from '../../src/core/models/registry';
import { MAX_SEED } from '../../src/core/seed';
import { EXPERIMENT_HASH_KEY, MAX_EXPERIMENT_CHARS } from '../../src/protocol/experiment';
import type { RunSpec } from '../../src/protocol/messages';

export interface HostileInput<T> {
  label: string;
  input: T;
  /** False for inputs that may happen to stay valid (random flips): accepting them is fine. */
  mustRefuse: boolean;
}

const refuse = <T>(label: string, input: T): HostileInput<T> => ({
  label,
  input,
  mustRefuse: true,
});

const MEGABYTE_KEY = 'k'.repeat(2 ** 20);
const LONG_TEXT = 'x'.repeat(100_000);

/** Values of the wrong type or out of every sensible range, for any field. */
const WRONG_TYPES: readonly [string, unknown][] = [
  ['null', null],
  ['a string', 'x'],
  ['a numeric string', '1'],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['an array', [1]],
  ['an object', { a: 1 }],
  ['a boolean', true],
  ['a long string', LONG_TEXT],
];

/** Values a config field of this kind refuses. */
function badValues(field: ConfigField): [string, unknown][] {
  switch (field.kind) {
    case 'int':
    case 'float': {
      const bad = WRONG_TYPES.filter(([, value]) => typeof value !== 'number' || !isFinite(value));
      bad.push(['below its minimum', field.min - Math.max(1, Math.abs(field.min))]);
      bad.push(['above its maximum', field.max + Math.max(1, Math.abs(field.max))]);
      if (field.kind === 'int') bad.push(['a fraction', field.min + 0.5]);
      return bad;
    }
    case 'boolean':
      return WRONG_TYPES.filter(([, value]) => typeof value !== 'boolean').concat([['1', 1]]);
    case 'choice':
      return WRONG_TYPES.concat([['an unknown option', 'no-such-option']]);
  }
}

/** Seeds outside the one rule (core/seed.ts). */
export const BAD_SEEDS: readonly [string, unknown][] = [
  ['-1', -1],
  ['0.5', 0.5],
  ['2^32', MAX_SEED + 1],
  ['2^53', 2 ** 53],
  ['1e20', 1e20],
  ['1e300', 1e300],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['"7"', '7'],
  ['null', null],
  ['true', true],
  ['[]', []],
];

/** Run specs: every field of `base` with wrong types and values, unknown keys, non-objects. */
export function hostileRunSpecs(base: RunSpec): HostileInput<unknown>[] {
  const inputs: HostileInput<unknown>[] = [];
  const spec = (label: string, patch: Record<string, unknown>) =>
    inputs.push(refuse(label, { ...base, ...patch }));
  for (const [label, value] of [
    ['null', null],
    ['a string', 'lstm'],
    ['a number', 42],
    ['an array', [base]],
    ['a boolean', true],
  ] as const) {
    inputs.push(refuse(`spec is ${label}`, value));
  }
  spec('an unknown key', { extra: 1 });
  spec('a megabyte-long key', { [MEGABYTE_KEY]: 1 });
  inputs.push(refuse('a "__proto__" key', { ...base, ...JSON.parse('{"__proto__": {"x": 1}}') }));
  spec('a "constructor" key', { constructor: 'x' });
  for (const [label, value] of [
    ...WRONG_TYPES,
    ['an unknown model', 'convgru'],
    ['LSTM', 'LSTM'],
    ['"__proto__"', '__proto__'],
    ['"toString"', 'toString'],
    ['"constructor"', 'constructor'],
  ])
    spec(`model is ${label}`, { model: value });
  for (const key of ['variant', 'preset', 'backend'] as const) {
    for (const [label, value] of [...WRONG_TYPES, ['unknown', 'no-such']]) {
      spec(`${key} is ${label}`, { [key]: value });
    }
  }
  for (const [label, value] of BAD_SEEDS) spec(`seed is ${label}`, { seed: value });

  const entry = modelDefinition(base.model);
  for (const [label, value] of [
    ['a string', 'x'],
    ['an array', []],
    ['null', null],
    ['7', 7],
  ])
    spec(`config is ${label}`, { config: value });
  spec('an unknown config key', { config: { ...base.config, noSuchKey: 1 } });
  spec('a megabyte-long config key', { config: { [MEGABYTE_KEY]: 1 } });
  for (const field of entry.schema) {
    for (const [label, value] of badValues(field)) {
      spec(`config.${field.key} is ${label}`, { config: { ...base.config, [field.key]: value } });
    }
  }

  const data = (label: string, value: unknown) => spec(`data ${label}`, { data: value });
  for (const [label, value] of [
    ['a string', 'moving-mnist'],
    ['an array', []],
    ['null', null],
  ])
    data(`is ${label}`, value);
  for (const [label, value] of [...WRONG_TYPES, ['unknown', 'youtube']])
    data(`source is ${label}`, { source: value });
  const mnist = (label: string, patch: Record<string, unknown>) =>
    data(label, { source: 'moving-mnist', ...patch });
  mnist('has an unknown option', { colour: 'red' });
  mnist('has a megabyte-long option', { [MEGABYTE_KEY]: 1 });
  for (const [label, value] of BAD_SEEDS) mnist(`seed is ${label}`, { seed: value });
  for (const [key, values] of [
    ['digits', [0, 17, 2.5, '2', null, NaN]],
    ['speed', [-1, 1e9, NaN, Infinity, '3', null]],
    ['digitSize', [0, 2000, 1.5, '14', null]],
    ['frames', [1, 0, 1001, 2.5, '20', null]],
    ['canvasSize', [7, 1025, 33, 64.5, '32', null]],
    ['compositing', ['avg', 1, null, LONG_TEXT]],
    ['bounce', ['wrap', 0, null]],
    ['background', ['noise', false, null]],
  ] as const) {
    for (const value of values)
      mnist(`${key} is ${JSON.stringify(value)?.slice(0, 20)}`, { [key]: value });
  }
  mnist('digits as large as the canvas', { digitSize: 999 });
  mnist('speed faster than the free range', { digitSize: 8, speed: 500 });
  const video = (label: string, patch: Record<string, unknown>) =>
    data(label, { source: 'video', datasetId: 'ds-1', ...patch });
  video('has an unknown option', { fps: 10 });
  for (const [label, value] of [
    ['empty', ''],
    ['a number', 1],
    ['null', null],
    ['an array', []],
  ])
    data(`datasetId is ${label}`, { source: 'video', datasetId: value });
  data('has no datasetId', { source: 'video' });
  for (const [label, value] of BAD_SEEDS) video(`seed is ${label}`, { seed: value });
  for (const value of [0, -1, 1.5, '2', null, NaN]) {
    video(`clipStride is ${String(value)}`, { clipStride: value });
  }
  for (const value of [0, 0.6, -0.1, NaN, '0.1', null]) {
    video(`heldOutFraction is ${String(value)}`, { heldOutFraction: value });
  }
  return inputs;
}

function base64Url(text: string | Uint8Array): string {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A link (hash form) whose experiment is `json` as text. */
export function linkOf(json: string): string {
  return `#${EXPERIMENT_HASH_KEY}=${base64Url(json)}`;
}

/**
 * Experiment links: broken encodings, documents of the wrong shape, and valid documents with one
 * hostile run among valid ones (every `specSample`-th hostile spec).
 */
export function hostileLinks(base: RunSpec, specSample = 4): HostileInput<string>[] {
  const valid = JSON.stringify(base);
  const links: HostileInput<string>[] = [
    refuse('empty', ''),
    refuse('a plain URL', 'http://127.0.0.1/'),
    refuse('an empty experiment', `#${EXPERIMENT_HASH_KEY}=`),
    refuse('characters outside base64url', `#${EXPERIMENT_HASH_KEY}=!!!***`),
    refuse('bad base64 padding', `#${EXPERIMENT_HASH_KEY}=A`),
    refuse('too long', `#${EXPERIMENT_HASH_KEY}=${'A'.repeat(MAX_EXPERIMENT_CHARS + 4)}`),
    refuse('not UTF-8', `#${EXPERIMENT_HASH_KEY}=${base64Url(new Uint8Array([0xff, 0xfe, 0x80]))}`),
    refuse('not JSON', linkOf('{"v":1,"runs":[')),
    refuse('JSON null', linkOf('null')),
    refuse('a JSON array', linkOf(`[${valid}]`)),
    refuse('a JSON string', linkOf('"exp"')),
    refuse('deeply nested arrays', linkOf('['.repeat(5000) + ']'.repeat(5000))),
    refuse('no version', linkOf(`{"runs":[${valid}]}`)),
    refuse('a newer version', linkOf(`{"v":2,"runs":[${valid}]}`)),
    refuse('version as text', linkOf(`{"v":"1","runs":[${valid}]}`)),
    refuse('version 1e300', linkOf(`{"v":1e300,"runs":[${valid}]}`)),
    refuse('an unknown key', linkOf(`{"v":1,"runs":[${valid}],"autoplay":true}`)),
    refuse('a long unknown key', linkOf(`{"v":1,"runs":[${valid}],"${'k'.repeat(5000)}":1}`)),
    refuse('no runs', linkOf('{"v":1}')),
    refuse('empty runs', linkOf('{"v":1,"runs":[]}')),
    refuse('runs as an object', linkOf(`{"v":1,"runs":{"0":${valid}}}`)),
    refuse('nine runs', linkOf(`{"v":1,"runs":[${Array(9).fill(valid).join(',')}]}`)),
    refuse('start as text', linkOf(`{"v":1,"runs":[${valid}],"start":"yes"}`)),
    refuse(
      'a run whose data does not fit its model (issue 20)',
      linkOf(`{"v":1,"runs":[${valid},{"model":"lstm","preset":"tiny","data":{"frames":1}}]}`),
    ),
    refuse(
      'a run with seed 1e300',
      linkOf(`{"v":1,"runs":[${valid},${JSON.stringify({ ...base, seed: 1e300 })}]}`),
    ),
  ];
  hostileRunSpecs(base).forEach((spec, i) => {
    if (i % specSample !== 0) return;
    const json = JSON.stringify(spec.input);
    // JSON turns NaN and Infinity into null and drops undefined: only specs that survive it.
    if (json === undefined || json.length > MAX_EXPERIMENT_CHARS / 2) return;
    links.push(refuse(`runs[1]: ${spec.label}`, linkOf(`{"v":1,"runs":[${valid},${json}]}`)));
  });
  return links;
}

// --- .npy files --------------------------------------------------------------------------------

export interface NpyCase {
  bytes: Uint8Array;
  options: Record<string, unknown>;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** A .npy file of version `major` with the given header text and `dataBytes` bytes of data. */
export function npyBytes(header: string, dataBytes = 0, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const unpadded = prefix + header.length + 1;
  const text = header + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const encoded = new TextEncoder().encode(text);
  const out = new Uint8Array(prefix + encoded.length + dataBytes);
  out.set(MAGIC);
  out[6] = major;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, encoded.length, true);
  else view.setUint32(8, encoded.length, true);
  out.set(encoded, prefix);
  for (let i = prefix + encoded.length; i < out.length; i++) out[i] = i % 251;
  return out;
}

const dict = (shape: string, descr = "'|u1'", fortran = 'False') =>
  `{'descr': ${descr}, 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

/** A valid [T, N, H, W] = (4, 3, 8, 8) array: the base of the option cases. */
export const VALID_NPY = npyBytes(dict('(4, 3, 8, 8)'), 4 * 3 * 8 * 8);

const labelsFile = (bytes: Uint8Array) => new Blob([bytes as Uint8Array<ArrayBuffer>]);

/**
 * `.npy` files and import options: damaged headers, absurd shapes, wrong dtypes, bad options,
 * and labels of the wrong type, count or dtype.
 */
export function hostileNpyFiles(seed = 20): HostileInput<NpyCase>[] {
  const file = (label: string, bytes: Uint8Array, options: Record<string, unknown> = {}) =>
    refuse(label, { bytes, options });
  const inputs = [
    file('empty', new Uint8Array(0)),
    file('one byte', new Uint8Array([0x93])),
    file('the magic alone', new Uint8Array(MAGIC)),
    file('a PNG', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])),
    file('text', new TextEncoder().encode('hello, this is not an array\n'.repeat(10))),
    file('version 0', npyBytes(dict('(4, 3, 8, 8)'), 768, 0)),
    file('version 4', npyBytes(dict('(4, 3, 8, 8)'), 768, 4)),
    file('version 255', npyBytes(dict('(4, 3, 8, 8)'), 768, 255)),
    file('a header cut off', VALID_NPY.subarray(0, 40)),
    file('data cut off', VALID_NPY.subarray(0, VALID_NPY.length - 1)),
    file(
      'a v2 header claiming 4 GB',
      (() => {
        const bytes = npyBytes(dict('(4, 3, 8, 8)'), 768, 2);
        new DataView(bytes.buffer).setUint32(8, 0xffffffff, true);
        return bytes;
      })(),
    ),
    file(
      'a v2 header of 4 MB of junk',
      (() => {
        const junk = 4 * 2 ** 20;
        const bytes = new Uint8Array(12 + junk).fill(0x41);
        bytes.set(MAGIC);
        bytes[6] = 2;
        new DataView(bytes.buffer).setUint32(8, junk, true);
        return bytes;
      })(),
    ),
    file('a junk header of 9 KB', npyBytes('"'.repeat(9000))),
    file('no descr', npyBytes("{'fortran_order': False, 'shape': (4, 3, 8, 8), }", 768)),
    file('no shape', npyBytes("{'descr': '|u1', 'fortran_order': False, }", 768)),
    file('float32', npyBytes(dict('(4, 3, 8, 8)', "'<f4'"), 3072)),
    file('bool', npyBytes(dict('(4, 3, 8, 8)', "'|b1'"), 768)),
    file('a structured dtype', npyBytes(dict('(4, 3, 8, 8)', "[('a', '<u1')]"), 768)),
    file('a long dtype name', npyBytes(dict('(4, 3, 8, 8)', `'${'u'.repeat(5000)}'`), 768)),
    file('Fortran order', npyBytes(dict('(4, 3, 8, 8)', "'|u1'", 'True'), 768)),
    file('fortran_order as text', npyBytes(dict('(4, 3, 8, 8)', "'|u1'", "'no'"), 768)),
    file('a scalar', npyBytes(dict('()'), 1)),
    file('1-D', npyBytes(dict('(768,)'), 768)),
    file('2-D', npyBytes(dict('(24, 32)'), 768)),
    file('6-D', npyBytes(dict('(1, 4, 3, 8, 8, 1)'), 768)),
    file('2 channels', npyBytes(dict('(4, 3, 8, 8, 2)'), 1536)),
    file('an empty axis', npyBytes(dict('(4, 0, 8, 8)'), 0)),
    file('a negative axis', npyBytes(dict('(4, -3, 8, 8)'), 768)),
    file('a fractional axis', npyBytes(dict('(4, 3.5, 8, 8)'), 768)),
    file('an axis as text', npyBytes(dict("(4, 'three', 8, 8)"), 768)),
    file('an axis of 2^53', npyBytes(dict(`(${2 ** 53}, 3, 8, 8)`), 768)),
    file(
      'absurd axes (2^53 − 1)²',
      npyBytes(dict(`(${2 ** 53 - 1}, ${2 ** 53 - 1}, 64, 64)`), 768),
    ),
    file('a thousand axes', npyBytes(dict(`(${Array(1000).fill(1).join(', ')})`), 1)),
    file('more data promised than present', npyBytes(dict('(400, 3, 8, 8)'), 768)),
  ];
  for (const [label, options] of [
    ['layout XYZ', { layout: 'XYZ' }],
    ['layout as a number', { layout: 1 }],
    ['offset -1', { offset: -1 }],
    ['offset past the end', { offset: 3 }],
    ['offset 0.5', { offset: 0.5 }],
    ['offset as text', { offset: '1' }],
    ['count 0', { count: 0 }],
    ['count past the end', { count: 4 }],
    ['count NaN', { count: NaN }],
    ['count 1e9', { count: 1e9 }],
    ['name as a number', { name: 7 }],
    ['clipLength 0', { clipLength: 0 }],
    ['labels as a number', { labels: 3 }],
    ['labels of numbers', { labels: [1, 2, 3] }],
    ['two labels for three sequences', { labels: ['a', 'b'] }],
    ['labels text of four lines', { labels: labelsFile(new TextEncoder().encode('a\nb\nc\nd\n')) }],
    ['an empty labels file', { labels: labelsFile(new Uint8Array(0)) }],
    ['a labels file of binary junk', { labels: labelsFile(new Uint8Array([0x89, 0x50, 0, 0xff])) }],
    ['float64 labels', { labels: labelsFile(npyBytes(dict('(3,)', "'<f8'"), 24)) }],
    ['2-D labels', { labels: labelsFile(npyBytes(dict('(3, 1)', "'<i8'"), 24)) }],
    ['labels cut off', { labels: labelsFile(npyBytes(dict('(3,)', "'<i8'"), 16)) }],
    ['unicode labels beyond U+10FFFF', { labels: labelsFile(npyBytes(dict('(3,)', "'<U1'"), 12)) }],
  ] as const) {
    inputs.push(file(`option ${label}`, VALID_NPY, options));
  }
  // Random flips in a valid file's header: most break it, a few leave it valid.
  const random = new SeededRandom(seed);
  const headerEnd = 10 + new DataView(VALID_NPY.buffer).getUint16(8, true);
  for (let i = 0; i < 12; i++) {
    const bytes = VALID_NPY.slice();
    const at = random.int(headerEnd);
    bytes[at] ^= 1 << random.int(8);
    inputs.push({
      label: `header bit flip ${i} (byte ${at})`,
      input: { bytes, options: {} },
      mustRefuse: false,
    });
  }
  return inputs;
}

// --- checkpoint files ---------------------------------------------------------------------------

interface RawHeader {
  header: Record<string, unknown>;
  data: Uint8Array;
}

/** The header and data buffer of a safetensors file, read without any checks. */
function rawParts(bytes: Uint8Array): RawHeader {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  return { header, data: bytes.subarray(8 + length) };
}

/** A file of `header` (as JSON, unchecked) and `data`. */
function rawFile(header: unknown, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function withMetadata(base: Uint8Array, edit: (metadata: Record<string, string>) => void) {
  const { header, data } = rawParts(base);
  const copy = structuredClone(header);
  edit(copy.__metadata__ as Record<string, string>);
  return rawFile(copy, data);
}

function withEntry(base: Uint8Array, name: string, edit: (entry: Record<string, unknown>) => void) {
  const { header, data } = rawParts(base);
  const copy = structuredClone(header);
  edit(copy[name] as Record<string, unknown>);
  return rawFile(copy, data);
}

/** Re-encoded (a valid layout) with the tensors changed by `edit`. */
function withTensors(
  base: Uint8Array,
  edit: (tensors: Map<string, SafetensorsTensor>) => void,
): Uint8Array {
  const file = decodeSafetensors(base);
  edit(file.tensors);
  return encodeSafetensors(Object.fromEntries(file.tensors), file.metadata);
}

function withValue(base: Uint8Array, name: string, index: number, value: number) {
  return withTensors(base, (tensors) => {
    const tensor = tensors.get(name) as SafetensorsTensor;
    const data = tensor.data.slice();
    data[Math.min(index, data.length - 1)] = value;
    tensors.set(name, { ...tensor, data });
  });
}

/**
 * Checkpoint files derived from a valid one: wrong layouts, truncations, every metadata field
 * missing or wrong, tensors of the wrong dtype, shape or name, non-finite weights and optimiser
 * state, and random flips (which may stay valid).
 */
export function hostileCheckpoints(base: Uint8Array, seed = 20): HostileInput<Uint8Array>[] {
  const inputs: HostileInput<Uint8Array>[] = [];
  const file = (label: string, bytes: Uint8Array) => inputs.push(refuse(label, bytes));
  const maybe = (label: string, bytes: Uint8Array) =>
    inputs.push({ label, input: bytes, mustRefuse: false });
  const { header } = rawParts(base);
  const metadata = header.__metadata__ as Record<string, string>;
  const names = Object.keys(header).filter((name) => name !== '__metadata__');
  const floatNames = names.filter((name) => (header[name] as { dtype: string }).dtype === 'F32');
  const weight = floatNames.find(
    (name) => !name.startsWith('optimizer.') && !name.startsWith('state.'),
  ) as string;
  const moment = floatNames.find((name) => name.startsWith('optimizer.')) ?? weight;
  const headerLength = 8 + Number(new DataView(base.buffer, base.byteOffset).getBigUint64(0, true));

  file('empty', new Uint8Array(0));
  file('7 bytes', base.subarray(0, 7));
  file('the length field alone', base.subarray(0, 8));
  file(
    'a PNG',
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0]),
  );
  file('text', new TextEncoder().encode('{"not": "a checkpoint"}'));
  file('an .npy file', VALID_NPY);
  file('cut in the header', base.subarray(0, Math.floor(headerLength / 2)));
  file('cut after the header', base.subarray(0, headerLength));
  file(
    'cut in the data',
    base.subarray(0, headerLength + Math.floor((base.length - headerLength) / 2)),
  );
  file('the last byte missing', base.subarray(0, base.length - 1));
  file('a byte too many', new Uint8Array([...base, 0]));
  for (const [label, length] of [
    ['0', 0n],
    ['2^40', 2n ** 40n],
    ['past the end', BigInt(base.length)],
    ['one less', BigInt(headerLength - 9)],
  ] as const) {
    const bytes = base.slice();
    new DataView(bytes.buffer).setBigUint64(0, length, true);
    file(`header length ${label}`, bytes);
  }
  maybe(
    'a header padded with 4 MB of spaces (valid: the format allows padding)',
    (() => {
      const { data } = rawParts(base);
      const json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(4 * 2 ** 20));
      const out = new Uint8Array(8 + json.length + data.length);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      out.set(data, 8 + json.length);
      return out;
    })(),
  );
  file('header not an object', rawFile([1, 2], rawParts(base).data));
  file(
    'no metadata',
    (() => {
      const { header: h, data } = rawParts(base);
      const copy = structuredClone(h);
      delete copy.__metadata__;
      return rawFile(copy, data);
    })(),
  );
  file('metadata not an object', rawFile({ ...header, __metadata__: 'x' }, rawParts(base).data));
  file(
    'a metadata value not text',
    withMetadata(base, (m) => Object.assign(m, { step: 3 })),
  );

  const wrongText: [string, string][] = [
    ['empty', ''],
    ['a megabyte of text', 'x'.repeat(2 ** 20)],
    ['JSON null', 'null'],
    ['a JSON array', '[1]'],
    ['a JSON number', '7'],
    ['broken JSON', '{"a":'],
  ];
  for (const key of Object.keys(metadata)) {
    if (key === 'created_at' || key === 'producer') continue; // free text by design
    // The curves are optional: a checkpoint without them is valid.
    if (key !== 'history')
      file(
        `metadata "${key}" missing`,
        withMetadata(base, (m) => delete m[key]),
      );
    for (const [label, value] of wrongText) {
      if ((key === 'seed' || key === 'step') && value === '7') continue; // a valid number
      file(
        `metadata "${key}" ${label}`,
        withMetadata(base, (m) => (m[key] = value)),
      );
    }
  }
  for (const [key, values] of [
    ['format', ['video-model-playground.checkpoint.v2', 'safetensors']],
    ['format_version', ['2', '0', '-1', '1.5', '1e3', '99999999999999999999']],
    ['model', ['convlstm', 'LSTM', '__proto__', 'toString', 'constructor']],
    ['variant', ['no-such-variant']],
    ['preset', ['no-such-preset']],
    ['seed', ['-1', '1e300', '4294967296', '9007199254740993', '0x10', ' 1']],
    ['step', ['-1', '1.5', '1e3', '99999999999999999999', 'NaN']],
  ] as const) {
    for (const value of values)
      file(
        `metadata "${key}" = ${value}`,
        withMetadata(base, (m) => (m[key] = value)),
      );
  }
  const json = (key: string, edit: (value: Record<string, unknown>) => void) =>
    withMetadata(base, (m) => {
      const value = JSON.parse(m[key]);
      edit(value);
      m[key] = JSON.stringify(value);
    });
  file(
    'config with an unknown key',
    json('config', (c) => (c.noSuchKey = 1)),
  );
  file(
    'config with a value out of range',
    json('config', (c) => (c.learningRate = 1e9)),
  );
  file(
    'config with a value as text',
    json('config', (c) => (c.batchSize = '4')),
  );
  file(
    'config with a megabyte-long key',
    json('config', (c) => (c[MEGABYTE_KEY] = 1)),
  );
  for (const [label, value] of BAD_SEEDS) {
    if (typeof value === 'number' && !isFinite(value)) continue; // JSON cannot hold it
    file(
      `data_spec seed ${label}`,
      json('data_spec', (d) => (d.seed = value)),
    );
  }
  file(
    'data_spec source unknown',
    json('data_spec', (d) => (d.source = 'youtube')),
  );
  file(
    'data_spec with an unknown key',
    json('data_spec', (d) => (d.colour = 'red')),
  );
  file(
    'data_spec digits 0',
    json('data_spec', (d) => (d.digits = 0)),
  );
  file(
    'model_state without counters',
    json('model_state', (s) => {
      for (const key of Object.keys(s)) if (key !== 'hyperparameters') delete s[key];
    }),
  );
  file(
    'model_state hyperparameters as text',
    json('model_state', (s) => {
      const live = s.hyperparameters as Record<string, unknown>;
      for (const key of Object.keys(live)) live[key] = String(live[key]);
    }),
  );
  file(
    'model_state hyperparameters out of range',
    json('model_state', (s) => {
      const live = s.hyperparameters as Record<string, unknown>;
      for (const key of Object.keys(live)) live[key] = 1e9;
    }),
  );
  file(
    'data_state emptied',
    json('data_state', (s) => {
      for (const key of Object.keys(s)) delete s[key];
    }),
  );
  file(
    'data_state random state out of range',
    json('data_state', (s) => {
      for (const [key, value] of Object.entries(s))
        if (Array.isArray(value)) s[key] = value.map(() => -1);
    }),
  );
  file(
    'history of the wrong shape',
    json('history', (h) => (h.points = 'x')),
  );

  for (const [label, edit] of [
    ['dtype F64', (e: Record<string, unknown>) => (e.dtype = 'F64')],
    ['dtype F16', (e: Record<string, unknown>) => (e.dtype = 'F16')],
    ['dtype unknown', (e: Record<string, unknown>) => (e.dtype = 'Q7')],
    [
      'shape of the wrong size',
      (e: Record<string, unknown>) => (e.shape = [(e.shape as number[])[0] + 1]),
    ],
    ['a negative shape', (e: Record<string, unknown>) => (e.shape = [-1])],
    ['shape as text', (e: Record<string, unknown>) => (e.shape = '4')],
    [
      'offsets reversed',
      (e: Record<string, unknown>) =>
        (e.data_offsets = [...(e.data_offsets as number[])].reverse()),
    ],
    ['offsets past the end', (e: Record<string, unknown>) => (e.data_offsets = [0, 2 ** 40])],
    ['offsets as text', (e: Record<string, unknown>) => (e.data_offsets = '0-4')],
    ['an unknown field', (e: Record<string, unknown>) => (e.checksum = 'abc')],
  ] as const) {
    file(`tensor "${weight}" with ${label}`, withEntry(base, weight, edit));
  }
  file(
    'an entry that is not an object',
    (() => {
      const { header: h, data } = rawParts(base);
      return rawFile({ ...h, [weight]: 'x' }, data);
    })(),
  );

  file(
    `tensor "${weight}" missing`,
    withTensors(base, (t) => t.delete(weight)),
  );
  file(
    `tensor "${moment}" missing`,
    withTensors(base, (t) => t.delete(moment)),
  );
  file(
    'an extra tensor',
    withTensors(base, (t) =>
      t.set('extra.w', { dtype: 'F32', shape: [1], data: new Float32Array(1) }),
    ),
  );
  file(
    'a tensor with a megabyte-long name',
    withTensors(base, (t) =>
      t.set(MEGABYTE_KEY, { dtype: 'F32', shape: [1], data: new Float32Array(1) }),
    ),
  );
  file(
    `tensor "${weight}" renamed`,
    withTensors(base, (t) => {
      t.set(`${weight}.renamed`, t.get(weight) as SafetensorsTensor);
      t.delete(weight);
    }),
  );
  file(
    `tensor "${weight}" reshaped`,
    withTensors(base, (t) => {
      const tensor = t.get(weight) as SafetensorsTensor;
      t.set(weight, { ...tensor, shape: [1, tensor.data.length] });
    }),
  );
  file(
    `tensor "${weight}" as I32`,
    withTensors(base, (t) => {
      const tensor = t.get(weight) as SafetensorsTensor;
      t.set(weight, { ...tensor, dtype: 'I32', data: new Int32Array(tensor.data.length) });
    }),
  );
  file(
    `tensor "${weight}" as U8`,
    withTensors(base, (t) => {
      const tensor = t.get(weight) as SafetensorsTensor;
      t.set(weight, { dtype: 'U8', shape: tensor.shape, data: new Uint8Array(tensor.data.length) });
    }),
  );
  const dataTensor = names.find((name) => name.startsWith('data.'));
  if (dataTensor) {
    file(`"${dataTensor}" out of range`, withValue(base, dataTensor, 0, -5));
    file(
      `"${dataTensor}" as F32`,
      withTensors(base, (t) => {
        const tensor = t.get(dataTensor) as SafetensorsTensor;
        t.set(dataTensor, { ...tensor, dtype: 'F32', data: new Float32Array(tensor.data.length) });
      }),
    );
  }
  for (const name of [weight, moment, floatNames[floatNames.length - 1]]) {
    for (const value of [NaN, Infinity, -Infinity]) {
      for (const where of ['first', 'last'] as const) {
        const index = where === 'first' ? 0 : Number.MAX_SAFE_INTEGER;
        file(`${value} as the ${where} value of "${name}"`, withValue(base, name, index, value));
      }
    }
  }

  // Random flips: in the header they mostly break the JSON; in the data they change values
  // (and may make one non-finite), so either answer can be right.
  const random = new SeededRandom(seed);
  for (let i = 0; i < 16; i++) {
    const bytes = base.slice();
    const inHeader = i % 2 === 0;
    const at = inHeader
      ? 8 + random.int(headerLength - 8)
      : headerLength + random.int(base.length - headerLength);
    bytes[at] ^= 1 << random.int(8);
    inputs.push({ label: `bit flip ${i} at byte ${at}`, input: bytes, mustRefuse: false });
  }
  return inputs;
}
