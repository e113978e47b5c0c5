/**
 * The Python package's copy of the model catalog (presets, variants, schema) is the app's: it is
 * generated from src/core/models by `npm run python:catalog`, and this test fails when it is stale.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PYTHON_CATALOG_PATH, pythonCatalogJson } from '../scripts/python-catalog';
import { MODELS } from '../src/core/models/registry';

describe('python/video_model_playground/catalog.json', () => {
  it('matches the app’s catalog (run `npm run python:catalog` after changing a preset)', () => {
    expect(readFileSync(PYTHON_CATALOG_PATH, 'utf8')).toBe(pythonCatalogJson());
  });

  it('holds every model, with a resolved config for each variant and preset', () => {
    const { models } = JSON.parse(pythonCatalogJson()) as {
      models: {
        kind: string;
        variants: string[];
        presets: string[];
        configs: Record<string, Record<string, object>>;
      }[];
    };
    expect(models.map((m) => m.kind)).toEqual(MODELS.map((m) => m.kind));
    for (const model of models) {
      expect(Object.keys(model.configs)).toEqual(model.variants);
      for (const variant of model.variants)
        expect(Object.keys(model.configs[variant])).toEqual(model.presets);
    }
  });
});
