/** LSTM config: presets, the paper's reference settings, validation, and size formulas. */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, LARGE_MEMORY_BYTES } from '../src/core/models/config-schema';
import {
  LSTM_PRESETS,
  estimateLstmMemoryBytes,
  lstmParameterCount,
  lstmSequenceLength,
  resolveLstmConfig,
} from '../src/core/models/lstm/config';
import { lstmModel } from '../src/core/models/lstm';
import type { LstmConfig } from '../src/core/models/lstm/config';
import { createLstmModel } from '../src/core/models/lstm/model';

/** Runs `f` and returns the ConfigError it throws (fails the test if it throws anything else). */
function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('LSTM presets', () => {
  it('has the tiny, small, medium, paper and paper-2layer presets', () => {
    expect(LSTM_PRESETS.map((p) => p.id)).toEqual([
      'tiny',
      'small',
      'medium',
      'paper',
      'paper-2layer',
    ]);
    expect(lstmModel.defaultPreset).toBe('tiny');
    expect(lstmModel.defaultVariant).toBe('composite');
    for (const preset of LSTM_PRESETS) {
      // Every preset resolves, for every variant, without overrides.
      for (const variant of lstmModel.variants) {
        expect(() => resolveLstmConfig(variant.id, preset.id)).not.toThrow();
      }
    }
  });

  it('paper preset equals the reference settings', () => {
    const paper = resolveLstmConfig('composite', 'paper');
    expect(paper).toMatchObject({
      reconstruct: true,
      predictFuture: true,
      conditionalReconstruction: true,
      conditionalFuture: true,
      hiddenUnits: 2048,
      layers: 1,
      inputFrames: 10,
      futureFrames: 10,
      frameSize: 64,
      output: 'sigmoid-bce',
      optimizer: 'sgd-momentum',
      momentum: 0.9,
      learningRate: 1e-4,
      updateClip: 1e-4,
      weightDecay: 1e-4,
      lossReduction: 'sum',
      initScale: 0.01,
      batchSize: 80,
    });
    expect(lstmSequenceLength(paper)).toBe(20);
    const twoLayer = resolveLstmConfig('composite', 'paper-2layer');
    expect(twoLayer).toEqual({ ...paper, layers: 2 });
  });

  it('drops a preset’s conditioning of a decoder the variant lacks', () => {
    const autoencoder = resolveLstmConfig('autoencoder', 'paper');
    expect(autoencoder).toMatchObject({
      reconstruct: true,
      predictFuture: false,
      conditionalReconstruction: true,
      conditionalFuture: false,
    });
    expect(lstmSequenceLength(autoencoder)).toBe(10);
    const predictor = resolveLstmConfig('future-predictor', 'paper');
    expect(predictor).toMatchObject({
      reconstruct: false,
      predictFuture: true,
      conditionalReconstruction: false,
      conditionalFuture: true,
    });
  });

  it('applies valid overrides without changing the preset', () => {
    const config = resolveLstmConfig('composite', 'tiny', { hiddenUnits: 5, output: 'linear-mse' });
    expect(config.hiddenUnits).toBe(5);
    expect(config.output).toBe('linear-mse');
    expect(LSTM_PRESETS.find((p) => p.id === 'tiny')?.config.hiddenUnits).toBe(64);
  });
});

