/** Builds a model from its kind and validated config (tfjs side of the catalog). */
import type { ModelKind, VideoModel } from './types';
import type { LstmConfig } from './lstm/config';
import { createLstmModel } from './lstm/model';
import type { RcnnConfig } from './rcnn/config';
import { createRcnnModel } from './rcnn/model';
import type { VganConfig } from './vgan/config';
import { createVganModel } from './vgan/model';

export function createModel(kind: ModelKind, config: object, seed: number): VideoModel {
  switch (kind) {
    case 'lstm':
      return createLstmModel(config as LstmConfig, seed);
    case 'vgan':
      return createVganModel(config as VganConfig, seed);
    case 'rcnn':
      return createRcnnModel(config as RcnnConfig, seed);
    default: {
      const unreachable: never = kind;
      throw new Error(`Unknown model ${String(unreachable)}`);
    }
  }
}
