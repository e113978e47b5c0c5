/**
 * The models the playground offers, described without tfjs so the UI can build its pickers and
 * validate configs. Adding a model means adding its catalog entry here and its constructor in
 * `factory.ts`; nothing else in the runtime or the UI changes.
 */
import type { ModelCatalogEntry } from './config-schema';
import type { ModelKind } from './types';
import { lstmCatalog } from './lstm/config';
import { rcnnCatalog } from './rcnn/config';
import { vganCatalog } from './vgan/config';

export const MODEL_CATALOG: Partial<Record<ModelKind, ModelCatalogEntry<object>>> = {
  lstm: lstmCatalog as ModelCatalogEntry<object>,
  vgan: vganCatalog as ModelCatalogEntry<object>,
  rcnn: rcnnCatalog as ModelCatalogEntry<object>,
};

export function catalogEntry(kind: string): ModelCatalogEntry<object> {
  const entry = MODEL_CATALOG[kind as ModelKind];
  if (!entry) {
    const available = Object.keys(MODEL_CATALOG).join(', ');
    throw new Error(`Unknown or unavailable model "${kind}" (available: ${available})`);
  }
  return entry;
}