describe('resolveLstmConfig rejects bad input with a ConfigError naming the field', () => {
  it.each([
    ['unknown key', { hiddenUnit: 8 }, 'hiddenUnit'],
    ['negative units', { hiddenUnits: -1 }, 'hiddenUnits'],
    ['zero units', { hiddenUnits: 0 }, 'hiddenUnits'],
    ['too many units', { hiddenUnits: 5000 }, 'hiddenUnits'],
    ['fractional units', { hiddenUnits: 2.5 }, 'hiddenUnits'],
    ['three layers', { layers: 3 }, 'layers'],
    ['frame size below 4', { frameSize: 2 }, 'frameSize'],
    ['string number', { learningRate: '0.1' }, 'learningRate'],
    ['NaN', { learningRate: NaN }, 'learningRate'],
    ['learning rate above 1', { learningRate: 2 }, 'learningRate'],
    ['momentum 1', { momentum: 1 }, 'momentum'],
    ['negative clip', { updateClip: -1 }, 'updateClip'],
    ['unknown output', { output: 'softmax' }, 'output'],
    ['unknown optimiser', { optimizer: 'rmsprop' }, 'optimizer'],
    ['non-boolean flag', { conditionalFuture: 1 }, 'conditionalFuture'],
    ['variant field as override', { reconstruct: false }, 'reconstruct'],
  ])('%s', (_name, overrides, field) => {
    const error = configError(() => resolveLstmConfig('composite', 'tiny', overrides));
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });

  it('unknown variant', () => {
    const error = configError(() => resolveLstmConfig('bidirectional', 'tiny'));
    expect(error.field).toBe('variant');
    expect(error.message).toContain('bidirectional');
  });

  it('unknown preset', () => {
    const error = configError(() => resolveLstmConfig('composite', 'huge'));
    expect(error.field).toBe('preset');
    expect(error.message).toContain('huge');
  });

  it('conditioning a decoder the variant lacks', () => {
    expect(
      configError(() =>
        resolveLstmConfig('future-predictor', 'tiny', { conditionalReconstruction: true }),
      ).field,
    ).toBe('conditionalReconstruction');
    expect(
      configError(() => resolveLstmConfig('autoencoder', 'tiny', { conditionalFuture: true }))
        .field,
    ).toBe('conditionalFuture');
  });
});

describe('LSTM sizes', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => {
    tf.disposeVariables();
  });

  const SMALL = { hiddenUnits: 3, inputFrames: 2, futureFrames: 2, frameSize: 4, batchSize: 1 };
  const cases: [string, string, Record<string, unknown>][] = [];
  for (const variant of ['composite', 'autoencoder', 'future-predictor']) {
    for (const layers of [1, 2]) {
      for (const conditional of [false, true]) {
        const overrides: Record<string, unknown> = { ...SMALL, layers };
        if (variant !== 'future-predictor') overrides.conditionalReconstruction = conditional;
        if (variant !== 'autoencoder') overrides.conditionalFuture = conditional;
        cases.push([variant, `${layers} layer(s), conditional ${conditional}`, overrides]);
      }
    }
  }

  it.each(cases)('parameter formula = model.parameterCount(): %s, %s', (variant, _, overrides) => {
    const config = resolveLstmConfig(variant, 'tiny', overrides);
    const model = createLstmModel(config, 1);
    try {
      expect(lstmParameterCount(config)).toBe(model.parameterCount());
    } finally {
      model.dispose();
    }
  });

  it('formula by hand for one small config', () => {
    // composite, 1 layer, unconditioned: P = 16, U = 3.
    const config: LstmConfig = resolveLstmConfig('composite', 'tiny', SMALL);
    const encoder = (16 + 3) * 12 + 9 + 12;
    const decoder = 3 * 12 + 9 + 12 + 3 * 16 + 16; // no input weights, plus readout
    expect(lstmParameterCount(config)).toBe(encoder + 2 * decoder);
  });

  it('paper presets need more than LARGE_MEMORY_BYTES; tiny does not', () => {
    for (const preset of ['paper', 'paper-2layer']) {
      const config = resolveLstmConfig('composite', preset);
      expect(estimateLstmMemoryBytes(config)).toBeGreaterThan(LARGE_MEMORY_BYTES);
      expect(lstmModel.resolve('composite', preset).memoryBytes()).toBe(
        estimateLstmMemoryBytes(config),
      );
    }
    // The paper's model has about 168M weights (described in the preset).
    const paper = lstmParameterCount(resolveLstmConfig('composite', 'paper'));
    expect(paper / 1e6).toBeCloseTo(168, -1);
    const tiny = resolveLstmConfig('composite', 'tiny');
    expect(estimateLstmMemoryBytes(tiny)).toBeLessThan(LARGE_MEMORY_BYTES);
    expect(estimateLstmMemoryBytes(tiny)).toBeGreaterThan(lstmParameterCount(tiny) * 4);
  });
});
