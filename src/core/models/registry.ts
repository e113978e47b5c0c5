/**
 * The models the playground offers: one line per model folder. Everything else — the run worker,
 * the CLI, the benchmark, checkpoints, links, the pickers, the compare and classroom views —
 * finds models here, so adding a model is adding its folder and its line. Pure TypeScript (each
 * definition loads its tfjs code only when a model is built), so the UI may import it.
 */
import { ConfigError } from './config-schema';
import { convLstmModel } from './convlstm';
import type { ModelDefinition } from './kit/definition';
import { lstmModel } from './lstm';
import { rcnnModel } from './rcnn';
import { vganModel } from './vgan';

export const MODELS = [lstmModel, vganModel, rcnnModel, convLstmModel] as const;

/** The kind of every model in the registry, e.g. 'lstm'. */
export type ModelKind = (typeof MODELS)[number]['kind'];

export const MODEL_KINDS: readonly ModelKind[] = MODELS.map((model) => model.kind);

export function isModelKind(value: unknown): value is ModelKind {
  return MODEL_KINDS.some((kind) => kind === value);
}

/** The definition of `kind`, or undefined for a kind this app does not have. */
export function findModel(kind: string): ModelDefinition<ModelKind> | undefined {
  return MODELS.find((model) => model.kind === kind);
}

/** The definition of `kind`; throws a ConfigError (field `model`) naming the models there are. */
export function modelDefinition(kind: string): ModelDefinition<ModelKind> {
  const model = findModel(kind);
  if (!model) {
    throw new ConfigError(
      'model',
      `Unknown or unavailable model "${kind}" (available: ${MODEL_KINDS.join(', ')})`,
    );
  }
  return model;
}
