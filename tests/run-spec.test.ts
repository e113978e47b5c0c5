/** parseRunSpec: the README's example spec passes; every bad field is rejected by name. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/models/config-schema';
import { resolveLstmConfig } from '../src/core/models/lstm/config';
import { parseRunSpec } from '../src/protocol/run-spec';

/** The spec of the README's automation example (`playground.createRun({...})`). */
const README_SPEC = {
  model: 'lstm',
  variant: 'composite',
  preset: 'tiny',
  config: { learningRate: 2e-3 },
  data: {
    source: 'moving-mnist',
    seed: 42,
    digits: 2,
    speed: 3.6,
    compositing: 'max',
    bounce: 'reflect',
  },
  backend: 'webgpu',
  seed: 0,
};

/** The ConfigError `parseRunSpec(spec)` throws. */
function rejection(spec: unknown): ConfigError {
  try {
    parseRunSpec(spec);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, the spec was accepted');
}

describe('parseRunSpec', () => {
  it('accepts the README example and resolves its config', () => {
    const spec = parseRunSpec(README_SPEC);
    const { resolved, ...rest } = spec;
    expect(rest).toEqual(README_SPEC);
    expect(resolved.config).toEqual(resolveLstmConfig('composite', 'tiny', { learningRate: 2e-3 }));
  });

  it('fills in the default variant and preset', () => {
    const spec = parseRunSpec({ model: 'lstm' });
    expect(spec).toMatchObject({ model: 'lstm', variant: 'composite', preset: 'tiny' });
    expect(spec).not.toHaveProperty('backend');
    expect(spec).not.toHaveProperty('seed');
    expect(spec).not.toHaveProperty('data');
  });

  it('accepts every backend and a minimal data spec', () => {
    for (const backend of ['webgpu', 'webgl', 'cpu']) {
      expect(parseRunSpec({ model: 'lstm', backend }).backend).toBe(backend);
    }
    expect(parseRunSpec({ model: 'lstm', data: { source: 'moving-mnist' } }).data).toEqual({
      source: 'moving-mnist',
    });
  });

  const bad: [string, unknown, string][] = [
    ['not an object', 'lstm', 'spec'],
    ['an array', [README_SPEC], 'spec'],
    ['null', null, 'spec'],
    ['an unknown key', { ...README_SPEC, learningRate: 1e-3 }, 'learningRate'],
    ['a missing model', { preset: 'tiny' }, 'model'],
    ['an unknown model', { ...README_SPEC, model: 'transformer' }, 'model'],
    ['a model given as a number', { ...README_SPEC, model: 1 }, 'model'],
    ['an unknown variant', { ...README_SPEC, variant: 'bidirectional' }, 'variant'],
    ['an unknown preset', { ...README_SPEC, preset: 'huge' }, 'preset'],
    ['config that is not an object', { ...README_SPEC, config: [1] }, 'config'],
    ['an unknown config key', { ...README_SPEC, config: { lr: 1 } }, 'lr'],
    [
      'an out-of-range config value',
      { ...README_SPEC, config: { hiddenUnits: -1 } },
      'hiddenUnits',
    ],
    ['an unknown backend', { ...README_SPEC, backend: 'wasm' }, 'backend'],
    ['a backend in capitals', { ...README_SPEC, backend: 'WebGPU' }, 'backend'],
    ['a negative seed', { ...README_SPEC, seed: -1 }, 'seed'],
    ['a fractional seed', { ...README_SPEC, seed: 1.5 }, 'seed'],
    ['a string seed', { ...README_SPEC, seed: '7' }, 'seed'],
    ['data that is not an object', { ...README_SPEC, data: 'moving-mnist' }, 'data'],
    ['data without a source', { ...README_SPEC, data: { seed: 1 } }, 'data.source'],
    ['an unknown data source', { ...README_SPEC, data: { source: 'kth' } }, 'data.source'],
    [
      'an unknown data key',
      { ...README_SPEC, data: { ...README_SPEC.data, colour: true } },
      'data.colour',
    ],
    [
      'a bad data value',
      { ...README_SPEC, data: { ...README_SPEC.data, digits: 0 } },
      'data.digits',
    ],
    ['a bad data seed', { ...README_SPEC, data: { ...README_SPEC.data, seed: -3 } }, 'data.seed'],
  ];

  it.each(bad)('rejects %s, naming the field', (_, spec, field) => {
    const error = rejection(spec);
    expect(error.field).toBe(field);
    // The message names the key too ('data.colour' may read as 'Unknown data option "colour"').
    if (field !== 'spec') expect(error.message).toContain(field.split('.').at(-1));
  });
});
