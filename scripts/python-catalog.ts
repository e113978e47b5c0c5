/**
 * `npm run python:catalog`: writes python/video_model_playground/catalog.json, the model catalog as
 * the Python package needs it to train from scratch — every model's variants, presets, config
 * schema and the resolved config of every variant × preset — so that the presets have one source,
 * `src/core/models/*\/config.ts`. `tests/python-catalog.test.ts` fails when the file is stale.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODELS } from '../src/core/models/registry';

export const PYTHON_CATALOG_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../python/video_model_playground/catalog.json',
);

/** The catalog as JSON text (stable: models in registry order, variants and presets in each model's order). */
export function pythonCatalogJson(): string {
  const models = MODELS.map((entry) => {
    const configs = Object.fromEntries(
      entry.variants.map((variant) => [
        variant.id,
        Object.fromEntries(
          entry.presets.map((preset) => [preset.id, entry.resolve(variant.id, preset.id).config]),
        ),
      ]),
    );
    return {
      kind: entry.kind,
      defaultVariant: entry.defaultVariant,
      defaultPreset: entry.defaultPreset,
      variants: entry.variants.map((variant) => variant.id),
      presets: entry.presets.map((preset) => preset.id),
      schema: entry.schema.map(({ label: _label, help: _help, ...field }) => field),
      configs,
    };
  });
  return `${JSON.stringify({ models }, null, 1)}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(PYTHON_CATALOG_PATH, pythonCatalogJson());
  console.log(`wrote ${path.relative(process.cwd(), PYTHON_CATALOG_PATH)}`);
}
