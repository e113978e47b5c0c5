/** Experiments in the URL: a round trip keeps every field; bad links are refused, naming the field. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/models/config-schema';
import {
  MAX_EXPERIMENT_RUNS,
  decodeExperiment,
  encodeExperiment,
  experimentUrl,
  parseViewParams,
  viewQuery,
} from '../src/protocol/experiment';
import type { Experiment } from '../src/protocol/experiment';

const DATA = { source: 'moving-mnist', seed: 7, digits: 2, speed: 3.6, digitSize: 14 } as const;

const EXPERIMENT: Experiment = {
  runs: [
    {
      model: 'lstm',
      variant: 'composite',
      preset: 'tiny',
      config: { learningRate: 1e-3, hiddenUnits: 48 },
      data: { ...DATA },
      backend: 'webgpu',
      seed: 3,
    },
    { model: 'vgan', variant: 'two-stream', preset: 'tiny', data: { ...DATA }, seed: 0 },
  ],
  start: true,
};

/** A hash whose payload is `document` as JSON, encoded the way the app encodes links. */
function hashOf(document: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(document));
  const base64 = btoa(String.fromCharCode(...bytes));
  return `#exp=${base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}

function rejection(link: string): ConfigError {
  try {
    decodeExperiment(link);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the link to be refused');
}

const VALID_RUN = EXPERIMENT.runs[0];

describe('experiment links', () => {
  it('round-trips every run field, through a hash and a whole URL', () => {
    const hash = encodeExperiment(EXPERIMENT);
    expect(hash).toMatch(/^#exp=[A-Za-z0-9_-]+$/);
    expect(decodeExperiment(hash)).toEqual(EXPERIMENT);
    const url = experimentUrl('https://example.org/play/?view=present#old', EXPERIMENT);
    expect(url.startsWith('https://example.org/play/?view=present#exp=')).toBe(true);
    expect(decodeExperiment(url)).toEqual(EXPERIMENT);
  });

  it('gives equal experiments equal links and keeps start off unless asked', () => {
    const reordered = {
      runs: [{ seed: 0, preset: 'tiny', data: { ...DATA }, variant: 'two-stream', model: 'vgan' }],
      start: false,
    } as unknown as Experiment;
    const plain = { runs: [EXPERIMENT.runs[1]], start: false };
    expect(encodeExperiment(reordered)).toBe(encodeExperiment(plain));
    expect(decodeExperiment(encodeExperiment(plain)).start).toBe(false);
  });

  it('keeps non-ASCII text intact (base64url of UTF-8)', () => {
    const link = hashOf({ v: 1, runs: [{ model: 'lstm', preset: 'ünknown' }] });
    expect(rejection(link).message).toContain('ünknown');
  });

  const bad: [string, string, string][] = [
    ['no experiment at all', 'https://example.org/#view=x', 'link'],
    ['text that is not base64url', '#exp=%%%', 'link'],
    ['base64 that is not JSON', '#exp=bm90IGpzb24', 'link'],
    ['a JSON array', hashOf([VALID_RUN]), 'link'],
    ['a missing version', hashOf({ runs: [VALID_RUN] }), 'v'],
    ['a newer version', hashOf({ v: 2, runs: [VALID_RUN] }), 'v'],
    ['an unknown top-level key', hashOf({ v: 1, runs: [VALID_RUN], autorun: 1 }), 'autorun'],
    ['no runs', hashOf({ v: 1, runs: [] }), 'runs'],
    ['runs that are not a list', hashOf({ v: 1, runs: VALID_RUN }), 'runs'],
    [
      'too many runs',
      hashOf({ v: 1, runs: Array.from({ length: MAX_EXPERIMENT_RUNS + 1 }, () => VALID_RUN) }),
      'runs',
    ],
    [
      'a start flag that is not boolean',
      hashOf({ v: 1, runs: [VALID_RUN], start: 'yes' }),
      'start',
    ],
    ['an unknown model', hashOf({ v: 1, runs: [{ model: 'sora' }] }), 'runs[0].model'],
    [
      'an unknown run key',
      hashOf({ v: 1, runs: [VALID_RUN, { ...VALID_RUN, script: 'alert(1)' }] }),
      'runs[1].script',
    ],
    [
      'an unknown config key',
      hashOf({ v: 1, runs: [{ ...VALID_RUN, config: { lr: 1 } }] }),
      'runs[0].lr',
    ],
    [
      'an out-of-range config value',
      hashOf({ v: 1, runs: [{ ...VALID_RUN, config: { learningRate: 1e9 } }] }),
      'runs[0].learningRate',
    ],
    [
      'a config value of the wrong type',
      hashOf({ v: 1, runs: [{ ...VALID_RUN, config: { hiddenUnits: '64' } }] }),
      'runs[0].hiddenUnits',
    ],
    [
      'a bad backend',
      hashOf({ v: 1, runs: [{ ...VALID_RUN, backend: 'wasm' }] }),
      'runs[0].backend',
    ],
    ['a negative seed', hashOf({ v: 1, runs: [{ ...VALID_RUN, seed: -1 }] }), 'runs[0].seed'],
    [
      'an unknown data key',
      hashOf({ v: 1, runs: [{ ...VALID_RUN, data: { ...DATA, colour: 1 } }] }),
      'runs[0].data.colour',
    ],
    [
      'a bad data value',
      hashOf({ v: 1, runs: [{ ...VALID_RUN, data: { ...DATA, digits: 99 } }] }),
      'runs[0].data.digits',
    ],
    [
      'a bad data choice',
      hashOf({ v: 1, runs: [{ ...VALID_RUN, data: { ...DATA, bounce: 'teleport' } }] }),
      'runs[0].data.bounce',
    ],
    [
      'a fractional data seed',
      hashOf({ v: 1, runs: [{ ...VALID_RUN, data: { ...DATA, seed: 0.5 } }] }),
      'runs[0].data.seed',
    ],
  ];

  it.each(bad)('refuses %s, naming the field', (_, link, field) => {
    const error = rejection(link);
    expect(error.field).toBe(field);
    if (field.startsWith('runs[')) expect(error.message).toMatch(/^Run \d+: /);
  });

  it('refuses an oversized link before decoding it', () => {
    expect(rejection(`#exp=${'A'.repeat(30_000)}`).message).toMatch(/characters long/);
  });
});

describe('view parameters', () => {
  it('reads the presentation view with hidden controls', () => {
    expect(parseViewParams('?view=present&controls=hidden')).toEqual({
      view: 'present',
      controlsHidden: true,
      problems: [],
    });
    expect(parseViewParams('')).toEqual({ view: null, controlsHidden: false, problems: [] });
  });

  it('reports unknown values instead of guessing', () => {
    const params = parseViewParams('?view=slides&controls=off');
    expect(params.view).toBeNull();
    expect(params.controlsHidden).toBe(false);
    expect(params.problems).toHaveLength(2);
    expect(params.problems[0]).toContain('slides');
  });

  it('writes the query it reads', () => {
    expect(parseViewParams(viewQuery('present', true))).toMatchObject({
      view: 'present',
      controlsHidden: true,
    });
    expect(viewQuery('run', false)).toBe('');
  });
});
